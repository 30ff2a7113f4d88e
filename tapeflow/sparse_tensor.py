"""tf.sparse.SparseTensor and the tf.sparse functions tutorials use, as TF 2.21 has them.

A SparseTensor is the coordinates of its nonzero entries (`indices`, int64, one row per entry),
their `values`, and the `dense_shape` (int64). Like TF, most functions expect the indices in
row-major order (`tf.sparse.reorder` sorts them) and say so when they are not. The values are
computed in NumPy: no gradients flow through these functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.ragged_tensor import kernel_error
from tapeflow.tensor import (
    DEVICE,
    Tensor,
    TensorShape,
    _wrap,
    convert_to_tensor,
    register_tensor_conversion_function,
)

__all__ = ["SparseTensor", "to_dense", "from_dense", "reorder", "add"]


def _int64(value: Any, what: str) -> Tensor:
    try:
        return convert_to_tensor(value, dtype=dtypes.int64)
    except ValueError as e:
        raise ValueError(f"{what}: {e}") from None


class SparseTensor:
    """`values[i]` at position `indices[i]` of a tensor of shape `dense_shape`; zero elsewhere.

    >>> import tapeflow as tf
    >>> st = tf.sparse.SparseTensor(indices=[[0, 1]], values=[5], dense_shape=[2, 2])
    >>> tf.sparse.to_dense(st).numpy().tolist()
    [[0, 5], [0, 0]]
    """

    __slots__ = ("_indices", "_values", "_dense_shape", "__weakref__")

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        self._indices = _int64(indices, "indices")
        self._values = convert_to_tensor(values)
        self._dense_shape = _int64(dense_shape, "dense_shape")
        index_shape = self._indices.shape
        rank = self._dense_shape.shape[0]
        for a, b in ((index_shape[0], self._values.shape[0]), (index_shape[1], rank)):
            if a != b:
                raise ValueError(f"Dimensions {a} and {b} are not compatible")

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def dense_shape(self) -> Tensor:
        return self._dense_shape

    @property
    def dtype(self) -> Any:
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape(np.asarray(self._dense_shape._value).tolist())

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def device(self) -> str:
        return DEVICE

    def with_values(self, new_values: Any) -> SparseTensor:
        return SparseTensor(self._indices, new_values, self._dense_shape)

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self._indices!s}, values={self._values!s}, "
            f"dense_shape={self._dense_shape!s})"
        )

    def __mul__(self, other: Any) -> SparseTensor:
        # TF: a SparseTensor times a dense value scales the stored values (no broadcasting
        # into the implicit zeros)
        return self.with_values(self._values * other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> SparseTensor:
        return self.with_values(self._values / other)


def _unconvertible(value: SparseTensor) -> Tensor:
    raise ValueError(
        f"Attempt to convert a value ({value!r}) with an unsupported type ({type(value)}) to a "
        "Tensor."
    )


register_tensor_conversion_function(SparseTensor, _unconvertible)


def _parts(sp_input: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    if not isinstance(sp_input, SparseTensor):
        raise TypeError("Input must be a SparseTensor.")
    shape = tuple(np.asarray(sp_input.dense_shape._value).tolist())
    return np.asarray(sp_input.indices._value), np.asarray(sp_input.values._value), shape


def _row_major(indices: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Each index's position in the row-major order of `shape`."""
    if not indices.size:
        return np.zeros(len(indices), np.int64)
    return np.ravel_multi_index(tuple(indices.T), shape, mode="wrap")


def to_dense(
    sp_input: Any,
    default_value: Any = None,
    validate_indices: bool = True,
    name: str | None = None,
) -> Tensor:
    """The dense tensor: `values` at `indices`, `default_value` (zero) elsewhere.

    Like TF, the indices must be in row-major order and unique (unless `validate_indices=False`,
    when later entries win).
    """
    indices, values, shape = _parts(sp_input)
    for i, index in enumerate(indices):
        text = ",".join(str(v) for v in index)
        if np.any(index < 0) or np.any(index >= np.asarray(shape)):
            raise kernel_error(
                "SparseToDense",
                f"indices[{i}] = [{text}] is out of bounds: need 0 <= index < "
                f"[{','.join(str(d) for d in shape)}]",
                "",
            )
        if validate_indices and i > 0:
            order = tuple(index) > tuple(indices[i - 1])
            if tuple(index) == tuple(indices[i - 1]):
                raise kernel_error("SparseToDense", f"indices[{i}] = [{text}] is repeated", "")
            if not order:
                raise kernel_error(
                    "SparseToDense",
                    f"indices[{i}] = [{text}] is out of order. Many sparse ops require sorted "
                    "indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy."
                    "\n\n",
                    "",
                )
    if default_value is None:
        fill: Any = b"" if values.dtype == object else 0
    else:
        fill = np.asarray(convert_to_tensor(default_value, dtype=sp_input.dtype)._value)
    out = np.empty(shape, dtype=values.dtype)
    out[...] = fill
    if len(indices):
        out[tuple(indices.T)] = values
    return _wrap(out if out.ndim else out[()])


def from_dense(tensor: Any, name: str | None = None) -> SparseTensor:
    """The SparseTensor of the nonzero (non-empty, for strings) entries of `tensor`."""
    t = convert_to_tensor(tensor)
    arr = np.asarray(t._value)
    nonzero = arr != (b"" if arr.dtype == object else 0)
    indices = np.argwhere(nonzero).astype(np.int64)
    return SparseTensor(
        _wrap(indices), _wrap(arr[nonzero]), _wrap(np.asarray(arr.shape, dtype=np.int64))
    )


def reorder(sp_input: Any, name: str | None = None) -> SparseTensor:
    """The same SparseTensor with its entries in row-major order of their indices."""
    indices, values, shape = _parts(sp_input)
    order = np.argsort(_row_major(indices, shape), kind="stable")
    return SparseTensor(_wrap(indices[order]), _wrap(values[order]), sp_input.dense_shape)


def add(a: Any, b: Any, threshold: Any = 0) -> Any:
    """Sum of two SparseTensors (sparse), or of a SparseTensor and a dense tensor (dense).

    Two sparse inputs are merged as TF's kernel merges them, walking both lists of indices in
    order (they should be sorted); sums smaller in magnitude than `threshold` are dropped.
    """
    if not isinstance(a, SparseTensor) or not isinstance(b, SparseTensor):
        sparse, dense = (a, b) if isinstance(a, SparseTensor) else (b, a)
        indices, values, shape = _parts(sparse)
        out = np.array(convert_to_tensor(dense, dtype=sparse.dtype)._value, copy=True)
        np.add.at(out, tuple(indices.T), values)
        return _wrap(out)
    ia, va, shape = _parts(a)
    ib, vb, _ = _parts(b)
    keys_a, keys_b = [tuple(i) for i in ia.tolist()], [tuple(i) for i in ib.tolist()]
    merged: list[Any] = []
    sums: list[Any] = []
    i = j = 0
    while i < len(keys_a) and j < len(keys_b):
        if keys_a[i] < keys_b[j]:
            merged.append(keys_a[i])
            sums.append(va[i])
            i += 1
        elif keys_a[i] > keys_b[j]:
            merged.append(keys_b[j])
            sums.append(vb[j])
            j += 1
        else:
            total = va[i] + vb[j]
            if abs(total) >= threshold:
                merged.append(keys_a[i])
                sums.append(total)
            i += 1
            j += 1
    merged += keys_a[i:] + keys_b[j:]
    sums += list(va[i:]) + list(vb[j:])
    index_array = np.array(merged, dtype=np.int64).reshape(len(merged), len(shape))
    return SparseTensor(_wrap(index_array), _wrap(np.array(sums, dtype=va.dtype)), a.dense_shape)
