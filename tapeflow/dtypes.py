"""TensorFlow's DType objects on top of NumPy dtypes.

A DType is a thin, interned wrapper around a NumPy dtype that answers the questions TF code
asks (`is_floating`, `min`, `max`, ...). There is one DType object per type, so `is` works.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = [
    "DType",
    "as_dtype",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "complex64",
    "complex128",
    "string",
    "half",
    "double",
]


class DType:
    """A TensorFlow data type: `tf.float32`, `tf.int32`, ...

    >>> import tapeflow as tf
    >>> tf.float32.is_floating, tf.int8.max, tf.as_dtype("float64") is tf.float64
    (True, 127, True)
    """

    __slots__ = ("name", "_np", "_tf_name")

    def __init__(self, name: str, np_dtype: Any, tf_name: str) -> None:
        self.name = name
        self._np = np.dtype(np_dtype)
        self._tf_name = tf_name  # the name TF's kernels use in error messages ("float", "double")

    @property
    def as_numpy_dtype(self) -> type:
        return self._np.type

    @property
    def is_floating(self) -> builtins.bool:
        return self._np.kind == "f"

    @property
    def is_integer(self) -> builtins.bool:
        return self._np.kind in "iu"

    @property
    def is_unsigned(self) -> builtins.bool:
        return self._np.kind == "u"

    @property
    def is_complex(self) -> builtins.bool:
        return self._np.kind == "c"

    @property
    def is_bool(self) -> builtins.bool:
        return self._np.kind == "b"

    @property
    def is_numpy_compatible(self) -> builtins.bool:
        return True

    @property
    def size(self) -> int:
        return 0 if self is string else int(self._np.itemsize)

    @property
    def itemsize(self) -> int:
        return self.size

    @property
    def real_dtype(self) -> DType:
        if self is complex64:
            return float32
        if self is complex128:
            return float64
        return self

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def min(self) -> Any:
        if self.is_floating:
            return self._np.type(np.finfo(self._np).min)
        if self.is_integer:
            return int(np.iinfo(self._np).min)
        if self.is_bool:
            return False
        raise TypeError(f"Cannot find minimum value of {self}.")

    @property
    def max(self) -> Any:
        if self.is_floating:
            return self._np.type(np.finfo(self._np).max)
        if self.is_integer:
            return int(np.iinfo(self._np).max)
        if self.is_bool:
            return True
        raise TypeError(f"Cannot find maximum value of {self}.")

    def is_compatible_with(self, other: Any) -> builtins.bool:
        return self is as_dtype(other)

    def __repr__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other: object) -> builtins.bool:
        if other is self:
            return True
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other: object) -> builtins.bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> tuple[Any, ...]:
        return as_dtype, (self.name,)


float16 = DType("float16", np.float16, "half")
float32 = DType("float32", np.float32, "float")
float64 = DType("float64", np.float64, "double")
int8 = DType("int8", np.int8, "int8")
int16 = DType("int16", np.int16, "int16")
int32 = DType("int32", np.int32, "int32")
int64 = DType("int64", np.int64, "int64")
uint8 = DType("uint8", np.uint8, "uint8")
uint16 = DType("uint16", np.uint16, "uint16")
uint32 = DType("uint32", np.uint32, "uint32")
uint64 = DType("uint64", np.uint64, "uint64")
bool = DType("bool", np.bool_, "bool")
complex64 = DType("complex64", np.complex64, "complex64")
complex128 = DType("complex128", np.complex128, "complex128")
string = DType("string", np.object_, "string")  # TF strings are bytes; NumPy holds them as objects
half = float16
double = float64

_ALL = [
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    bool,
    complex64,
    complex128,
    string,
]
_BY_NAME: dict[str, DType] = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "float": float32, "double": float64, "bool_": bool})
# NumPy dtype -> DType; bytes and unicode arrays are TF strings too.
_BY_NP: dict[Any, DType] = {d._np: d for d in _ALL}
_BY_NP[np.dtype(np.bytes_)] = string
_BY_NP[np.dtype(np.str_)] = string


def from_numpy(np_dtype: np.dtype) -> DType:
    """The DType of a NumPy dtype (fast path used by Tensor.dtype)."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        if np_dtype.kind in "SU":
            return string
        raise TypeError(f"Cannot convert NumPy dtype {np_dtype} to a TensorFlow DType.") from None


def as_dtype(type_value: Any) -> DType:
    """Converts a DType, a NumPy dtype or type, or a name such as "float32" to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        try:
            return _BY_NAME[type_value]
        except KeyError:
            pass
    elif type_value is not None:
        if type_value is float:
            return float64  # as np.dtype(float)
        try:
            return from_numpy(np.dtype(type_value))
        except TypeError:
            pass
    raise TypeError(
        f"Cannot convert the argument `type_value`: {type_value!r} to a TensorFlow DType."
    )


def is_differentiable(np_dtype: np.dtype) -> builtins.bool:
    """Only floating and complex values carry gradients (TF's backprop_util.IsTrainable)."""
    return np_dtype.kind in "fc"
