"""Jacobians in one backward walk: `GradientTape.jacobian` and `batch_jacobian`.

The backward walk is linear in the cotangent, so n vector-Jacobian products are one walk over a
cotangent with an extra leading axis of size n: the target is seeded with the n rows of an
identity matrix, shape `(n,) + target.shape`, and every VJP carries that axis along. NumPy's
broadcasting makes elementwise rules do this unchanged; rules that name axes or shapes shift
them by the batch rank (`defvjp(batched=True)`, see `tapeflow.ops.array.lead_shape`). The
engine undoes broadcasting only over the trailing axes (`sum_to(..., batch=b)`).

Why this and not TF's way: TF traces the per-row gradient into a graph and vectorises it with
pfor, building and tracing a `tf.function` on every eager call (slow, and it logs retracing
warnings). Here there is nothing to trace: one walk, with ops over bigger arrays.

An op whose rule is not marked batched still works: for that op only, `Batched.vjp` falls back
to a Python loop over the rows (`_rows`), so ops added without thinking about jacobians are
correct, just slower. Everything runs through ops, so outer tapes record it (higher order).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.op import variable_types
from tapeflow.ops.array import _reshape, _stack, _transpose, _unstack
from tapeflow.tape import (
    UnconnectedGradients,
    _broadcast_to,
    _unconnected_mode,
    sum_to,
    zeros_like_np,
)
from tapeflow.tensor import Tensor, TensorShape, _wrap, convert_to_tensor

__all__ = ["Batched", "jacobian", "batch_jacobian"]


class Batched:
    """How the backward walk treats cotangents that carry `lead` extra leading axes."""

    __slots__ = ("lead", "rank")

    def __init__(self, lead: tuple[int, ...]) -> None:
        self.lead = lead
        self.rank = len(lead)

    def vjp(
        self, op_: Any, grad: Any, out: Any, inputs: Any, attrs: dict[str, Any], reach: Any
    ) -> Any:
        if type(grad) is tuple:  # outputs nobody used got plain zeros: give them the batch axes
            grad = tuple(
                g if g._value.ndim > np.ndim(o._value) else self._full(g, o)
                for g, o in zip(grad, out)
            )
        if not op_.vjp_batched:
            return self._rows(op_, grad, out, inputs, attrs, reach)
        if op_.vjp_wants_needs:
            needs = tuple([id(x) in reach for x in inputs])
            return op_.vjp(grad, out, *inputs, needs=needs, **attrs)
        return op_.vjp(grad, out, *inputs, **attrs)

    def _full(self, zeros: Any, like: Any) -> Any:
        return _broadcast_to(zeros, shape=self.lead + np.shape(like._value))

    def unbroadcast(self, g: Any, x: Any) -> Any:
        """Sums a batched gradient back to `lead + x.shape`, keeping the leading axes."""
        gs, xs, b = np.shape(g._value), np.shape(x._value), self.rank
        if gs[:b] != self.lead or len(gs) < b + len(xs):
            raise ValueError(
                f"A gradient rule marked batched returned shape {gs} for an input of shape "
                f"{xs} in a walk with batch axes {self.lead}; a batched rule must keep the "
                "cotangent's leading axes in front (see Op.defvjp)."
            )
        return g if gs[b:] == xs else sum_to(g, shape=xs, batch=b)

    def _rows(
        self, op_: Any, grad: Any, out: Any, inputs: Any, attrs: dict[str, Any], reach: Any
    ) -> tuple[Any, ...]:
        """The VJP of an op whose rule knows nothing of batch axes: one row at a time."""
        n = math.prod(self.lead)
        multi = type(grad) is tuple
        outs = out if multi else (out,)
        grads = grad if multi else (grad,)
        if n == 0:
            return tuple(self._full(zeros_like_np(x), x) for x in inputs)
        # one unstack per output: (n,) rows, each shaped like the output
        rows = [
            _unstack(_reshape(g, shape=(n, *np.shape(o._value))), axis=0)
            for g, o in zip(grads, outs)
        ]
        kwargs = dict(attrs)
        if op_.vjp_wants_needs:
            kwargs["needs"] = tuple([id(x) in reach for x in inputs])
        per_input: list[list[Any]] = [[] for _ in inputs]
        for i in range(n):
            row = tuple(r[i] for r in rows) if multi else rows[0][i]
            for j, (x, g) in enumerate(zip(inputs, op_.vjp(row, out, *inputs, **kwargs))):
                per_input[j].append(None if g is None else dense_like(g, x))
        result: list[Any] = []
        for x, gs in zip(inputs, per_input):
            if all(g is None for g in gs):
                result.append(None)
                continue
            filled = [zeros_like_np(x) if g is None else g for g in gs]
            result.append(_reshape(_stack(*filled, axis=0), shape=self.lead + np.shape(x._value)))
        return tuple(result)


def dense_like(g: Any, x: Any) -> Tensor:
    """A gradient of x made dense (an IndexedSlices) and summed back to x's shape."""
    g = convert_to_tensor(g)
    shape = np.shape(x._value)
    return g if np.shape(g._value) == shape else sum_to(g, shape=shape)


# ---------------------------------------------------------------------------------------------
# GradientTape.jacobian and batch_jacobian (the methods delegate here)

_USED = (
    "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"
)


def _check_pfor(what: str, persistent: bool, parallel_iterations: Any, use_pfor: bool) -> None:
    if use_pfor:
        if parallel_iterations == 1:  # TF's pfor refuses it; there is nothing to vectorise
            raise ValueError(
                f"Encountered an exception while vectorizing the {what} computation. "
                "Vectorization can be disabled by setting experimental_use_pfor to False."
            ) from ValueError("Found `parallel_iterations == 1`. Use `for_loop` instead.")
    elif not persistent:
        sep = "with  experimental_use_pfor" if what == "jacobian" else " with experimental_use_pfor"
        raise RuntimeError(  # TF's texts, double spaces included
            f"GradientTape must be created with persistent=True to compute the {what} with "
            f"eager execution enabled and {sep} set to False."
        )


def _as_target(target: Any) -> Any:
    if isinstance(target, Tensor) or type(target) in variable_types:
        return target  # a Variable target is itself: d v / d v is the identity (TF)
    return convert_to_tensor(target)


def jacobian(
    tape: Any,
    target: Any,
    sources: Any,
    unconnected_gradients: Any = UnconnectedGradients.NONE,
    parallel_iterations: Any = None,
    experimental_use_pfor: bool = True,
) -> Any:
    """Each source's jacobian, shape `target.shape + source.shape`, from one batched walk."""
    if tape._used:
        raise RuntimeError(_USED)
    unconnected = _unconnected_mode(unconnected_gradients)
    _check_pfor("jacobian", tape._persistent, parallel_iterations, experimental_use_pfor)
    flat_sources = tape._check_sources(sources)
    t = _as_target(target)
    shape = np.shape(t._value)
    n = math.prod(shape)
    seeds = {}
    if t._value.dtype.kind in "fc":  # integer targets have no gradient
        seeds[id(t)] = _wrap(np.eye(n, dtype=t._value.dtype).reshape((n, *shape)))
    known = tape._tracked, tape._watched  # for explain() and strict tapes
    grads = tape._walk(seeds, flat_sources, batched=Batched((n,)))
    results = []
    missing = []
    for s in flat_sources:
        g = grads.get(id(s))
        s_shape = np.shape(s._value)
        if g is None:
            if unconnected is UnconnectedGradients.ZERO:
                g = _wrap(np.zeros(shape + s_shape, s._value.dtype))
            else:
                missing.append(s)
        else:
            g = _reshape(convert_to_tensor(g), shape=shape + s_shape)
        results.append(g)
    if missing:
        tape._unconnected(t, missing, known)
    return nest.pack_sequence_as(sources, results)


def batch_jacobian(
    tape: Any,
    target: Any,
    source: Any,
    unconnected_gradients: Any = UnconnectedGradients.NONE,
    parallel_iterations: Any = None,
    experimental_use_pfor: bool = True,
) -> Tensor:
    """`[b, y...]` by `[b, x...]` -> `[b, y..., x...]`, assuming row i of the target depends only
    on row i of the source. One walk whose batch axis runs over the y elements."""
    if tape._used:  # TF's text lacks a space: "used tocompute"
        raise RuntimeError(_USED.replace("used to compute", "used tocompute"))
    _unconnected_mode(unconnected_gradients)  # validated, then ignored: TF always gives zeros
    t = _as_target(target)
    t_shape, s_shape = np.shape(t._value), np.shape(source._value)
    for shape in (t_shape, s_shape):
        if len(shape) < 2:
            raise ValueError(f"Shape {TensorShape(shape)} must have rank at least 2")
    if t_shape[0] != s_shape[0]:
        raise ValueError(
            f"Need first dimension of target shape ({TensorShape(t_shape)}) and source shape "
            f"({TensorShape(s_shape)}) to match."
        )
    _check_pfor("batch_jacobian", tape._persistent, parallel_iterations, experimental_use_pfor)
    tape._check_sources(source)
    batch, rows = t_shape[0], math.prod(t_shape[1:])
    seeds = {}
    if t._value.dtype.kind in "fc":
        # seed j is one-hot at element j of every batch row: shape (rows, batch, y...)
        seed = np.zeros((rows, batch, rows), t._value.dtype)
        seed[np.arange(rows), :, np.arange(rows)] = 1
        seeds[id(t)] = _wrap(seed.reshape((rows, *t_shape)))
    grads = tape._walk(seeds, [source], batched=Batched((rows,)))
    g = grads.get(id(source))
    if g is None:  # TF: zeros, whatever unconnected_gradients says (kept for compatibility)
        return _wrap(np.zeros(t_shape + s_shape[1:], t._value.dtype))
    g = convert_to_tensor(g)  # (rows, batch, x...) -> (batch, rows, x...) -> (batch, y..., x...)
    perm = (1, 0, *range(2, g.ndim))
    return _reshape(_transpose(g, perm=perm), shape=t_shape + s_shape[1:])
