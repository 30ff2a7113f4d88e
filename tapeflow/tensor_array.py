"""tf.TensorArray as eager TF implements it: a Python list of tensors.

`write` stores a tensor (and returns the array, so `ta = ta.write(i, x)` works as in graph
code); `stack`, `gather` and `concat` build their result with the recorded stack/concat ops,
so gradients flow to what was written. Unwritten entries read as zeros of the element shape,
and a read clears its entry unless `clear_after_read=False`, as in TF.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError, OutOfRangeError
from tapeflow.ops.array import concat, split, stack, unstack
from tapeflow.ops.constructors import zeros
from tapeflow.tensor import Tensor, TensorShape, convert_to_tensor

__all__ = ["TensorArray"]


def _index(i: Any) -> int:
    return int(i.numpy()) if isinstance(i, Tensor) else int(i)


class TensorArray:
    """A list of tensors of one dtype, written and read by index.

    >>> import tapeflow as tf
    >>> ta = tf.TensorArray(tf.float32, size=2)
    >>> ta = ta.write(0, 1.0).write(1, 2.0)
    >>> ta.stack().numpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(
        self,
        dtype: Any,
        size: Any = None,
        dynamic_size: bool | None = None,
        clear_after_read: bool | None = None,
        tensor_array_name: str | None = None,
        handle: Any = None,
        flow: Any = None,
        infer_shape: bool = True,
        element_shape: Any = None,
        colocate_with_first_write_call: bool = True,
        name: str | None = None,
    ) -> None:
        if handle is not None:
            raise ValueError(
                "TensorArray handles are not supported when eager execution is enabled."
            )
        if size is None:
            raise ValueError(
                "Size must be declared for TensorArrays when eager execution is enabled."
            )
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else clear_after_read
        self._infer_shape = infer_shape
        self._element_shape = TensorShape(element_shape)
        self._tensors: list[Tensor | None] = [None] * _index(size)
        self._read: set[int] = set()

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    def size(self, name: str | None = None) -> Tensor:
        return convert_to_tensor(len(self._tensors))

    def identity(self) -> TensorArray:
        return self

    def close(self, name: str | None = None) -> None:
        self._tensors.clear()

    # -- writing --------------------------------------------------------------------------

    def write(self, index: Any, value: Any, name: str | None = None) -> TensorArray:
        """Stores `value` at `index` (growing the array if `dynamic_size`); returns self."""
        self._write(_index(index), value)
        return self

    def _write(self, index: int, value: Any) -> None:
        if index < 0:
            raise OutOfRangeError(f"Writing to negative indices (index {index}) is not allowed.")
        size = len(self._tensors)
        if index >= size:
            if not self._dynamic_size:
                raise OutOfRangeError(
                    f"Tried to write to index {index} but array is not resizeable and size "
                    f"is: {size} "
                )
            self._tensors.extend([None] * (index - size + 1))
        if not isinstance(value, Tensor):
            value = convert_to_tensor(value, dtype_hint=self._dtype)
        if value.dtype != self._dtype:
            raise InvalidArgumentError(
                f"TensorArray dtype is {self._dtype.name} but Op is trying to write dtype "
                f"{value.dtype.name} "
            )
        if not self._element_shape.is_compatible_with(value.shape):
            raise ValueError(
                f"Incompatible shape for value ({value.shape}), expected ({self._element_shape})"
            )
        if self._infer_shape:
            self._element_shape = self._element_shape.merge_with(value.shape)
        self._tensors[index] = value

    def unstack(self, value: Any, name: str | None = None) -> TensorArray:
        """The rows of `value`, as the array's entries."""
        tensors = unstack(convert_to_tensor(value, dtype_hint=self._dtype))
        if len(tensors) > len(self._tensors) and not self._dynamic_size:
            raise ValueError(
                f"Cannot unstack {len(tensors)} tensors into a TensorArray of static size "
                f"{len(self._tensors)} "
            )
        self._tensors = list(tensors)
        return self

    def scatter(self, indices: Any, value: Any, name: str | None = None) -> TensorArray:
        """Writes the rows of `value` at `indices`."""
        rows = unstack(convert_to_tensor(value, dtype_hint=self._dtype))
        for i, row in zip(np.asarray(convert_to_tensor(indices)._value).reshape(-1), rows):
            self._write(int(i), row)
        return self

    def split(self, value: Any, lengths: Any, name: str | None = None) -> TensorArray:
        """Splits `value` along axis 0 into pieces of `lengths`, as the array's entries."""
        value = convert_to_tensor(value, dtype_hint=self._dtype)
        sizes = [int(n) for n in np.asarray(convert_to_tensor(lengths)._value).reshape(-1)]
        if sum(sizes) != value.shape[0]:
            raise InvalidArgumentError(
                "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is "
                f"{sum(sizes)} and value's shape is: {value.shape.as_list()} "
            )
        if not self._dynamic_size and len(sizes) != len(self._tensors):
            raise InvalidArgumentError(
                "TensorArray's size is not equal to the size of lengths "
                f"({len(self._tensors)} vs. {len(sizes)}), and the TensorArray is not marked "
                "as dynamically resizeable."
            )
        self._tensors = list(split(value, sizes))
        return self

    # -- reading --------------------------------------------------------------------------

    def _entry(self, index: int) -> Tensor:
        """The tensor at `index`; an unwritten one becomes zeros of the element shape."""
        tensor = self._tensors[index]
        if tensor is None:
            tensor = self._tensors[index] = zeros(self._element_shape, self._dtype)
        return tensor

    def read(self, index: Any, name: str | None = None) -> Tensor:
        i = _index(index)
        if i < 0:
            raise OutOfRangeError(f"Reading from negative indices (index {i}) is not allowed.")
        if i >= len(self._tensors):
            raise OutOfRangeError(
                f"Tried to read from index {i} but array size is: {len(self._tensors)} "
            )
        if self._tensors[i] is None and i in self._read:
            raise InvalidArgumentError(
                f"Could not read index {i} twice because it was cleared after a previous read "
                "(perhaps try setting clear_after_read = false?)"
            )
        tensor = self._entry(i)
        if self._clear_after_read:
            self._tensors[i] = None
            self._read.add(i)
        return tensor

    def stack(self, name: str | None = None) -> Tensor:
        """The entries stacked along a new first axis."""
        if not self._tensors:
            shape = self._element_shape
            dims = [0, *shape.as_list()] if shape.is_fully_defined() else [0]
            return convert_to_tensor(np.zeros(dims, self._dtype.as_numpy_dtype))
        return stack([self._entry(i) for i in range(len(self._tensors))])

    def gather(self, indices: Any, name: str | None = None) -> Tensor:
        picked = np.asarray(convert_to_tensor(indices)._value).reshape(-1)
        return stack([self._entry(int(i)) for i in picked])

    def concat(self, name: str | None = None) -> Tensor:
        """The entries joined along their first axis."""
        entries = [self._entry(i) for i in range(len(self._tensors))]
        for i, t in enumerate(entries):
            if t.ndim == 0:
                raise InvalidArgumentError(
                    f"Concat saw a scalar shape at index {i} but requires at least vectors."
                )
        return concat(entries, 0)
