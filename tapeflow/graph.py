"""Tracing: run a Python function once, record every op it runs, and run the record again.

tapeflow has no symbolic tensors: every op is NumPy. A trace therefore runs the function on
the first call's real values while a `Tracer` records each op as a node of a flat `Graph`
(nodes read and write numbered registers). Later calls run the graph's compiled straight-line
code: no Tensor objects, no Python control flow, no recording decisions.

A replay is only right if Python decided nothing from a traced *value*: `if x > 0:` or
`np.nonzero(x._value)` would be baked into the graph as whatever the first call saw. So the
values produced during a trace are `TracedTensor`s, whose `_value` is a `Probe`: it answers
`shape`, `dtype` and `ndim`, and notes any other use (`.numpy()`, `bool(x)`, NumPy arithmetic on
`x._value`). A trace that read a value is not replayed; tf.function runs that function eagerly
instead (TF would have converted the `if` with AutoGraph: the results are the same, only
Python side effects then happen on every call). Variables read in Python are noted the same way.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.tensor import Tensor, TensorShape

__all__ = [
    "Tracer",
    "Graph",
    "TracedTensor",
    "Probe",
    "Failed",
    "SymbolicTensor",
    "current",
    "raw_value",
    "value_read",
]

_SLOT = Tensor.__dict__["_value"]  # the slot itself, past TracedTensor's property
raw_get = _SLOT.__get__
_raw_set = _SLOT.__set__


class _State(threading.local):
    def __init__(self) -> None:
        self.tracer: Tracer | None = None


state = _State()
tracing = 0  # traces running in any thread: while 0, the hooks in bind() cost one global read


def current() -> Tracer | None:
    """The tracer recording in this thread, if any."""
    return state.tracer if tracing else None


def raw_value(t: Tensor) -> Any:
    """A Tensor's NumPy value without noting a read: for code that only moves values around."""
    return raw_get(t)


_HERE = os.path.dirname(os.path.abspath(__file__))


def _location() -> str:
    """file:line of the innermost caller outside tapeflow (else of the innermost caller)."""
    frame: Any = sys._getframe(2)
    first = None
    while frame is not None:
        path = frame.f_code.co_filename
        where = f"{os.path.basename(path)}:{frame.f_lineno}"
        if first is None and os.path.abspath(path) != __file__:
            first = where
        if not os.path.abspath(path).startswith(_HERE):
            return where
        frame = frame.f_back
    return first or "?"


def value_read(what: str) -> None:
    """Notes that Python read a traced value (so the trace must not be replayed)."""
    tracer = current()
    if tracer is not None and tracer.value_read is None:
        tracer.value_read = f"{what} at {_location()}"


not_replayable = value_read  # also for what a graph cannot repeat (a tf.data iteration)


# ---------------------------------------------------------------------------------------------
# Probe: a traced value that lets through what is fixed for a trace (shape, dtype) only


def _unwrap(x: Any) -> Any:
    if type(x) is Probe:
        return x._raw
    if type(x) in (list, tuple):
        return type(x)(_unwrap(v) for v in x)
    return x


# NumPy functions that look only at shapes and dtypes
_METADATA_FUNCTIONS = {
    np.shape,
    np.ndim,
    np.size,
    np.result_type,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
}


class Probe:
    """Stands for a traced NumPy value: metadata is free, anything else is a noted read."""

    __slots__ = ("_raw", "_dynamic")
    __array_priority__ = 200

    def __init__(self, raw: Any, dynamic: bool = False) -> None:
        self._raw = raw
        self._dynamic = dynamic  # its shape depends on values (see DYNAMIC_SHAPES)

    @property
    def shape(self) -> tuple[int, ...]:
        if self._dynamic:
            value_read("the shape of a tensor whose shape depends on values")
        return np.shape(self._raw)

    @property
    def size(self) -> int:
        if self._dynamic:
            value_read("the size of a tensor whose size depends on values")
        return int(np.size(self._raw))

    dtype = property(lambda self: self._raw.dtype)
    ndim = property(lambda self: np.ndim(self._raw))

    def _read(self, what: str) -> Any:
        value_read(what)
        return self._raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self._read(f"a traced tensor's value (.{name})"), name)

    def __len__(self) -> int:
        return int(self.shape[0])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._read("a traced tensor's value (np.asarray)"), dtype=dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        value_read(f"a traced tensor's value (np.{ufunc.__name__})")
        return getattr(ufunc, method)(
            *_unwrap(inputs), **{k: _unwrap(v) for k, v in kwargs.items()}
        )

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func not in _METADATA_FUNCTIONS or (self._dynamic and func is not np.ndim):
            value_read(f"a traced tensor's value (np.{func.__name__})")
        return func(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})

    def __repr__(self) -> str:
        return f"Probe(shape={self.shape}, dtype={self.dtype})"


def _probe_method(name: str) -> Callable[..., Any]:
    def method(self: Probe, *args: Any) -> Any:
        raw = self._read(f"a traced tensor's value ({name})")
        return getattr(raw, name)(*_unwrap(args))

    method.__name__ = name
    return method


for _name in (
    "__bool__ __float__ __int__ __index__ __complex__ __iter__ __getitem__ __format__ __str__ "
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __floordiv__ "
    "__rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __matmul__ __rmatmul__ __neg__ __pos__ "
    "__abs__ __invert__ __and__ __rand__ __or__ __ror__ __xor__ __rxor__ __lt__ __le__ __gt__ "
    "__ge__ __eq__ __ne__ __hash__"
).split():
    setattr(Probe, _name, _probe_method(_name))


class Failed:
    """The value of an op that failed while tracing (an index out of range, say).

    TF would raise only when the graph runs that op, and it runs only ops an output needs; so
    the error is kept and raised when the graph is built if the op is needed (or at once if
    Python touches the value). An op with a Failed input fails the same way.
    """

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        raise self.error


# ---------------------------------------------------------------------------------------------
# TracedTensor


# Ops whose output shape depends on the values of one input (its position here), not only on
# shapes: Python reading such a shape (to loop over the rows, say) decides from values.
DYNAMIC_SHAPES = {
    "Where": 0,
    "Unique": 0,
    "UniqueWithCounts": 0,
    "SegmentSum": 1,
    "DenseBincount": 0,
}


def _dynamic(t: Tensor) -> bool:
    tracer = current()
    return tracer is not None and id(t) in tracer.dynamic


def shape_depends_on_values(t: Any) -> bool:
    """While tracing: whether t's shape is not fixed by the function's input signature."""
    return type(t) is TracedTensor and _dynamic(t)


def _probe(self: Tensor) -> Probe:
    return Probe(raw_get(self), _dynamic(self))


class TracedTensor(Tensor):
    """A Tensor produced while tracing: its data is only available to ops (see Probe).

    Printing shows the symbolic form TF prints inside tf.function: `Tensor("x:0", shape=(),
    dtype=float32)`. When the trace ends, the function's results become plain Tensors and the
    rest SymbolicTensors (see Tracer.finish).
    """

    __slots__ = ()
    _value = property(_probe, _raw_set)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy(raw_get(self).dtype)

    @property
    def shape(self) -> TensorShape:
        if _dynamic(self):
            value_read("the shape of a tensor whose shape depends on values")
        return TensorShape(np.shape(raw_get(self)))

    @property
    def ndim(self) -> int:
        return int(np.ndim(raw_get(self)))

    def __repr__(self) -> str:
        tracer = current()
        name = "Tensor" if tracer is None else tracer.names.get(id(self), "Tensor")
        shape = self.shape if tracer is None else tracer.shown_shapes.get(id(self), self.shape)
        return f'Tensor("{name}:0", shape={shape}, dtype={self.dtype.name})'

    __str__ = __repr__


class _Escaped:
    """What a SymbolicTensor's slot holds: the trace-time value (for its shape) and its name."""

    __slots__ = ("raw", "name")

    def __init__(self, raw: Any, name: str) -> None:
        self.raw, self.name = raw, name


class SymbolicTensor(Tensor):
    """A value of a finished trace that escaped it other than as an output (stored in a
    global, say). As in TF, using it raises: its value belongs to the first call only."""

    __slots__ = ()

    def _out_of_scope(self) -> Any:
        raise TypeError(
            f"{self!r} is out of scope and cannot be used here. Use return values, explicit "
            "Python locals or TensorFlow collections to access it."
        )

    _value = property(_out_of_scope, _raw_set)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy(raw_get(self).raw.dtype)

    @property
    def shape(self) -> TensorShape:
        return TensorShape(np.shape(raw_get(self).raw))

    def __getattribute__(self, name: str) -> Any:
        if name == "numpy":
            raise AttributeError("'SymbolicTensor' object has no attribute 'numpy'")
        return super().__getattribute__(name)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{raw_get(self).name}:0' shape={self.shape} dtype={self.dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{raw_get(self).name}:0", shape={self.shape}, dtype={self.dtype.name})'


# TF's names for ops made by Python operators (`x + 1` is "add"); other ops are named by type
_OPERATOR_NAMES = {
    "AddV2": "add",
    "Mul": "mul",
    "Sub": "sub",
    "RealDiv": "truediv",
    "Pow": "pow",
    "FloorDiv": "floordiv",
    "FloorMod": "mod",
}


# ---------------------------------------------------------------------------------------------
# Tracer


class Node:
    """One step of a graph: `outputs = fn(*inputs, **attrs)` over registers.

    `op` is the registered Op (None for an effect: a variable write, a print), kept so the
    graph can also run op by op through bind() when an outer tape wants to record it.
    """

    __slots__ = ("op", "fn", "inputs", "attrs", "outputs", "multi", "effect", "error")

    def __init__(
        self,
        op: Any,
        fn: Callable[..., Any],
        inputs: tuple[int, ...],
        attrs: dict[str, Any],
        outputs: tuple[int, ...],
        multi: bool,
        effect: bool = False,
    ) -> None:
        self.op, self.fn, self.inputs, self.attrs = op, fn, inputs, attrs
        self.outputs, self.multi, self.effect = outputs, multi, effect
        self.error: Exception | None = None


class _Variable:
    """Marks a register that holds a Variable object (the variable itself, not its value)."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable


def _raw_any(x: Any) -> Any:
    return raw_get(x) if isinstance(x, Tensor) else x


def _read_variable(variable: Any) -> Any:
    return variable._value


class Tracer:
    """Records the ops a function runs into nodes over registers (see the module docstring)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.constants: dict[int, Any] = {}  # register -> value known at trace time
        self.n_registers = 0
        self.by_tensor: dict[int, int] = {}  # id(traced tensor) -> register
        self.by_raw: dict[int, int] = {}  # id(its NumPy value) -> register, for converted inputs
        self.by_variable: dict[int, int] = {}  # id(Variable) -> register holding it
        self.traced: list[Tensor] = []  # kept alive, so ids stay unique; demoted at the end
        self.raws: list[Any] = []
        self.names: dict[int, str] = {}
        self.shown_shapes: dict[int, TensorShape] = {}  # a relaxed signature's shapes, printed
        self._name_counts: dict[str, int] = {}
        self.value_read: str | None = None  # why this trace must not be replayed
        self.dynamic: set[int] = set()  # ids of traced tensors whose shape depends on values
        self.pending: list[Callable[[], None]] = []  # outputs (tf.print) of the run traced
        self.created_variables = 0
        self.overwritten: dict[int, tuple[Any, Any]] = {}  # id(var) -> (var, value before)
        self.tape_unsafe: str | None = None  # why a replay cannot be recorded op by op

    def _register(self) -> int:
        self.n_registers += 1
        return self.n_registers - 1

    def _name(self, base: str) -> str:
        n = self._name_counts.get(base, 0)
        self._name_counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def constant(self, value: Any) -> int:
        if type(value) is Probe and self.value_read is None:  # `_wrap(x._value)` outside an op
            self.value_read = f"a traced value re-wrapped outside an op at {_location()}"
        r = self._register()
        self.constants[r] = value
        return r

    def adopt(self, t: Tensor, name: str) -> int:
        """Makes `t` a traced value in a new register and returns the register."""
        r = self._register()
        _retype(t, TracedTensor)
        raw = raw_get(t)
        self.by_tensor[id(t)] = r
        self.by_raw[id(raw)] = r
        self.raws.append(raw)
        self.traced.append(t)
        self.names[id(t)] = self._name(_OPERATOR_NAMES.get(name, name))
        return r

    def register_of(self, x: Any) -> int:
        """The register an input reads: a traced tensor's, else a new constant's.

        `x` is a Tensor or a NumPy value (what bind() passed to a forward): a value that is a
        traced tensor's own (an input converted by ops, IndexedSlices say) maps to its register.
        """
        if type(x) is TracedTensor:
            return self.by_tensor[id(x)]
        if isinstance(x, Tensor):
            return self.constant(raw_get(x))
        r = self.by_raw.get(id(x))
        return self.constant(x) if r is None else r

    def variable_register(self, variable: Any) -> int:
        v = variable._handle
        r = self.by_variable.get(id(v))
        if r is None:
            r = self.by_variable[id(v)] = self.constant(_Variable(v))
        return r

    def placeholder(self, t: Tensor, name: str, shown_shape: Any = None) -> int:
        if shown_shape is not None:
            self.shown_shapes[id(t)] = TensorShape(shown_shape)
        return self.adopt(t, name)

    def variable_input(self, variable: Any) -> int:
        r = self._register()
        self.by_variable[id(variable._handle)] = r
        return r

    # -- what bind(), read_variable() and the variable writes report --------------------------

    def record_op(
        self, op: Any, args: Any, values: Any, outputs: tuple[Tensor, ...], attrs: Any, multi: bool
    ) -> None:
        inputs = []
        for a, v in zip(args, values):
            if type(a) is TracedTensor:
                inputs.append(self.by_tensor[id(a)])
            elif type(a) in _variable_types:
                inputs.append(self._read(a, None))
            else:
                inputs.append(self.register_of(v))
        outs = tuple(self.adopt(o, op.type) for o in outputs)
        decisive = DYNAMIC_SHAPES.get(op.type)
        if (decisive is not None and type(args[decisive]) is TracedTensor) or any(
            type(a) is TracedTensor and id(a) in self.dynamic for a in args
        ):
            self.dynamic.update(id(o) for o in outputs)
        self.nodes.append(Node(op, op.forward, tuple(inputs), dict(attrs), outs, multi))

    def failed(self, op: Any, args: Any, values: Any, attrs: Any, error: Exception) -> Tensor:
        """Records an op whose forward raised; returns its output, a Failed value."""
        out = Tensor.__new__(Tensor)
        cause = next((v.error for v in values if type(v) is Failed), error)
        _raw_set(out, Failed(cause))
        self.record_op(op, args, values, (out,), attrs, False)
        self.nodes[-1].error = cause
        return out

    def record_read(self, variable: Any, t: Tensor) -> None:
        self._read(variable, t)

    def _read(self, variable: Any, t: Tensor | None) -> int:
        source = self.variable_register(variable)
        if t is None:
            r = self._register()
        else:
            r = self.adopt(t, "ReadVariableOp")
        self.nodes.append(Node(_READ_OP[0], _read_variable, (source,), {}, (r,), False))
        return r

    def effect(self, fn: Callable[..., Any], inputs: list[Any]) -> None:
        """Records `fn(*inputs)` (a variable write, a print): run at every replay, in order.

        Inputs are Variables (passed as themselves), tensors or NumPy values. A variable's
        value before its first write is kept, so a trace can be undone (see `undo_writes`).
        """
        for x in inputs:
            if type(x) in _variable_types:
                v = x._handle
                self.overwritten.setdefault(id(v), (v, v._value))
        regs = tuple(
            self.variable_register(x) if type(x) in _variable_types else self.register_of(x)
            for x in inputs
        )
        self.nodes.append(Node(None, fn, regs, {}, (), False, effect=True))

    def alias(self, source: Tensor, new: Tensor) -> None:
        """`new` holds `source`'s value (a re-wrapped output): same register, traced too."""
        _retype(new, TracedTensor)
        self.traced.append(new)
        self.by_tensor[id(new)] = self.by_tensor[id(source)]
        self.names[id(new)] = self.names.get(id(source), "Identity")

    def undo_writes(self) -> None:
        """Gives every variable the trace wrote its value from before (TF's first trace of a
        function that makes variables only initialises them: it runs nothing)."""
        for v, before in self.overwritten.values():
            v._value = before

    def finish(self, outputs: Any = None) -> None:
        """Ends the trace: outputs become plain Tensors; so does everything when `outputs` is
        None (a failed trace, or an outer tape holds these tensors); the rest SymbolicTensors."""
        keep = None if outputs is None else {id(t) for t in outputs}
        for t in self.traced:
            if type(t) is not TracedTensor:
                continue  # an alias of one already handled
            if keep is None or id(t) in keep:
                _retype(t, Tensor)
            else:
                _raw_set(t, _Escaped(raw_get(t), self.names.get(id(t), "Tensor")))
                _retype(t, SymbolicTensor)


def _retype(t: Any, cls: type) -> None:
    t.__class__ = cls


_variable_types: set[type] = set()  # filled by op.py (its variable_types)
_READ_OP: list[Any] = [None]  # op.py's READ op, set there (this module cannot import op.py)


# ---------------------------------------------------------------------------------------------
# Graph


class Graph:
    """A traced function as straight-line code over registers.

    Only nodes that reach an output or an effect are kept. The code is generated Python (one
    line per node, `del` after a value's last use so memory is freed as eagerly as in eager
    mode and a variable update can happen in place), compiled once.
    """

    def __init__(self, tracer: Tracer, inputs: list[int], outputs: list[int]) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.constants = tracer.constants
        needed = set(outputs)
        kept: list[Node] = []
        for node in reversed(tracer.nodes):
            if node.effect or any(r in needed for r in node.outputs):
                if node.error is not None:  # a failed op the outputs need: TF raises when run
                    raise node.error
                kept.append(node)
                needed.update(node.inputs)
        self.nodes = kept[::-1]
        self.run = self._compile()

    def _compile(self) -> Callable[..., Any]:
        names: dict[str, Any] = {}
        last_use: dict[int, int] = {}
        for i, node in enumerate(self.nodes):
            for r in node.inputs:
                last_use[r] = i
        keep = set(self.outputs) | set(self.inputs)

        def ref(r: int) -> str:
            if r in self.constants:
                value = self.constants[r]
                names[f"c{r}"] = value.variable if type(value) is _Variable else value
                return f"c{r}"
            return f"r{r}"

        lines = [f"def run({', '.join(f'r{r}' for r in self.inputs)}):"]
        for i, node in enumerate(self.nodes):
            names[f"f{i}"] = node.fn
            arguments = [ref(r) for r in node.inputs]
            if node.attrs:
                names[f"a{i}"] = node.attrs
                arguments.append(f"**a{i}")
            call = f"f{i}({', '.join(arguments)})"
            if node.fn is _read_variable:
                call = f"{ref(node.inputs[0])}._value"
            if node.effect:
                lines.append(f"    {call}")
            elif node.multi:
                lines.append(f"    {', '.join(f'r{r}' for r in node.outputs)}, = {call}")
            else:
                lines.append(f"    r{node.outputs[0]} = {call}")
            dead = [
                r
                for r in node.inputs
                if last_use[r] == i and r not in keep and r not in self.constants
            ]
            if dead:
                lines.append(f"    del {', '.join(f'r{r}' for r in sorted(set(dead)))}")
        lines.append(f"    return ({''.join(ref(r) + ', ' for r in self.outputs)})")
        self.source = "\n".join(lines)
        exec(compile(self.source, "<tf.function graph>", "exec"), names)
        run: Callable[..., Any] = names["run"]
        return run

    def run_recorded(self, inputs: list[Any], bind: Callable[..., Any], read: Any) -> list[Any]:
        """Runs the nodes one by one through `bind`, so recording tapes see every op.

        `inputs` are Tensors (or Variables); returns Tensors.
        """
        from tapeflow.tensor import _wrap

        regs: dict[int, Any] = dict(zip(self.inputs, inputs))
        for r, value in self.constants.items():
            if type(value) is _Variable:
                regs[r] = value.variable
            elif isinstance(value, (np.ndarray, np.generic)):
                regs[r] = _wrap(value)
            else:  # a Python number, as the op was given it (it takes its partner's dtype)
                regs[r] = value
        tracer = current()  # running inside another trace: the effects belong to it too
        for node in self.nodes:
            args = [regs[r] for r in node.inputs]
            if node.effect:
                if tracer is not None:
                    tracer.effect(node.fn, args)
                node.fn(*[a if type(a) in _variable_types else _raw_any(a) for a in args])
            elif node.fn is _read_variable:
                regs[node.outputs[0]] = read(args[0])
            else:
                out = bind(node.op, tuple(args), dict(node.attrs))
                for r, o in zip(node.outputs, out if node.multi else (out,)):
                    regs[r] = o
        return [regs[r] for r in self.outputs]
