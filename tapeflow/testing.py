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

__all__ = ["check_gradients", "GradientCheckError"]


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
    with GradientTape() as tape:
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
