"""tf.autodiff.ForwardAccumulator: forward-mode autodiff (Jacobian-vector products).

An accumulator is a recorder, like a tape: `bind()` offers it every op while it is active, and
when an op's inputs have tangents it computes the outputs' tangents at once. `jvp()` is only a
lookup.

Where the forward rules come from: they are derived from the reverse ones, so no op needs a
second hand-written rule (and ops other engineers add get forward mode for free). An op's VJP,
u -> J^T u, is linear in the cotangent u; its transpose is v -> J v, the JVP. So for an op with
input tangents v, the accumulator runs the VJP on a placeholder u (zeros, watched by a small
inner tape) and asks that tape for the gradient of `vjp(u)` with respect to u, seeded with v:
d/du <J^T u, v> = J v. This costs about two backward steps per op, which is fine for forward
mode's typical use (directional derivatives, Hessian-vector products), and it is exact,
including TF's conventions at kinks, because it is the very same rule the tape uses.

Nesting: the accumulator does this work with only the recorders entered *before* it active
(outer tapes and accumulators). They record the JVP computation, so an outer tape can
differentiate a tangent and an outer accumulator can take a higher-order JVP; inner ones do not
see it, as in TF.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.jacobian import dense_like
from tapeflow.op import push_recorder, remove_recorder, state
from tapeflow.tape import (
    GradientTape,
    UnconnectedGradients,
    _unconnected_mode,
    _warn_dtype,
    zeros_like_np,
)
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = ["ForwardAccumulator"]

_PASSTHROUGH = frozenset({"ReadVariableOp", "Identity"})


def _is_float(x: Any) -> bool:
    return bool(np.asarray(x._value).dtype.kind in "fc")


class ForwardAccumulator:
    """Computes Jacobian-vector products of the ops run inside its context.

    >>> import tapeflow as tf
    >>> x = tf.constant([1.0, 2.0])
    >>> with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
    ...     y = tf.reduce_sum(x * x * x)
    >>> float(acc.jvp(y))
    3.0
    """

    def __init__(self, primals: Any, tangents: Any) -> None:
        # id -> (weak reference to the primal, its tangent); a dead primal's entry goes away
        self._tangents: dict[int, tuple[Any, Tensor]] = {}
        self._unchecked: set[int] = set()  # user tangents: shapes are checked at first use
        seen: set[int] = set()
        for primal in nest.flatten(primals):
            if id(primal) in seen:
                raise ValueError(  # TF's text, with a literal {}
                    "Tensor {} was specified as a primal multiple times. This may indicate an "
                    "error. If it was intended, please sum the corresponding tangents."
                )
            seen.add(id(primal))
        nest.map_structure(self._watch, primals, tangents)

    def _watch(self, primal: Any, tangent: Any) -> None:
        if primal._value.dtype.kind != "f":
            _warn_dtype(primal, "primal")
        self._set(primal, convert_to_tensor(tangent, dtype=primal.dtype))
        self._unchecked.add(id(primal))

    def _set(self, x: Any, tangent: Tensor) -> None:
        k = id(x)
        tangents = self._tangents
        tangents[k] = (weakref.ref(x, lambda _: tangents.pop(k, None)), tangent)

    def _get(self, x: Any) -> Tensor | None:
        item = self._tangents.get(id(x))
        if item is None or item[0]() is not x:
            return None
        return item[1]

    # -- context --------------------------------------------------------------------------

    def __enter__(self) -> ForwardAccumulator:
        if self in state.recorders:
            raise ValueError("Accumulator is already recording.")
        push_recorder(self)
        return self

    def __exit__(self, typ: Any, value: Any, traceback: Any) -> None:
        if self in state.recorders:
            remove_recorder(self)

    # -- recording (called by bind() through the recorder stack) ------------------------------

    def tracks(self, t: Any) -> bool:
        return self._get(t) is not None

    def record_read(self, variable: Any, entry: Any) -> None:
        tangent = self._get(variable)
        if tangent is not None:  # a read hands the variable's tangent on
            self._check(variable, tangent)
            self._set(entry[2][0], tangent)

    def record(self, entry: Any) -> None:
        op_, inputs, outputs, attrs, multi = entry
        tangents = [self._get(x) for x in inputs]
        if all(t is None for t in tangents):
            return
        for x, t in zip(inputs, tangents):
            if t is not None:
                self._check(x, t)
        if op_.type in _PASSTHROUGH:
            out_tangents: list[Any] = tangents
        else:
            out_tangents = self._jvp(op_, inputs, outputs, attrs, multi, tangents)
        for o, t in zip(outputs, out_tangents):
            if t is not None and _is_float(o):
                self._set(o, t)

    def _check(self, x: Any, tangent: Tensor) -> None:
        if id(x) not in self._unchecked:
            return
        self._unchecked.discard(id(x))
        ts, ps = np.shape(tangent._value), np.shape(x._value)
        if ts == ps:
            return
        if len(ts) != len(ps):
            first = f"Shapes must be equal rank, but are {len(ts)} and {len(ps)}"
        else:
            i = next(i for i, (a, b) in enumerate(zip(ts, ps)) if a != b)
            first = (
                f"Dimension {i} in both shapes must be equal, but are {ts[i]} and {ps[i]}. "
                f"Shapes are {list(ts)} and {list(ps)}."
            )
        raise ValueError(  # TF's first sentence; TF goes on about graph nodes
            f"{first} The tangent given to ForwardAccumulator has shape {ts}, but its primal "
            f"has shape {ps}; a tangent must have its primal's shape."
        )

    def _jvp(
        self,
        op_: Any,
        inputs: tuple[Any, ...],
        outputs: tuple[Any, ...],
        attrs: dict[str, Any],
        multi: bool,
        tangents: list[Any],
    ) -> list[Any]:
        """J v for one op, as the transpose of its VJP (see the module docstring)."""
        if op_.vjp is None:
            raise LookupError(f"gradient registry has no entry for: {op_.type}")
        saved = state.recorders
        state.recorders = saved[: saved.index(self)]  # only outer recorders see this work
        try:
            us = [_wrap(np.zeros_like(o._value)[()]) for o in outputs]
            placeholders = [u for u, o in zip(us, outputs) if _is_float(o)]
            with GradientTape(watch_accessed_variables=False, strict=False) as inner:
                inner.watch(placeholders)
                kwargs = dict(attrs)
                if op_.vjp_wants_needs:
                    kwargs["needs"] = tuple(t is not None for t in tangents)
                grads = op_.vjp(tuple(us) if multi else us[0], outputs if multi else outputs[0],
                                *inputs, **kwargs)  # fmt: skip
                pairs = []
                for x, g, t in zip(inputs, grads, tangents):
                    if g is None or t is None:
                        continue
                    pairs.append((dense_like(g, x), t))
            if not pairs:
                return [None] * len(outputs)
            found = inner.gradient(
                [g for g, _ in pairs], placeholders, output_gradients=[t for _, t in pairs]
            )
            # a tangent is dense (the VJP of a segment sum is a gather: its transpose is sparse)
            by_id = {
                id(u): None if t is None else convert_to_tensor(t)
                for u, t in zip(placeholders, found)
            }
        finally:
            state.recorders = saved
        return [by_id.get(id(u)) for u in us]

    # -- results --------------------------------------------------------------------------

    def jvp(self, primals: Any, unconnected_gradients: Any = UnconnectedGradients.NONE) -> Any:
        """The tangents computed for `primals` (a tensor or structure): a lookup, no work.

        None for a tensor no tangent reached (or zeros with `unconnected_gradients='zero'`).
        """
        unconnected = _unconnected_mode(unconnected_gradients)

        def fetch(t: Any) -> Any:
            found = self._get(t)
            if found is None and unconnected is UnconnectedGradients.ZERO:
                return zeros_like_np(t)
            return found

        return nest.map_structure(fetch, primals)
