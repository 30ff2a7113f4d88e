"""The Op record, the @op decorator, the registry and bind(): how every op runs.

An op's forward takes NumPy values (positional: the tensor inputs) and keyword-only, hashable
attributes. `bind` converts the inputs, runs the forward, wraps the result, and, only if some
tape or accumulator is recording, offers one entry `(op, inputs, outputs, attrs, multi)` to each.
Recording is the only thing that costs more than the NumPy call itself.
"""

from __future__ import annotations

import gc
import inspect
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow import graph as _graph
from tapeflow.errors import InvalidArgumentError
from tapeflow.graph import TracedTensor
from tapeflow.graph import raw_get as _raw_get
from tapeflow.tensor import _CONVERTERS, Tensor, _wrap, convert_to_tensor, none_error, to_array

__all__ = [
    "Op",
    "op",
    "bind",
    "REGISTRY",
    "state",
    "read_variable",
    "untraced_value",
    "variable_types",
    "push_recorder",
    "remove_recorder",
    "insert_recorder",
    "is_tracked",
    "FLOAT_SCALARS",
    "FLOATS",
    "FLOATS_COMPLEX",
    "require_dtype",
]

# Forward code divides by zero and overflows exactly as TF kernels do (inf, nan); NumPy's
# warnings about it would be noise. This is process-wide, as TF's own behaviour is.
np.seterr(all="ignore")


class _RecorderState(threading.local):
    """Per thread: the tapes and forward accumulators that are recording, innermost last."""

    def __init__(self) -> None:
        self.recorders: list[Any] = []


state = _RecorderState()
_active = 0  # recorders active in all threads: while 0, bind() skips the thread-local lookup


_gc_was_enabled = False


def _count_recorders(change: int) -> None:
    """Keeps `_active` and pauses Python's cyclic GC while anything records.

    A tape holds thousands of small objects; every automatic collection would traverse them
    all again (measured: ~30% of the cost of recording an op). Tensors hold only NumPy values,
    so recording makes no reference cycles for the GC to find; it resumes when the last tape
    stops recording.
    """
    global _active, _gc_was_enabled  # noqa: PLW0603 - written only here
    if _active == 0 and change > 0:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
    _active += change
    if _active == 0 and _gc_was_enabled:
        gc.enable()


def is_tracked(t: Any) -> bool:
    """Whether a recorder of this thread tracks `t` (would record an op that reads it)."""
    if not _active:
        return False
    for r in state.recorders:
        tracks = getattr(r, "tracks", None)  # helpers that only watch (explain, custom_gradient)
        if tracks is not None and tracks(t):
            return True
    return False


def push_recorder(recorder: Any) -> None:
    state.recorders.append(recorder)
    _count_recorders(1)


def remove_recorder(recorder: Any) -> int:
    """Removes `recorder` from this thread's stack; returns the position it had."""
    position = state.recorders.index(recorder)
    del state.recorders[position]
    _count_recorders(-1)
    return position


def insert_recorder(position: int, recorder: Any) -> None:
    state.recorders.insert(position, recorder)
    _count_recorders(1)


# Variable classes register here, so bind() can read them without this module importing them.
variable_types: set[type] = _graph._variable_types

REGISTRY: dict[str, Op] = {}

# One recorded op: (op, input tensors, output tensors, attrs, has several outputs)
Entry = tuple[Any, tuple[Any, ...], tuple[Any, ...], dict[str, Any], bool]


class Op:
    """One registered op: its forward, its gradient rule and how its inputs are converted.

    Attributes:
      type: TF's op-type name ("Mul", "MatMul"), the registry key.
      forward: NumPy implementation; positional tensor inputs, keyword-only attributes.
      vjp: `vjp(grad, out, *inputs, **attrs) -> tuple of input gradients (or None)`, written in
        tapeflow ops so that it is itself differentiable. For multi-output ops grad and out are
        tuples.
      differentiable: False for ops TF declares non-differentiable (their results are never
        recorded, so gradients through them are None).
      same_dtype: which positional inputs must share one dtype: True (all), a tuple of
        indices, or () for none. Python scalars in the group take the group's dtype.
    """

    __slots__ = (
        "type",
        "forward",
        "vjp",
        "differentiable",
        "same_dtype",
        "attr_defaults",
        "vjp_wants_needs",
        "vjp_batched",
        "__name__",
        "__qualname__",
        "__wrapped__",
        "__dict__",  # functools-style metadata (__doc__, __module__) for help() and docs
    )

    def __init__(
        self,
        type_name: str,
        forward: Callable[..., Any],
        differentiable: bool = True,
        same_dtype: bool | tuple[int, ...] = True,
    ) -> None:
        self.type = type_name
        self.forward = forward
        self.vjp: Callable[..., Any] | None = None
        self.vjp_wants_needs = False
        self.vjp_batched = False
        self.differentiable = differentiable
        self.same_dtype = same_dtype
        params = inspect.signature(forward).parameters.values()
        self.attr_defaults = {
            p.name: p.default
            for p in params
            if p.kind is p.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
        }
        self.__name__ = forward.__name__
        self.__qualname__ = forward.__qualname__
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward
        self.__module__ = forward.__module__

    def __call__(self, *args: Any, **attrs: Any) -> Any:
        if attrs:
            attrs.pop("name", None)  # TF's `name=` is accepted and ignored
        elif len(args) == 2 and self.same_dtype is True:
            return bind_pair(self, args[0], args[1])  # the common call inside VJPs
        return bind(self, args, attrs)

    def defvjp(self, fn: Callable[..., Any] | None = None, *, batched: bool = False) -> Any:
        """Registers the gradient rule. A rule with a `needs` parameter is told which inputs
        need a gradient, so it can skip the work for the others (matmul, conv).

        `@x.defvjp(batched=True)` says the rule also accepts a cotangent with extra leading
        axes (`grad.ndim - out.ndim` of them) and returns input gradients with the same
        leading axes: jacobians then take one backward walk. Elementwise rules are batched
        as written (NumPy broadcasts); rules that name axes or shapes must shift them. An
        unmarked rule still works in a jacobian, one row at a time (tapeflow/jacobian.py).
        """
        if fn is None:
            return lambda f: self.defvjp(f, batched=batched)
        self.vjp = fn
        self.vjp_wants_needs = "needs" in inspect.signature(fn).parameters
        self.vjp_batched = batched
        return fn

    def __repr__(self) -> str:
        return f"<tapeflow op {self.type}>"


def op(
    type_name: str, *, differentiable: bool = True, same_dtype: bool | tuple[int, ...] = True
) -> Callable[[Callable[..., Any]], Op]:
    """Registers `forward` as the op `type_name` and returns the callable Op."""

    def register(forward: Callable[..., Any]) -> Op:
        if type_name in REGISTRY:
            raise ValueError(f"Op {type_name!r} is registered twice.")
        new = Op(type_name, forward, differentiable, same_dtype)
        REGISTRY[type_name] = new
        return new

    return register


# ---------------------------------------------------------------------------------------------
# Input conversion

_TF_NAMES = {"float32": "float", "float64": "double", "float16": "half", "object": "string"}


def _tf_type_name(np_dtype: np.dtype) -> str:
    return _TF_NAMES.get(np_dtype.name, np_dtype.name)


def dtype_mismatch(op_type: str, index: int, expected: np.dtype, got: np.dtype) -> Exception:
    return InvalidArgumentError(
        f"cannot compute {op_type} as input #{index}(zero-based) was expected to be a "
        f"{_tf_type_name(expected)} tensor but is a {_tf_type_name(got)} tensor "
        f"[Op:{op_type}] name: "
    )


# dtype lists of TF's kernels, as its "not in the list of allowed values" errors name them
FLOATS = ("half", "float", "double")
FLOATS_COMPLEX = ("half", "float", "double", "complex64", "complex128")


_FAST_KINDS = {FLOATS: "f", FLOATS_COMPLEX: "fc"}  # the common lists, checked by dtype kind


def require_dtype(x: Any, op_type: str, allowed: tuple[str, ...]) -> None:
    """Raises TF's InvalidArgumentError unless the NumPy value's dtype is one of `allowed`."""
    kinds = _FAST_KINDS.get(allowed)
    if kinds is not None and x.dtype.kind in kinds:
        return
    name = _TF_NAMES.get(x.dtype.name, x.dtype.name)
    if name not in allowed:
        raise InvalidArgumentError(
            f"Value for attr 'T' of {name} is not in the list of allowed values: "
            f"{', '.join(allowed)} [Op:{op_type}] name: "
        )


def _is_tensor_like(a: Any) -> bool:
    t = type(a)
    return t is Tensor or t in variable_types or isinstance(a, Tensor)


def untraced_value(a: Any) -> Any:
    """A Tensor's or Variable's NumPy value; a traced one's without noting a read (for code
    that only passes values on: an op's forward, a variable's new value)."""
    return _raw_get(a) if type(a) is TracedTensor else a._value


def _value_of(a: Any) -> Any:
    """The NumPy value of one input that is not in a same-dtype group."""
    if _is_tensor_like(a):
        return untraced_value(a)
    if a is None:
        raise none_error()
    return untraced_value(convert_to_tensor(a))


def _coerce(op: Op, index: int, a: Any, ref: np.dtype) -> Any:
    """A non-tensor input of a same-dtype group, converted to the group's dtype."""
    t = type(a)
    if t is float:
        if ref.kind in "fc":
            return a  # NumPy's NEP 50 keeps the tensor's dtype for a Python float
        raise dtype_mismatch(op.type, index, ref, np.dtype(np.float32))  # even 2.0 (TF)
    if t is int:
        if ref.kind == "b":
            raise dtype_mismatch(op.type, index, ref, np.dtype(np.int32))
        return a
    if t is bool:
        return a
    if isinstance(a, (np.ndarray, np.generic)):
        if a.dtype == ref:
            return a
        if a.dtype.kind == "c" and ref.kind != "c":
            raise dtype_mismatch(op.type, index, ref, a.dtype)
        return a.astype(ref)  # TF casts NumPy operands silently, even lossily
    if a is None:
        raise none_error()
    if t is complex:
        if ref.kind == "c":
            return a
        raise dtype_mismatch(op.type, index, ref, np.dtype(np.complex128))
    if isinstance(a, (list, tuple)):
        return to_array(a, dtypes.from_numpy(ref))
    converted = untraced_value(convert_to_tensor(a))  # IndexedSlices and other registered types
    if converted.dtype != ref:
        raise dtype_mismatch(op.type, index, ref, converted.dtype)
    return converted


_PYTHON_SCALARS = (int, float, bool, complex)


def _convert(op: Op, args: tuple[Any, ...]) -> Any:
    group = op.same_dtype
    if group is True:
        group = range(len(args))  # type: ignore[assignment]
    elif not group:
        return [_value_of(a) for a in args]
    ref = None
    for i in group:  # type: ignore[union-attr]
        a = args[i]
        if _is_tensor_like(a):
            d = untraced_value(a).dtype
            if ref is None:
                ref = d
            elif d is not ref and d != ref:
                raise dtype_mismatch(op.type, i, ref, d)
    derived = False
    if ref is None:  # no tensor in the group: the first input's own dtype sets it, as in TF
        first = next(iter(group), None)  # type: ignore[arg-type]
        if first is not None and args[first] is not None:
            ref = untraced_value(convert_to_tensor(args[first])).dtype
            derived = True
    values = list(args)
    for i, a in enumerate(args):
        if _is_tensor_like(a):
            values[i] = untraced_value(a)
        elif ref is not None and i in group:  # type: ignore[operator]
            try:
                v = _coerce(op, i, a, ref)
            except InvalidArgumentError:
                if not derived:
                    raise
                name = dtypes.from_numpy(ref).name  # TF converts it with the first's dtype
                raise TypeError(f"Cannot convert {a!r} to EagerTensor of dtype {name}") from None
            values[i] = ref.type(v) if derived and type(v) in _PYTHON_SCALARS else v
        else:
            values[i] = _value_of(a)
    return values


# ---------------------------------------------------------------------------------------------
# Running an op


# NumPy scalar types whose dtype is floating: `type(v) in` is far cheaper than `v.dtype.kind`
FLOAT_SCALARS = frozenset({np.float16, np.float32, np.float64, np.complex64, np.complex128})
_ndarray = np.ndarray
_new = object.__new__


def _pair(op: Op, a: Any, b: Any) -> Any:
    """Values of a same-dtype binary op: fast for Tensors and Python floats, else _convert."""
    if type(a) is Tensor:
        av = a._value
        tb = type(b)
        if tb is Tensor:
            bv = b._value
            ta = type(av)
            if (ta is type(bv) and ta is not _ndarray) or av.dtype == bv.dtype:
                return av, bv
        elif (tb is float or tb is int) and (type(av) in FLOAT_SCALARS or av.dtype.kind in "fc"):
            return av, b  # NEP 50: a Python number takes the float tensor's dtype
    elif type(b) is Tensor and (type(a) is float or type(a) is int):
        bv = b._value
        if type(bv) in FLOAT_SCALARS or bv.dtype.kind in "fc":
            return a, bv
    return _convert(op, (a, b))


def bind(op: Op, args: tuple[Any, ...], attrs: dict[str, Any]) -> Any:
    """Runs `op` on `args` and, if anything is recording, records it."""
    n = len(args)
    unary = n == 1 and type(args[0]) is Tensor
    if unary:
        values: Any = (args[0]._value,)
    elif n == 2 and op.same_dtype is True:
        values = _pair(op, args[0], args[1])
    else:
        values = _convert(op, args)
    try:
        out = op.forward(*values, **attrs) if attrs else op.forward(*values)
    except (ValueError, IndexError) as e:
        if _graph.tracing and _defers(values):
            return _graph.current().failed(op, args, values, attrs, e)  # type: ignore[union-attr]
        raise _op_error(op, values, e) from e
    except Exception as e:
        if _graph.tracing and (isinstance(e, InvalidArgumentError) or _defers(values)):
            return _graph.current().failed(op, args, values, attrs, e)  # type: ignore[union-attr]
        raise
    if type(out) is tuple:
        outputs = tuple(_wrap(o) for o in out)
        if _active:
            if _graph.tracing:
                _trace(op, args, values, outputs, attrs, True)
            recorders = state.recorders
            if recorders and op.differentiable:
                _record(op, args, values, outputs, attrs, True, recorders)
        return outputs
    result = _new(Tensor)
    result._value = out
    if _active:
        if _graph.tracing:
            _trace(op, args, values, (result,), attrs, False)
        if not op.differentiable:
            return result
        recorders = state.recorders
        if not recorders:
            return result
        if unary:  # the input is a Tensor already: record as is
            if op.attr_defaults:
                attrs = {**op.attr_defaults, **attrs}
            entry = (op, args, (result,), attrs, False)
            for r in recorders:
                r.record(entry)
        else:
            _record(op, args, values, (result,), attrs, False, recorders)
    return result


def bind_pair(op: Op, a: Any, b: Any) -> Tensor:
    """bind() for a binary, attribute-free, same-dtype op: the path of `x * y` and `x + 1.0`.

    The same steps as bind(), without its generality: the operators are the hottest path.
    """
    av, bv = _pair(op, a, b)
    try:
        out = op.forward(av, bv)
    except Exception as e:
        if _graph.tracing and _defers((av, bv)):
            return _graph.current().failed(op, (a, b), (av, bv), {}, e)  # type: ignore[union-attr]
        if isinstance(e, (ValueError, IndexError)):
            raise _op_error(op, (av, bv), e) from e
        raise
    if type(out) is tuple:  # a multi-output op: the general path wraps and records it
        outputs = tuple(_wrap(o) for o in out)
        if _active:
            if _graph.tracing:
                _trace(op, (a, b), (av, bv), outputs, _NO_ATTRS, True)
            if op.differentiable and state.recorders:
                _record(op, (a, b), (av, bv), outputs, _NO_ATTRS, True, state.recorders)
        return outputs  # type: ignore[return-value]
    result = _new(Tensor)
    result._value = out
    if _active:
        if _graph.tracing:
            _trace(op, (a, b), (av, bv), (result,), _NO_ATTRS, False)
        if not op.differentiable:
            return result
        recorders = state.recorders
        if not recorders:
            return result
        ta, tb = type(a), type(b)
        attrs = op.attr_defaults  # shared, never written: an entry's attrs are read-only
        if ta is Tensor and tb is Tensor:
            entry: Entry = (op, (a, b), (result,), attrs, False)
        elif ta is Tensor and (tb is float or tb is int):
            # `x * 1.0001`, `x ** 4`: the constant becomes a scalar of x's dtype, for the VJP
            entry = (op, (a, _constant_like(b, av)), (result,), attrs, False)
        else:
            _record(op, (a, b), (av, bv), (result,), _NO_ATTRS, False, recorders)
            return result
        for r in recorders:
            r.record(entry)
    return result


_NO_ATTRS: dict[str, Any] = {}


def _defers(values: Any) -> bool:
    """While tracing: whether an op's error waits for the graph (an input failed already)."""
    return _graph.current() is not None and any(type(v) is _graph.Failed for v in values)


def _trace(
    op: Op, args: Any, values: Any, outputs: tuple[Tensor, ...], attrs: Any, multi: bool
) -> None:
    tracer = _graph.current()
    if tracer is not None:
        tracer.record_op(op, args, values, outputs, attrs, multi)


def _constant_like(number: Any, like: Any) -> Tensor:
    """A Python number recorded as a tensor of `like`'s dtype, for the VJP to read."""
    cls = type(like)
    return _wrap(cls(number) if cls in FLOAT_SCALARS else like.dtype.type(number))


def _op_error(op: Op, values: Any, e: Exception) -> InvalidArgumentError:
    """NumPy's shape and axis complaints, in TF's words."""
    if "broadcast" in str(e):
        shapes = " vs. ".join(str(list(np.shape(v))) for v in values)
        return InvalidArgumentError(f"Incompatible shapes: {shapes} [Op:{op.type}] name: ")
    return InvalidArgumentError(f"{e} [Op:{op.type}]")


def _record(
    op: Op,
    args: tuple[Any, ...],
    values: Any,
    outputs: tuple[Tensor, ...],
    attrs: dict[str, Any],
    multi: bool,
    recorders: list[Any],
) -> None:
    inputs: Any = args
    for a in args:
        if type(a) is not Tensor:
            inputs = _recordable(args, values, outputs)
            break
    if op.attr_defaults:
        attrs = {**op.attr_defaults, **attrs}
    entry = (op, inputs, outputs, attrs, multi)
    for r in recorders:
        r.record(entry)


def _recordable(args: tuple[Any, ...], values: Any, outputs: tuple[Tensor, ...]) -> tuple[Any, ...]:
    """The inputs as Tensors the entry can keep: Variables read, constants wrapped."""
    inputs: list[Any] = []
    for a, v in zip(args, values):
        t = type(a)
        if t is Tensor:
            inputs.append(a)
        elif t in variable_types:
            inputs.append(read_variable(a))  # snapshot: the VJP sees the value this op saw
        elif isinstance(a, Tensor):
            inputs.append(a)
        elif t in _CONVERTERS:  # IndexedSlices, ...: their dense form, made by recorded ops
            inputs.append(convert_to_tensor(a))
        elif isinstance(v, (np.ndarray, np.generic)):
            inputs.append(_wrap(v))
        else:  # a Python scalar that took its tensor partner's dtype
            inputs.append(_constant_like(v, outputs[0]._value))
    return tuple(inputs)


def _read_forward(value: Any) -> Any:
    return value


READ = Op("ReadVariableOp", _read_forward)
REGISTRY[READ.type] = READ
READ.defvjp(lambda grad, out, variable: (grad,), batched=True)  # a read is the identity
_graph._READ_OP[0] = READ


def read_variable(v: Any) -> Tensor:
    """A Tensor with the variable's current value; recorded, so gradients reach the variable."""
    v = v._handle  # the variable itself, also when reached through an UnreadVariable
    t = _wrap(READ.forward(v._value))
    if _active:  # a trace counts as active, so nothing more is looked up without one
        if _graph.tracing and (tracer := _graph.current()) is not None:
            tracer.record_read(v, t)
        recorders = state.recorders
        if recorders:
            entry: Entry = (READ, (v,), (t,), {}, False)
            for r in recorders:
                r.record_read(v, entry)
    return t
