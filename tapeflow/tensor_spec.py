"""`tf.TensorSpec`: a description of a tensor (shape, dtype, optional name)."""

from __future__ import annotations

from typing import Any

from tapeflow import dtypes
from tapeflow.tensor import TensorShape, convert_to_tensor

__all__ = ["TensorSpec"]


class TensorSpec:
    """Describes a tensor: its shape (dimensions may be None), dtype and an optional name.

    >>> import tapeflow as tf
    >>> tf.TensorSpec([2, None])
    TensorSpec(shape=(2, None), dtype=tf.float32, name=None)
    >>> tf.TensorSpec([2, None]).is_compatible_with(tf.zeros([2, 5]))
    True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> None:
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"TensorSpec name must be a string or None, got {name!r}")
        self._name = name

    @classmethod
    def from_tensor(cls, tensor: Any, name: str | None = None) -> TensorSpec:
        t = tensor if hasattr(tensor, "_value") else convert_to_tensor(tensor)
        return cls(t.shape, t.dtype, name)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self) -> str | None:
        return self._name

    def is_compatible_with(self, spec_or_tensor: Any) -> bool:
        """True if the other spec or tensor has this dtype and a compatible shape."""
        other = spec_or_tensor
        if not isinstance(other, TensorSpec):
            other = TensorSpec.from_tensor(other)
        return self._dtype == other._dtype and self._shape.is_compatible_with(other._shape)

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self._shape == other._shape
            and self._dtype == other._dtype
            and self._name == other._name
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self._shape, self._dtype, self._name))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self._shape}, dtype=tf.{self._dtype.name}, name={self._name!r})"
