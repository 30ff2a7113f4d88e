"""tf.IndexedSlices: the sparse gradient of a gather, as TF gives it.

The gradient of `tf.gather(params, indices)` with respect to `params` (axis 0) touches only the
gathered rows, so TF returns it as rows (`values`) and where they go (`indices`), without
materialising a tensor of `params`' size. tapeflow does the same, with TF's rules:

- several sparse contributions to one source are concatenated, duplicates kept (TF orders them
  breadth-first from the target; tapeflow in program order: the same slices, maybe reordered);
- a sparse and a dense contribution add up to a dense Tensor;
- `tf.convert_to_tensor(g)` and any op taking `g` (`tf.multiply(g, 2.0)`) densify it, summing
  duplicates; `-g` stays sparse; `g * 2.0` and `g + g` raise TypeError; there is no `.numpy()`.

In the backward walk a sparse gradient stays sparse only on its way to a source, through
variable reads and identities; any other op gets it densified, by a recorded op, so higher-order
gradients see through it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.tensor import (
    DEVICE,
    Tensor,
    TensorShape,
    _wrap,
    convert_to_tensor,
    register_tensor_conversion_function,
)

__all__ = ["IndexedSlices"]

# Ops whose VJP hands the cotangent through unchanged: a sparse one may pass them.
_PASSTHROUGH = frozenset({"ReadVariableOp", "Identity"})


class IndexedSlices:
    """A sparse representation of a tensor: `values[i]` is the slice at row `indices[i]`.

    >>> import tapeflow as tf
    >>> g = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), tf.constant([3, 2]))
    >>> tf.convert_to_tensor(g).numpy().tolist()
    [[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]]
    """

    __slots__ = ("_values", "_indices", "_dense_shape", "__weakref__")

    def __init__(self, values: Any, indices: Any, dense_shape: Any = None) -> None:
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def dense_shape(self) -> Tensor | None:
        return self._dense_shape

    @property
    def dtype(self) -> Any:
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        if self._dense_shape is None:
            return TensorShape(None)
        return TensorShape(np.asarray(self._dense_shape._value).tolist())

    @property
    def device(self) -> str:
        return DEVICE

    def _graph_only(self, what: str) -> Any:
        raise AttributeError(f"Tensor.{what} is undefined when eager execution is enabled.")

    name = property(lambda self: self._graph_only("name"))
    op = property(lambda self: self._graph_only("op"))
    graph = property(lambda self: self._graph_only("graph"))

    def consumers(self) -> Any:
        return self._graph_only("consumers")

    def __neg__(self) -> IndexedSlices:
        from tapeflow.ops.math import negative

        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    def __str__(self) -> str:
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!s}"
        return f"IndexedSlices(indices={self._indices!s}, values={self._values!s}{shape})"

    __repr__ = __str__  # TF shows <...IndexedSlices object at 0x...>; the content is more useful

    def _to_dense(self) -> Tensor:
        """The dense tensor, duplicates summed; computed by an op, so tapes record it."""
        from tapeflow.ops.indexing import unsorted_segment_sum

        if self._dense_shape is None:
            raise ValueError(
                f"Tensor conversion requested for IndexedSlices without dense_shape: {self!s}"
            )
        rows = int(np.asarray(self._dense_shape._value).reshape(-1)[0])
        return unsorted_segment_sum(self._values, self._indices, rows)

    # -- the backward walk hands a sparse gradient here (tape.backward) -----------------------

    def _accumulate(self, grads: dict[int, Any], x: Any, source_ids: Any, path: list[Any]) -> None:
        """Adds this gradient of `x` to `grads`: sparse if it can stay so, otherwise dense."""
        from tapeflow.ops.array import concat
        from tapeflow.tape import add

        k = id(x)
        producer = _producer(x, path)
        keep = producer in _PASSTHROUGH or (producer is None and k in source_ids)
        new: Any = self if keep else self._to_dense()
        prev = grads.get(k)
        if prev is None:
            grads[k] = new
        elif keep and type(prev) is IndexedSlices:
            # concatenated, duplicates kept; the walk runs backwards, so the new one goes first
            grads[k] = IndexedSlices(
                concat([new._values, prev._values], 0),
                concat([new._indices, prev._indices], 0),
                new._dense_shape,
            )
        else:
            grads[k] = add(convert_to_tensor(prev), convert_to_tensor(new))


def _producer(x: Any, path: list[Any]) -> str | None:
    """The type of the op that computed x among the entries still to walk (None: a leaf)."""
    for entry in reversed(path):
        for o in entry[2]:
            if o is x:
                return str(entry[0].type)
    return None


def gather_gradient(grad: Tensor, params: Tensor, indices: Tensor) -> IndexedSlices:
    """The gradient of `gather(params, indices)` (axis 0) with respect to `params`."""
    from tapeflow.ops.array import _reshape

    p_shape = np.shape(params._value)
    n = int(np.size(indices._value))
    values = _reshape(grad, shape=(n, *p_shape[1:]))
    flat = _reshape(indices, shape=(n,))  # an op: indices may be a traced (tf.function) value
    return IndexedSlices(values, flat, _wrap(np.asarray(p_shape, dtype=indices._value.dtype)))


register_tensor_conversion_function(IndexedSlices, lambda s: s._to_dense())
