"""Ordering and searching: top_k, sort, argsort, unique and searchsorted.

`sort` and `argsort` are TF's compositions over `TopKV2` (ascending order sorts the negated
values, integers bitwise-inverted so the smallest integer has a partner), so their gradients
and NaN placement are TF's: NaN sorts as the smallest value in top_k.
"""

from __future__ import annotations

import builtins
import collections
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _tensor, lead_shape, reshape, transpose
from tapeflow.ops.indexing import _unsorted_segment_sum
from tapeflow.ops.logic import invert
from tapeflow.ops.math import add, cast, negative
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "top_k",
    "sort",
    "argsort",
    "unique",
    "unique_with_counts",
    "in_top_k",
    "TopKV2",
    "Unique",
    "searchsorted",
]

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])
Unique = collections.namedtuple("Unique", ["y", "idx"])


def _descending_order(x: np.ndarray) -> np.ndarray:
    """Indices sorting the last axis from largest to smallest; ties keep index order, NaN last."""
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        return np.lexsort((-np.where(nan, 0, x), nan), axis=-1)
    if x.dtype.kind == "b":
        x = x.astype(np.int8)
    return np.argsort(np.invert(x), axis=-1, kind="stable")  # ~x reverses the order exactly


@op("TopKV2", same_dtype=())
def _top_k(input: Any, *, k: int, sorted: bool = True, index_type: Any = np.int32) -> Any:
    x = np.asarray(input)
    if x.ndim == 0:
        raise InvalidArgumentError(
            f"input must be >= 1-D, got shape {list(x.shape)} [Op:TopKV2] name: "
        )
    if k < 0:
        raise InvalidArgumentError(f"Need k >= 0, got {k} [Op:TopKV2]")
    if x.shape[-1] < k:
        raise InvalidArgumentError(
            f"input must have at least k columns. Had {x.shape[-1]}, needed {k} [Op:TopKV2]"
        )
    indices = _descending_order(x)[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices.astype(index_type)


@_top_k.defvjp(batched=True)
def _top_k_vjp(
    grads: tuple[Any, Any], outs: Any, x: Tensor, *, k: int, sorted: bool, index_type: Any
) -> tuple[Any]:
    # scatter the values' gradient back to the positions they were taken from; each row of a
    # jacobian's batch axes is one more set of rows (the indices are the same in every one)
    shape = lead_shape(grads[0], outs[0]) + x._value.shape
    n = shape[-1] if shape else 1
    rows = int(np.prod(shape[:-1]))
    offsets = np.arange(rows, dtype=np.int64).reshape((*shape[:-1], 1)) * n
    flat_indices = reshape(add(cast(outs[1], dtypes.int64), offsets), (-1,))
    flat_grad = reshape(grads[0], (-1,))
    scattered = _unsorted_segment_sum(flat_grad, flat_indices, num_segments=rows * n)
    return (reshape(scattered, shape),)


def top_k(
    input: Any, k: Any = 1, sorted: bool = True, index_type: Any = dtypes.int32, name: Any = None
) -> TopKV2:
    """The k largest entries along the last axis and their indices (ties: lower index first).

    >>> import tapeflow as tf
    >>> values, indices = tf.math.top_k([1.0, 3.0, 3.0, 2.0], k=2)
    >>> values.numpy().tolist(), indices.numpy().tolist()
    ([3.0, 3.0], [1, 2])
    """
    # tapeflow always returns sorted values; TF leaves the order unspecified for sorted=False
    k = int(getattr(k, "_value", k))
    out = _top_k(input, k=k, sorted=bool(sorted), index_type=dtypes.as_dtype(index_type)._np)
    return TopKV2(*out)


_DIRECTIONS = ("ASCENDING", "DESCENDING")


def _sorted_along(values: Any, axis: Any, direction: str) -> tuple[Tensor, Tensor]:
    """TF's sort_ops: move `axis` last, top_k over it (of the negated values when ascending)."""
    if direction not in _DIRECTIONS:
        raise ValueError(
            f"Argument `direction` should be one of {', '.join(_DIRECTIONS)}. "
            f"Received: direction={direction}"
        )
    x = convert_to_tensor(values)
    ndim = x.ndim
    if ndim == 0:
        raise InvalidArgumentError(
            "slice index -1 of dimension 0 out of bounds. [Op:StridedSlice] name: strided_slice/"
        )
    ax = int(getattr(axis, "_value", axis))
    if not -ndim <= ax < ndim:
        raise InvalidArgumentError(
            f"slice index {ax} of dimension 0 out of bounds. [Op:StridedSlice] name: strided_slice/"
        )
    ax %= ndim
    perm = None
    if ax != ndim - 1:
        perm = tuple(builtins.range(ndim))
        perm = perm[:ax] + perm[ax + 1 :] + (ax,)
        x = transpose(x, perm)
    ascending = direction == "ASCENDING"
    kind = x._value.dtype.kind
    flip = invert if kind in "iu" else negative
    if ascending:
        x = flip(x)
    out, indices = _top_k(x, k=x._value.shape[-1], sorted=True, index_type=np.int32)
    if ascending:
        out = flip(out)
    if perm is not None:
        back = tuple(np.argsort(perm).tolist())
        out, indices = transpose(out, back), transpose(indices, back)
    return out, indices


def sort(
    values: Any, axis: Any = -1, direction: str = "ASCENDING", name: str | None = None
) -> Tensor:
    """The values sorted along `axis`; differentiable (through top_k).

    >>> import tapeflow as tf
    >>> tf.sort([3, 1, 2], direction="DESCENDING").numpy().tolist()
    [3, 2, 1]
    """
    return _sorted_along(values, axis, direction)[0]


def argsort(
    values: Any,
    axis: Any = -1,
    direction: str = "ASCENDING",
    stable: bool = False,
    name: str | None = None,
) -> Tensor:
    """The int32 indices that sort `values` along `axis` (always stable: ties in index order).

    >>> import tapeflow as tf
    >>> tf.argsort([3, 1, 3, 1]).numpy().tolist()
    [1, 3, 0, 2]
    """
    return _sorted_along(values, axis, direction)[1]


@op("Unique", same_dtype=())  # TF registers no gradient: LookupError if one reaches it
def _unique(x: Any, *, out_idx: Any = np.int32) -> Any:
    if np.ndim(x) != 1:
        raise InvalidArgumentError("unique expects a 1D vector. [Op:Unique]")
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first)  # the unique values in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(x)[first[order]], rank[inverse.reshape(-1)].astype(out_idx)


UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


@op("UniqueWithCounts", differentiable=False, same_dtype=())
def _unique_with_counts(x: Any, *, out_idx: Any = np.int32) -> Any:
    y, idx = _unique.forward(x, out_idx=out_idx)
    return y, idx, np.bincount(idx, minlength=len(y)).astype(out_idx)


def unique_with_counts(
    x: Any, out_idx: Any = dtypes.int32, name: str | None = None
) -> UniqueWithCounts:
    """unique's values and indices, and how often each value occurs.

    >>> import tapeflow as tf
    >>> tf.unique_with_counts([5, 5, 3]).count.numpy().tolist()
    [2, 1]
    """
    return UniqueWithCounts(*_unique_with_counts(x, out_idx=dtypes.as_dtype(out_idx)._np))


def in_top_k(targets: Any, predictions: Any, k: int, name: str | None = None) -> Tensor:
    """Whether each row's target class is among its `k` largest predictions (TF: ties at the
    k-th value count as in).

    >>> import tapeflow as tf
    >>> tf.math.in_top_k([1, 0], [[0.1, 0.9], [0.2, 0.8]], 1).numpy().tolist()
    [True, False]
    """
    pred = np.asarray(_tensor(predictions)._value)
    t = np.asarray(_tensor(targets)._value).reshape(-1)
    target_values = pred[np.arange(len(t)), t]
    larger = (pred > target_values[:, None]).sum(axis=1)
    return convert_to_tensor(larger < k)


def unique(x: Any, out_idx: Any = dtypes.int32, name: str | None = None) -> Unique:
    """The distinct values of a 1-D tensor in order of appearance, and each element's index
    into them.

    >>> import tapeflow as tf
    >>> y, idx = tf.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    >>> y.numpy().tolist(), idx.numpy().tolist()
    ([1, 2, 4, 7, 8], [0, 0, 1, 2, 2, 2, 3, 4, 4])
    """
    return Unique(*_unique(x, out_idx=dtypes.as_dtype(out_idx)._np))


# ---------------------------------------------------------------------------------------------
# Searching a sorted sequence


@op("LowerBound", differentiable=False, same_dtype=(0, 1))
def _lower_bound(sorted_inputs: Any, values: Any, *, out_type: Any = np.int32) -> Any:
    return _search(sorted_inputs, values, "left", out_type)


@op("UpperBound", differentiable=False, same_dtype=(0, 1))
def _upper_bound(sorted_inputs: Any, values: Any, *, out_type: Any = np.int32) -> Any:
    return _search(sorted_inputs, values, "right", out_type)


def _search(seq: Any, values: Any, side: Any, out_type: Any) -> Any:
    s = np.asarray(seq)
    v = np.asarray(values)
    if s.shape[:-1] != v.shape[:-1]:
        raise InvalidArgumentError(
            f"Leading dim_size of both tensors must match: sorted_sequence {list(s.shape)} and "
            f"values {list(v.shape)} [Op:{'LowerBound' if side == 'left' else 'UpperBound'}]"
        )
    rows_s = s.reshape(-1, s.shape[-1])
    rows_v = v.reshape(-1, v.shape[-1])
    out = np.empty(rows_v.shape, dtype=out_type)
    for r in builtins.range(rows_s.shape[0]):  # one search per row of the sorted sequence
        out[r] = np.searchsorted(rows_s[r], rows_v[r], side=side)
    return out.reshape(v.shape)


def searchsorted(
    sorted_sequence: Any,
    values: Any,
    side: str = "left",
    out_type: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """Where each of `values` would be inserted into its row of `sorted_sequence` (innermost
    axis) to keep it sorted: before equal entries (`side="left"`) or after them ("right").

    >>> import tapeflow as tf
    >>> tf.searchsorted([1, 2, 3], [2, 5], side="right").numpy().tolist()
    [2, 3]
    """
    if side not in ("left", "right"):
        raise ValueError(
            f"Argument `side` must be either 'right' or 'left'. Received: `side` = '{side}'."
        )
    s, v = _tensor(sorted_sequence), _tensor(values)
    if s.ndim == 0 or v.ndim == 0:
        raise InvalidArgumentError("sorted_sequence and values must have rank >= 1")
    search = _lower_bound if side == "left" else _upper_bound
    return search(s, v, out_type=dtypes.as_dtype(out_type)._np)
