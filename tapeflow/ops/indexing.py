"""Indexing with index tensors: gather, gather_nd, scatter_nd, tensor_scatter_nd_update/add,
boolean_mask, and the segment sums and bincount (scatter-adds by index) that their gradients
use.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.indexed_slices import gather_gradient
from tapeflow.op import op
from tapeflow.ops.array import (
    _reshape,
    _row_by_row,
    _shape_tuple,
    _tensor,
    _transpose,
    _value,
    concat,
    lead_shape,
)
from tapeflow.tape import zeros_like_np
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = [
    "gather",
    "unsorted_segment_sum",
    "segment_sum",
    "bincount",
    "gather_nd",
    "scatter_nd",
    "tensor_scatter_nd_update",
    "tensor_scatter_nd_add",
    "boolean_mask",
    "dynamic_partition",
    "dynamic_stitch",
    "segment_mean",
    "unsorted_segment_mean",
    "confusion_matrix",
]


# ---------------------------------------------------------------------------------------------
# Gather and scatter


@op("UnsortedSegmentSum", same_dtype=())
def _unsorted_segment_sum(data: Any, segment_ids: Any, *, num_segments: int) -> Any:
    ids = np.asarray(segment_ids)
    if ids.size and ids.max() >= num_segments:
        i = int(np.argmax(ids.reshape(-1) >= num_segments))
        raise InvalidArgumentError(
            f"segment_ids[{i}] = {ids.reshape(-1)[i]} is out of range [0, {num_segments}) "
            "[Op:UnsortedSegmentSum]"
        )
    out = np.zeros((num_segments, *np.shape(data)[ids.ndim :]), dtype=data.dtype)
    keep = ids >= 0  # TF drops negative ids
    np.add.at(out, ids[keep], np.asarray(data)[keep])
    return out


def _gather_drop_negatives(grad: Tensor, ids: Tensor, lead: int = 0) -> Tensor:
    """grad[ids] along axis `lead`, with zeros where an id is negative (its row was dropped)."""
    from tapeflow.ops.logic import greater_equal
    from tapeflow.ops.math import cast, maximum, multiply

    gathered = _gather(grad, maximum(ids, 0), axis=lead, batch_dims=0)
    keep = cast(greater_equal(ids, 0), grad.dtype)
    extra = gathered.ndim - lead - ids.ndim
    return multiply(gathered, _reshape(keep, shape=keep._value.shape + (1,) * extra))


@_unsorted_segment_sum.defvjp(batched=True)
def _unsorted_segment_sum_vjp(
    grad: Tensor, out: Tensor, data: Tensor, ids: Tensor, *, num_segments: int
) -> tuple[Any, Any]:
    # each data row went to one segment: its gradient is that segment's gradient
    return _gather_drop_negatives(grad, ids, len(lead_shape(grad, out))), None


def unsorted_segment_sum(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Sums the rows of `data` into `num_segments` buckets named by `segment_ids` (ids in any
    order; rows with a negative id are dropped).

    >>> import tapeflow as tf
    >>> tf.math.unsorted_segment_sum([1.0, 2.0, 3.0], [1, 0, 1], 2).numpy().tolist()
    [2.0, 4.0]
    """
    return _unsorted_segment_sum(data, segment_ids, num_segments=int(num_segments))


@op("SegmentSum", same_dtype=())
def _segment_sum(data: Any, segment_ids: Any) -> Any:
    ids = np.asarray(segment_ids)
    if ids.ndim != 1 or ids.shape[0] != np.shape(data)[0]:
        raise InvalidArgumentError(
            "segment_ids should be the same size as dimension 0 of input. [Op:SegmentSum]"
        )
    n = int(ids[-1]) + 1 if ids.size else 0
    if ids.size and ids.min() < 0:
        raise InvalidArgumentError(
            f"Segment id {int(ids.min())} out of range [0, {n}), possibly because "
            "'segment_ids' input is not sorted. [Op:SegmentSum]"
        )
    if np.any(np.diff(ids) < 0):
        raise InvalidArgumentError("segment ids are not increasing [Op:SegmentSum]")
    out = np.zeros((n, *np.shape(data)[1:]), dtype=data.dtype)
    np.add.at(out, ids, data)
    return out


@_segment_sum.defvjp(batched=True)
def _segment_sum_vjp(grad: Tensor, out: Tensor, data: Tensor, ids: Tensor) -> tuple[Any, Any]:
    # each row's gradient is its segment's gradient (segments: the axis after any batch axes)
    return _gather(grad, ids, axis=grad._value.ndim - np.ndim(out._value), batch_dims=0), None


def segment_sum(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Sums the rows of `data` by sorted `segment_ids`; there are `segment_ids[-1] + 1` rows.

    >>> import tapeflow as tf
    >>> tf.math.segment_sum([1.0, 2.0, 3.0], [0, 0, 2]).numpy().tolist()
    [3.0, 0.0, 3.0]
    """
    return _segment_sum(data, segment_ids)


@op("DenseBincount", same_dtype=())  # TF registers no gradient: LookupError for weights
def _bincount(input: Any, weights: Any, *, size: int, binary_output: bool = False) -> Any:
    arr = np.asarray(input)
    if arr.size and arr.min() < 0:
        raise InvalidArgumentError("Input arr must be non-negative! [Op:DenseBincount] name: ")
    w = np.asarray(weights)
    weighted = w.size > 0 and not binary_output
    rows = arr.reshape(-1, arr.shape[-1]) if arr.ndim == 2 else arr.reshape(1, -1)
    wrows = w.reshape(rows.shape) if weighted else None
    out = np.zeros((rows.shape[0], size), dtype=w.dtype)
    for r, row in enumerate(rows):
        keep = row < size  # values past `size` are dropped
        counts = np.bincount(
            row[keep], weights=None if wrows is None else wrows[r][keep], minlength=size
        )
        out[r] = (counts > 0) if binary_output else counts
    return out if arr.ndim == 2 else out[0]


def bincount(
    arr: Any,
    weights: Any = None,
    minlength: Any = None,
    maxlength: Any = None,
    dtype: Any = dtypes.int32,
    name: str | None = None,
    axis: Any = None,
    binary_output: bool = False,
) -> Tensor:
    """Counts (or sums `weights` of) each value of a non-negative int tensor; the result has
    `max(arr) + 1` entries, at least `minlength` and at most `maxlength`.

    >>> import tapeflow as tf
    >>> tf.math.bincount([1, 1, 2, 5]).numpy().tolist()
    [0, 2, 1, 0, 0, 1]
    """
    a = _tensor(arr)
    if a._value.dtype.kind not in "iu":
        raise TypeError(
            f"Value passed to parameter 'arr' has DataType {a.dtype.name} not in list of "
            "allowed values: int32, int64"
        )
    if axis is not None and int(axis) not in (0, -1):
        raise ValueError(f"Unsupported axis value {axis}. Only 0 and -1 are currently supported.")
    values = a._value
    if axis is None or a.ndim < 2:
        a = _reshape(a, shape=(-1,))
        values = a._value
    size = int(np.max(values)) + 1 if np.size(values) else 0
    if minlength is not None:
        size = builtins.max(size, int(getattr(minlength, "_value", minlength)))
    if maxlength is not None:
        size = builtins.min(size, int(getattr(maxlength, "_value", maxlength)))
    if weights is None or binary_output:
        w: Any = _wrap(np.zeros((0,), dtype=dtypes.as_dtype(dtype)._np))
    else:
        w = _tensor(weights)
        if w._value.shape != a._value.shape:
            w = _reshape(w, shape=a._value.shape)
    return _bincount(a, w, size=size, binary_output=bool(binary_output))


@op("GatherV2", same_dtype=())
def _gather(params: Any, indices: Any, *, axis: int = 0, batch_dims: int = 0) -> Any:
    idx = np.asarray(indices)
    n = np.shape(params)[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        where = np.argwhere((idx < 0) | (idx >= n))[0]
        at = f"[{','.join(map(str, where))}]" if idx.ndim else ""  # TF names the position
        bad = idx[tuple(where)]
        raise InvalidArgumentError(f"indices{at} = {bad} is not in [0, {n}) [Op:GatherV2]")
    if not batch_dims:
        return np.take(params, idx, axis=axis)
    # one gather per batch entry, done at once: flatten the batch axes into one, bring the
    # gathered axis next to it and index both with advanced indexing
    p_shape = params.shape
    batch = p_shape[:batch_dims]
    flat = int(np.prod(batch))
    p = np.moveaxis(params.reshape((flat, *p_shape[batch_dims:])), axis - batch_dims + 1, 1)
    i = idx.reshape((flat, *idx.shape[batch_dims:]))
    rows = np.arange(flat).reshape((flat,) + (1,) * (i.ndim - 1))
    out = p[rows, i]  # (batch, indices..., params before axis..., params after axis...)
    n_i, n_pre = i.ndim - 1, axis - batch_dims
    perm = (
        0,
        *builtins.range(1 + n_i, 1 + n_i + n_pre),
        *builtins.range(1, 1 + n_i),
        *builtins.range(1 + n_i + n_pre, out.ndim),
    )
    return np.transpose(out, perm).reshape(batch + tuple(out.shape[j] for j in perm[1:]))


@_gather.defvjp(batched=True)
def _gather_vjp(
    grad: Tensor, out: Tensor, params: Tensor, indices: Tensor, *, axis: int, batch_dims: int
) -> tuple[Any, Any]:
    # scatter-add the gradient rows back to the rows they were gathered from
    lead = lead_shape(grad, out)
    if batch_dims:
        if lead:  # a jacobian's batch axes on top of gather's own: one row at a time
            return _row_by_row(
                lambda g: _gather_batched_vjp(g, params, indices, axis, batch_dims), grad, lead
            ), None
        return _gather_batched_vjp(grad, params, indices, axis, batch_dims), None
    a = len(lead) + axis  # the gathered axes start here in grad
    if a == 0:  # TF: rows of params, as IndexedSlices (a jacobian's batch walk stays dense)
        return gather_gradient(grad, params, indices), None
    p_shape = params._value.shape
    i_ndim = indices.ndim
    # move the gathered axes to the front: (indices..., lead, params[:axis], params[axis+1:])
    g_ndim = grad.ndim
    front = list(builtins.range(a, a + i_ndim))
    perm = front + [d for d in builtins.range(g_ndim) if d not in front]
    moved = _transpose(grad, perm=tuple(perm)) if a else grad
    summed = _unsorted_segment_sum(moved, indices, num_segments=p_shape[axis])
    if a:
        back = [*builtins.range(1, a + 1), 0, *builtins.range(a + 1, summed.ndim)]
        summed = _transpose(summed, perm=tuple(back))
    return summed, None


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    axis: Any = None,
    batch_dims: int = 0,
    name: str | None = None,
) -> Tensor:
    """Gathers slices of `params` along `axis` at `indices`.

    >>> import tapeflow as tf
    >>> tf.gather([10, 20, 30], [2, 0]).numpy().tolist()
    [30, 10]
    """
    p = _tensor(params) if not hasattr(params, "_value") else params
    ndim = np.ndim(p._value)
    ax = 0 if axis is None else int(axis)
    if not -ndim <= ax < builtins.max(ndim, 1):
        raise InvalidArgumentError(
            f"Expected axis in the range [{-ndim}, {ndim}), but got {ax} [Op:GatherV2]"
        )
    idx = convert_to_tensor(indices)
    if idx._value.dtype.kind not in "iu":
        raise TypeError(
            f"Value passed to parameter 'indices' has DataType {idx.dtype.name} not in list of "
            "allowed values: int16, int32, int64"
        )
    bd = int(batch_dims)
    if bd < 0:
        bd += idx.ndim
    if axis is None:
        ax = bd  # TF: the axis defaults to the first non-batch axis
    ax = ax % builtins.max(ndim, 1)
    if bd:
        _check_batch_dims(p._value.shape, idx._value.shape, bd, ax, "GatherV2")
    return _gather(p, idx, axis=ax, batch_dims=bd)


def _check_batch_dims(
    p_shape: tuple[int, ...], i_shape: tuple[int, ...], bd: int, axis: int, op_type: str
) -> None:
    if not 0 <= bd <= len(i_shape):
        raise InvalidArgumentError(
            f"Expected batch_dims in the range [{-len(i_shape)}, {len(i_shape)}], but got "
            f"{bd} [Op:{op_type}]"
        )
    if bd > axis or bd >= len(p_shape):
        raise InvalidArgumentError(
            f"batch_dims ({bd}) must be less than or equal to axis ({axis}) and less than the "
            f"rank of params ({len(p_shape)}) [Op:{op_type}]"
        )
    if p_shape[:bd] != i_shape[:bd]:
        raise InvalidArgumentError(
            f"params.shape[:{bd}] = {list(p_shape[:bd])} should equal indices.shape[:{bd}] = "
            f"{list(i_shape[:bd])} (the batch dimensions) [Op:{op_type}]"
        )


def _gather_batched_vjp(
    grad: Tensor, params: Tensor, indices: Tensor, axis: int, batch_dims: int
) -> Tensor:
    """GatherV2's gradient with batch dimensions: one segment sum over batch-offset ids."""
    p_shape = params._value.shape
    idx = np.asarray(indices._value)
    flat = int(np.prod(p_shape[:batch_dims]))
    pre, post, n = p_shape[batch_dims:axis], p_shape[axis + 1 :], p_shape[axis]
    i_shape = idx.shape[batch_dims:]
    n_pre, n_i = len(pre), len(i_shape)
    g = _reshape(grad, shape=(flat, *pre, *i_shape, *post))
    perm = (
        0,
        *builtins.range(1 + n_pre, 1 + n_pre + n_i),
        *builtins.range(1, 1 + n_pre),
        *builtins.range(1 + n_pre + n_i, g.ndim),
    )
    g = _reshape(_transpose(g, perm=perm), shape=(flat * int(np.prod(i_shape)), *pre, *post))
    ids = (idx.reshape(flat, -1) + np.arange(flat)[:, None] * n).reshape(-1)
    summed = _unsorted_segment_sum(g, _wrap(ids), num_segments=flat * n)
    summed = _reshape(summed, shape=(flat, n, *pre, *post))
    back = (0, *builtins.range(2, 2 + n_pre), 1, *builtins.range(2 + n_pre, summed.ndim))
    return _reshape(_transpose(summed, perm=back), shape=p_shape)


# ---------------------------------------------------------------------------------------------
# Gather and scatter with index tuples (gather_nd, scatter_nd), masks


def _index_tuple(indices: Any) -> tuple[Any, ...]:
    """The last axis of an indices array as a tuple of NumPy index arrays."""
    idx = np.asarray(indices)
    return tuple(idx[..., j] for j in builtins.range(idx.shape[-1]))


def _check_nd_indices(idx: np.ndarray, shape: tuple[int, ...], what: str, op_type: str) -> None:
    k = idx.shape[-1]
    if k > len(shape):
        raise InvalidArgumentError(
            f"index innermost dimension length must be <= {what} rank; saw: {k} vs. "
            f"{len(shape)} [Op:{op_type}]"
        )
    if idx.size:
        bad = ((idx < 0) | (idx >= np.asarray(shape[:k], dtype=np.int64))).any(axis=-1)
        if bad.any():
            pos = np.argwhere(bad)[0]
            where = ",".join(str(int(p)) for p in pos)
            vals = ", ".join(str(int(v)) for v in idx[tuple(pos)])
            dims = ",".join(str(d) for d in shape)
            where_in = f"{what} " if what else ""
            raise InvalidArgumentError(
                f"indices[{where}] = [{vals}] does not index into {where_in}shape [{dims}] "
                f"[Op:{op_type}]"
            )


@op("GatherNd", same_dtype=())
def _gather_nd(params: Any, indices: Any) -> Any:
    idx = np.asarray(indices)
    p_shape = np.shape(params)
    if not p_shape:
        raise InvalidArgumentError("params must be at least a vector [Op:GatherNd]")
    if idx.shape[-1] > len(p_shape):
        raise InvalidArgumentError(
            f"index innermost dimension length must be <= params rank; saw: {idx.shape[-1]} "
            f"vs. {len(p_shape)} [Op:GatherNd]"
        )
    if math.prod(idx.shape[:-1]) and not math.prod(p_shape):  # even if no index is bad
        raise InvalidArgumentError(
            "Requested more than 0 entries, but params is empty.  Params shape: "
            f"[{','.join(map(str, p_shape))}] [Op:GatherNd]"
        )
    _check_nd_indices(idx, p_shape, "param", "GatherNd")
    if idx.shape[-1] == 0:  # empty index tuples pick the whole tensor each time
        return np.broadcast_to(params, idx.shape[:-1] + np.shape(params)).copy()[()]
    return np.asarray(params)[_index_tuple(idx)][()]


@_gather_nd.defvjp(batched=True)
def _gather_nd_vjp(grad: Tensor, out: Tensor, params: Tensor, indices: Tensor) -> tuple[Any, Any]:
    # scatter-add the gathered slices back where they came from
    shape = params._value.shape
    b = grad._value.ndim - np.ndim(out._value)
    if not b:
        return _scatter_nd(indices, grad, shape=shape), None
    # the batch axes go after the index axes, into the slices scattered, then back to the front
    k = indices._value.shape[-1]
    moved = _move_axes(grad, b, 0, indices.ndim - 1)
    scattered = _scatter_nd(indices, moved, shape=shape[:k] + grad._value.shape[:b] + shape[k:])
    return _move_axes(scattered, b, k, 0), None


def gather_nd(
    params: Any,
    indices: Any,
    batch_dims: int = 0,
    name: str | None = None,
    bad_indices_policy: str = "",
) -> Tensor:
    """Gathers slices of `params` named by index tuples along the last axis of `indices`.

    With `batch_dims = b`, the first b axes of `params` and `indices` are batch axes and each
    batch entry gathers from its own slice of `params`.

    >>> import tapeflow as tf
    >>> tf.gather_nd([[1, 2], [3, 4]], [[1, 0], [0, 1]]).numpy().tolist()
    [3, 2]
    """
    _check_bad_indices_policy(bad_indices_policy)
    p = _tensor(params)
    idx = convert_to_tensor(indices)
    if idx._value.dtype.kind not in "iu":
        raise TypeError(
            f"Value passed to parameter 'indices' has DataType {idx.dtype.name} not in list of "
            "allowed values: int16, int32, int64"
        )
    if idx.ndim == 0:
        raise InvalidArgumentError("indices must be at least a vector [Op:GatherNd]")
    bd = int(batch_dims)
    if bd == 0:
        return _gather_nd(p, idx)
    i_val = np.asarray(idx._value).astype(np.int64)
    p_shape, i_shape = p._value.shape, i_val.shape
    if bd < 0 or bd >= len(i_shape) or p_shape[:bd] != i_shape[:bd]:
        raise InvalidArgumentError(
            f"batch_dims = {bd} needs equal leading dimensions of params {list(p_shape)} and "
            f"indices {list(i_shape)}, and fewer batch dimensions than indices has [Op:GatherNd]"
        )
    # prepend each index tuple with its own batch coordinates: one gather_nd with no batch
    grids = np.meshgrid(*[np.arange(d) for d in i_shape[:bd]], indexing="ij")
    lead = [
        np.broadcast_to(g.reshape(g.shape + (1,) * (len(i_shape) - 1 - bd)), i_shape[:-1])
        for g in grids
    ]
    full = np.concatenate([np.stack(lead, axis=-1), i_val], axis=-1)
    return _gather_nd(p, _wrap(full))


@op("ScatterNd", same_dtype=())
def _scatter_nd(indices: Any, updates: Any, *, shape: tuple[int, ...]) -> Any:
    idx = np.asarray(indices)
    upd = np.asarray(updates)
    # TF checks the shape vector's length here, then the output's size
    _check_scatter_empty(len(shape), idx, upd, "ScatterNd")
    if not shape:
        raise InvalidArgumentError("Output must be at least 1-D, got shape: [] [Op:ScatterNd]")
    if not _valid_empty_output(math.prod(shape), idx.size, upd.size):
        raise InvalidArgumentError(
            "Indices and updates specified for empty output.  indices shape: "
            f"[{','.join(map(str, idx.shape))}] [Op:ScatterNd]"
        )
    _check_scatter_shapes(idx, upd, shape, "ScatterNd")
    _check_nd_indices(idx, shape, "", "ScatterNd")
    _check_index_depth(idx, shape, "ScatterNd")
    out = np.zeros(shape, dtype=upd.dtype)
    if out.size:  # (an empty output may come with empty index tuples, which NumPy can't use)
        np.add.at(out, _index_tuple(idx), upd)  # duplicates add up, as in TF
    return out[()]


def _move_axes(x: Tensor, n: int, source: int, destination: int) -> Tensor:
    """x with its `n` axes from `source` on moved to start at `destination`."""
    if source == destination:
        return x
    rest = [d for d in builtins.range(x.ndim) if not source <= d < source + n]
    perm = rest[:destination] + list(builtins.range(source, source + n)) + rest[destination:]
    return _transpose(x, perm=tuple(perm))


def _gather_nd_batched(grad: Tensor, b: int, indices: Tensor) -> Tensor:
    """gather_nd(grad, indices) over the axes after grad's `b` batch axes."""
    if not b:
        return _gather_nd(grad, indices)
    k = indices._value.shape[-1]
    gathered = _gather_nd(_move_axes(grad, b, 0, k), indices)
    return _move_axes(gathered, b, indices.ndim - 1, 0)


def _valid_empty_output(n_out: int, n_indices: int, n_updates: int) -> bool:
    """TF's ValidEmptyOutputShape: no indices and no updates, or none of the three empty."""
    if n_indices == 0 and n_updates == 0:
        return True
    return n_out != 0 and n_indices != 0 and n_updates != 0


def _check_scatter_empty(n_out: int, idx: np.ndarray, upd: np.ndarray, op_type: str) -> None:
    # empty index tuples (indices.shape[-1] == 0) have no elements: any updates fail here
    if not _valid_empty_output(n_out, idx.size, upd.size):
        raise InvalidArgumentError(
            f"Indices and updates specified for empty output shape [Op:{op_type}]"
        )


def _check_index_depth(idx: np.ndarray, shape: tuple[int, ...], op_type: str) -> None:
    # TF's scatter kernels have no case for empty index tuples (an empty output never gets there)
    if idx.shape[-1] == 0 and math.prod(shape):
        raise InvalidArgumentError(
            "Only indices.shape[-1] values between 1 and 5 are currently supported.  "
            f"Requested rank: 0 [Op:{op_type}]"
        )


def _check_tensor_scatter(
    idx: np.ndarray, upd: np.ndarray, shape: tuple[int, ...], op_type: str
) -> None:
    """TensorScatterUpdate/Add's checks, in TF's order."""
    _check_scatter_empty(math.prod(shape), idx, upd, op_type)
    if not shape:
        raise InvalidArgumentError(f"Output must be at least 1-D, got shape: [] [Op:{op_type}]")
    _check_scatter_shapes(idx, upd, shape, op_type)
    _check_nd_indices(idx, shape, "", op_type)
    _check_index_depth(idx, shape, op_type)


def _check_scatter_shapes(
    idx: np.ndarray, upd: np.ndarray, shape: tuple[int, ...], op_type: str
) -> None:
    k = idx.shape[-1]
    want = idx.shape[:-1] + tuple(shape[k:])
    if upd.shape != want:
        raise InvalidArgumentError(
            f"Dimensions [0,{idx.ndim - 1}) of indices[shape={list(idx.shape)}] must match "
            f"dimensions [0,{idx.ndim - 1}) of updates[shape={list(upd.shape)}]; updates must "
            f"have shape {list(want)} [Op:{op_type}]"
        )


@_scatter_nd.defvjp(batched=True)
def _scatter_nd_vjp(
    grad: Tensor, out: Tensor, indices: Tensor, updates: Tensor, *, shape: Any
) -> Any:
    # each update went to one place: its gradient is read back from there
    return None, _gather_nd_batched(grad, grad._value.ndim - np.ndim(out._value), indices)


def _check_bad_indices_policy(policy: str) -> None:
    if policy not in ("", "DEFAULT", "ERROR"):
        raise NotImplementedError(
            f"bad_indices_policy={policy!r} is not supported: tapeflow raises "
            "InvalidArgumentError for out-of-range indices (TF's default, 'ERROR')"
        )


def _nd_indices(indices: Any, op_type: str) -> Tensor:
    idx = convert_to_tensor(indices)
    if idx._value.dtype.kind not in "iu":
        raise TypeError(
            f"Value passed to parameter 'indices' has DataType {idx.dtype.name} not in list of "
            "allowed values: int16, int32, int64"
        )
    if idx.ndim == 0:
        raise InvalidArgumentError(f"Indices must be at least a vector [Op:{op_type}]")
    return idx


def scatter_nd(
    indices: Any,
    updates: Any,
    shape: Any,
    bad_indices_policy: str = "",
    name: str | None = None,
) -> Tensor:
    """A zeros tensor of `shape` with `updates` added at the index tuples in `indices`.

    >>> import tapeflow as tf
    >>> tf.scatter_nd([[1], [1], [3]], [1.0, 2.0, 5.0], [4]).numpy().tolist()
    [0.0, 3.0, 0.0, 5.0]
    """
    _check_bad_indices_policy(bad_indices_policy)
    return _scatter_nd(_nd_indices(indices, "ScatterNd"), updates, shape=_shape_tuple(shape))


@op("TensorScatterUpdate", same_dtype=(0, 2))
def _tensor_scatter_update(tensor: Any, indices: Any, updates: Any) -> Any:
    idx, upd = np.asarray(indices), np.asarray(updates)
    _check_tensor_scatter(idx, upd, np.shape(tensor), "TensorScatterUpdate")
    out = np.array(tensor, copy=True)
    if out.size:
        out[_index_tuple(idx)] = upd
    return out[()]


@_tensor_scatter_update.defvjp(batched=True)
def _tensor_scatter_update_vjp(
    grad: Tensor, out: Tensor, tensor: Tensor, indices: Tensor, updates: Tensor
) -> tuple[Any, Any, Any]:
    # overwritten entries of `tensor` get no gradient; the updates get theirs
    b = grad._value.ndim - np.ndim(out._value)
    if b:  # the same entries cleared in every batch row: batch axes after the indexed ones
        k = indices._value.shape[-1]
        moved = _move_axes(grad, b, 0, k)
        zeros_shape = updates._value.shape[: indices.ndim - 1] + moved._value.shape[k:]
        cleared = _tensor_scatter_update(moved, indices, np.zeros(zeros_shape, grad._value.dtype))
        cleared = _move_axes(cleared, b, k, 0)
    else:
        cleared = _tensor_scatter_update(grad, indices, zeros_like_np(updates))
    return cleared, None, _gather_nd_batched(grad, b, indices)


def tensor_scatter_nd_update(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """A copy of `tensor` with the entries at `indices` replaced by `updates`.

    >>> import tapeflow as tf
    >>> tf.tensor_scatter_nd_update([1, 2, 3], [[0], [2]], [9, 8]).numpy().tolist()
    [9, 2, 8]
    """
    idx = _nd_indices(indices, "TensorScatterUpdate")
    return _tensor_scatter_update(tensor, idx, updates)


@op("TensorScatterAdd", same_dtype=(0, 2))
def _tensor_scatter_add(tensor: Any, indices: Any, updates: Any) -> Any:
    idx, upd = np.asarray(indices), np.asarray(updates)
    _check_tensor_scatter(idx, upd, np.shape(tensor), "TensorScatterAdd")
    out = np.array(tensor, copy=True)
    if out.size:
        np.add.at(out, _index_tuple(idx), upd)
    return out[()]


@_tensor_scatter_add.defvjp(batched=True)
def _tensor_scatter_add_vjp(
    grad: Tensor, out: Tensor, tensor: Tensor, indices: Tensor, updates: Tensor
) -> tuple[Any, Any, Any]:
    # out = tensor + scatter(updates): the identity for tensor, a gather for the updates
    return grad, None, _gather_nd_batched(grad, grad._value.ndim - np.ndim(out._value), indices)


def tensor_scatter_nd_add(
    tensor: Any,
    indices: Any,
    updates: Any,
    bad_indices_policy: str = "",
    name: str | None = None,
) -> Tensor:
    """A copy of `tensor` with `updates` added at `indices` (duplicates add up).

    >>> import tapeflow as tf
    >>> tf.tensor_scatter_nd_add([1, 2, 3], [[0], [0]], [5, 5]).numpy().tolist()
    [11, 2, 3]
    """
    _check_bad_indices_policy(bad_indices_policy)
    idx = _nd_indices(indices, "TensorScatterAdd")
    return _tensor_scatter_add(tensor, idx, updates)


def boolean_mask(tensor: Any, mask: Any, axis: Any = None, name: str = "boolean_mask") -> Tensor:
    """The entries (or slices) of `tensor` where `mask` is True; `mask` covers the axes
    `axis .. axis + mask.ndim` of `tensor`, which are flattened into one. A gather, so the
    gradient is zero where the mask is False.

    >>> import tapeflow as tf
    >>> tf.boolean_mask([[1, 2], [3, 4]], [False, True]).numpy().tolist()
    [[3, 4]]
    """
    x = _tensor(tensor)
    m = np.asarray(_value(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"mask must be a bool tensor, got {dtypes.from_numpy(m.dtype).name}")
    if m.ndim == 0:
        raise ValueError("mask cannot be scalar.")
    ax = 0 if axis is None else int(axis)
    if ax < 0:
        ax += x.ndim
    shape = x._value.shape
    covered = shape[ax : ax + m.ndim]
    if covered != m.shape:
        raise ValueError(f"Shapes {tuple(covered)} and {m.shape} are incompatible")
    flat = _reshape(x, shape=(*shape[:ax], int(np.prod(covered)), *shape[ax + m.ndim :]))
    idx = np.flatnonzero(m).astype(np.int64)
    return _gather(flat, _wrap(idx), axis=ax, batch_dims=0)


# ---------------------------------------------------------------------------------------------
# Partitions, stitches, segment means and counts, built on the gathers and scatters above (so
# their gradients are those ops' gradients, as TF's are)


def _int_values(x: Any) -> np.ndarray:
    return np.asarray(_tensor(x)._value)


def dynamic_partition(
    data: Any, partitions: Any, num_partitions: int, name: str | None = None
) -> list[Tensor]:
    """The rows of `data` split into `num_partitions` tensors by the partition of each row.

    >>> import tapeflow as tf
    >>> [p.numpy().tolist() for p in tf.dynamic_partition([10, 20, 30], [1, 0, 1], 2)]
    [[20], [10, 30]]
    """
    data, parts = _tensor(data), _int_values(partitions)
    outside = (parts < 0) | (parts >= num_partitions)
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        raise InvalidArgumentError(
            f"partitions{list(where)} = {parts[where]} is not in [0, {num_partitions}) "
            "[Op:DynamicPartition]"
        )
    # rows of the partitions' rank collapse into one axis, so each part is one gather
    flat = _reshape(data, shape=(-1, *data._value.shape[parts.ndim :]))
    return [
        _gather(flat, np.flatnonzero(parts.reshape(-1) == i).astype(np.int64), axis=0, batch_dims=0)
        for i in builtins.range(num_partitions)
    ]


def dynamic_stitch(indices: Any, data: Any, name: str | None = None) -> Tensor:
    """Interleaves the rows of each `data[m]` into one tensor at positions `indices[m]`; where
    positions repeat, the later row wins.

    >>> import tapeflow as tf
    >>> tf.dynamic_stitch([[0, 2], [1]], [[1.0, 3.0], [2.0]]).numpy().tolist()
    [1.0, 2.0, 3.0]
    """
    idx = [_int_values(i) for i in indices]
    values = [_tensor(d) for d in data]
    inner = values[0]._value.shape[idx[0].ndim :]
    rows = [_reshape(v, shape=(-1, *inner)) for v in values]
    positions = np.concatenate([i.reshape(-1) for i in idx]).astype(np.int64)
    size = int(positions.max()) + 1 if positions.size else 0
    base = np.zeros((size, *inner), values[0]._value.dtype)
    stacked = concat(rows, axis=0) if len(rows) > 1 else rows[0]
    return _tensor_scatter_update(base, positions[:, None], stacked)


def unsorted_segment_mean(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """The mean of the rows of `data` in each of `num_segments` segments (0 for an empty one).

    >>> import tapeflow as tf
    >>> tf.math.unsorted_segment_mean([1.0, 2.0, 4.0], [1, 1, 0], 3).numpy().tolist()
    [4.0, 1.5, 0.0]
    """
    from tapeflow.ops.math import realdiv

    data, ids = _tensor(data), _int_values(segment_ids)
    n = int(getattr(num_segments, "_value", num_segments))
    sums = unsorted_segment_sum(data, ids, n)
    counts = np.bincount(ids[ids >= 0].reshape(-1), minlength=n)[:n]
    shape = (n,) + (1,) * (sums.ndim - 1)
    return realdiv(sums, np.maximum(counts, 1).reshape(shape).astype(data._value.dtype))


def segment_mean(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """The mean of the rows of `data` by sorted `segment_ids` (`segment_ids[-1] + 1` rows).

    >>> import tapeflow as tf
    >>> tf.math.segment_mean([1.0, 2.0, 4.0], [0, 0, 1]).numpy().tolist()
    [1.5, 4.0]
    """
    ids = _int_values(segment_ids)
    return unsorted_segment_mean(data, ids, int(ids[-1]) + 1 if ids.size else 0)


def confusion_matrix(
    labels: Any,
    predictions: Any,
    num_classes: Any = None,
    weights: Any = None,
    dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """Counts (or sums `weights` of) each (label, prediction) pair: rows are labels.

    >>> import tapeflow as tf
    >>> tf.math.confusion_matrix([0, 1, 1], [0, 1, 0]).numpy().tolist()
    [[1, 0], [1, 1]]
    """
    lab, pred = _int_values(labels).reshape(-1), _int_values(predictions).reshape(-1)
    for what, v in (("labels", lab), ("predictions", pred)):
        if v.size and v.min() < 0:
            raise InvalidArgumentError(f"`{what}` contains negative values.")
    if num_classes is None:
        n = int(max(lab.max(initial=-1), pred.max(initial=-1))) + 1
    else:
        n = int(num_classes)
    w = np.ones(lab.shape) if weights is None else _int_values(weights).reshape(-1)
    out: np.ndarray = np.zeros((n, n), dtypes.as_dtype(dtype).as_numpy_dtype)
    np.add.at(out, (lab, pred), w.astype(out.dtype))
    return _wrap(out)
