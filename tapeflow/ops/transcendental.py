"""Transcendental functions: exp, log, expm1, log1p, the trigonometric and hyperbolic functions
and their inverses, tanh and sigmoid (with TF's fused TanhGrad and SigmoidGrad kernels).

Float16/32 results of exp, log, sin, cos, tan, tanh and sigmoid are rounded from float64, as
TF's are (see `_rounded`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapeflow.op import FLOATS, FLOATS_COMPLEX, op, require_dtype
from tapeflow.ops.math import (
    _REAL_SCALARS,
    conj_if_complex,
    grad_times,
    multiply,
    negative,
    realdiv,
    reciprocal,
    rsqrt,
    square,
    subtract,
)
from tapeflow.tape import add
from tapeflow.tensor import Tensor

__all__ = [
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "expm1",
    "log1p",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
]


_ROUND_FROM_FLOAT64_UP_TO = 64  # elements: the tensors people print


def _rounded(np_fn: Any, math_fn: Any) -> Any:
    """A float function whose float16/32 results are rounded from float64, as TF's are.

    NumPy's float32 SIMD kernels (exp, sin, ...) can be an ulp off the correctly rounded value
    TF prints, so small inputs are computed in float64 and rounded. Scalars go through `math`,
    which is also ten times faster than a NumPy ufunc on a scalar. Large arrays keep NumPy's
    float32 kernels: there speed matters more than the last bit.
    """

    def compute(x: Any) -> Any:
        t = type(x)
        if t in _REAL_SCALARS:
            try:
                return t(math_fn(x))
            except (OverflowError, ValueError):  # inf, nan: NumPy's answer, as TF's
                return t(np_fn(np.float64(x)))
        if t is np.ndarray and x.dtype.kind == "f" and x.dtype.itemsize < 8:
            if x.size <= _ROUND_FROM_FLOAT64_UP_TO:
                return np_fn(x.astype(np.float64)).astype(x.dtype)
        return np_fn(x)

    return compute


def _math_sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


def _np_sigmoid(x: Any) -> Any:
    # 1 / (1 + e^-x): e^-x overflows to inf for very negative x, giving the right 0.
    # One buffer, updated in place: on big arrays allocation costs as much as arithmetic.
    if type(x) is not np.ndarray:
        return 1 / (1 + np.exp(-x))
    e = np.negative(x)
    np.exp(e, out=e)
    e += 1
    return np.reciprocal(e, out=e)


def _times(t: np.ndarray, dy: Any) -> Any:
    """t * dy, written into t (a fresh temporary) when the shapes allow it."""
    if np.shape(dy) == t.shape:
        return np.multiply(t, dy, out=t)
    return t * dy


_exp = _rounded(np.exp, math.exp)
_log = _rounded(np.log, math.log)
_sin = _rounded(np.sin, math.sin)
_cos = _rounded(np.cos, math.cos)
_tan = _rounded(np.tan, math.tan)
_tanh = _rounded(np.tanh, math.tanh)
_sigmoid = _rounded(_np_sigmoid, _math_sigmoid)


@op("Exp")
def exp(x: Any) -> Any:
    return _exp(x)


@exp.defvjp(batched=True)
def _exp_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (grad_times(grad, conj_if_complex(out)),)


@op("Log")
def log(x: Any) -> Any:
    return _log(x)


@log.defvjp(batched=True)
def _log_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(log x) = 1/x (so a zero upstream at x=0 gives nan, as in TF)
    return (realdiv(grad, conj_if_complex(x)),)


@op("Sin")
def sin(x: Any) -> Any:
    return _sin(x)


@sin.defvjp(batched=True)
def _sin_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (grad_times(grad, conj_if_complex(cos(x))),)


@op("Cos")
def cos(x: Any) -> Any:
    return _cos(x)


@cos.defvjp(batched=True)
def _cos_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (grad_times(grad, conj_if_complex(_sin_derivative(x, k=2))),)


@op("SinDerivative")
def _sin_derivative(x: Any, *, k: int) -> Any:
    """The k-th derivative of sin: -sin x for k = 2, -cos x for 3, sin x for 4, and so on.

    tapeflow's own op, for cos's VJP and every order after it: -sin x is one op here where
    TF's rule takes two (Sin, Neg), so each Hessian through cos records and walks one less.
    """
    y = _sin(x) if k % 2 == 0 else _cos(x)
    if k % 4 < 2:
        return y
    return np.negative(y, out=y) if type(y) is np.ndarray else -y  # y is a fresh result


@_sin_derivative.defvjp(batched=True)
def _sin_derivative_vjp(grad: Tensor, out: Tensor, x: Tensor, *, k: int) -> tuple[Any]:
    return (grad_times(grad, conj_if_complex(_sin_derivative(x, k=(k + 1) % 4))),)


@op("Tan")
def tan(x: Any) -> Any:
    return _tan(x)


@tan.defvjp(batched=True)
def _tan_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(tan x) = sec^2 x
    return (grad_times(grad, conj_if_complex(square(reciprocal(cos(x))))),)


@op("Tanh")
def tanh(x: Any) -> Any:
    return _tanh(x)


@op("TanhGrad")
def tanh_grad(y: Any, dy: Any) -> Any:
    if type(y) is not np.ndarray:
        return dy * (1 - y * y)
    t = y * y
    np.subtract(1, t, out=t)
    return _times(t, dy)


@tanh.defvjp(batched=True)
def _tanh_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(tanh x) = 1 - tanh(x)^2, fused into one kernel
    return (tanh_grad(conj_if_complex(out), grad),)


@tanh_grad.defvjp(batched=True)
def _tanh_grad_vjp(grad: Tensor, out: Tensor, y: Tensor, dy: Tensor) -> tuple[Any, Any]:
    # TanhGrad = dy (1 - y^2): d/dy = -2 y dy, d/d(dy) = 1 - y^2
    return grad_times(grad, multiply(dy, multiply(y, -2))), tanh_grad(y, grad)


@op("Sigmoid")
def sigmoid(x: Any) -> Any:
    return _sigmoid(x)


@op("SigmoidGrad")
def sigmoid_grad(y: Any, dy: Any) -> Any:
    if type(y) is not np.ndarray:
        return dy * (y * (1 - y))
    t = 1 - y
    t *= y
    return _times(t, dy)


@sigmoid.defvjp(batched=True)
def _sigmoid_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(sigmoid x) = s (1 - s)
    return (sigmoid_grad(conj_if_complex(out), grad),)


@sigmoid_grad.defvjp(batched=True)
def _sigmoid_grad_vjp(grad: Tensor, out: Tensor, y: Tensor, dy: Tensor) -> tuple[Any, Any]:
    # SigmoidGrad = dy y (1 - y): d/dy = dy (1 - 2y)
    return grad_times(grad, multiply(dy, subtract(1, multiply(y, 2)))), sigmoid_grad(y, grad)


# ---------------------------------------------------------------------------------------------
# More transcendental functions


@op("Expm1")
def expm1(x: Any) -> Any:
    require_dtype(x, "Expm1", FLOATS_COMPLEX)
    return np.expm1(x)


@expm1.defvjp(batched=True)
def _expm1_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(e^x - 1) = e^x
    return (grad_times(grad, conj_if_complex(exp(x))),)


@op("Log1p")
def log1p(x: Any) -> Any:
    require_dtype(x, "Log1p", FLOATS_COMPLEX)
    return np.log1p(x)


@log1p.defvjp(batched=True)
def _log1p_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d log(1 + x) = 1 / (1 + x)
    return (realdiv(grad, conj_if_complex(add(x, 1))),)


@op("Asin")
def asin(x: Any) -> Any:
    require_dtype(x, "Asin", FLOATS_COMPLEX)
    return np.arcsin(x)


@asin.defvjp(batched=True)
def _asin_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d asin x = 1 / sqrt(1 - x^2)
    return (grad_times(grad, conj_if_complex(rsqrt(subtract(1, square(x))))),)


@op("Acos")
def acos(x: Any) -> Any:
    require_dtype(x, "Acos", FLOATS_COMPLEX)
    return np.arccos(x)


@acos.defvjp(batched=True)
def _acos_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d acos x = -1 / sqrt(1 - x^2)
    return (negative(grad_times(grad, conj_if_complex(rsqrt(subtract(1, square(x)))))),)


@op("Atan")
def atan(x: Any) -> Any:
    require_dtype(x, "Atan", FLOATS_COMPLEX)
    return np.arctan(x)


@atan.defvjp(batched=True)
def _atan_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d atan x = 1 / (1 + x^2)
    return (realdiv(grad, conj_if_complex(add(square(x), 1))),)


@op("Atan2")
def atan2(y: Any, x: Any) -> Any:
    require_dtype(y, "Atan2", FLOATS)
    return np.arctan2(y, x)


@atan2.defvjp(batched=True)
def _atan2_vjp(grad: Tensor, out: Tensor, y: Tensor, x: Tensor) -> tuple[Any, Any]:
    # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2); nan at the origin, as in TF
    scaled = realdiv(grad, add(square(x), square(y)))
    return multiply(scaled, x), multiply(scaled, negative(y))


@op("Sinh")
def sinh(x: Any) -> Any:
    require_dtype(x, "Sinh", FLOATS_COMPLEX)
    return np.sinh(x)


@sinh.defvjp(batched=True)
def _sinh_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d sinh x = cosh x
    return (grad_times(grad, conj_if_complex(cosh(x))),)


@op("Cosh")
def cosh(x: Any) -> Any:
    require_dtype(x, "Cosh", FLOATS_COMPLEX)
    return np.cosh(x)


@cosh.defvjp(batched=True)
def _cosh_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d cosh x = sinh x
    return (grad_times(grad, conj_if_complex(sinh(x))),)


@op("Asinh")
def asinh(x: Any) -> Any:
    require_dtype(x, "Asinh", FLOATS_COMPLEX)
    return np.arcsinh(x)


@asinh.defvjp(batched=True)
def _asinh_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d asinh x = 1 / cosh(asinh x) (TF's form, from the output)
    return (realdiv(grad, conj_if_complex(cosh(out))),)


@op("Acosh")
def acosh(x: Any) -> Any:
    require_dtype(x, "Acosh", FLOATS_COMPLEX)
    return np.arccosh(x)


@acosh.defvjp(batched=True)
def _acosh_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d acosh x = 1 / sinh(acosh x): inf at x = 1, as in TF
    return (realdiv(grad, conj_if_complex(sinh(out))),)


@op("Atanh")
def atanh(x: Any) -> Any:
    require_dtype(x, "Atanh", FLOATS_COMPLEX)
    return np.arctanh(x)


@atanh.defvjp(batched=True)
def _atanh_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d atanh x = 1 / (1 - x^2)
    return (realdiv(grad, conj_if_complex(subtract(1, square(x)))),)
