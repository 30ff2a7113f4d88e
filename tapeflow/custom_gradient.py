"""tf.custom_gradient, tf.recompute_grad and tf.grad_pass_through.

A call of a `@custom_gradient` function is recorded as ONE entry of the shared op
`CustomGradient`: its inputs are the flattened positional arguments (and the Variables the
function read), its outputs fresh tensors holding the results, and its VJP calls the user's
`grad_fn`, carried in the entry's attrs. The engine treats it like any op: unused outputs get
zero cotangents, jacobians loop over rows (the rule is not marked batched), and outer tapes
record the ops `grad_fn` runs, so nested tapes differentiate through it.

The function body runs with every tape and accumulator paused: its ops are never differentiated
(the entry replaces them), so recording them would only cost time and memory. A watcher on the
recorder stack still sees which Variables it reads, as TF's VariableWatcher does.

Deliberate difference: a ForwardAccumulator also uses `grad_fn` (transposed), so forward and
reverse mode agree; TF's forward mode differentiates the body's own ops instead (for the
log1pexp example at x=100 TF's JVP is NaN, tapeflow's 1.0).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from tapeflow import graph, nest
from tapeflow.op import Op, push_recorder, read_variable, remove_recorder, state, variable_types
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = ["custom_gradient", "recompute_grad", "grad_pass_through"]


def _no_forward(*inputs: Any, grad_fn: Any) -> Any:
    raise RuntimeError("CustomGradient entries are recorded by custom_gradient, never run.")


# One op for every call; each entry carries its own grad_fn. Not registered: it has no forward.
CUSTOM = Op("CustomGradient", _no_forward)


@CUSTOM.defvjp
def _custom_vjp(grad: Any, out: Any, *inputs: Any, grad_fn: Callable[..., Any]) -> Any:
    return grad_fn(*(grad if type(grad) is tuple else (grad,)))


class _VariableWatcher:
    """A recorder that only notes the Variables read while the function body runs."""

    def __init__(self) -> None:
        self.variables: dict[int, Any] = {}

    def record(self, entry: Any) -> None:
        pass

    def record_read(self, variable: Any, entry: Any) -> None:
        self.variables.setdefault(id(variable), variable)


def _run_unrecorded(f: Callable[..., Any], args: Any, kwargs: Any) -> tuple[Any, list[Any]]:
    """f(*args, **kwargs) with all recorders paused; also returns the Variables it read."""
    saved = state.recorders
    state.recorders = []
    watcher = _VariableWatcher()
    push_recorder(watcher)
    try:
        out = f(*args, **kwargs)
    finally:
        remove_recorder(watcher)
        state.recorders = saved
    return out, list(watcher.variables.values())


def _accepts_variables(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)


def _as_input(a: Any) -> Tensor:
    """An entry input: a Variable is read now (tapes watch it), anything else is a Tensor."""
    if type(a) in variable_types:
        return read_variable(a)
    return a if isinstance(a, Tensor) else convert_to_tensor(a)


def _as_gradient(g: Any, x: Tensor) -> Any:
    if g is None or isinstance(g, Tensor) or hasattr(g, "_accumulate"):  # IndexedSlices too
        return g
    return convert_to_tensor(g, dtype_hint=x.dtype)


def _own_output(t: Tensor) -> Tensor:
    """A new Tensor with t's value: the entry's output, which the tapes see as the op's.

    While tracing (tf.function) it stands for the same graph value; a replay recorded op by op
    for an outer tape would lose grad_fn, so such a replay runs the Python function instead.
    """
    new = _wrap(graph.raw_value(t))
    tracer = graph.current()
    if tracer is not None and type(t) is graph.TracedTensor:
        tracer.alias(t, new)
        tracer.tape_unsafe = tracer.tape_unsafe or "tf.custom_gradient"
    return new


def _call(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    (result, grad_fn), read = _run_unrecorded(f, args, kwargs)
    flat_args = nest.flatten(args)
    everything = flat_args + nest.flatten(kwargs)
    # the Variables the body used without being given them: grad_fn owes them gradients
    variables = [v for v in read if not any(v is a for a in everything)]
    if variables and not _accepts_variables(grad_fn):
        raise TypeError(
            "@tf.custom_gradient grad_fn must accept keyword argument 'variables', since "
            f"function uses variables: {variables}"
        )
    flat_result = nest.flatten(result)
    outputs = tuple(_own_output(convert_to_tensor(r)) for r in flat_result)
    inputs = tuple(_as_input(a) for a in flat_args + variables)
    n_args = len(flat_args)

    def actual_grad_fn(*dys: Any) -> list[Any]:
        if variables:
            input_grads, variable_grads = grad_fn(*dys, variables=variables)
            if len(variable_grads) != len(variables):
                raise ValueError(
                    "Must return gradient for each variable from @custom_gradient grad_fn."
                )
        else:
            input_grads, variable_grads = grad_fn(*dys), []
        flat = nest.flatten(input_grads)
        if len(flat) != n_args:
            raise ValueError(
                f"custom_gradient function expected to return {n_args} gradients, but returned "
                f"{len(flat)} instead."
            )
        return [_as_gradient(g, x) for g, x in zip([*flat, *variable_grads], inputs)]

    recorders = state.recorders
    if recorders:
        entry = (CUSTOM, inputs, outputs, {"grad_fn": actual_grad_fn}, len(outputs) > 1)
        for r in list(recorders):
            r.record(entry)
    return nest.pack_sequence_as(result, list(outputs))


class _CustomGradient:
    """The decorated function; binds like a function when used on a method."""

    def __init__(self, f: Callable[..., Any]) -> None:
        self._f = f
        functools.update_wrapper(self, f)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._f, args, kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return _CustomGradient(functools.partial(self._f, instance))


def custom_gradient(f: Callable[..., Any] | None = None) -> Any:
    """Decorator: `f(*x)` returns `(y, grad_fn)`, and `grad_fn(*dy)` gives the gradients.

    `grad_fn` gets one upstream gradient per flattened output (zeros for unused outputs) and
    returns one gradient per flattened positional input (None allowed). If `f` reads Variables
    it was not given, `grad_fn` must take a `variables` keyword and return
    `(input_grads, variable_grads)`. Keyword arguments are not differentiated.

    >>> import tapeflow as tf
    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...     e = tf.exp(x)
    ...     def grad(upstream):
    ...         return upstream * (1 - 1 / (1 + e))
    ...     return tf.math.log(1 + e), grad
    >>> x = tf.constant(100.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> float(tape.gradient(y, x))
    1.0
    """
    if f is None:
        return custom_gradient
    return _CustomGradient(f)


def _watchable(a: Any) -> bool:
    return (isinstance(a, Tensor) or type(a) in variable_types) and a._value.dtype.kind in "fc"


def recompute_grad(f: Callable[..., Any]) -> Callable[..., Any]:
    """`f` that keeps nothing for the backward pass: it runs again when gradients are needed.

    Gradient checkpointing: the forward pass records one entry (the inputs), not f's
    intermediates; the backward pass recomputes f under a tape and differentiates that.

    >>> import tapeflow as tf
    >>> block = tf.recompute_grad(lambda x: tf.tanh(x) * x)
    >>> x = tf.constant(0.5)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = block(x)
    >>> round(float(tape.gradient(y, x)), 6)
    0.855341
    """
    from tapeflow.tape import GradientTape

    def inner(*args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)

        def grad_fn(*dresult: Any, variables: Any = None) -> Any:
            from tapeflow.ops.math import identity

            variables = list(variables or [])
            # a fresh copy per argument position, so `f(x, x)` gets one gradient per position
            copies = [identity(a) if _watchable(a) else a for a in nest.flatten(args)]
            watched = [a for a in copies + variables if _watchable(a)]
            with GradientTape(watch_accessed_variables=False, strict=False) as tape:
                tape.watch(watched)
                again = f(*nest.pack_sequence_as(args, copies), **kwargs)
            grads = iter(tape.gradient(again, watched, output_gradients=list(dresult)))
            per_arg = [next(grads) if _watchable(a) else None for a in copies]
            per_variable = [next(grads) if _watchable(v) else None for v in variables]
            return (per_arg, per_variable) if variables else per_arg

        return result, grad_fn

    checkpointed = _CustomGradient(inner)

    @functools.wraps(f)
    def recomputed(*args: Any, **kwargs: Any) -> Any:
        return checkpointed(*args, **kwargs)

    return recomputed


def grad_pass_through(f: Callable[..., Any]) -> Callable[..., Any]:
    """`f` forward, identity backward: a straight-through estimator.

    >>> import tapeflow as tf
    >>> x = tf.constant([-0.3, 1.7])
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = tf.grad_pass_through(tf.sign)(x) * 2.0
    >>> tape.gradient(y, x).numpy().tolist()
    [2.0, 2.0]
    """

    def inner(*args: Any, **kwargs: Any) -> Any:
        def grad(*dys: Any, variables: Any = None) -> Any:
            if variables is not None:  # Variables used inside f get no gradient
                return list(dys), [None] * len(variables)
            return list(dys)

        return f(*args, **kwargs), grad

    passthrough = _CustomGradient(inner)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return passthrough(*args, **kwargs)

    return wrapped
