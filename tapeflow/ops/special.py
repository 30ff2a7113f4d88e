"""Special functions: erf, erfc, lgamma, digamma and polygamma.

NumPy has none of them and SciPy is not a dependency, so the forwards are written here:
erf, erfc and lgamma call the C library through Python's `math` module, element by element
(exact to libm, about 0.1-0.3 µs per element); digamma and polygamma are vectorised (recurrence
up to x >= 10, then the asymptotic or Euler-Maclaurin series; reflection for x < 1/2), accurate
to about 1e-15 relative away from their zeros. Inputs of any float dtype are computed in float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapeflow.op import FLOATS, op, require_dtype
from tapeflow.ops.math import add, grad_times, multiply, negative, square
from tapeflow.ops.transcendental import exp
from tapeflow.tensor import Tensor

__all__ = ["erf", "erfc", "lgamma", "digamma", "polygamma"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _elementwise(fn: Any, x: Any) -> Any:
    """fn (float -> float) over every element of x, in float64, back in x's dtype."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.frompyfunc(fn, 1, 1)(arr) if arr.ndim else fn(float(arr))
    return np.asarray(out, dtype=np.float64).astype(x.dtype)[()]


@op("Erf")
def erf(x: Any) -> Any:
    require_dtype(x, "Erf", FLOATS)
    return _elementwise(math.erf, x)


@erf.defvjp(batched=True)
def _erf_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d erf x = 2 / sqrt(pi) exp(-x^2)
    return (grad_times(grad, multiply(exp(negative(square(x))), _TWO_OVER_SQRT_PI)),)


@op("Erfc")
def erfc(x: Any) -> Any:
    require_dtype(x, "Erfc", FLOATS)
    return _elementwise(math.erfc, x)


@erfc.defvjp(batched=True)
def _erfc_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d erfc x = -2 / sqrt(pi) exp(-x^2)
    return (grad_times(grad, multiply(exp(negative(square(x))), -_TWO_OVER_SQRT_PI)),)


def _lgamma_scalar(v: float) -> float:
    if math.isinf(v):
        return math.inf
    if v <= 0 and v == math.floor(v):
        return math.inf  # the poles (math.lgamma raises there; TF gives inf)
    return math.lgamma(v)  # nan stays nan


@op("Lgamma")
def lgamma(x: Any) -> Any:
    require_dtype(x, "Lgamma", FLOATS)
    return _elementwise(_lgamma_scalar, x)


@lgamma.defvjp(batched=True)
def _lgamma_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d lgamma x = digamma x
    return (grad_times(grad, digamma(x)),)


# -- digamma and polygamma: vectorised series ---------------------------------------------

# psi(x) ~ log x - 1/2x - sum_k B_2k / (2k x^2k), coefficients B_2k / 2k for k = 1..7
_PSI_ASYMPTOTIC = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
# Bernoulli numbers B_2j / (2j)!, j = 1..8, for the Euler-Maclaurin tail of the Hurwitz zeta
_BERNOULLI_OVER_FACTORIAL = tuple(
    b / math.factorial(2 * j)
    for j, b in enumerate(
        (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510), start=1
    )
)


def _digamma_np(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    reflect = x < 0.5
    z = np.where(reflect, 1.0 - x, x)  # psi(x) = psi(1 - x) - pi cot(pi x)
    shift = np.zeros_like(z)
    for _ in range(10):  # psi(z) = psi(z + 1) - 1/z: ten steps take every z >= 1/2 past 10
        shift -= 1.0 / z
        z = z + 1.0
    inv2 = 1.0 / (z * z)
    series = np.zeros_like(z)
    for c in reversed(_PSI_ASYMPTOTIC):
        series = series * inv2 + c
    out = np.log(z) - 0.5 / z - series * inv2 + shift
    out = np.where(reflect, out - np.pi / np.tan(np.pi * x), out)
    poles = (x <= 0) & (x == np.floor(x))
    return np.where(poles | np.isnan(x), np.nan, np.where(np.isposinf(x), np.inf, out))


def _hurwitz_zeta_np(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """zeta(s, q) = sum_k (q + k)^-s for integer s >= 2 (any real q that is not a pole)."""
    a = np.asarray(q, dtype=np.float64).copy()
    total = np.zeros_like(a)
    # shift every q past max(10, s), where the Euler-Maclaurin tail converges fast: the same
    # number of steps for all elements, so each step is one vectorised operation
    lowest = float(np.min(a - np.maximum(10.0, s))) if a.size else 0.0
    for _ in range(max(0, math.ceil(-lowest))):
        total += a**-s
        a = a + 1.0
    tail = a ** (1.0 - s) / (s - 1.0) + 0.5 * a**-s
    rising = s.copy()  # s (s + 1) ... (s + 2j - 2)
    power = a**-s / a  # a^(-s - 2j + 1) for j = 1
    for j, coeff in enumerate(_BERNOULLI_OVER_FACTORIAL, start=1):
        tail = tail + coeff * rising * power
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
        power = power / (a * a)
    return total + tail


def _polygamma_np(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    n, x = np.broadcast_arrays(np.asarray(n, np.float64), np.asarray(x, np.float64))
    valid = (n >= 0) & (n == np.floor(n))
    order = np.where(valid, n, 1.0)
    s = order + 1.0
    factorial = np.vectorize(math.gamma, otypes=[np.float64])(s) if s.size else s
    sign = np.where(order % 2 == 0, -1.0, 1.0)  # (-1)^(n+1)
    poles = (x <= 0) & (x == np.floor(x))
    with np.errstate(all="ignore"):
        zeta = _hurwitz_zeta_np(s, np.where(poles | ~np.isfinite(x), 1.0, x))
    out = sign * factorial * zeta
    odd = order % 2 == 1
    # TF's values at the poles and at -inf: inf for odd n, nan for even n
    out = np.where(poles | np.isneginf(x), np.where(odd, np.inf, np.nan), out)
    out = np.where(np.isposinf(x), 0.0, np.where(np.isnan(x), np.nan, out))
    out = np.where(order == 0, _digamma_np(x), out)
    return np.where(valid, out, np.nan)


@op("Digamma")
def digamma(x: Any) -> Any:
    require_dtype(x, "Digamma", FLOATS)
    return _digamma_np(x).astype(x.dtype)[()]


@digamma.defvjp(batched=True)
def _digamma_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d digamma x = polygamma(1, x) (trigamma)
    return (grad_times(grad, polygamma(1, x)),)


@op("Polygamma")
def _polygamma(a: Any, x: Any) -> Any:
    require_dtype(x, "Polygamma", ("float", "double"))
    return _polygamma_np(a, x).astype(x.dtype)[()]


@_polygamma.defvjp(batched=True)
def _polygamma_vjp(grad: Tensor, out: Tensor, a: Tensor, x: Tensor) -> tuple[Any, Any]:
    # d/dx polygamma(n, x) = polygamma(n + 1, x); none for the order n (TF)
    return None, grad_times(grad, _polygamma(add(a, 1), x))


def polygamma(a: Any, x: Any, name: str | None = None) -> Tensor:
    """The n-th derivative of digamma, `polygamma(n, x)`, for integer-valued float n >= 0.

    >>> import tapeflow as tf
    >>> round(float(tf.math.polygamma(1.0, 1.0)), 6)  # pi^2 / 6
    1.644934
    """
    return _polygamma(a, x)
