"""tf.function: trace a Python function into a graph once per input signature, then run the graph.

The first call with a new signature runs the Python function (its `print`s and other Python
side effects happen then, as in TF) while tapeflow/graph.py records the ops; later calls with the
same signature run the recorded graph. The signature follows TF's rules: a Tensor or NumPy
array counts by shape and dtype, a Variable by shape and dtype, a Python value by value, any
other object by identity; lists, tuples and dicts by their structure.

Where a trace cannot be replayed (Python read a traced value: `if x > 0:`, `x.numpy()`), that
signature runs the Python function eagerly on every call, with Python's print muted: the
values and the printed output are TF's, only other Python side effects repeat.
`Function.eager_reason(...)` says why. A shape-relaxed signature (TF's `input_signature` with
None dimensions, `reduce_retracing`) shares one *public* trace, but tapeflow's graphs hold
concrete shapes, so a new shape is traced again internally (silently). A first trace that
makes variables is undone and traced again, as TF does.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import inspect
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import graph as _graph
from tapeflow import op as _op
from tapeflow.tensor import Tensor, TensorShape, _wrap, convert_to_tensor, to_array

__all__ = [
    "function",
    "Function",
    "ConcreteFunction",
    "run_functions_eagerly",
    "functions_run_eagerly",
]

_run_eagerly = [False]


def run_functions_eagerly(run_eagerly: bool) -> None:
    """With True, every tf.function calls its Python function directly (TF's debugging mode)."""
    _run_eagerly[0] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    return _run_eagerly[0]


# ---------------------------------------------------------------------------------------------
# Signatures


def _variable_types() -> set[type]:
    return _op.variable_types


class _Leaf:
    """How one argument leaf enters a trace: as a tensor input, a variable input, or static."""

    TENSOR, VARIABLE, STATIC = 0, 1, 2


def _leaf_key(x: Any, statics: list[Any]) -> tuple[Any, int]:
    if isinstance(x, Tensor):
        value = _graph.raw_get(x)
        return ("T", np.shape(value), value.dtype.str), _Leaf.TENSOR
    if type(x) in _variable_types():
        return ("V", x.shape, x.dtype.name), _Leaf.VARIABLE
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind not in "OSU":
        return ("T", np.shape(x), x.dtype.str), _Leaf.TENSOR
    if x is None or isinstance(x, (bool, int, float, complex, str, bytes)):
        return ("P", type(x), x), _Leaf.STATIC
    statics.append(x)  # kept alive with the trace: its id stays unique while the key is used
    return ("O", id(x)), _Leaf.STATIC


def _flatten(structure: Any, leaves: list[Any]) -> Any:
    """The structure's shape as a hashable key; appends its leaves to `leaves`."""
    t = type(structure)
    if t in (list, tuple):
        return (t.__name__, tuple(_flatten(x, leaves) for x in structure))
    if t is dict:  # in the dict's own order, which a result keeps (as TF's nest does)
        return ("dict", tuple((k, _flatten(v, leaves)) for k, v in structure.items()))
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):  # namedtuple
        return (t, tuple(_flatten(x, leaves) for x in structure))
    leaves.append(structure)
    return None


def _rebuild(key: Any, leaves: Any) -> Any:
    """The structure `key` describes, its leaves taken in order from the iterator `leaves`."""
    if key is None:
        return next(leaves)
    kind, children = key
    if kind == "dict":
        return {k: _rebuild(sub, leaves) for k, sub in children}
    items = [_rebuild(sub, leaves) for sub in children]
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    return kind(*items)  # a namedtuple class


# ---------------------------------------------------------------------------------------------
# Concrete functions


class ConcreteFunction:
    """One trace of a tf.function: a graph for one input signature.

    Calling it runs the graph; `eager_reason` is set when the trace could not be replayed.
    """

    def __init__(
        self,
        graph: _graph.Graph | None,
        kinds: list[int],
        output_key: Any,
        output_template: Any,
        static_outputs: list[Any],
        eager_reason: str | None,
        tape_unsafe: str | None,
    ) -> None:
        self.graph = graph
        self._kinds = kinds
        self._output_key = output_key
        self._output_template = output_template
        self._static_outputs = static_outputs  # non-tensor output leaves, returned as traced
        self.eager_reason = eager_reason
        self._tape_unsafe = tape_unsafe
        self.function: Function | None = None
        self.structured_input_signature: Any = None
        self._parameters: list[tuple[str, Any]] = []  # (name, TensorSpec or Python value)
        self.structured_outputs: Any = None
        self._signature_text = ""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Runs this trace: tensors for its tensor parameters (by position or name); its
        Python parameters keep the values it was traced with. Other dtypes raise TF's
        InvalidArgumentError, other Python values its TypeError."""
        assert self.function is not None
        from tapeflow.errors import InvalidArgumentError
        from tapeflow.tensor_spec import TensorSpec

        given = dict(zip((n for n, _ in self._parameters), args)) | kwargs
        full = []
        for i, (name, spec) in enumerate(self._parameters):
            if not isinstance(spec, TensorSpec):
                if name in given and given[name] != spec:
                    raise TypeError(
                        f"Binding inputs to tf.function failed due to `Can not cast "
                        f"{given[name]!r} to {_type_text(spec)}`."
                    )
                full.append(spec)
                continue
            value = convert_to_tensor(given[name]) if name in given else None
            if value is None:
                raise TypeError(f"Missing required tensor argument: {name}")
            if value.dtype != spec.dtype:
                raise InvalidArgumentError(
                    f"cannot compute {getattr(self.function, '__name__', 'function')} as input "
                    f"#{i}(zero-based) was expected to be a "
                    f"{_op._tf_type_name(spec.dtype._np)} tensor but is a "
                    f"{_op._tf_type_name(value.dtype._np)} tensor"
                )
            full.append(value)
        return self.function(*full)

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        """TF's text: the parameters' types, the output's, and the captured variables."""
        return self._signature_text

    def __str__(self) -> str:
        return f"ConcreteFunction {self._signature_text}"

    __repr__ = __str__

    def _run(self, leaves: list[Any]) -> Any:
        """Runs the graph on the call's leaves; op by op through bind() if a tape records."""
        assert self.graph is not None
        if _op._active and _op.state.recorders:
            return self._run_recorded(leaves)
        raw = [
            x._handle if kind == _Leaf.VARIABLE else _raw_input(x)
            for x, kind in zip(leaves, self._kinds)
            if kind != _Leaf.STATIC
        ]
        return self._outputs([_wrap(v) for v in self.graph.run(*raw)])

    def _run_recorded(self, leaves: list[Any]) -> Any:
        assert self.graph is not None
        if self._tape_unsafe is not None:
            return _PYTHON  # the caller runs the Python function instead
        inputs = [
            x if kind == _Leaf.VARIABLE else _as_tensor(x)
            for x, kind in zip(leaves, self._kinds)
            if kind != _Leaf.STATIC
        ]
        return self._outputs(self.graph.run_recorded(inputs, _op.bind, _op.read_variable))

    def _outputs(self, outs: list[Any]) -> Any:
        it = iter(outs)
        statics = iter(self._static_outputs)
        flat = [next(it) if is_tensor else next(statics) for is_tensor in self._output_template]
        return _rebuild(self._output_key, iter(flat)) if self._output_key else flat[0]


_PYTHON = object()  # _run's answer when the Python function must run instead of the graph


def _raw_input(x: Any) -> Any:
    if isinstance(x, Tensor):
        return _graph.raw_get(x)
    return to_array(x)


_UNKNOWN_DIMS = object()  # shown shape: every dimension unknown (a reduce_retracing trace)


@contextlib.contextmanager
def _silenced_print() -> Any:
    """Python's print does nothing while a trace TF would not have made runs."""
    original = builtins.print
    builtins.print = lambda *args, **kwargs: None
    try:
        yield
    finally:
        builtins.print = original


def _as_output(x: Any) -> Any:
    if type(x) in _variable_types():
        return _op.read_variable(x)
    if isinstance(x, (bool, int, float, complex, str, bytes, np.ndarray, np.generic)):
        return convert_to_tensor(x)
    return x


def _as_outputs(result: Any) -> tuple[Any, Any, list[Any]]:
    """The result with Variables read and Python numbers made tensors (as TF returns them),
    its structure key and its leaves."""
    leaves: list[Any] = []
    key = _flatten(result, leaves) if _is_structure(result) else None
    if key is None:
        leaves = [result]
    converted = [_as_output(x) for x in leaves]
    result = _rebuild(key, iter(converted)) if key is not None else converted[0]
    return result, key, converted


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else _wrap(to_array(x))


# ---------------------------------------------------------------------------------------------
# Function


class Function:
    """What `@tf.function` returns: traces per input signature, then runs the graphs.

    >>> import tapeflow as tf
    >>> @tf.function
    ... def f(x):
    ...     print("tracing")
    ...     return x * x
    >>> float(f(tf.constant(3.0)))
    tracing
    9.0
    >>> float(f(tf.constant(4.0)))  # same signature: the graph runs, Python does not
    16.0
    >>> f.experimental_get_tracing_count()
    1
    """

    def __init__(
        self,
        python_function: Callable[..., Any],
        input_signature: Any = None,
        reduce_retracing: bool = False,
        name: str | None = None,
    ) -> None:
        self.python_function = python_function
        self.input_signature = None if input_signature is None else list(input_signature)
        self._reduce_retracing = reduce_retracing
        self._cache: dict[Any, tuple[ConcreteFunction, list[Any]]] = {}
        self._public_keys: set[Any] = set()  # the traces TF would have made
        self._seen_ranks: set[Any] = set()
        self._public_concretes: list[ConcreteFunction] = []
        self._bound: weakref.WeakKeyDictionary[Any, Function] = weakref.WeakKeyDictionary()
        self._instance: Any = None
        try:
            self._parameters = list(inspect.signature(python_function).parameters)
        except (TypeError, ValueError):
            self._parameters = []
        functools.update_wrapper(self, python_function)

    # -- calling --------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._instance is not None:
            args = (self._instance, *args)
        if _run_eagerly[0]:
            return self.python_function(*args, **kwargs)
        if self.input_signature is not None:
            args, kwargs = self._canonical(args, kwargs)
            args = self._check_signature(args, kwargs)
        args, kwargs, structure, leaves, keyed, key, statics = self._signature(args, kwargs)
        outer = _graph.current()  # called while another function traces
        cached = self._cache.get(key)
        if cached is None:
            concrete, result = self._trace(args, kwargs, structure, leaves, keyed, key, statics)
            if outer is None:
                return result
        else:
            concrete = cached[0]
        if concrete.graph is None:  # not replayable: Python runs (inside a trace: into it)
            return self._run_python(args, kwargs)
        # inside another trace, the graph runs op by op and so becomes part of the outer one
        out = concrete._run_recorded(leaves) if outer is not None else concrete._run(leaves)
        return self._run_python(args, kwargs) if out is _PYTHON else out

    def _run_python(self, args: Any, kwargs: Any) -> Any:
        """The Python function, eagerly, in place of a graph: its results are returned as a
        graph's would be, and Python's print is muted (TF runs Python only while tracing)."""
        with _silenced_print():
            return _as_outputs(self.python_function(*args, **kwargs))[0]

    def _canonical(self, args: Any, kwargs: Any) -> tuple[Any, Any]:
        """Arguments given by name moved to their positions, so f(x) and f(a=x) share a
        trace (TF binds them to the signature the same way)."""
        if not kwargs:
            return args, kwargs
        try:
            bound = inspect.signature(self.python_function).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return args, kwargs  # the call itself will raise Python's error
        return bound.args, bound.kwargs

    def _signature(self, args: Any, kwargs: Any) -> tuple[Any, ...]:
        """(args, kwargs, structure, leaves, leaf keys, cache key, objects the key holds)."""
        args, kwargs = self._canonical(args, kwargs)
        leaves: list[Any] = []
        structure = _flatten((args, kwargs), leaves)
        statics: list[Any] = []
        keyed = [_leaf_key(x, statics) for x in leaves]
        key = (structure, tuple(k for k, _ in keyed))
        return args, kwargs, structure, leaves, keyed, key, statics

    def _visibility(self, key: Any) -> tuple[bool, bool]:
        """(whether this trace is one TF would make, whether its shapes are relaxed).

        tapeflow's graphs hold concrete shapes, so a relaxed signature (input_signature,
        reduce_retracing) is traced again for each new shape, but silently: TF would not
        have run the Python function.
        """
        if self.input_signature is not None:
            public = "input_signature" not in self._public_keys
            self._public_keys.add("input_signature")
            return public, True
        if not self._reduce_retracing:
            self._public_keys.add(key)
            return True, False
        structure, leaves = key
        relaxed = (structure, tuple((k[0], len(k[1]), k[2]) if k[0] in "TV" else k for k in leaves))
        if ("relaxed", relaxed) in self._public_keys:
            return False, True
        if relaxed in self._seen_ranks:  # TF's second shape of a rank: one relaxed trace
            self._public_keys.add(("relaxed", relaxed))
            return True, True
        self._seen_ranks.add(relaxed)
        self._public_keys.add(key)
        return True, False

    def _trace(
        self,
        args: Any,
        kwargs: Any,
        structure: Any,
        leaves: list[Any],
        keyed: list[tuple[Any, int]],
        key: Any,
        statics: list[Any],
    ) -> tuple[ConcreteFunction, Any]:
        public, relaxed = self._visibility(key)
        kinds = [kind for _, kind in keyed]
        specs = self._shown_specs(len(leaves)) if relaxed else None
        run = functools.partial(self._run_trace, args, kwargs, structure, leaves, kinds, specs)
        tracer, inputs, result, returned = run(public)
        if tracer.created_variables and tracer.value_read is None and _graph.current() is None:
            # As TF: a first trace that makes variables only makes them; the function is
            # traced again, and that trace must make none.
            tracer.undo_writes()
            tracer.finish(None)
            self._public_keys.add(("variables made", key))
            tracer, inputs, result, returned = run(public)
            if tracer.created_variables:
                tracer.undo_writes()
                tracer.finish(None)
                raise ValueError(
                    "tf.function only supports singleton tf.Variables created on the first "
                    "call. Make sure the tf.Variable is only created once or created outside "
                    "tf.function. See https://www.tensorflow.org/guide/function#creating_"
                    "tfvariables for more information."
                )
        result, output_key, out_leaves = _as_outputs(result)
        outputs = [tracer.register_of(x) for x in out_leaves if isinstance(x, Tensor)]
        tracer.finish(returned)
        for output in tracer.pending:  # tf.print: the graph's run, after its trace
            output()
        reason = tracer.value_read
        graph = None if reason is not None else _graph.Graph(tracer, inputs, outputs)
        concrete = ConcreteFunction(
            graph,
            kinds,
            output_key,
            [isinstance(x, Tensor) for x in out_leaves],
            [x for x in out_leaves if not isinstance(x, Tensor)],
            reason,
            tracer.tape_unsafe,
        )
        concrete.function = self
        self._describe(concrete, args, kwargs, result, tracer, specs)
        self._cache[key] = (concrete, statics)
        if public:
            self._public_concretes.append(concrete)
        return concrete, result

    def _run_trace(
        self,
        args: Any,
        kwargs: Any,
        structure: Any,
        leaves: list[Any],
        kinds: list[int],
        specs: Any,
        public: bool,
    ) -> tuple[_graph.Tracer, list[int], Any, Any]:
        """Runs the Python function once under a new tracer: (tracer, input registers, result,
        the result's tensors, or None when every traced value must stay usable)."""
        tracer = _graph.Tracer()
        recording = bool(_op._active and _op.state.recorders)
        inputs, traced_leaves = self._placeholders(tracer, args, kwargs, leaves, kinds, specs)
        t_args, t_kwargs = _rebuild(structure, iter(traced_leaves))
        previous = _graph.state.tracer
        _graph.state.tracer = tracer
        _graph.tracing += 1
        _op._count_recorders(1)  # bind() reports to the tracer only while something records
        try:
            with contextlib.nullcontext() if public else _silenced_print():
                result = self.python_function(*t_args, **t_kwargs)
            result = _as_outputs(result)[0]  # (Python numbers become traced constants)
        except BaseException:
            tracer.finish(None)
            raise
        finally:
            _op._count_recorders(-1)
            _graph.tracing -= 1
            _graph.state.tracer = previous
        # values that escape otherwise become unusable, as in TF; not while an outer tape
        # (which holds them) or an outer trace records this one
        escaped_ok = recording or previous is not None
        returned = None if escaped_ok else _leaves_of(result)
        return tracer, inputs, result, returned

    def _describe(
        self,
        concrete: ConcreteFunction,
        args: Any,
        kwargs: Any,
        result: Any,
        tracer: Any,
        specs: Any,
    ) -> None:
        """The signature as TF prints it (pretty_printed_signature, structured_input_signature)."""
        try:
            bound = inspect.signature(self.python_function).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return
        bound.apply_defaults()
        items = list(bound.arguments.items())
        if self._instance is not None:
            items = items[1:]
        shown = iter(specs[1:] if specs and self._instance is not None else specs or [])
        lines = ["Input Parameters:"]
        spec_args = []
        for name, value in items:
            relaxed = next(shown, None) if isinstance(value, Tensor) else None
            text = _type_text(value, relaxed if isinstance(relaxed, TensorShape) else None)
            lines.append(f"  {name} (POSITIONAL_OR_KEYWORD): {text}")
            spec_args.append(_spec_of(value, name))
        lines += ["Output Type:", f"  {_type_text(result)}", "Captures:"]
        captured = [v for v in tracer.constants.values() if type(v) is _graph._Variable]
        if captured:
            lines += [
                f"  {id(c.variable)}: TensorSpec(shape=(), dtype=tf.resource, name=None)"
                for c in captured
            ]
        else:
            lines.append("  None")
        concrete._signature_text = "\n".join(lines)
        names = iter(["Identity"] + [f"Identity_{i}" for i in range(1, 10_000)])
        concrete.structured_outputs = _rebuild_like(
            result, lambda t: _SymbolicOutput(next(names), t.shape, t.dtype)
        )
        concrete.structured_input_signature = (tuple(spec_args), {})
        concrete._parameters = [(name, spec) for (name, _), spec in zip(items, spec_args)]

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        """Every trace's signature, as TF prints them (one per concrete function)."""
        return "\n\n".join(c._signature_text for c in self._public_concretes)

    def _placeholders(
        self, tracer: Any, args: Any, kwargs: Any, leaves: list[Any], kinds: list[int], specs: Any
    ) -> tuple[list[int], list[Any]]:
        """The trace's inputs: a fresh tensor per tensor leaf (linked to outer tapes by an
        Identity op), Variables as themselves; their registers, and the leaves to call with."""
        names = self._leaf_names(args, kwargs, len(leaves))
        recording = _op._active and _op.state.recorders
        traced_leaves: list[Any] = []
        inputs: list[int] = []
        for i, (leaf, kind, name) in enumerate(zip(leaves, kinds, names)):
            if kind == _Leaf.TENSOR:
                if recording and isinstance(leaf, Tensor):  # outer tapes: link the placeholder
                    t = _op.bind(_op.REGISTRY["Identity"], (leaf,), {})
                else:
                    t = _wrap(_raw_input(leaf))
                shown = None if specs is None else specs[i]
                if shown is _UNKNOWN_DIMS:
                    shown = [None] * np.ndim(_graph.raw_get(t))
                inputs.append(tracer.placeholder(t, name, shown))
                traced_leaves.append(t)
            elif kind == _Leaf.VARIABLE:
                inputs.append(tracer.variable_input(leaf))
                traced_leaves.append(leaf)
            else:
                traced_leaves.append(leaf)
        return inputs, traced_leaves

    def _shown_specs(self, n: int) -> list[Any]:
        """The shapes a relaxed trace's placeholders print: the signature's, else unknown."""
        if self.input_signature is not None:
            specs = [getattr(s, "shape", None) for s in _leaves_of(list(self.input_signature))]
            return ([None] if self._instance is not None else []) + specs + [None] * n
        return [_UNKNOWN_DIMS] * n

    def _leaf_names(self, args: Any, kwargs: Any, n: int) -> list[str]:
        """TF's placeholder names: the parameter's name, then name_1, name_2 for its leaves."""
        names: list[str] = []
        for i, a in enumerate(args):
            base = self._parameters[i] if i < len(self._parameters) else f"args_{i}"
            count = len(_leaves_of(a))
            names += [base] + [f"{base}_{j}" for j in range(1, count)]
        for k, v in sorted(kwargs.items(), key=lambda kv: repr(kv[0])):
            count = len(_leaves_of(v))
            names += [k] + [f"{k}_{j}" for j in range(1, count)]
        return (names + ["input"] * n)[:n]

    def _check_signature(self, args: Any, kwargs: Any) -> tuple[Any, ...]:
        """The arguments checked against `input_signature`, Python values made tensors of
        their spec (as TF converts them); TF's TypeError for what does not fit."""
        from tapeflow.tensor_spec import TensorSpec

        own = args[1:] if self._instance is not None else args
        specs_ = self.input_signature or []
        own = tuple(
            convert_to_tensor(a, dtype=sp.dtype)
            if isinstance(sp, TensorSpec) and not _is_tensor_arg(a)
            else a
            for a, sp in zip(own, specs_)
        ) + tuple(own[len(specs_) :])
        args = (args[0], *own) if self._instance is not None else own
        given = list(own) + list(kwargs.values())
        specs = self.input_signature or []
        if len(given) != len(specs):
            raise TypeError(
                f"{getattr(self, '__name__', 'function')}() takes {len(specs)} arguments as given "
                f"by the input signature, but {len(given)} were given."
            )
        for spec, value in zip(specs, given):
            problem = _spec_mismatch(spec, value)
            if problem is not None:
                names = [p for p in self._parameters if p != "self"][: len(specs)]
                signature = ", ".join(f"{n}: {sp}" for n, sp in zip(names, specs))
                shown_args = tuple(args[1:] if self._instance is not None else args)
                raise TypeError(
                    f"Binding inputs to tf.function failed due to `{problem}`. Received args: "
                    f"{shown_args!r} and kwargs: {kwargs!r} for signature: ({signature})."
                )
        return tuple(args)

    # -- TF's inspection API --------------------------------------------------------------

    def experimental_get_tracing_count(self) -> int:
        """How many times TF would have traced the Python function (its concrete functions)."""
        return len(self._public_keys)

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        """The trace for these arguments (tracing now if needed); TensorSpecs stand for tensors
        of their shape (None dimensions: 1) filled with zeros."""
        if not args and not kwargs and self.input_signature is not None:
            args = tuple(self.input_signature)
        args = tuple(_spec_value(a) for a in args)
        kwargs = {k: _spec_value(v) for k, v in kwargs.items()}
        if self._instance is not None:
            args = (self._instance, *args)
        args, kwargs, structure, leaves, keyed, key, statics = self._signature(args, kwargs)
        if key not in self._cache:
            self._trace(args, kwargs, structure, leaves, keyed, key, statics)
        return self._cache[key][0]

    def eager_reason(self, *args: Any, **kwargs: Any) -> str | None:
        """Why calls with these arguments run the Python function eagerly (None: they don't)."""
        reason: str | None = self.get_concrete_function(*args, **kwargs).eager_reason
        return reason

    # -- methods ---------------------------------------------------------------------------

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        try:
            bound = self._bound.get(instance)
        except TypeError:  # an instance that cannot be weakly referenced
            bound = None
        if bound is None:
            bound = Function(self.python_function, self.input_signature, self._reduce_retracing)
            bound._instance = instance
            bound.__self__ = instance  # type: ignore[attr-defined]
            try:
                self._bound[instance] = bound
            except TypeError:
                pass
        return bound

    def __repr__(self) -> str:
        return f"<tapeflow.Function {getattr(self, '__name__', '?')}>"


class _SymbolicOutput:
    """A graph output as TF shows one: `Tensor("Identity:0", shape=(), dtype=float32)`."""

    def __init__(self, name: str, shape: TensorShape, dtype: Any) -> None:
        self.name, self.shape, self.dtype = f"{name}:0", shape, dtype

    def __repr__(self) -> str:
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self.dtype.name})'


def _rebuild_like(structure: Any, fn: Any) -> Any:
    """`structure` with fn applied to its tensors."""
    if isinstance(structure, Tensor):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _rebuild_like(v, fn) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [_rebuild_like(v, fn) for v in structure]
        return type(structure)(items) if type(structure) in (list, tuple) else items
    return structure


def _type_text(x: Any, shape: TensorShape | None = None) -> str:
    """How TF prints a value's type in a signature: TensorSpec, Literal, Tuple, List, Dict."""
    if isinstance(x, (Tensor, np.ndarray, np.generic)) or type(x) in _variable_types():
        shown = TensorShape(x.shape) if shape is None else shape
        return f"TensorSpec(shape={shown}, dtype=tf.{_tf_dtype_name(x.dtype.name)}, name=None)"
    if isinstance(x, tuple):
        return f"Tuple[{', '.join(_type_text(v) for v in x)}]"
    if isinstance(x, list):
        return f"List[{', '.join(_type_text(v) for v in x)}]"
    if isinstance(x, dict):
        items = sorted(x.items(), key=lambda kv: repr(kv[0]))
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(v)}]" for k, v in items) + "]"
    if x is None or isinstance(x, (bool, int, float, complex, str, bytes)):
        return f"Literal[{x!r}]"
    return repr(type(x))


def _tf_dtype_name(name: str) -> str:
    from tapeflow import dtypes

    return dtypes.as_dtype(name).name


def _spec_of(x: Any, name: str) -> Any:
    from tapeflow.tensor_spec import TensorSpec

    if isinstance(x, (Tensor, np.ndarray, np.generic)):
        t = x if isinstance(x, Tensor) else _wrap(to_array(x))
        return TensorSpec(np.shape(_graph.raw_get(t)), t.dtype, name)
    return x


def _leaves_of(x: Any) -> list[Any]:
    leaves: list[Any] = []
    _flatten(x, leaves)
    return leaves


def _is_structure(x: Any) -> bool:
    return type(x) in (list, tuple, dict) or (isinstance(x, tuple) and hasattr(x, "_fields"))


def _spec_value(x: Any) -> Any:
    """A TensorSpec as a zero tensor of its shape (unknown dimensions: 1)."""
    from tapeflow.tensor_spec import TensorSpec

    if isinstance(x, TensorSpec):
        shape = [1 if d is None else d for d in (x.shape.as_list() if x.shape.rank else [])]
        return _wrap(to_array(np.zeros(shape, dtype=x.dtype._np)))
    return x


def _is_tensor_arg(x: Any) -> bool:
    return isinstance(x, Tensor) or type(x) in _variable_types()


def _spec_mismatch(spec: Any, value: Any) -> str | None:
    """Why `value` does not fit the TensorSpec `spec` (TF's words), or None."""
    from tapeflow.tensor_spec import TensorSpec

    if not isinstance(spec, TensorSpec):
        return None
    if not (isinstance(value, Tensor) or type(value) in _variable_types()):
        try:
            value = _wrap(to_array(value))
        except (TypeError, ValueError):
            return f"Can not cast {value!r} to {spec}"
    got = TensorSpec(value.shape, value.dtype)
    if spec.shape.is_compatible_with(got.shape) and got.dtype == spec.dtype:
        return None
    return f"Can not cast {got} to {spec}"


def function(
    func: Callable[..., Any] | None = None,
    input_signature: Any = None,
    autograph: bool = True,
    jit_compile: Any = None,
    reduce_retracing: bool = False,
    experimental_implements: Any = None,
    experimental_autograph_options: Any = None,
    experimental_attributes: Any = None,
    experimental_relax_shapes: Any = None,
    experimental_compile: Any = None,
    experimental_follow_type_hints: Any = None,
) -> Any:
    """Decorator: `@tf.function` or `@tf.function(input_signature=..., reduce_retracing=...)`.

    >>> import tapeflow as tf
    >>> @tf.function
    ... def square(x):
    ...     return x * x
    >>> float(square(tf.constant(3.0)))
    9.0
    """
    relax = bool(reduce_retracing or experimental_relax_shapes)
    if func is None:
        return lambda f: Function(f, input_signature, relax)
    return Function(func, input_signature, relax)
