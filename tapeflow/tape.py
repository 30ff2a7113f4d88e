"""GradientTape and the backward walk.

A tape is a list of entries `(op, inputs, outputs, attrs, multi)` in the order the ops ran, and
the set of ids of the tensors it tracks (watched ones and outputs of recorded entries). An op is
recorded when one of its inputs is tracked. Since the list is already in topological order, the
backward walk is `for entry in reversed(entries)`: no graph search, no sort.

Identity is object identity (`id()`), as in TF. It stays unique because the tape holds every
tensor it tracks: watched tensors in `_watched`, outputs in their entries.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy import ndarray

from tapeflow import nest
from tapeflow.graph import Probe
from tapeflow.op import (
    FLOAT_SCALARS,
    dtype_mismatch,
    insert_recorder,
    op,
    push_recorder,
    remove_recorder,
    state,
    variable_types,
)
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor, none_error

__all__ = ["GradientTape", "UnconnectedGradients", "add", "sum_to", "broadcast_to"]

logger = logging.getLogger("tapeflow")


# ---------------------------------------------------------------------------------------------
# The few ops the engine itself needs: accumulating cotangents, seeding, undoing broadcasting.


@op("AddV2")
def add(x: Any, y: Any) -> Any:
    out = x + y
    # strings: NumPy unwraps a 0-d object result, but a string scalar is a 0-d object array
    return out if type(out) is not bytes else np.array(out, dtype=object)


@add.defvjp(batched=True)
def _add_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    # d(x+y) = dx + dy; the engine sums each back to its input's shape
    return grad, grad


def _sum_to_np(x: Any, *, shape: tuple[int, ...], batch: int = 0) -> Any:
    # `batch` leading axes are kept as they are (a jacobian's rows); the rest is summed to shape
    lead = x.ndim - batch - len(shape)
    axes = tuple(range(batch, batch + lead)) + tuple(
        batch + lead + i for i, d in enumerate(shape) if d == 1 and x.shape[batch + lead + i] != 1
    )
    out = np.sum(x, axis=axes, keepdims=True) if axes else x
    return out.reshape(x.shape[:batch] + shape) if lead else out


sum_to = op("SumTo")(_sum_to_np)  # the adjoint of broadcasting; not a TF op, the engine's own


@op("BroadcastTo", same_dtype=())
def _broadcast_to(x: Any, *, shape: tuple[int, ...], batch: int = 0) -> Any:
    if batch:  # keep the leading batch axes; align the rest to `shape` from the right
        lead = x.shape[:batch]
        x = x.reshape(lead + (1,) * (batch + len(shape) - x.ndim) + x.shape[batch:])
        shape = lead + shape
    # A read-only view, not a copy: tensors are immutable, and the commonest broadcast (the
    # gradient of a sum) would otherwise fill a whole input-sized array with one number.
    return broadcast_view(x, shape)


def broadcast_view(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """np.broadcast_to(x, shape), built directly: NumPy's version costs ~5 µs per call."""
    a = np.asarray(x)
    if a.shape == shape:
        return a
    lead = len(shape) - a.ndim
    if lead < 0 or not a.flags.c_contiguous:
        return np.broadcast_to(a, shape)  # NumPy's own checks and error
    strides = [0] * lead
    for size, own, stride in zip(shape[lead:], a.shape, a.strides):
        if own == size:
            strides.append(stride)
        elif own == 1:
            strides.append(0)
        else:
            return np.broadcast_to(a, shape)  # raises NumPy's error
    view = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
    view.flags.writeable = False
    return view


@sum_to.defvjp(batched=True)
def _sum_to_vjp(
    grad: Tensor, out: Tensor, x: Tensor, *, shape: tuple[int, ...], batch: int
) -> tuple[Any]:
    # summing is linear: its adjoint broadcasts back (grad may carry extra leading axes)
    lead = grad._value.ndim - len(shape)  # its own batch axes plus any the cotangent brings
    return (_broadcast_to(grad, shape=x._value.shape[batch:], batch=lead),)


@_broadcast_to.defvjp(batched=True)
def _broadcast_to_vjp(
    grad: Tensor, out: Tensor, x: Tensor, *, shape: Any, batch: int
) -> tuple[Any]:
    lead = grad._value.ndim - out._value.ndim + batch
    return (sum_to(grad, shape=x._value.shape[batch:], batch=lead),)


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:
    """Broadcasts `input` to `shape` (NumPy's rules).

    >>> import tapeflow as tf
    >>> tf.broadcast_to([1, 2], [2, 2]).numpy().tolist()
    [[1, 2], [1, 2]]
    """
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    shape = getattr(shape, "_value", shape)
    return _broadcast_to(input, shape=tuple(int(d) for d in np.asarray(shape).reshape(-1)))


@op("OnesLike", differentiable=False)
def ones_like_np(x: Any) -> Any:
    t = type(x)
    if t in FLOAT_SCALARS:  # a scalar target's seed: no array round trip
        return t(1)
    return np.ones_like(x)[()]


def _ones_seed(value: Any) -> Tensor:
    """The default output gradient: ones of the target's shape, as a read-only view of one 1.

    VJPs see through the view (tapeflow.ops.math.grad_times): `gradient(sin(x), x)` is then
    cos(x) itself, with no multiply to run or to record under an outer tape.
    """
    t = type(value)
    if t in FLOAT_SCALARS:
        return _wrap(t(1))
    view = np.ndarray(value.shape, value.dtype, np.array(1, value.dtype), 0, (0,) * value.ndim)
    view.flags.writeable = False
    return _wrap(view)


@op("ZerosLike", differentiable=False)
def zeros_like_np(x: Any) -> Any:
    return np.zeros_like(x)[()]


# ---------------------------------------------------------------------------------------------
# The backward walk


def _path_from(entries: list[Any], source_ids: set[int]) -> tuple[list[Any], set[int]]:
    """The entries that depend on a source (one forward scan), and the ids that do."""
    reach = set(source_ids)
    path = []
    for entry in entries:
        for x in entry[1]:
            if id(x) in reach:
                path.append(entry)
                for o in entry[2]:
                    reach.add(id(o))
                break
    return path, reach


def _walk_list(
    entries: list[Any], source_ids: set[int], consume: bool, reach: set[int] | None
) -> tuple[list[Any], set[int]]:
    """The entries to walk (popped from the end) and the ids that depend on a source."""
    if reach is None:
        path, reach = _path_from(entries, source_ids)
    else:
        path = entries if consume else list(entries)
    if consume and path is not entries:
        entries.clear()
    return path, reach


def _output_grads(outputs: Any, grads: dict[int, Any], source_ids: set[int]) -> Any:
    """The cotangents of a multi-output op (zeros for the outputs that got none), or None."""
    gs = [grads.get(id(o)) if id(o) in source_ids else grads.pop(id(o), None) for o in outputs]
    if all(g is None for g in gs):
        return None
    return tuple(zeros_like_np(o) if g is None else g for g, o in zip(gs, outputs))


def backward(
    entries: list[Any],
    grads: dict[int, Any],
    source_ids: set[int],
    consume: bool,
    reach: set[int] | None = None,
    batched: Any = None,
) -> dict[int, Any]:
    """Propagates the cotangents in `grads` (id -> Tensor) back through `entries`.

    Only entries on a path from a source are walked: `reach` is the set of ids that depend on
    a source; when not given, one forward scan finds it. With `consume`, entries are dropped as
    soon as they are used, and so are cotangents, so peak memory stays near what the forward
    pass held. `batched` (tapeflow.jacobian.Batched) walks cotangents with extra leading axes,
    many vector-Jacobian products at once; it calls the VJPs and undoes broadcasting.
    """
    path, reach = _walk_list(entries, source_ids, consume, reach)
    pop = path.pop
    while path:
        op_, inputs, outputs, attrs, multi = pop()
        if multi:
            grad: Any = _output_grads(outputs, grads, source_ids)
            if grad is None:
                continue
            out: Any = outputs
        else:
            out = outputs[0]
            k = id(out)
            grad = grads.pop(k, None)
            if grad is None:
                continue
            if k in source_ids:  # a source's gradient is a result: keep it
                grads[k] = grad
        vjp = op_.vjp
        if vjp is None:
            raise LookupError(f"gradient registry has no entry for: {op_.type}")
        if batched is not None:
            in_grads = batched.vjp(op_, grad, out, inputs, attrs, reach)
        elif op_.vjp_wants_needs:
            if len(inputs) == 2:  # most such ops: no list comprehension (a frame in 3.11)
                needs: tuple[bool, ...] = (id(inputs[0]) in reach, id(inputs[1]) in reach)
            else:
                needs = tuple([id(x) in reach for x in inputs])
            in_grads = vjp(grad, out, *inputs, needs=needs, **attrs)
        elif attrs:
            in_grads = vjp(grad, out, *inputs, **attrs)
        else:
            in_grads = vjp(grad, out, *inputs)
        for x, g in zip(inputs, in_grads):
            if g is None:
                continue
            k = id(x)
            if k not in reach:
                continue
            try:
                xv, gv = x._value, g._value
            except AttributeError:  # a sparse gradient (IndexedSlices) aggregates itself
                g._accumulate(grads, x, source_ids, path)
                continue
            # two NumPy scalars of one type have one shape; otherwise compare, and unbroadcast
            tg = type(gv)
            if (tg is type(xv) and tg is not ndarray and tg is not Probe) or gv.shape == xv.shape:
                gx = g
            else:
                gx = sum_to(g, shape=xv.shape) if batched is None else batched.unbroadcast(g, x)
            prev = grads.get(k)
            grads[k] = gx if prev is None else add(prev, gx)
    return grads


# ---------------------------------------------------------------------------------------------
# GradientTape


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _unconnected_mode(value: Any) -> UnconnectedGradients:
    if type(value) is UnconnectedGradients:
        return value
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}") from None


_warned = {"dtype": 0, "inside": False}
_config = {"strict": False}  # tf.config.set_strict_gradients


def _is_watchable(x: Any) -> bool:
    return type(x) is Tensor or type(x) in variable_types or isinstance(x, Tensor)


def _warn_dtype(x: Any, what: str = "tensor") -> None:
    if _warned["dtype"] < 5:  # TF logs this the first 5 times
        _warned["dtype"] += 1
        logger.warning(
            "The dtype of the watched %s must be floating (e.g. tf.float32), got tf.%s",
            what,
            x.dtype.name,
        )


class GradientTape:
    """Records operations for automatic differentiation.

    >>> import tapeflow as tf
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as g:
    ...     g.watch(x)
    ...     y = x * x
    >>> print(g.gradient(y, x))
    tf.Tensor(6.0, shape=(), dtype=float32)
    """

    def __init__(
        self,
        persistent: bool = False,
        watch_accessed_variables: bool = True,
        *,
        strict: bool | None = None,
    ) -> None:
        """`strict=True` (tapeflow's own): a None gradient raises UnconnectedGradientError with
        the reason and the line where the path broke, instead of returning None; the default
        follows tf.config.set_strict_gradients. See tapeflow/explain.py."""
        self._strict = _config["strict"] if strict is None else strict
        if self._strict:
            from tapeflow import explain  # notes where ops run while this tape lives

            explain.watch_locations(self)
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._entries: list[Any] = []
        self._tracked: set[int] = set()
        self._watched: dict[int, Any] = {}  # id -> watched tensor or variable, held alive
        self._variables: dict[int, Any] = {}  # watched variables (watched_variables())
        self._entered = False
        self._used = False

    # -- recording (called by bind() through the recorder stack) ------------------------------

    def record(self, entry: Any) -> None:
        tracked = self._tracked
        for x in entry[1]:
            if id(x) in tracked:
                break
        else:
            return
        self._entries.append(entry)
        for o in entry[2]:
            v = o._value
            if type(v) in FLOAT_SCALARS or v.dtype.kind in "fc":
                tracked.add(id(o))

    def tracks(self, t: Any) -> bool:
        return id(t) in self._tracked

    def record_read(self, variable: Any, entry: Any) -> None:
        if self._watch_accessed_variables and variable._trainable:
            self._watch_one(variable)
        self.record(entry)

    # -- context --------------------------------------------------------------------------

    def __enter__(self) -> GradientTape:
        if self in state.recorders:
            raise ValueError(
                "Tape is still recording, This can happen if you try to re-enter an "
                "already-active tape."
            )
        if self._used:  # a used-up non-persistent tape starts afresh, as TF's does
            self._used = False
        push_recorder(self)
        self._entered = True
        return self

    def __exit__(self, typ: Any, value: Any, traceback: Any) -> None:
        if self in state.recorders:
            remove_recorder(self)

    @property
    def _recording(self) -> bool:
        return self in state.recorders

    @property
    def _tape(self) -> GradientTape | None:
        """TF's handle on the underlying tape; None once a non-persistent tape is used."""
        return None if self._used else self

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Ops run inside this block are not recorded by this tape."""
        if not self._recording:
            if not self._entered:
                raise RuntimeError("Trying to stop recording a tape which is not recording.")
            raise ValueError("Tape is not recording.")
        position = remove_recorder(self)
        try:
            yield
        finally:
            insert_recorder(min(position, len(state.recorders)), self)

    def reset(self) -> None:
        """Forgets everything recorded and watched, as exiting and re-entering would."""
        if not self._recording:
            raise ValueError("Tape is not recording.")
        self._entries = []
        self._tracked = set()
        self._watched = {}
        self._variables = {}

    # -- watching -------------------------------------------------------------------------

    def watch(self, tensor: Any) -> None:
        """Ensures `tensor` (a Tensor, Variable or nested structure of them) is traced."""
        if not self._entered:
            raise AttributeError(
                "GradientTape.watch was called before the tape was entered; use it inside "
                "`with tf.GradientTape() as tape:`"
            )
        for x in [tensor] if type(tensor) is Tensor else nest.flatten(tensor):
            if not _is_watchable(x):
                raise ValueError(
                    f"Passed in object {x} of type {type(x).__name__!r}, not tf.Tensor or "
                    "tf.Variable or ExtensionType."
                )
            if x._value.dtype.kind not in "fc":
                _warn_dtype(x)
            self._watch_one(x)

    def _watch_one(self, x: Any) -> None:
        k = id(x)
        if type(x) in variable_types:
            self._variables[k] = x
        if k in self._watched:
            return
        self._watched[k] = x
        if x._value.dtype.kind in "fc":
            self._tracked.add(k)

    def watched_variables(self) -> tuple[Any, ...]:
        """The watched Variables, in the order they were created."""
        return tuple(sorted(self._variables.values(), key=lambda v: v._uid))

    # -- gradients ------------------------------------------------------------------------

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
    ) -> Any:
        """d(sum of target) / d(sources), in the structure of `sources`.

        Args:
          target: a Tensor or Variable, or a nested structure of them (their sum is
            differentiated).
          sources: a Tensor or Variable, or a nested structure of them.
          output_gradients: one seed per flattened target, instead of ones.
          unconnected_gradients: `tf.UnconnectedGradients.NONE` (None for a source the
            target does not depend on) or `ZERO` (zeros of the source's shape and dtype).
        """
        if self._used:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians)"
            )
        unconnected = _unconnected_mode(unconnected_gradients)
        single = type(sources) is Tensor  # the common call skips the structure handling
        flat_sources = [sources] if single else self._check_sources(sources)
        seeds = self._seeds(target, output_gradients)
        known = self._tracked, self._watched  # a used-up tape still explains its None results
        grads = self._walk(seeds, flat_sources)
        results = []
        missing = []
        for s in flat_sources:
            g = grads.get(id(s))
            if g is None:
                if unconnected is UnconnectedGradients.ZERO:
                    g = zeros_like_np(s)
                else:
                    missing.append(s)
            results.append(g)
        if missing:
            self._unconnected(target, missing, known)
        return results[0] if single else nest.pack_sequence_as(sources, results)

    def _unconnected(self, target: Any, missing: list[Any], known: Any) -> None:
        """Some gradients are None: keep what explain() needs, and raise if strict."""
        if self._used:
            self._spent = known
        if self._strict:
            from tapeflow import explain

            raise explain.error(self, target, missing)

    def explain(self, target: Any, sources: Any) -> Any:
        """Why is the gradient of `target` with respect to `sources` None?

        Returns a GradientExplanation per source (in the structure of `sources`): `reason`,
        `message`, `location` (the file:line where the path broke) and `hint`; print it.

        >>> import tapeflow as tf
        >>> x = tf.constant(3.0)
        >>> with tf.GradientTape() as tape:
        ...     y = x * x
        >>> tape.explain(y, x).reason
        'not_watched'
        """
        from tapeflow import explain

        return explain.explain(self, target, sources)

    def jacobian(
        self,
        target: Any,
        sources: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """d target / d source for each source, shape `target.shape + source.shape`.

        One backward walk over a batch of cotangents (the identity's rows), not a loop over
        target elements; see tapeflow/jacobian.py.

        >>> import tapeflow as tf
        >>> x = tf.constant([1.0, 2.0])
        >>> with tf.GradientTape() as g:
        ...     g.watch(x)
        ...     y = x * x
        >>> g.jacobian(y, x).numpy().tolist()
        [[2.0, 0.0], [0.0, 4.0]]
        """
        from tapeflow import jacobian  # the autodiff extensions build on the op library

        return jacobian.jacobian(
            self, target, sources, unconnected_gradients, parallel_iterations,
            experimental_use_pfor,
        )  # fmt: skip

    def batch_jacobian(
        self,
        target: Any,
        source: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """Per-example jacobians: `[b, y...]` by `[b, x...]` gives `[b, y..., x...]`.

        >>> import tapeflow as tf
        >>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> with tf.GradientTape() as g:
        ...     g.watch(x)
        ...     y = x * x
        >>> g.batch_jacobian(y, x).numpy().tolist()
        [[[2.0, 0.0], [0.0, 4.0]], [[6.0, 0.0], [0.0, 8.0]]]
        """
        from tapeflow import jacobian

        return jacobian.batch_jacobian(
            self, target, source, unconnected_gradients, parallel_iterations,
            experimental_use_pfor,
        )  # fmt: skip

    def _check_sources(self, sources: Any) -> list[Any]:
        flat = nest.flatten(sources)
        for s in flat:
            if not _is_watchable(s):
                raise AttributeError(
                    f"gradient() sources must be Tensors or Variables, got {s!r} of type "
                    f"{type(s).__name__!r}; a Python or NumPy value cannot be differentiated "
                    "against (convert it with tf.constant and watch it inside the tape)."
                )
        return flat

    def _seeds(self, target: Any, output_gradients: Any) -> dict[int, Any]:
        if target is None:
            raise TypeError(
                "Argument `target` should be a list or nested structure of Tensors, Variables "
                "or CompositeTensors to be differentiated, but received None."
            )
        flat_targets = [target] if type(target) is Tensor else nest.flatten(target)
        if output_gradients is None:
            flat_og: list[Any] = [None] * len(flat_targets)
        else:
            flat_og = nest.flatten(output_gradients)
            if len(flat_og) != len(flat_targets):
                raise ValueError(
                    f"output_gradients has {len(flat_og)} tensors but target has "
                    f"{len(flat_targets)}; give one seed per target tensor."
                )
        seeds: dict[int, Any] = {}
        for target_or_value, og in zip(flat_targets, flat_og):
            if target_or_value is None:
                raise TypeError(
                    "Cannot convert the argument `type_value`: None to a TensorFlow DType."
                )
            t = target_or_value
            if not _is_watchable(t):
                t = convert_to_tensor(t)
            if t._value.dtype.kind not in "fc":
                continue  # integer targets have no gradient (TF gives None)
            if og is None:
                if output_gradients is not None:
                    raise none_error()
                seed = _ones_seed(t._value)
            else:
                seed = self._check_seed(t, og)
            k = id(t)
            seeds[k] = seed if k not in seeds else add(seeds[k], seed)
        return seeds

    @staticmethod
    def _check_seed(t: Any, og: Any) -> Tensor:
        seed = og if isinstance(og, Tensor) else convert_to_tensor(og, dtype_hint=t.dtype)
        if seed._value.dtype != t._value.dtype:
            raise dtype_mismatch("Mul", 1, seed._value.dtype, t._value.dtype)
        if np.shape(seed._value) != np.shape(t._value):
            # Deliberate difference: TF broadcasts a mis-shaped seed into a wrong-shaped
            # "gradient"; a clear error is more useful.
            raise ValueError(
                f"output_gradients entry has shape {seed.shape} but its target has shape "
                f"{t.shape}; each seed must have its target's shape."
            )
        return seed

    def _walk(
        self, seeds: dict[int, Any], flat_sources: list[Any], batched: Any = None
    ) -> dict[int, Any]:
        recording = self._recording
        if recording and not self._persistent:
            remove_recorder(self)  # TF: gradient() inside the block stops the tape
        elif recording and not _warned["inside"]:
            _warned["inside"] = True
            logger.warning(
                "Calling GradientTape.gradient on a persistent tape inside its context is "
                "significantly less efficient than calling it outside the context (it causes "
                "the gradient ops to be recorded on the tape, leading to increased CPU and "
                "memory usage). Only call GradientTape.gradient inside the context if you "
                "actually want to trace the gradient in order to compute higher order "
                "derivatives."
            )
        # only tensors this tape tracks can receive gradients (an unwatched constant gets None)
        tracked = self._tracked
        source_ids = tracked.intersection(map(id, flat_sources))
        # Every entry depends on some watched tensor; if all of those are sources, every
        # tracked id depends on a source and the walk needs no pruning scan.
        all_sources = tracked.intersection(self._watched) <= source_ids
        reach = tracked if all_sources else None
        if self._persistent:
            return backward(self._entries, seeds, source_ids, False, reach, batched)
        entries = self._entries
        self._entries = []
        self._tracked = set()
        self._watched = {}
        self._used = True
        return backward(entries, seeds, source_ids, True, reach, batched)
