"""Why is my gradient None? `tape.explain()`, strict tapes, and where each op ran.

`tape.explain(target, source)` returns a `GradientExplanation`: whether the source is connected
to the target and, if not, why (a short `reason` code, a sentence, the file:line of the user
code that ran the op where the path broke, and a fix). `tf.GradientTape(strict=True)` (or
`tf.config.set_strict_gradients(True)` for every tape) raises `UnconnectedGradientError` with
the same explanation instead of returning None.

Cost model. Nothing here runs unless asked. Without preparation, `explain` works from what the
tape already holds (its entries, its watched and tracked tensors) and from the objects
themselves (dtypes, `trainable`): enough for the source-side causes (never watched, not
trainable, `watch_accessed_variables=False`, integer source) and to say whether the target was
recorded at all. To name the line where a path broke, ops must have been observed while they
ran: a *provenance recorder* at the bottom of the recorder stack notes, for every op, its inputs
(weakly), its outputs and the first user frame (file:line) that ran it; non-differentiable ops
(which `bind()` never offers to recorders) are noted by wrapping their forwards, and `.numpy()` /
`np.asarray` calls are noted too. It is switched on by a strict tape (for that tape's lifetime)
or by `tf.config.set_gradient_explanations(True)`, *before* the computation, and costs a few
microseconds per op while on: a debugging mode.
"""

from __future__ import annotations

import itertools
import os
import sys
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.errors import UnconnectedGradientError
from tapeflow.op import REGISTRY, insert_recorder, remove_recorder, state, variable_types
from tapeflow.tensor import Tensor

__all__ = [
    "GradientExplanation",
    "explain",
    "set_strict_gradients",
    "set_gradient_explanations",
    "UnconnectedGradientError",
]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_location(depth: int = 2) -> str | None:
    """file:line of the innermost frame outside tapeflow (the user's line that ran the op)."""
    frame: Any = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


# ---------------------------------------------------------------------------------------------
# Provenance: what ran where, noted only while switched on


@dataclass
class _Record:
    op: str
    inputs: tuple[Any, ...]  # held: a live tensor keeps its history alive, and only that
    out: Any  # weak reference to the output tensor: the record goes when the output does
    dtype: np.dtype
    location: str | None
    tapes: frozenset[int]  # ids of the tapes recording when it ran
    order: int


@dataclass
class _NonDifferentiable:
    op: str
    value: Any  # the output value, held so its id stays unique
    inputs: tuple[tuple[int, Any], ...]  # (id of the input value, the tensor holding it or None)
    location: str | None
    tapes: frozenset[int]
    order: int


class _Provenance:
    """A recorder at the bottom of the stack: notes every op it is offered, with its line."""

    MAX_NOTES = 100_000  # non-differentiable outputs and exports kept (their values are held)

    def __init__(self) -> None:
        self.records: dict[int, _Record] = {}
        self.owners: dict[int, Any] = {}  # id(value) -> weak reference to a tensor holding it
        self.nondiff: dict[int, _NonDifferentiable] = {}
        self.exports: deque[tuple[Any, Any, str | None]] = deque(maxlen=1000)
        self.counter = itertools.count()

    def _tapes(self) -> frozenset[int]:
        from tapeflow.tape import GradientTape

        return frozenset(id(r) for r in state.recorders if isinstance(r, GradientTape))

    def record(self, entry: Any) -> None:
        op_, inputs, outputs = entry[0], entry[1], entry[2]
        location = _user_location(3)
        tapes = self._tapes()
        records, owners = self.records, self.owners
        if len(owners) > 4 * len(records) + 1000:  # drop the owners that died
            self.owners = owners = {k: r for k, r in owners.items() if r() is not None}
        for o in outputs:
            k = id(o)
            out = weakref.ref(o, _forget(records, k))
            owners[id(o._value)] = out
            records[k] = _Record(
                op_.type,
                tuple(inputs),
                out,
                np.asarray(o._value).dtype,
                location,
                tapes,
                next(self.counter),
            )

    def record_read(self, variable: Any, entry: Any) -> None:
        self.record(entry)

    def note_nondifferentiable(self, op_type: str, values: Any, outs: tuple[Any, ...]) -> None:
        if len(self.nondiff) >= self.MAX_NOTES:
            self.nondiff.pop(next(iter(self.nondiff)))
        location = _user_location(3)
        tapes = self._tapes()
        inputs = tuple((id(v), _deref(self.owners.get(id(v)))) for v in values)
        for o in outs:
            self.nondiff[id(o)] = _NonDifferentiable(
                op_type, o, inputs, location, tapes, next(self.counter)
            )

    def note_export(self, tensor: Any) -> None:
        location = _user_location(3)
        if location is not None:
            self.exports.append((_weak(tensor), tensor._value, location))


def _forget(records: dict[int, Any], k: int) -> Any:
    def forget(_: Any) -> None:
        records.pop(k, None)

    return forget


def _deref(ref: Any) -> Any:
    return None if ref is None else ref()


def _weak(x: Any) -> Any:
    try:
        return weakref.ref(x)
    except TypeError:
        return lambda: None


_provenance: _Provenance | None = None
_users = 0  # strict tapes alive + the global switch
_patched: dict[Any, Any] = {}
_config = {"explanations": False}


def _noting_forward(op_: Any, forward: Any) -> Any:
    def forward_noted(*values: Any, **attrs: Any) -> Any:
        out = forward(*values, **attrs)
        outs = out if type(out) is tuple else (out,)
        # an output that *is* an input value (stop_gradient) gets its own object, so the
        # note is about the output only
        fresh = tuple(
            (o.view() if isinstance(o, np.ndarray) else o.copy())
            if any(o is v for v in values)
            else o
            for o in outs
        )
        if _provenance is not None:
            _provenance.note_nondifferentiable(op_.type, values, fresh)
        return fresh if type(out) is tuple else fresh[0]

    return forward_noted


def _noting_export(method: Any) -> Any:
    def exported(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _provenance is not None and not sys._getframe(1).f_code.co_filename.startswith(_PACKAGE):
            _provenance.note_export(self)
        return method(self, *args, **kwargs)

    return exported


def _acquire() -> None:
    global _provenance, _users  # noqa: PLW0603 - the one switch, changed only here
    _users += 1
    if _provenance is not None:
        return
    from tapeflow.variables import Variable

    _provenance = _Provenance()
    insert_recorder(0, _provenance)
    for op_ in REGISTRY.values():
        if not op_.differentiable:
            _patched[op_] = op_.forward
            op_.forward = _noting_forward(op_, op_.forward)
    for cls in (Tensor, Variable):
        for name in ("numpy", "__array__"):
            _patched[(cls, name)] = cls.__dict__[name]
            setattr(cls, name, _noting_export(cls.__dict__[name]))


def _release() -> None:
    global _provenance, _users  # noqa: PLW0603
    _users -= 1
    if _users > 0 or _provenance is None:
        return
    if _provenance in state.recorders:
        remove_recorder(_provenance)
    _provenance = None
    for key, original in _patched.items():
        if isinstance(key, tuple):
            setattr(key[0], key[1], original)
        else:
            key.forward = original
    _patched.clear()


def watch_locations(tape: Any) -> None:
    """Notes where ops run for as long as `tape` (a strict tape) is alive."""
    _acquire()
    weakref.finalize(tape, _release)


def set_gradient_explanations(enabled: bool) -> None:
    """Note where every op runs, so `tape.explain()` can name the line a path broke at.

    A debugging mode: each op costs a few microseconds more while it is on. Turn it on before
    the computation you want explained.
    """
    if bool(enabled) != _config["explanations"]:
        _config["explanations"] = bool(enabled)
        _acquire() if enabled else _release()


def set_strict_gradients(enabled: bool) -> None:
    """Make every GradientTape created afterwards strict: a None gradient raises
    `UnconnectedGradientError` with its explanation (unless `unconnected_gradients='zero'`)."""
    from tapeflow import tape

    tape._config["strict"] = bool(enabled)


# ---------------------------------------------------------------------------------------------
# Explanations


@dataclass
class GradientExplanation:
    """Why a source's gradient is None (or that it is not).

    Attributes:
      connected: True if the gradient is not None.
      reason: a short code: "connected", "not_watched", "watched_late", "not_trainable",
        "watch_accessed_variables_false", "variable_not_read", "variable_replaced",
        "integer_source", "integer_target", "integer_cast", "non_differentiable",
        "stop_gradient", "numpy", "outside_context", "unconnected", "target_not_recorded".
      message: what happened, in a sentence or two.
      location: "file:line" of the user code that ran the op where the path broke (None when
        unknown: turn on explanations before the computation).
      op: the TF op type at the break ("Cast", "StopGradient", ...), if any.
      hint: how to fix it.
    """

    connected: bool
    reason: str
    message: str
    location: str | None = None
    op: str | None = None
    hint: str = ""
    source: str = ""
    target: str = ""

    def __str__(self) -> str:
        if self.connected:
            return f"The gradient of {self.target} with respect to {self.source} is connected."
        lines = [
            f"The gradient of {self.target} with respect to {self.source} is None.",
            f"  Why ({self.reason}): {self.message}",
        ]
        if self.location:
            lines.append(f"  Where: {self.location}" + (f" ({self.op})" if self.op else ""))
        if self.hint:
            lines.append(f"  Fix: {self.hint}")
        return "\n".join(lines)


_ENABLE = (
    "To see the line where the path broke, run the computation again after "
    "tf.config.set_gradient_explanations(True), or with tf.GradientTape(strict=True)."
)


def _describe(x: Any) -> str:
    if type(x) in variable_types:
        return f"Variable {x.name!r}"
    if isinstance(x, Tensor):
        return f"the Tensor of shape {x.shape} and dtype {x.dtype.name}"
    return repr(x)


class _Facts:
    """What a tape knows, live or left over after a non-persistent gradient()."""

    def __init__(self, tape: Any) -> None:
        spent = getattr(tape, "_spent", None)
        if tape._used and spent is not None:
            self.tracked, self.watched = spent
        else:
            self.tracked, self.watched = tape._tracked, tape._watched
        self.entries = tape._entries
        self.used = tape._used
        self.tape_id = id(tape)
        self.variables = tape._variables
        self.auto_watch = tape._watch_accessed_variables


def explain(tape: Any, target: Any, sources: Any) -> Any:
    """`GradientTape.explain`: one GradientExplanation per source, in the sources' structure."""
    if target is None:
        raise TypeError("explain() needs a target (a Tensor or a structure of them), got None.")
    targets = [t for t in nest.flatten(target) if t is not None]
    facts = _Facts(tape)
    found = [_explain_one(facts, targets, s) for s in nest.flatten(sources)]
    return nest.pack_sequence_as(sources, found)


def error(tape: Any, target: Any, missing: list[Any]) -> UnconnectedGradientError:
    found = [_explain_one(_Facts(tape), nest.flatten(target), s) for s in missing]
    text = "\n\n".join(str(e) for e in found)
    err = UnconnectedGradientError(
        f"This GradientTape is strict and {len(found)} gradient(s) would be None:\n\n{text}"
    )
    err.explanations = list(found)
    return err


def _explain_one(facts: _Facts, targets: list[Any], source: Any) -> GradientExplanation:
    names = {
        "source": _describe(source),
        "target": "the target"
        if len(targets) == 1
        else f"the targets ({len(targets)} tensors, summed)",
    }

    def result(reason: str, message: str, hint: str = "", where: Any = None) -> Any:
        op = location = None
        if where is not None:
            op, location = where.op, where.location
        connected = reason == "connected"
        return GradientExplanation(connected, reason, message, location, op, hint, **names)

    prov = _provenance
    graph = _Graph(prov, facts, targets, source) if prov is not None else None
    kind = np.asarray(getattr(source, "_value", 0)).dtype.kind
    if any(t is source for t in targets) and kind in "fc":
        return result("connected", "The target is the source itself.")
    if kind not in "fc":
        return result(
            "integer_source",
            f"The source has dtype {source.dtype.name}. Only floating-point and complex tensors "
            "have gradients (as in TF): ops on integers are not recorded.",
            "Use a float dtype: tf.Variable(3.0), or tf.cast(x, tf.float32) before watching.",
            graph.first_use() if graph else None,
        )
    for t in targets:
        if np.asarray(getattr(t, "_value", 0.0)).dtype.kind not in "fc":
            return result(
                "integer_target",
                f"The target has dtype {t.dtype.name}: integer targets have no gradient.",
                "Differentiate a floating-point target.",
                graph.record_of(t) if graph else None,
            )
    is_variable = type(source) in variable_types
    if id(source) not in facts.tracked:
        if is_variable and id(source) not in facts.variables:
            read = graph.first_use(recording=True) if graph else None
            if not source.trainable:
                return result(
                    "not_trainable",
                    f"{names['source']} has trainable=False, so the tape does not watch it "
                    "when it is read.",
                    "Call tape.watch(v) inside the `with` block, or create it trainable.",
                    read,
                )
            if not facts.auto_watch:
                return result(
                    "watch_accessed_variables_false",
                    "The tape was created with watch_accessed_variables=False and "
                    "tape.watch() was not called for this Variable.",
                    "Call tape.watch(v) inside the `with` block before using it.",
                    read,
                )
            if graph is not None:  # read elsewhere, or its value went through NumPy?
                found = graph.explain_path(result)
                if found.reason != "unconnected":
                    return found
            outside = graph.first_use() if graph else None
            return result(
                "variable_not_read",
                "The Variable was not read while the tape was recording, so nothing the tape "
                "recorded depends on it"
                + (" (it was read outside the tape's context)." if outside else "."),
                "Compute the target from the Variable inside the `with` block.",
                outside,
            )
        if graph is not None:
            origin = graph.record_of(source)
            if origin is not None and graph.from_variable(source):
                return result(
                    "variable_replaced",
                    f"The source is a Tensor computed by {origin.op} from a Variable, outside "
                    "the tape: a statement like `v = v - lr * g` rebinds the name to a new "
                    "Tensor, which no tape watches.",
                    "Keep the Variable and update it in place (v.assign_sub(lr * g)), and "
                    "differentiate with respect to the Variable.",
                    origin,
                )
        return result(
            "not_watched",
            "The source was never watched: only trainable Variables are watched "
            "automatically; any other tensor needs tape.watch(x). "
            + (
                "The path broke at the first op that used it, which the tape did not record."
                if graph
                else _ENABLE
            ),
            "Call tape.watch(x) inside the `with` block, before x is used.",
            graph.first_use(recording=True) if graph else None,
        )
    if facts.entries and _reaches(facts.entries, source, targets):
        return result("connected", "The tape recorded a path from the source to the target.")
    if graph is not None:
        return graph.explain_path(result)
    if not any(id(t) in facts.tracked for t in targets):
        return result(
            "target_not_recorded",
            "The target was not computed by ops this tape recorded: it was computed outside "
            "the `with` block, or from a value that went through NumPy, a cast to an integer, "
            "a non-differentiable op (argmax, comparisons) or tf.stop_gradient. " + _ENABLE,
            "Compute the target inside the tape's `with` block from the source, with "
            "differentiable tapeflow ops.",
        )
    return result(
        "unconnected",
        "The tape recorded the target, but no recorded path leads to it from the source. "
        + _ENABLE,
        "Check that the target is computed from the source.",
    )


def _reaches(entries: list[Any], source: Any, targets: list[Any]) -> bool:
    reach = {id(source)}
    for entry in entries:
        if any(id(x) in reach for x in entry[1]):
            reach.update(id(o) for o in entry[2] if np.asarray(o._value).dtype.kind in "fc")
    return any(id(t) in reach for t in targets)


class _Graph:
    """The provenance graph around one (targets, source) question."""

    def __init__(self, prov: _Provenance, facts: _Facts, targets: list[Any], source: Any):
        self.prov, self.facts, self.targets, self.source = prov, facts, targets, source
        self.records = prov.records
        # leaves a non-differentiable op may have read: they have no record of their own
        self.leaves = {id(getattr(t, "_value", None)): t for t in [source, *facts.watched.values()]}

    def record_of(self, t: Any) -> Any:
        rec = self.records.get(id(t))
        if rec is not None and rec.out() is t:
            return rec
        return self.prov.nondiff.get(id(getattr(t, "_value", None)))

    def parents(self, t: Any) -> list[Any]:
        rec = self.record_of(t)
        if isinstance(rec, _Record):
            return list(rec.inputs)
        if isinstance(rec, _NonDifferentiable):
            found = [x if x is not None else self.leaves.get(k) for k, x in rec.inputs]
            return [x for x in found if x is not None]
        return []

    def ancestry(self) -> dict[int, Any]:
        """id -> (tensor, the tensor one step closer to the target) over the targets' past."""
        seen: dict[int, Any] = {}
        queue = deque((t, None) for t in self.targets)
        while queue:
            t, child = queue.popleft()
            if id(t) in seen:
                continue
            seen[id(t)] = (t, child)
            queue.extend((p, t) for p in self.parents(t))
        return seen

    def from_variable(self, t: Any) -> bool:
        seen: set[int] = set()
        stack = [t]
        while stack:
            x = stack.pop()
            if id(x) in seen:
                continue
            seen.add(id(x))
            if type(x) in variable_types:
                return True
            stack.extend(self.parents(x))
        return False

    def uses(self, x: Any) -> list[Any]:
        """Records of the ops that took x as an input, in the order they ran."""
        found = [rec for rec in self.records.values() if any(i is x for i in rec.inputs)]
        return sorted(found, key=lambda r: r.order)

    def first_use(self, recording: bool = False) -> Any:
        """The first op that used the source (on the way to the target if possible)."""
        uses = self.uses(self.source)
        if recording:
            uses = [u for u in uses if self.facts.tape_id in u.tapes] or uses
        past = self.ancestry()
        on_path = [u for u in uses if u.out() is not None and id(u.out()) in past]
        return (on_path or uses or [None])[0]

    def explain_path(self, result: Any) -> Any:
        past = self.ancestry()
        tracked = self.facts.tracked
        if id(self.source) in past:
            node = self.source
            while True:
                child = past[id(node)][1]
                if child is None:
                    break
                if id(child) not in tracked:
                    return self._break_at(child, node, result)
                node = child
            return result("connected", "The tape recorded a path from the source to the target.")
        exported = self._numpy_round_trip(past)
        if exported is not None:
            consumer, export_location = exported
            where = (
                f" through .numpy() or np.asarray at {export_location}" if export_location else ""
            )
            return result(
                "numpy",
                f"The path goes through NumPy: the source's value left tapeflow{where} and came "
                f"back as a new constant, which {consumer.op} then used. Tapes only see "
                "tapeflow ops; a value made from NumPy data is a fresh constant.",
                "Keep the computation in tapeflow ops (tf.math.*, tf.reduce_*, ...) instead of "
                "NumPy.",
                consumer,
            )
        made = [self.record_of(t) for t in self.targets]
        return result(
            "unconnected",
            "The target does not depend on the source: no chain of ops leads from one to the "
            "other.",
            "Check that the target is computed from the source (and not from a copy of it).",
            next((m for m in made if m is not None), None),
        )

    def _break_at(self, t: Any, previous: Any, result: Any) -> Any:
        rec = self.record_of(t)
        if isinstance(rec, _NonDifferentiable):
            if rec.op == "StopGradient":
                return result(
                    "stop_gradient",
                    "The path goes through tf.stop_gradient, which blocks gradients by design.",
                    "Remove the stop_gradient, or use tf.grad_pass_through for a "
                    "straight-through estimator.",
                    rec,
                )
            return result(
                "non_differentiable",
                f"The path goes through {rec.op}, which has no gradient (as comparisons, "
                "argmax, round and floor).",
                "Use a differentiable surrogate (softmax instead of argmax, float masks with "
                "tf.where), or tf.grad_pass_through for a straight-through estimator.",
                rec,
            )
        if rec is None:
            return result("unconnected", "No chain of ops leads from the source to the target.")
        if rec.dtype.kind not in "fc":
            cast = rec.op == "Cast"
            return result(
                "integer_cast",
                (f"The path goes through a cast to {rec.dtype.name}" if cast else
                 f"The path goes through {rec.op}, whose result is {rec.dtype.name}")
                + ": integer tensors have no gradient, so the path is cut there.",
                "Keep the value floating-point (tf.floor and friends keep floats), or use "
                "tf.grad_pass_through for a straight-through estimator.",
                rec,
            )  # fmt: skip
        if self.facts.tape_id not in rec.tapes:
            return result(
                "outside_context",
                f"{rec.op} ran while the tape was not recording (after its `with` block, "
                "before it, or inside tape.stop_recording()), so the target is not connected "
                "to what the tape recorded.",
                "Compute the target inside the `with tf.GradientTape() as tape:` block.",
                rec,
            )
        return result(
            "watched_late",
            f"The tape was recording when {rec.op} ran, but its input was not watched yet: "
            "tape.watch() came after this op, and only ops run after watch() are recorded.",
            "Call tape.watch(x) before using x.",
            rec,
        )

    def _numpy_round_trip(self, past: dict[int, Any]) -> tuple[Any, str | None] | None:
        """A constant in the target's past that holds a value computed from the source: the
        value left tapeflow (`.numpy()`, `np.asarray`) and came back as a new tensor."""
        derived = self._descendants()
        derived_ids = {id(d) for d in derived}
        exports = [
            (np.asarray(value), location)
            for ref, value, location in self.prov.exports
            if id(ref()) in derived_ids
        ]
        candidates = [np.asarray(t._value) for t in derived] + [v for v, _ in exports]
        for t, child in past.values():
            if child is None or self.record_of(t) is not None or type(t) in variable_types:
                continue
            v = np.asarray(t._value)
            if v.dtype.kind not in "fc" or v.size == 0:
                continue
            if any(c.shape == v.shape and np.array_equal(c, v) for c in candidates):
                same = [loc for value, loc in exports if np.array_equal(value, v)]
                location = (same or [loc for _, loc in exports] or [None])[-1]
                return self.record_of(child), location
        return None

    def _descendants(self) -> list[Any]:
        """The source and the tensors computed from it (as far as the records tell)."""
        out = [self.source]
        seen = {id(self.source)}
        frontier = [self.source]
        consumers: dict[int, list[Any]] = {}
        for rec in self.records.values():
            for i in rec.inputs:
                consumers.setdefault(id(i), []).append(rec)
        while frontier:
            x = frontier.pop()
            for rec in consumers.get(id(x), []):
                o = rec.out()
                if o is not None and id(o) not in seen:
                    seen.add(id(o))
                    out.append(o)
                    frontier.append(o)
        return out
