"""tf.Variable: the one mutable thing. Reads give Tensors; only assign* changes the value.

Every read (`v * 2`, `tf.identity(v)`, `v.value()`) is recorded by active tapes as a
ReadVariableOp entry from the Variable to a fresh Tensor holding the value at that moment, so a
later `assign` never changes an earlier recording (TF's semantics). `assign` replaces the held
NumPy value instead of writing into it, because tensors read earlier may share it.
"""

from __future__ import annotations

import enum
import itertools
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow import graph as _graph
from tapeflow.dtypes import DType
from tapeflow.op import read_variable, untraced_value, variable_types
from tapeflow.tensor import (
    DEVICE,
    Reference,
    Tensor,
    TensorShape,
    conversion_error,
    convert_to_tensor,
    numpy_text,
    register_tensor_conversion_function,
    to_array,
)

__all__ = ["Variable", "VariableSynchronization", "VariableAggregation", "VariableAggregationV2"]


class VariableSynchronization(enum.Enum):
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregationV2(enum.Enum):
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


VariableAggregation = VariableAggregationV2  # TF's public name for the V2 enum


_creation_order = itertools.count()


def _refcount_baseline() -> int:
    """sys.getrefcount of an array held only by one slot and one local, on this interpreter."""

    class Holder:
        __slots__ = ("value",)
        value: np.ndarray

    holder = Holder()
    holder.value = np.zeros(1)
    arr = holder.value
    return sys.getrefcount(arr)


# Exact reference counts are a CPython property; elsewhere, never update in place.
_BASELINE = _refcount_baseline() if sys.implementation.name == "cpython" else -1


def _unshared(arr: np.ndarray) -> bool:
    """True if only the variable holds `arr` and `arr` owns its memory (is no view)."""
    return arr.flags.owndata and sys.getrefcount(arr) - 1 == _BASELINE  # -1: our argument


def _python_read(v: Any, what: str) -> None:
    if _graph.tracing:
        _graph.value_read(f"variable {v._handle._name!r} read in Python ({what})")


# What a traced variable write does when the graph runs again (see tapeflow/graph.py)
def _replay_assign(v: Variable, new: Any) -> None:
    v._set(new, False)


def _replay_add(v: Variable, d: Any) -> None:
    v._apply(d, np.add)


def _replay_sub(v: Variable, d: Any) -> None:
    v._apply(d, np.subtract)


class Variable:
    """A mutable tensor-valued state, watched automatically by GradientTape when trainable.

    >>> import tapeflow as tf
    >>> v = tf.Variable(1.0, name="w1")
    >>> v
    <tf.Variable 'w1:0' shape=() dtype=float32, numpy=1.0>
    >>> (v + 1.0).numpy(), v.assign_add(2.0).numpy()
    (np.float32(2.0), np.float32(3.0))
    """

    __slots__ = (
        "_value",
        "_trainable",
        "_name",
        "_uid",
        "_shape",
        "_constraint",
        "_synchronization",
        "_aggregation",
        "_initial_value",
        "__weakref__",
    )
    __array_priority__ = 100
    _value: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        variable_types.add(cls)  # so bind() reads subclasses (Keras variables) the same way

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool | None = None,
        validate_shape: bool = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        import_scope: Any = None,
        constraint: Any = None,
        synchronization: VariableSynchronization = VariableSynchronization.AUTO,
        aggregation: VariableAggregation = VariableAggregation.NONE,
        shape: Any = None,
        experimental_enable_variable_lifting: bool = True,
    ) -> None:
        if initial_value is None:
            raise ValueError(
                "The `initial_value` arg to `tf.Variable` must be specified except when you are "
                "not providing a `variable_def`. You provided neither."
            )
        if callable(initial_value):
            initial_value = initial_value()
        requested = None if dtype is None else dtypes.as_dtype(dtype)
        if isinstance(initial_value, Tensor) or type(initial_value) in variable_types:
            value = np.asarray(
                untraced_value(initial_value)
            )  # a variable made while tracing: its start
            if requested is not None and value.dtype != requested._np:
                value = value.astype(requested._np)  # TF casts an initial tensor to `dtype`
            value = value.copy()
        else:
            value = np.array(to_array(initial_value, requested), copy=True)
        self._value = value[()] if value.ndim == 0 else value
        if trainable is None:
            trainable = synchronization is not VariableSynchronization.ON_READ
        self._trainable = bool(trainable)
        self._name = (name or "Variable") + ":0"
        self._uid = next(_creation_order)
        if _graph.tracing and (tracer := _graph.current()) is not None:
            tracer.created_variables += 1
        self._shape = TensorShape(value.shape) if shape is None else TensorShape(shape)
        self._constraint = constraint
        self._synchronization = synchronization
        self._aggregation = aggregation
        self._initial_value = self._value

    # -- properties -------------------------------------------------------------------------

    @property
    def dtype(self) -> DType:
        return dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    @property
    def name(self) -> str:
        return self._name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def device(self) -> str:
        return DEVICE

    @property
    def constraint(self) -> Any:
        return self._constraint

    @property
    def synchronization(self) -> VariableSynchronization:
        return self._synchronization

    @property
    def aggregation(self) -> VariableAggregation:
        return self._aggregation

    @property
    def initial_value(self) -> Tensor:
        return convert_to_tensor(self._initial_value)

    # -- reading ----------------------------------------------------------------------------

    @property
    def _handle(self) -> Variable:
        return self

    def value(self) -> Tensor:
        return read_variable(self)

    def read_value(self) -> Tensor:
        return read_variable(self)

    def numpy(self) -> Any:
        _python_read(self, ".numpy()")
        value = self._value
        return value.copy() if isinstance(value, np.ndarray) else value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        _python_read(self, "np.asarray")
        return np.asarray(self._value, dtype=dtype)

    # -- writing ----------------------------------------------------------------------------

    def _new_value(self, value: Any, what: str) -> Any:
        """`value` as this variable's dtype and shape; safe to keep (tensors are immutable)."""
        if isinstance(value, Tensor) or type(value) in variable_types:
            new = untraced_value(value)
            if new.dtype != self._value.dtype:
                raise conversion_error(self.dtype, value)
        else:
            new = to_array(value, self.dtype, copy=True)  # the caller may change its array
        new_shape = np.shape(new)
        if self._shape.is_fully_defined() and new_shape != np.shape(self._value):
            raise ValueError(
                f"Cannot {what} value to variable ' {self._name}': Shape mismatch.The variable "
                f"shape {TensorShape(np.shape(self._value))}, and the assigned value shape "
                f"{TensorShape(new_shape)} are incompatible."
            )
        return new

    def _set(self, new: Any, read_value: bool) -> Variable | None:
        if isinstance(new, np.ndarray) and new.ndim == 0:
            new = new[()]
        self._value = new
        return _UnreadVariable(self) if read_value else None

    def _update(self, delta: Any, what: str, ufunc: Any, read_value: bool) -> Variable | None:
        d = self._new_value(self._traced_read(delta), what)
        if _graph.tracing and (tracer := _graph.current()) is not None:
            tracer.effect(_replay_add if ufunc is np.add else _replay_sub, [self, d])
        self._apply(d, ufunc)
        return _UnreadVariable(self) if read_value else None

    def _apply(self, d: Any, ufunc: Any) -> None:
        arr = self._value
        if type(arr) is np.ndarray and _unshared(arr):
            # Nothing else holds the array (no live tensor read it), so update it in place:
            # an optimizer step then costs what `w -= lr * g` costs in NumPy.
            ufunc(arr, d, out=arr)
            self._set(arr, False)
        else:
            self._set(ufunc(arr, d), False)

    @staticmethod
    def _traced_read(value: Any) -> Any:
        """While tracing, another variable given as a value is read as an op (not baked in)."""
        if _graph.tracing and type(value) in variable_types:
            return read_variable(value)
        return value

    def assign(
        self,
        value: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Variable | None:
        new = self._new_value(self._traced_read(value), "assign")
        if _graph.tracing and (tracer := _graph.current()) is not None:
            tracer.effect(_replay_assign, [self, new])
        return self._set(new, read_value)

    def assign_add(
        self,
        delta: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Variable | None:
        return self._update(delta, "add", np.add, read_value)

    def assign_sub(
        self,
        delta: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Variable | None:
        return self._update(delta, "subtract", np.subtract, read_value)

    def scatter_slice(self, key: Any, value: Any, read_value: bool = True) -> Variable | None:
        """`v[key].assign(value)`: writes `value` into one slice (the rest is unchanged)."""
        if _graph.tracing:  # not recorded as a graph write yet: the function runs eagerly
            _graph.value_read(f"slice assignment to variable {self._name!r}")
        new = np.array(self._value, copy=True)
        new[key] = self._new_slice_value(value, np.shape(new[key]))
        return self._set(new, read_value)

    def _new_slice_value(self, value: Any, shape: tuple[int, ...]) -> Any:
        new = untraced_value(value) if hasattr(value, "_value") else to_array(value, self.dtype)
        if np.shape(new) != shape and np.size(new) != 1:
            raise ValueError(
                f"Cannot assign value of shape {TensorShape(np.shape(new))} to a slice of "
                f"shape {TensorShape(shape)} of variable '{self._name}'."
            )
        return new

    def _inplace_error(self, symbol: str, method: str) -> RuntimeError:
        return RuntimeError(
            f"`variable {symbol}= value` with `tf.Variable`s is not supported. Use "
            f"`variable.{method}(value)` to modify the variable, or `out = variable {symbol} "
            f"value` if you need to get a new output Tensor."
        )

    def __iadd__(self, other: Any) -> Any:
        raise self._inplace_error("+", "assign_add")

    def __isub__(self, other: Any) -> Any:
        raise self._inplace_error("-", "assign_sub")

    def __imul__(self, other: Any) -> Any:
        raise self._inplace_error("*", "assign")

    def __itruediv__(self, other: Any) -> Any:
        raise self._inplace_error("/", "assign")

    # -- identity, printing -----------------------------------------------------------------

    def ref(self) -> Reference:
        return Reference(self)

    experimental_ref = ref

    def __hash__(self) -> int:
        raise TypeError(
            f"Variable is unhashable. Instead, use variable.ref() as the key. (Variable: {self!r})"
        )

    def __repr__(self) -> str:
        if _graph.current() is not None:  # inside tf.function, TF prints no value
            return f"<tf.Variable '{self._name}' shape={self._shape} dtype={self.dtype.name}>"
        return (
            f"<tf.Variable '{self._name}' shape={self._shape} dtype={self.dtype.name}, "
            f"numpy={numpy_text(self._value, is_repr=True)}>"
        )

    def __bool__(self) -> bool:
        _python_read(self, "bool()")
        return bool(self._value)

    def __float__(self) -> float:
        _python_read(self, "float()")
        return float(self._value)

    def __int__(self) -> int:
        _python_read(self, "int()")
        return int(self._value)

    def __index__(self) -> int:
        _python_read(self, "as an index")
        return int(self._value.__index__())

    def __len__(self) -> int:
        if np.ndim(self._value) == 0:
            raise TypeError("len() of unsized object")
        return int(np.shape(self._value)[0])

    def __iter__(self) -> Iterator[Tensor]:
        return iter(read_variable(self))


class _UnreadVariable(Variable):
    """What `assign*` returns: the same variable, printed as TF prints it ('UnreadVariable').

    It shares the variable's value (reading it later sees later assignments), and reads of it
    are recorded as reads of the variable itself, so gradients reach the variable.
    """

    __slots__ = ("_target",)

    def __init__(self, target: Variable) -> None:
        self._target = target

    @property
    def _handle(self) -> Variable:
        return self._target

    @property
    def _value(self) -> Any:
        return self._target._value

    @_value.setter
    def _value(self, value: Any) -> None:
        self._target._value = value

    @property
    def name(self) -> str:
        return "UnreadVariable"

    def __getattr__(self, name: str) -> Any:  # shape, trainable, ...: the variable's own
        return getattr(self._target, name)

    def __repr__(self) -> str:
        return (
            f"<tf.Variable 'UnreadVariable' shape={self._target._shape} dtype={self.dtype.name}, "
            f"numpy={numpy_text(self._value, is_repr=True)}>"
        )


variable_types.add(Variable)
register_tensor_conversion_function(Variable, read_variable)
