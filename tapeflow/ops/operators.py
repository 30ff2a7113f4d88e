"""Python operators on Tensor and Variable (`x + y`, `x[0]`, `x @ w`, ...), as TF defines them.

They live in the op library because each one is an op; the core's classes get them here.
"""

from __future__ import annotations

import weakref
from typing import Any

from tapeflow.op import bind, bind_pair
from tapeflow.ops import logic
from tapeflow.ops import math as m
from tapeflow.ops.indexing import gather, gather_nd
from tapeflow.ops.linalg import matmul
from tapeflow.ops.slicing import _numpy_key, getitem, strided_slice_key
from tapeflow.tape import add
from tapeflow.tensor import Tensor
from tapeflow.variables import Variable


def _binary(op_: Any) -> tuple[Any, Any]:
    def forward(self: Any, other: Any) -> Any:
        return bind_pair(op_, self, other)

    def reflected(self: Any, other: Any) -> Any:
        return bind_pair(op_, other, self)

    return forward, reflected


def _truediv(self: Any, other: Any) -> Any:
    return m.truediv(self, other)


def _rtruediv(self: Any, other: Any) -> Any:
    return m.truediv(other, self)


def _eq(self: Any, other: Any) -> Any:
    # TF 2: elementwise; None and incompatible shapes compare unequal rather than raise
    if other is None:
        return False
    try:
        return logic.equal(self, other)
    except Exception:
        return False


def _ne(self: Any, other: Any) -> Any:
    if other is None:
        return True
    try:
        return logic.not_equal(self, other)
    except Exception:
        return True


def _logical(bool_op: Any, bit_op: Any) -> tuple[Any, Any]:
    def pick(x: Any) -> Any:
        return bool_op if getattr(x, "_value", x).dtype.kind == "b" else bit_op

    def forward(self: Any, other: Any) -> Any:
        return pick(self)(self, other)

    def reflected(self: Any, other: Any) -> Any:
        return pick(self)(other, self)

    return forward, reflected


def _invert(self: Any) -> Any:
    return logic.logical_not(self) if self._value.dtype.kind == "b" else logic.invert(self)


_OPERATORS: dict[str, Any] = {
    "__neg__": lambda self: bind(m.negative, (self,), {}),
    "__abs__": lambda self: bind(m.abs, (self,), {}),
    "__pos__": lambda self: self if type(self) is Tensor else m.identity(self),
    "__invert__": _invert,
    "__truediv__": _truediv,
    "__rtruediv__": _rtruediv,
    "__matmul__": matmul,
    "__rmatmul__": lambda self, other: matmul(other, self),
    "__getitem__": getitem,
    "__eq__": _eq,
    "__ne__": _ne,
    "__lt__": lambda self, other: bind_pair(logic.less, self, other),
    "__le__": lambda self, other: bind_pair(logic.less_equal, self, other),
    "__gt__": lambda self, other: bind_pair(logic.greater, self, other),
    "__ge__": lambda self, other: bind_pair(logic.greater_equal, self, other),
}
for _name, _op in [
    ("add", add),
    ("sub", m.subtract),
    ("mul", m.multiply),
    ("floordiv", m.floordiv),
    ("mod", m.floormod),
    ("pow", m.pow),
]:
    _OPERATORS[f"__{_name}__"], _OPERATORS[f"__r{_name}__"] = _binary(_op)
for _name, (_bool, _bit) in {
    "and": (logic.logical_and, logic.bitwise_and),
    "or": (logic.logical_or, logic.bitwise_or),
    "xor": (logic.logical_xor, logic.bitwise_xor),
}.items():
    _OPERATORS[f"__{_name}__"], _OPERATORS[f"__r{_name}__"] = _logical(_bool, _bit)


class _VariableSlice(Tensor):
    """`v[key]`: a Tensor that also knows how to assign into that slice of `v` (as in TF)."""

    __slots__ = ()

    def assign(
        self,
        value: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Any:
        variable, key = _SLICES[id(self)]
        return variable.scatter_slice(key, value, read_value)


_VariableSlice.__name__ = _VariableSlice.__qualname__ = "Tensor"  # to users it is a Tensor
_SLICES: dict[int, tuple[Variable, Any]] = {}


def _variable_getitem(self: Variable, key: Any) -> Tensor:
    out = getitem(self, key)
    out.__class__ = _VariableSlice  # same layout, one more method; the recording is unchanged
    k = id(out)
    _SLICES[k] = (self, _numpy_key(strided_slice_key(key)))
    weakref.finalize(out, _SLICES.pop, k, None)
    return out


def _sparse_read(self: Variable, indices: Any, name: str | None = None) -> Tensor:
    """Rows `indices` of the variable; its gradient is an IndexedSlices (TF)."""
    return gather(self, indices)


def _gather_nd(self: Variable, indices: Any, name: str | None = None) -> Tensor:
    """`tf.gather_nd(v, indices)`; its gradient is dense (TF)."""
    return gather_nd(self, indices)


def install() -> None:
    for cls in (Tensor, Variable):
        for name, fn in _OPERATORS.items():
            setattr(cls, name, fn)
    setattr(Variable, "__getitem__", _variable_getitem)  # noqa: B010 - after the loop above
    setattr(Variable, "sparse_read", _sparse_read)  # noqa: B010
    setattr(Variable, "gather_nd", _gather_nd)  # noqa: B010


install()
