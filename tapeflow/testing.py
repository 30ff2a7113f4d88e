"""The shared numerical gradient checker: `tapeflow.testing.check_gradients`.

For a function f of tensors, a random output cotangent u and a random input direction v, the
reverse-mode identity  <u, J v> = <J^T u, v>  is checked with J v taken by central differences:

    <u, (f(x + eps v) - f(x - eps v)) / 2 eps>   ==   sum_i <vjp(u)_i, v_i>

in float64. With `order=2` the VJP itself (a function of x, computed under an outer tape) is
checked the same way, which exercises every rule's own gradient: higher-order correctness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.tape import GradientTape
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = ["check_gradients", "GradientCheckError", "compute_gradient"]


class GradientCheckError(AssertionError):
    """The analytic and numerical directional derivatives disagree."""


def _is_float(x: Any) -> bool:
    return np.asarray(getattr(x, "_value", x)).dtype.kind == "f"


def _outputs(f: Callable[..., Any], args: Sequence[Any]) -> list[Tensor]:
    return [convert_to_tensor(o) for o in nest.flatten(f(*args)) if o is not None]


def _vjp(
    f: Callable[..., Any], args: list[Any], diff: list[int], cotangents: list[np.ndarray]
) -> list[Tensor]:
    """J^T u for the differentiable args (zeros where a gradient is None)."""
    with GradientTape(strict=False) as tape:
        for i in diff:
            tape.watch(args[i])
        outs = _outputs(f, args)
    seeds = [_wrap(u.astype(o._value.dtype)[()]) for u, o in zip(cotangents, outs)]
    kept = [(o, s) for o, s in zip(outs, seeds) if o._value.dtype.kind == "f"]
    grads = tape.gradient(
        [o for o, _ in kept], [args[i] for i in diff], output_gradients=[s for _, s in kept]
    )
    return [
        _wrap(np.zeros_like(args[i]._value)[()]) if g is None else convert_to_tensor(g)
        for g, i in zip(grads, diff)
    ]


def check_gradients(
    f: Callable[..., Any],
    *args: Any,
    order: int = 2,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
) -> None:
    """Raises GradientCheckError unless f's gradients match central differences.

    Floating arguments are converted to float64 and differentiated; other arguments (indices,
    masks) are held fixed. `order=2` also checks the gradient of the gradient.

    >>> import tapeflow as tf
    >>> from tapeflow.testing import check_gradients
    >>> check_gradients(lambda x, y: tf.sin(x) * y, [0.5, 1.0], [[2.0], [3.0]])
    """
    rng = np.random.default_rng(seed)
    values = [
        convert_to_tensor(np.asarray(getattr(a, "_value", a), dtype=np.float64))
        if _is_float(a)
        else convert_to_tensor(a)
        for a in args
    ]
    diff = [i for i, a in enumerate(values) if _is_float(a)]
    _check_once(f, values, diff, rng, eps, atol, rtol, order)


def _check_once(
    f: Callable[..., Any],
    values: list[Any],
    diff: list[int],
    rng: np.random.Generator,
    eps: float,
    atol: float,
    rtol: float,
    order: int,
    level: int = 1,
) -> None:
    """Checks the level-th derivative (the gradient of f, where f is already a VJP at level>1)."""
    outs = _outputs(f, values)
    us = [rng.standard_normal(np.shape(o._value)) for o in outs]
    vs = {i: rng.standard_normal(np.shape(values[i]._value)) for i in diff}

    def shifted(sign: float) -> list[np.ndarray]:
        moved = list(values)
        for i in diff:
            moved[i] = _wrap((values[i]._value + sign * eps * vs[i])[()])
        return [np.asarray(o._value, dtype=np.float64) for o in _outputs(f, moved)]

    plus, minus = shifted(1.0), shifted(-1.0)
    numeric = sum(
        float(np.sum(u * (p - m) / (2 * eps)))
        for u, p, m, o in zip(us, plus, minus, outs)
        if o._value.dtype.kind == "f"
    )
    grads = _vjp(f, values, diff, us)
    analytic = sum(float(np.sum(np.asarray(g._value) * vs[i])) for g, i in zip(grads, diff))
    if not np.isclose(analytic, numeric, atol=atol, rtol=rtol):
        raise GradientCheckError(
            f"gradient check failed (order {level}): <vjp(u), v> = {analytic!r} but the "
            f"central difference gives {numeric!r}"
        )
    if level < order:

        def vjp_of_f(*xs: Any) -> list[Tensor]:
            return _vjp(f, list(xs), diff, us)

        _check_once(vjp_of_f, values, diff, rng, eps, atol, rtol, order, level + 1)


# ---------------------------------------------------------------------------------------------
# tf.test.compute_gradient: TF's gradient checker, returning both jacobians


def compute_gradient(f: Callable[..., Any], x: Any, delta: Any = None) -> tuple[Any, Any]:
    """The theoretical and numerical jacobians of `f` at `x` (a list or tuple of arguments).

    Returns `(theoretical, numerical)`, each a tuple with one 2-D array per argument, shape
    `(y_size, x_size)`, a complex number counting as two reals (TF's `tf.test.compute_gradient`,
    same default delta 1/1024 and the same central differences).

    >>> import tapeflow as tf
    >>> tf.test.compute_gradient(lambda x: x * x, [1.0])
    ((array([[2.]], dtype=float32),), (array([[2.]], dtype=float32),))
    """
    if not isinstance(x, (list, tuple)):
        raise ValueError(
            "`x` must be a list or tuple of values convertible to a Tensor (arguments to `f`), "
            f"not a {type(x)}"
        )
    delta = 1.0 / 1024 if delta is None else delta
    xs = [convert_to_tensor(a) for a in x]
    y = convert_to_tensor(f(*xs))
    pairs = [(_theoretical(f, y, xs, i), _numerical(f, y, xs, i, delta)) for i in range(len(xs))]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _real(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


def _theoretical(f: Callable[..., Any], y: Tensor, xs: list[Tensor], i: int) -> np.ndarray:
    x = xs[i]
    x_dtype, y_dtype = np.asarray(x._value).dtype, np.asarray(y._value).dtype
    x_size = int(np.size(x._value)) * (2 if x_dtype.kind == "c" else 1)
    y_size = int(np.size(y._value)) * (2 if y_dtype.kind == "c" else 1)
    jac = np.zeros((y_size, x_size), dtype=_real(x_dtype))
    with GradientTape(persistent=True, strict=False) as tape:
        tape.watch(x)
        out = convert_to_tensor(f(*xs))
    if x_dtype.kind != "c" and y_dtype.kind != "c":  # one batched walk
        j = tape.jacobian(out, x)
        if j is not None:
            jac[:] = np.asarray(j._value).reshape(y_size, x_size)
        return jac
    # complex: one row per real component of the output, as TF
    dy = np.zeros(np.shape(y._value), y_dtype)
    flat = dy.reshape(-1).view(_real(y_dtype))
    for row in range(y_size):
        flat[row] = 1
        g = tape.gradient(out, x, output_gradients=_wrap(dy.copy()[()]))
        if g is not None:
            jac[row, :] = np.asarray(convert_to_tensor(g)._value).reshape(-1).view(jac.dtype)
        flat[row] = 0
    return jac


def _numerical(
    f: Callable[..., Any], y: Tensor, xs: list[Tensor], i: int, delta: Any
) -> np.ndarray:
    arrays = [np.array(a._value, copy=True) for a in xs]
    x = arrays[i]
    x_dtype, y_dtype = _real(x.dtype), _real(np.asarray(y._value).dtype)
    x_size = x.size * (2 if x.dtype.kind == "c" else 1)
    y_size = int(np.size(y._value)) * (2 if np.asarray(y._value).dtype.kind == "c" else 1)
    scale = np.asarray(2 * delta, dtype=y_dtype)[()]
    jac = np.zeros((y_size, x_size), dtype=x_dtype)

    def run() -> np.ndarray:
        return np.asarray(convert_to_tensor(f(*[_wrap(a.copy()[()]) for a in arrays]))._value)

    view = x.reshape(-1).view(x_dtype)
    for col in range(x_size):
        original = view[col]
        view[col] += delta
        y_pos = run()
        view[col] = original
        view[col] -= delta
        y_neg = run()
        view[col] = original
        diff = (y_pos - y_neg) / scale
        jac[:, col] = np.asarray(diff).reshape(-1).view(y_dtype)
    return jac
