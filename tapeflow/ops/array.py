"""Shape and indexing ops: reshape, transpose, concat, stack, gather, slicing, and the
constructors (zeros, ones, fill, range, linspace, eye)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.indexed_slices import gather_gradient
from tapeflow.op import op
from tapeflow.tape import broadcast_to, ones_like_np, zeros_like_np
from tapeflow.tensor import Tensor, TensorShape, _wrap, convert_to_tensor

__all__ = [
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "concat",
    "stack",
    "unstack",
    "split",
    "tile",
    "gather",
    "strided_slice_key",
    "getitem",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "fill",
    "eye",
    "range",
    "linspace",
    "shape",
    "size",
    "rank",
    "broadcast_to",
    "unsorted_segment_sum",
    "segment_sum",
    "bincount",
    "pad",
    "slice",
    "strided_slice",
    "reverse",
    "roll",
    "repeat",
    "gather_nd",
    "scatter_nd",
    "tensor_scatter_nd_update",
    "tensor_scatter_nd_add",
    "boolean_mask",
    "one_hot",
    "meshgrid",
    "sequence_mask",
    "searchsorted",
    "diag",
    "diag_part",
    "band_part",
]


def _shape_tuple(shape: Any) -> tuple[int, ...]:
    """A shape argument (list, tuple, TensorShape, tensor) as a tuple of ints."""
    if isinstance(shape, TensorShape):
        return tuple(int(d) for d in shape.as_list())  # type: ignore[arg-type]
    if hasattr(shape, "_value"):
        shape = shape._value
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


def _tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else convert_to_tensor(x)


def lead_shape(grad: Any, out: Any) -> tuple[int, ...]:
    """The extra leading (batch) axes a cotangent carries beyond its output's shape.

    A batched VJP (`defvjp(batched=True)`) keeps them in front of every input gradient:
    reshapes go to `lead + shape`, and axis numbers move right by `len(lead)`.
    """
    g = grad._value
    return g.shape[: g.ndim - np.ndim(out._value)]


def _row_by_row(fn: Any, grad: Tensor, lead: tuple[int, ...]) -> Tensor:
    """fn over each row of a batched cotangent, for a rule that cannot batch one case."""
    n = int(np.prod(lead))
    rows = _unstack(_reshape(grad, shape=(n, *grad._value.shape[len(lead) :])), axis=0)
    done = _stack(*[fn(r) for r in rows], axis=0)
    return _reshape(done, shape=lead + done._value.shape[1:])


def like_dtype(value: Any, ref: Tensor) -> Any:
    """An op's second operand converted as TF converts it: Python values and NumPy arrays take
    the first operand's dtype; tensors and variables are left for the op to check."""
    if hasattr(value, "_value"):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        kind = ref._value.dtype.kind
        if value.dtype.kind == "c" and kind != "c":
            return _wrap(np.asarray(value))  # the op then reports the dtype mismatch
        return _wrap(np.asarray(value).astype(ref._value.dtype)[()])
    return convert_to_tensor(value, dtype_hint=ref.dtype)


# ---------------------------------------------------------------------------------------------
# Reshaping


@op("Reshape", same_dtype=())
def _reshape(tensor: Any, *, shape: tuple[int, ...]) -> Any:
    try:
        return np.reshape(tensor, shape)[()]
    except ValueError:
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {np.size(tensor)} values, but the requested "
            f"shape has {int(np.prod(shape))} [Op:Reshape]"
        ) from None


@_reshape.defvjp(batched=True)
def _reshape_vjp(grad: Tensor, out: Tensor, x: Tensor, *, shape: Any) -> tuple[Any]:
    return (_reshape(grad, shape=lead_shape(grad, out) + np.shape(x._value)),)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """Gives `tensor` a new shape with the same elements; one dimension may be -1.

    >>> import tapeflow as tf
    >>> tf.reshape(tf.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    return _reshape(tensor, shape=_shape_tuple(shape))


@op("Transpose", same_dtype=())
def _transpose(x: Any, *, perm: tuple[int, ...]) -> Any:
    return np.transpose(x, perm)[()]


@_transpose.defvjp(batched=True)
def _transpose_vjp(grad: Tensor, out: Tensor, x: Tensor, *, perm: tuple[int, ...]) -> tuple[Any]:
    # the inverse permutation, after the batch axes
    b = len(lead_shape(grad, out))
    inverse = tuple(builtins.range(b)) + tuple(b + int(p) for p in np.argsort(perm))
    return (_transpose(grad, perm=inverse),)


def transpose(a: Any, perm: Any = None, conjugate: bool = False, name: str | None = None) -> Tensor:
    """Permutes the axes (reverses them if `perm` is None).

    >>> import tapeflow as tf
    >>> tf.transpose(tf.zeros([2, 3])).shape
    TensorShape([3, 2])
    """
    a = _tensor(a)
    p = tuple(reversed(builtins.range(a.ndim))) if perm is None else _shape_tuple(perm)
    if sorted(p) != list(builtins.range(a.ndim)):
        raise InvalidArgumentError(
            f"transpose expects a permutation of {a.ndim} axes, got perm={list(p)} [Op:Transpose]"
        )
    out = _transpose(a, perm=p)
    if conjugate and a._value.dtype.kind == "c":
        from tapeflow.ops.math import conj

        out = conj(out)
    return out


def expand_dims(input: Any, axis: Any, name: str | None = None) -> Tensor:
    """Inserts a dimension of size 1 at `axis`.

    >>> import tapeflow as tf
    >>> tf.expand_dims([1, 2], -1).shape
    TensorShape([2, 1])
    """
    x = _tensor(input)
    ndim = x.ndim
    ax = int(axis)
    if not -ndim - 1 <= ax <= ndim:
        raise InvalidArgumentError(
            f"Tried to expand dim index {ax} for tensor with {ndim} dimensions. [Op:ExpandDims]"
        )
    ax = ax % (ndim + 1)
    shape = x._value.shape
    return _reshape(x, shape=(*shape[:ax], 1, *shape[ax:]))


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """Removes dimensions of size 1 (only those in `axis`, if given).

    >>> import tapeflow as tf
    >>> tf.squeeze(tf.zeros([1, 2, 1])).shape
    TensorShape([2])
    """
    x = _tensor(input)
    shape = x._value.shape
    if axis is None:
        new = tuple(d for d in shape if d != 1)
    else:
        axes = {a % builtins.max(len(shape), 1) for a in _shape_tuple(axis)}
        for a in axes:
            if shape[a] != 1:
                raise InvalidArgumentError(
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]} "
                    "[Op:Squeeze]"
                )
        new = tuple(d for i, d in enumerate(shape) if i not in axes)
    return _reshape(x, shape=new)


# ---------------------------------------------------------------------------------------------
# Joining and splitting


@op("ConcatV2")
def _concat(*values: Any, axis: int = 0) -> Any:
    return np.concatenate(values, axis=axis)


@_concat.defvjp(batched=True)
def _concat_vjp(grad: Tensor, out: Tensor, *inputs: Any, axis: int) -> tuple[Any, ...]:
    # the adjoint of joining is splitting at the same places
    sizes = tuple(x._value.shape[axis] for x in inputs)
    return _split(grad, sizes=sizes, axis=axis + len(lead_shape(grad, out)))


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """Joins tensors along an existing axis.

    >>> import tapeflow as tf
    >>> tf.concat([[1, 2], [3]], 0).numpy().tolist()
    [1, 2, 3]
    """
    tensors = [_tensor(v) for v in values]
    if not tensors:
        raise ValueError("tf.concat needs at least one tensor to concatenate.")
    ndim = tensors[0].ndim
    ax = int(axis)
    if not -ndim <= ax < builtins.max(ndim, 1):
        raise InvalidArgumentError(
            f"ConcatOp : Expected concatenating dimensions in the range [{-ndim}, {ndim}), but "
            f"got {ax} [Op:ConcatV2]"
        )
    if len(tensors) == 1:
        from tapeflow.ops.math import identity

        return identity(tensors[0])
    return _concat(*tensors, axis=ax % ndim)


@op("SplitV", same_dtype=())
def _split(value: Any, *, sizes: tuple[int, ...], axis: int) -> Any:
    cuts = np.cumsum(sizes)[:-1]
    return tuple(np.split(value, cuts, axis=axis))


@_split.defvjp(batched=True)
def _split_vjp(
    grads: tuple[Any, ...], outs: Any, value: Tensor, *, sizes: Any, axis: int
) -> tuple[Any]:
    return (_concat(*grads, axis=axis + len(lead_shape(grads[0], outs[0]))),)


def split(
    value: Any, num_or_size_splits: Any, axis: Any = 0, num: Any = None, name: str = "split"
) -> list[Tensor]:
    """Splits into equal parts (an int) or parts of given sizes (a list; one may be -1).

    >>> import tapeflow as tf
    >>> [t.numpy().tolist() for t in tf.split([1, 2, 3, 4], [1, 3])]
    [[1], [2, 3, 4]]
    """
    x = _tensor(value)
    ax = int(axis) % builtins.max(x.ndim, 1)
    dim = x._value.shape[ax]
    if isinstance(num_or_size_splits, (int, np.integer)):
        n = int(num_or_size_splits)
        if n <= 0 or dim % n:
            raise InvalidArgumentError(
                f"Number of ways to split should evenly divide the split dimension, but got "
                f"split_dim {ax} (size = {dim}) and num_split {n} [Op:Split]"
            )
        sizes = (dim // n,) * n
    else:
        sizes_list = list(_shape_tuple(num_or_size_splits))
        if -1 in sizes_list:
            sizes_list[sizes_list.index(-1)] = dim - (sum(sizes_list) + 1)
        if sum(sizes_list) != dim:
            raise InvalidArgumentError(
                f"Determined shape must either match input shape along split_dim exactly if "
                f"fully specified, or be less than the size of the input along split_dim if not "
                f"fully specified.  Got: {sum(sizes_list)} [Op:SplitV]"
            )
        sizes = tuple(sizes_list)
    return list(_split(x, sizes=sizes, axis=ax))


@op("Pack")
def _stack(*values: Any, axis: int = 0) -> Any:
    return np.stack(values, axis=axis)


@_stack.defvjp(batched=True)
def _stack_vjp(grad: Tensor, out: Tensor, *inputs: Any, axis: int) -> tuple[Any, ...]:
    return _unstack(grad, axis=axis + len(lead_shape(grad, out)))


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """Stacks same-shaped tensors along a new axis.

    >>> import tapeflow as tf
    >>> tf.stack([[1, 2], [3, 4]], axis=1).numpy().tolist()
    [[1, 3], [2, 4]]
    """
    tensors = [_tensor(v) for v in values]
    shapes = {t._value.shape for t in tensors}
    if len(shapes) > 1:
        a, b = list(shapes)[:2]
        raise InvalidArgumentError(
            f"Shapes of all inputs must match: values[0].shape = {list(tensors[0]._value.shape)} "
            f"!= values[i].shape for some i (got {list(a)} and {list(b)}) [Op:Pack]"
        )
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-ndim}, {ndim})")
    return _stack(*tensors, axis=axis % ndim)


@op("Unpack", same_dtype=())
def _unstack(value: Any, *, axis: int = 0) -> Any:
    return tuple(np.moveaxis(value, axis, 0)[i][()] for i in builtins.range(value.shape[axis]))


@_unstack.defvjp(batched=True)
def _unstack_vjp(grads: tuple[Any, ...], outs: Any, value: Tensor, *, axis: int) -> tuple[Any]:
    return (_stack(*grads, axis=axis + len(lead_shape(grads[0], outs[0]))),)


def unstack(value: Any, num: Any = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    """Splits a tensor into a list along `axis`, removing that axis."""
    x = _tensor(value)
    if x.ndim == 0:
        raise ValueError("Cannot unstack a scalar tensor (rank 0).")
    return list(_unstack(x, axis=axis % x.ndim))


@op("Tile", same_dtype=())
def _tile(input: Any, *, multiples: tuple[int, ...]) -> Any:
    return np.tile(input, multiples)


@_tile.defvjp(batched=True)
def _tile_vjp(grad: Tensor, out: Tensor, x: Tensor, *, multiples: tuple[int, ...]) -> tuple[Any]:
    # view the tiled gradient as (m0, d0, m1, d1, ...) and sum the copies
    from tapeflow.ops.reduce import reduce_sum

    lead = lead_shape(grad, out)
    shape = np.shape(x._value)
    split_shape = lead + tuple(v for pair in zip(multiples, shape) for v in pair)
    axes = list(builtins.range(len(lead), len(lead) + 2 * len(shape), 2))
    return (reduce_sum(_reshape(grad, shape=split_shape), axis=axes),)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:
    """Repeats the tensor `multiples[i]` times along axis i."""
    x = _tensor(input)
    m = _shape_tuple(multiples)
    if len(m) != x.ndim:
        raise InvalidArgumentError(
            f"Expected multiples argument to be a vector of length {x.ndim} but got length "
            f"{len(m)} [Op:Tile]"
        )
    return _tile(x, multiples=m)


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
    from tapeflow.ops.math import cast, greater_equal, maximum, multiply

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


@_segment_sum.defvjp
def _segment_sum_vjp(grad: Tensor, out: Tensor, data: Tensor, ids: Tensor) -> tuple[Any, Any]:
    # each row's gradient is its segment's gradient
    return _gather(grad, ids, axis=0, batch_dims=0), None


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
        bad = idx[(idx < 0) | (idx >= n)].reshape(-1)[0]
        raise InvalidArgumentError(f"indices = {bad} is not in [0, {n}) [Op:GatherV2]")
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
# Slicing: tensor[...]


def strided_slice_key(key: Any) -> tuple[Any, ...]:
    """A `__getitem__` key as a hashable tuple: ints, ("s", start, stop, step), None, Ellipsis."""
    if not isinstance(key, tuple):
        key = (key,)
    out: list[Any] = []
    for k in key:
        if k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, builtins.slice):
            out.append(("s", _index(k.start), _index(k.stop), _index(k.step)))
        elif isinstance(k, (bool, np.bool_)):
            raise TypeError(_BAD_INDEX.format(k=k))
        else:
            out.append(_index(k, strict=True))
    return tuple(out)


_BAD_INDEX = (
    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/"
    "tf.int64 tensors are valid indices, got {k!r}"
)


def _index(k: Any, strict: bool = False) -> int | None:
    if k is None and not strict:
        return None
    if isinstance(k, (int, np.integer)):
        return int(k)
    if hasattr(k, "_value") and np.ndim(k._value) == 0 and np.asarray(k._value).dtype.kind in "iu":
        return int(k._value)
    raise TypeError(_BAD_INDEX.format(k=k))


def _numpy_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(builtins.slice(k[1], k[2], k[3]) if isinstance(k, tuple) else k for k in key)


@op("StridedSlice", same_dtype=())
def _strided_slice(input: Any, *, key: tuple[Any, ...]) -> Any:
    np_key = _numpy_key(key)
    try:
        out = np.asarray(input)[np_key]
    except IndexError as e:
        raise InvalidArgumentError(f"{e} [Op:StridedSlice] name: strided_slice/") from None
    return out.copy()[()] if isinstance(out, np.ndarray) else out


_ALL = ("s", None, None, None)  # the key of a whole axis, `:`


@_strided_slice.defvjp(batched=True)
def _strided_slice_vjp(grad: Tensor, out: Tensor, x: Tensor, *, key: Any) -> tuple[Any]:
    # scatter the gradient into zeros of the input's shape (batch axes: sliced whole)
    lead = lead_shape(grad, out)
    shape = lead + np.shape(x._value)
    return (_strided_slice_grad(grad, shape=shape, key=(_ALL,) * len(lead) + key),)


@op("StridedSliceGrad", same_dtype=())
def _strided_slice_grad(dy: Any, *, shape: tuple[int, ...], key: tuple[Any, ...]) -> Any:
    out = np.zeros(shape, dtype=np.asarray(dy).dtype)
    out[_numpy_key(key)] = dy
    return out[()]


@_strided_slice_grad.defvjp(batched=True)
def _strided_slice_grad_vjp(
    grad: Tensor, out: Tensor, dy: Tensor, *, shape: Any, key: Any
) -> tuple[Any]:
    return (_strided_slice(grad, key=(_ALL,) * len(lead_shape(grad, out)) + key),)


def getitem(tensor: Any, key: Any) -> Tensor:
    """`tensor[key]` with TF's indexing: ints, slices with steps, `...`, `tf.newaxis`."""
    return _strided_slice(tensor, key=strided_slice_key(key))


# ---------------------------------------------------------------------------------------------
# Constructors and shape queries (no gradients)


def _no_layout(layout: Any) -> None:
    if layout is not None:
        raise NotImplementedError("DTensor layouts are not supported by tapeflow")


def _dims(shape: Any) -> tuple[int, ...]:
    dims = _shape_tuple(shape)
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(f"Dimension {d} must be >= 0 [Op:Fill]")
    return dims


def zeros(
    shape: Any, dtype: Any = dtypes.float32, name: str | None = None, layout: Any = None
) -> Tensor:
    """A tensor of zeros (empty strings for tf.string).

    >>> import tapeflow as tf
    >>> tf.zeros([2]).numpy().tolist()
    [0.0, 0.0]
    """
    _no_layout(layout)
    dt = dtypes.as_dtype(dtype)
    if dt is dtypes.string:
        return _wrap(np.full(_dims(shape), b"", dtype=object))
    return _wrap(np.zeros(_dims(shape), dtype=dt._np)[()])


def ones(
    shape: Any, dtype: Any = dtypes.float32, name: str | None = None, layout: Any = None
) -> Tensor:
    """A tensor of ones.

    >>> import tapeflow as tf
    >>> tf.ones([2], tf.int32).numpy().tolist()
    [1, 1]
    """
    _no_layout(layout)
    dt = dtypes.as_dtype(dtype)
    if dt is dtypes.string:
        raise TypeError("Cannot convert 1 to EagerTensor of dtype string")
    return _wrap(np.ones(_dims(shape), dtype=dt._np)[()])


def _is_string(x: Any) -> bool:
    return np.asarray(_value(x)).dtype == object


def zeros_like(
    input: Any, dtype: Any = None, name: str | None = None, layout: Any = None
) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of `input`.

    >>> import tapeflow as tf
    >>> tf.zeros_like([[1, 2]]).numpy().tolist()
    [[0, 0]]
    """
    _no_layout(layout)
    if dtype is None and _is_string(input):
        return zeros(np.shape(_value(input)), dtypes.string)
    out = zeros_like_np(input)
    return (
        out
        if dtype is None
        else _wrap(np.asarray(out._value).astype(dtypes.as_dtype(dtype)._np)[()])
    )


def ones_like(input: Any, dtype: Any = None, name: str | None = None, layout: Any = None) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of `input`.

    >>> import tapeflow as tf
    >>> tf.ones_like([1.5, 2.5]).numpy().tolist()
    [1.0, 1.0]
    """
    _no_layout(layout)
    if dtype is None and _is_string(input):
        raise InvalidArgumentError(
            "Value for attr 'T' of string is not in the list of allowed values [Op:OnesLike]"
        )
    out = ones_like_np(input)
    return (
        out
        if dtype is None
        else _wrap(np.asarray(out._value).astype(dtypes.as_dtype(dtype)._np)[()])
    )


def fill(dims: Any, value: Any, name: str | None = None, layout: Any = None) -> Tensor:
    """A tensor of shape `dims` filled with `value` (differentiable in `value`).

    >>> import tapeflow as tf
    >>> tf.fill([2], 7).numpy().tolist()
    [7, 7]
    """
    _no_layout(layout)
    v = _tensor(value)
    if v.ndim == 1 and v._value.shape[0] == 1:  # TF's kernel still takes a "legacy scalar"
        v = _reshape(v, shape=())
    if v.ndim:
        raise InvalidArgumentError(f"value must be a scalar, got shape {v.shape} [Op:Fill]")
    return broadcast_to(v, _dims(dims))


def eye(
    num_rows: int,
    num_columns: int | None = None,
    batch_shape: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """An identity matrix (or a batch of them)."""
    m = np.eye(
        int(num_rows),
        None if num_columns is None else int(num_columns),
        dtype=dtypes.as_dtype(dtype)._np,
    )
    if batch_shape is not None:
        m = np.broadcast_to(m, _shape_tuple(batch_shape) + m.shape).copy()
    return _wrap(m)


def range(
    start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str = "range"
) -> Tensor:
    """Numbers from `start` up to (not including) `limit` by `delta`.

    >>> import tapeflow as tf
    >>> tf.range(5).numpy().tolist(), tf.range(1, 2, 0.5).dtype.name
    ([0, 1, 2, 3, 4], 'float32')
    """
    if limit is None:
        start, limit = 0, start
    vals = [np.asarray(_value(v)) for v in (start, limit, delta)]
    if dtype is None:  # the widest of the arguments' own dtypes, floats winning over ints
        floats = [v.dtype for v in vals if v.dtype.kind == "f"]
        target = max(floats or [v.dtype for v in vals], key=lambda d: d.itemsize)
    else:
        target = dtypes.as_dtype(dtype)._np
    if float(vals[2]) == 0:
        raise InvalidArgumentError("Requires delta != 0: 0 [Op:Range]")
    return _wrap(np.arange(vals[0].item(), vals[1].item(), vals[2].item()).astype(target))


def linspace(start: Any, stop: Any, num: Any, name: str | None = None, axis: int = 0) -> Tensor:
    """`num` evenly spaced values from `start` to `stop`, both included.

    >>> import tapeflow as tf
    >>> tf.linspace(0.0, 1.0, 3).numpy().tolist()
    [0.0, 0.5, 1.0]
    """
    s = _tensor(start)
    e = _tensor(stop)
    if s._value.dtype.kind not in "f":
        raise TypeError(f"linspace needs floating start and stop, got {s.dtype.name}")
    out = np.linspace(s._value, e._value, int(getattr(num, "_value", num)), axis=axis)
    return _wrap(out.astype(s._value.dtype))


def shape(input: Any, out_type: Any = None, name: str | None = None) -> Tensor:
    """The shape of `input` as a 1-D integer tensor (int32 unless `out_type` says otherwise)."""
    dt = dtypes.as_dtype(dtypes.int32 if out_type is None else out_type)
    return _wrap(np.asarray(np.shape(_value(input)), dtype=dt._np))


def size(input: Any, out_type: Any = None, name: str | None = None) -> Tensor:
    """The number of elements of `input` as a scalar tensor (int32 unless `out_type` says
    otherwise)."""
    dt = dtypes.as_dtype(dtypes.int32 if out_type is None else out_type)
    return _wrap(dt._np.type(np.size(_value(input))))


def rank(input: Any, name: str | None = None) -> Tensor:
    """The number of dimensions of `input` as a scalar int32 tensor."""
    return _wrap(np.int32(np.ndim(_value(input))))


def _value(x: Any) -> Any:
    return x._value if hasattr(x, "_value") else convert_to_tensor(x)._value


# ---------------------------------------------------------------------------------------------
# Padding, slicing, reversing and rolling


def _paddings(paddings: Any, ndim: int, op_type: str) -> tuple[tuple[int, int], ...]:
    pads = np.asarray(_value(paddings)).astype(np.int64)
    if pads.ndim != 2 or pads.shape[1] != 2 or pads.shape[0] != ndim:
        raise InvalidArgumentError(
            f"The first dimension of paddings must be the rank of inputs{list(pads.shape)}, "
            f"and paddings must have shape [{ndim}, 2] [Op:{op_type}]"
        )
    if (pads < 0).any():
        bad = pads[(pads < 0).any(axis=1)][0]
        raise InvalidArgumentError(
            f"Paddings must be non-negative: {bad[0]} {bad[1]} [Op:{op_type}]"
        )
    return tuple((int(b), int(a)) for b, a in pads)


@op("PadV2")
def _pad(input: Any, constant_values: Any, *, paddings: tuple[tuple[int, int], ...]) -> Any:
    return np.pad(input, paddings, constant_values=constant_values)[()]


@_pad.defvjp
def _pad_vjp(grad: Tensor, out: Tensor, x: Tensor, c: Tensor, *, paddings: Any) -> tuple[Any, Any]:
    # padding is an embedding: its adjoint cuts the original block out (TF: no gradient for c)
    return _slice(grad, begin=tuple(b for b, _ in paddings), size=x._value.shape), None


@op("MirrorPad", same_dtype=())
def _mirror_pad(input: Any, *, paddings: tuple[tuple[int, int], ...], mode: str) -> Any:
    np_mode: Any = mode.lower()  # NumPy's "reflect" and "symmetric" are TF's two modes
    return np.pad(input, paddings, mode=np_mode)[()]


@op("MirrorPadGrad", same_dtype=())
def _mirror_pad_grad(grad: Any, *, paddings: tuple[tuple[int, int], ...], mode: str) -> Any:
    # fold each mirrored border back onto the entries it copied, one axis at a time
    shift = 1 if mode == "REFLECT" else 0
    g = np.asarray(grad)
    for axis, (before, after) in enumerate(paddings):
        g = np.moveaxis(g, axis, 0)
        n = g.shape[0] - before - after
        core = g[before : before + n].copy()
        if before:
            core[shift : shift + before] += g[before - 1 :: -1]
        if after:
            core[n - shift - after : n - shift] += g[: before + n - 1 : -1]
        g = np.moveaxis(core, 0, axis)
    return np.ascontiguousarray(g)[()]


@_mirror_pad.defvjp
def _mirror_pad_vjp(grad: Tensor, out: Tensor, x: Tensor, *, paddings: Any, mode: str) -> Any:
    # each input entry receives the gradient of every place it was copied to
    return (_mirror_pad_grad(grad, paddings=paddings, mode=mode),)


@_mirror_pad_grad.defvjp
def _mirror_pad_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, *, paddings: Any, mode: str) -> Any:
    # folding is the adjoint of mirroring, and the other way round
    return (_mirror_pad(grad, paddings=paddings, mode=mode),)


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    constant_values: Any = 0,
    name: str | None = None,
) -> Tensor:
    """Pads `tensor`: `paddings[d] = [before, after]` entries on each side of axis d.

    `mode` is "CONSTANT" (with `constant_values`), "REFLECT" (mirror without the edge) or
    "SYMMETRIC" (mirror with the edge).

    >>> import tapeflow as tf
    >>> tf.pad([[1, 2, 3]], [[0, 0], [2, 1]], "REFLECT").numpy().tolist()
    [[3, 2, 1, 2, 3, 2]]
    """
    x = _tensor(tensor)
    m = str(mode).upper()
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(
            'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
            f'"SYMMETRIC". Received `mode` = {mode}'
        )
    op_type = "PadV2" if m == "CONSTANT" else "MirrorPad"
    pads = _paddings(paddings, x.ndim, op_type)
    if m == "CONSTANT":
        return _pad(x, constant_values, paddings=pads)
    limit = 0 if m == "REFLECT" else 1
    for (before, after), dim in zip(pads, x._value.shape):
        if before > dim - 1 + limit or after > dim - 1 + limit:
            relation = "less than" if m == "REFLECT" else "no greater than"
            raise InvalidArgumentError(
                f"paddings must be {relation} the dimension size: {before}, {after} not "
                f"{relation} {dim} [Op:MirrorPad]"
            )
    return _mirror_pad(x, paddings=pads, mode=m)


@op("Slice", same_dtype=())
def _slice(input: Any, *, begin: tuple[int, ...], size: tuple[int, ...]) -> Any:
    block = tuple(builtins.slice(b, b + s) for b, s in zip(begin, size))
    return np.asarray(input)[block].copy()[()]


@_slice.defvjp
def _slice_vjp(grad: Tensor, out: Tensor, x: Tensor, *, begin: Any, size: Any) -> tuple[Any]:
    # the adjoint of cutting a block out is padding it back with zeros
    shape = x._value.shape
    pads = tuple((b, d - b - s) for b, s, d in zip(begin, size, shape))
    return (_pad(grad, np.zeros((), grad._value.dtype), paddings=pads),)


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:
    """The block of `size` entries starting at `begin` (a size of -1 takes the rest).

    >>> import tapeflow as tf
    >>> tf.slice([[1, 2, 3], [4, 5, 6]], [0, 1], [-1, 2]).numpy().tolist()
    [[2, 3], [5, 6]]
    """
    x = _tensor(input_)
    shape = x._value.shape
    b, s = list(_shape_tuple(begin)), list(_shape_tuple(size))
    if len(b) != x.ndim or len(s) != x.ndim:
        raise InvalidArgumentError(
            f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but got "
            f"shapes [{len(b)}] and [{len(s)}] instead. [Op:Slice]"
        )
    for i, dim in enumerate(shape):
        if s[i] == -1:
            s[i] = dim - b[i]
        if not 0 <= b[i] <= dim:
            raise InvalidArgumentError(
                f"Expected begin[{i}] in [0, {dim}], but got {b[i]} [Op:Slice]"
            )
        if not 0 <= s[i] <= dim - b[i]:
            raise InvalidArgumentError(
                f"Expected size[{i}] in [0, {dim - b[i]}], but got {s[i]} [Op:Slice]"
            )
    return _slice(x, begin=tuple(b), size=tuple(s))


def strided_slice(
    input_: Any,
    begin: Any,
    end: Any,
    strides: Any = None,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
    var: Any = None,
    name: str | None = None,
) -> Tensor:
    """`input_[begin:end:strides]` per axis, with TF's bit masks (bit i is spec entry i).

    `begin_mask`/`end_mask` ignore begin/end (take the full range), `ellipsis_mask` marks `...`,
    `new_axis_mask` inserts an axis and `shrink_axis_mask` indexes with `begin` (drops the axis).

    >>> import tapeflow as tf
    >>> x = tf.reshape(tf.range(6), [2, 3])
    >>> tf.strided_slice(x, [0, 2], [2, 0], [1, -1], begin_mask=1).numpy().tolist()
    [[2, 1], [5, 4]]
    """
    b, e = _shape_tuple(begin), _shape_tuple(end)
    st = (1,) * len(b) if strides is None else _shape_tuple(strides)
    if not len(b) == len(e) == len(st):
        raise ValueError(
            f"begin, end and strides must have the same length, got {len(b)}, {len(e)} and "
            f"{len(st)}"
        )
    key: list[Any] = []
    for i in builtins.range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(int(b[i]))
        else:
            if st[i] == 0:
                raise InvalidArgumentError(f"strides[{i}] must be non-zero [Op:StridedSlice]")
            start = None if begin_mask & bit else int(b[i])
            stop = None if end_mask & bit else int(e[i])
            key.append(("s", start, stop, int(st[i])))
    return _strided_slice(input_, key=tuple(key))


@op("ReverseV2", same_dtype=())
def _reverse(tensor: Any, *, axis: tuple[int, ...]) -> Any:
    return np.flip(tensor, axis).copy()[()] if axis else tensor


@_reverse.defvjp
def _reverse_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any) -> tuple[Any]:
    # reversing is its own adjoint
    return (_reverse(grad, axis=axis),)


def _axes(axis: Any, ndim: int, op_type: str) -> tuple[int, ...]:
    out = []
    for i, a in enumerate(_shape_tuple(axis)):
        if not -ndim <= a < ndim:
            raise InvalidArgumentError(
                f"'axis'[{i}] = {a} is out of valid range [{-ndim}, {ndim}) [Op:{op_type}]"
            )
        out.append(a % ndim)
    return tuple(out)


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """Reverses the order of the entries along each axis in `axis`.

    >>> import tapeflow as tf
    >>> tf.reverse([[1, 2, 3]], [-1]).numpy().tolist()
    [[3, 2, 1]]
    """
    x = _tensor(tensor)
    axes = _axes(axis, x.ndim, "ReverseV2")
    if len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"axis {list(axes)} specified more than once. [Op:ReverseV2]")
    return _reverse(x, axis=axes)


@op("Roll", same_dtype=())
def _roll(input: Any, *, shift: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    return np.roll(input, shift, axis)[()]


@_roll.defvjp
def _roll_vjp(grad: Tensor, out: Tensor, x: Tensor, *, shift: Any, axis: Any) -> tuple[Any]:
    # rolling by s is undone by rolling by -s
    return (_roll(grad, shift=tuple(-s for s in shift), axis=axis),)


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Tensor:
    """Shifts the entries cyclically by `shift[i]` along `axis[i]` (repeated axes add up).

    >>> import tapeflow as tf
    >>> tf.roll([1, 2, 3, 4], shift=1, axis=0).numpy().tolist()
    [4, 1, 2, 3]
    """
    x = _tensor(input)
    shifts = _shape_tuple(shift)
    axes = _axes(axis, x.ndim, "Roll")
    if len(shifts) != len(axes):
        raise InvalidArgumentError(
            f"shift and axis must have the same size, got {len(shifts)} and {len(axes)} [Op:Roll]"
        )
    return _roll(x, shift=shifts, axis=axes)


def repeat(input: Any, repeats: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """Repeats each entry along `axis` `repeats` times (a scalar, or one count per entry);
    with `axis=None` the input is flattened first. A gather, so it is differentiable.

    >>> import tapeflow as tf
    >>> tf.repeat([[1, 2], [3, 4]], [1, 2], axis=0).numpy().tolist()
    [[1, 2], [3, 4], [3, 4]]
    """
    x = _tensor(input)
    if axis is None:
        x = _reshape(x, shape=(-1,))
        ax = 0
    else:
        ax = int(axis)
        if not -x.ndim <= ax < builtins.max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(f"axis = {ax} is out of range for a tensor of rank {x.ndim}")
        ax %= x.ndim
    reps = np.asarray(_value(repeats)).reshape(-1)
    dim = x._value.shape[ax]
    if reps.size not in (1, dim):
        raise ValueError(f"Dimensions {dim} and {reps.size} are not compatible")
    if (reps < 0).any():
        raise InvalidArgumentError(f"repeats must be non-negative, got {reps.tolist()}")
    idx = np.repeat(np.arange(dim, dtype=np.int64), reps if reps.size == dim else int(reps[0]))
    return _gather(x, _wrap(idx), axis=ax, batch_dims=0)


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
            raise InvalidArgumentError(
                f"indices[{where}] = [{vals}] does not index into {what} shape [{dims}] "
                f"[Op:{op_type}]"
            )


@op("GatherNd", same_dtype=())
def _gather_nd(params: Any, indices: Any) -> Any:
    idx = np.asarray(indices)
    _check_nd_indices(idx, np.shape(params), "param", "GatherNd")
    if idx.shape[-1] == 0:  # empty index tuples pick the whole tensor each time
        return np.broadcast_to(params, idx.shape[:-1] + np.shape(params)).copy()[()]
    return np.asarray(params)[_index_tuple(idx)][()]


@_gather_nd.defvjp
def _gather_nd_vjp(grad: Tensor, out: Tensor, params: Tensor, indices: Tensor) -> tuple[Any, Any]:
    # scatter-add the gathered slices back where they came from
    return _scatter_nd(indices, grad, shape=params._value.shape), None


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
    _check_scatter_shapes(idx, upd, shape, "ScatterNd")
    _check_nd_indices(idx, shape, "", "ScatterNd")
    out = np.zeros(shape, dtype=upd.dtype)
    np.add.at(out, _index_tuple(idx), upd)  # duplicates add up, as in TF
    return out[()]


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


@_scatter_nd.defvjp
def _scatter_nd_vjp(
    grad: Tensor, out: Tensor, indices: Tensor, updates: Tensor, *, shape: Any
) -> Any:
    # each update went to one place: its gradient is read back from there
    return None, _gather_nd(grad, indices)


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
    _check_scatter_shapes(idx, upd, np.shape(tensor), "TensorScatterUpdate")
    _check_nd_indices(idx, np.shape(tensor), "", "TensorScatterUpdate")
    out = np.array(tensor, copy=True)
    out[_index_tuple(idx)] = upd
    return out[()]


@_tensor_scatter_update.defvjp
def _tensor_scatter_update_vjp(
    grad: Tensor, out: Tensor, tensor: Tensor, indices: Tensor, updates: Tensor
) -> tuple[Any, Any, Any]:
    # overwritten entries of `tensor` get no gradient; the updates get theirs
    cleared = _tensor_scatter_update(grad, indices, zeros_like_np(updates))
    return cleared, None, _gather_nd(grad, indices)


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
    _check_scatter_shapes(idx, upd, np.shape(tensor), "TensorScatterAdd")
    _check_nd_indices(idx, np.shape(tensor), "", "TensorScatterAdd")
    out = np.array(tensor, copy=True)
    np.add.at(out, _index_tuple(idx), upd)
    return out[()]


@_tensor_scatter_add.defvjp
def _tensor_scatter_add_vjp(
    grad: Tensor, out: Tensor, tensor: Tensor, indices: Tensor, updates: Tensor
) -> tuple[Any, Any, Any]:
    # out = tensor + scatter(updates): the identity for tensor, a gather for the updates
    return grad, None, _gather_nd(grad, indices)


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
# One-hot, masks, grids, search


@op("OneHot", differentiable=False, same_dtype=(1, 2))
def _one_hot(indices: Any, on_value: Any, off_value: Any, *, depth: int, axis: int = -1) -> Any:
    idx = np.asarray(indices)
    hot = idx[..., None] == np.arange(depth)  # out-of-range indices give an all-off row
    out = np.where(hot, on_value, off_value).astype(np.asarray(on_value).dtype)
    return np.moveaxis(out, -1, axis)[()] if axis != -1 else out[()]


def one_hot(
    indices: Any,
    depth: Any,
    on_value: Any = None,
    off_value: Any = None,
    axis: Any = None,
    dtype: Any = None,
    name: str | None = None,
) -> Tensor:
    """One-hot rows: `on_value` where the index equals the position, `off_value` elsewhere.

    The new axis of size `depth` goes at `axis` (last by default). The dtype is `dtype`, else
    that of `on_value`/`off_value`, else float32. Indices outside [0, depth) give all-off rows.

    >>> import tapeflow as tf
    >>> tf.one_hot([0, 2], 3).numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    idx = convert_to_tensor(indices)
    if idx._value.dtype.kind not in "iu":
        raise TypeError(
            f"Value passed to parameter 'indices' has DataType {idx.dtype.name} not in list of "
            "allowed values: uint8, int8, int32, int64"
        )
    want = None if dtype is None else dtypes.as_dtype(dtype)
    on = None if on_value is None else convert_to_tensor(on_value, dtype=want)
    off = None if off_value is None else convert_to_tensor(off_value, dtype=want)
    if on is not None and off is not None and on.dtype != off.dtype:
        raise TypeError(
            f"dtype {on.dtype!r} of on_value does not match dtype {off.dtype!r} of off_value"
        )
    known = on if on is not None else off
    dt = want or (known.dtype if known is not None else dtypes.float32)
    if want is not None and known is not None and known.dtype != want:
        raise TypeError(f"dtype {known.dtype!r} of on_value/off_value does not match {want!r}")
    on = on if on is not None else _wrap(dt._np.type(1))
    off = off if off is not None else _wrap(dt._np.type(0))
    d = int(_value(depth))
    if d < 0:
        raise InvalidArgumentError(f"depth must be non-negative, got: {d} [Op:OneHot]")
    ax = -1 if axis is None else int(axis)
    if not -1 <= ax <= idx.ndim:
        raise InvalidArgumentError(
            f"Expected axis to be -1 or between [0, {idx.ndim + 1}).  But received: {ax} "
            "[Op:OneHot]"
        )
    return _one_hot(idx, on, off, depth=d, axis=ax)


def meshgrid(*args: Any, **kwargs: Any) -> list[Tensor]:
    """Coordinate grids from 1-D tensors: `indexing="xy"` (Cartesian, the default: the first
    two output axes are swapped) or `"ij"` (matrix indexing).

    >>> import tapeflow as tf
    >>> [g.numpy().tolist() for g in tf.meshgrid([1, 2], [3, 4, 5])][0]
    [[1, 2], [1, 2], [1, 2]]
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments: {', '.join(sorted(kwargs))}")
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'"
        )
    xs = [_reshape(_tensor(a), shape=(-1,)) for a in args]
    sizes = [x._value.shape[0] for x in xs]
    n = len(xs)
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(xs):
        pos = i
        if indexing == "xy" and n > 1 and i < 2:
            pos = 1 - i
        shape = [1] * n
        shape[pos] = -1
        out.append(broadcast_to(_reshape(x, shape=tuple(shape)), tuple(sizes)))
    return out


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = dtypes.bool, name: str | None = None
) -> Tensor:
    """`mask[..., j] = j < lengths[...]`, with `maxlen` columns (default: the longest length).

    >>> import tapeflow as tf
    >>> tf.sequence_mask([1, 3], 4).numpy().astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    from tapeflow.ops.math import cast, less

    lens = _tensor(lengths)
    if lens._value.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers, got {lens.dtype.name}")
    n = (
        int(np.max(lens._value))
        if maxlen is None and lens._value.size
        else int(_value(maxlen or 0))
    )
    mask = less(
        _wrap(np.arange(n, dtype=lens._value.dtype)), _reshape(lens, shape=(*lens._value.shape, 1))
    )
    return cast(mask, dtype)


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


# ---------------------------------------------------------------------------------------------
# Diagonals and bands of matrices (tf.linalg.diag, diag_part, band_part)


def _diag_coords(rows: int, cols: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = builtins.max(0, builtins.min(rows - builtins.max(-k, 0), cols - builtins.max(k, 0)))
    i = np.arange(n) + builtins.max(-k, 0)
    return i, i + k


@op("MatrixDiagV3", same_dtype=())
def _matrix_diag(
    diagonal: Any, *, k: int = 0, num_rows: int = -1, num_cols: int = -1, padding_value: Any = 0
) -> Any:
    d = np.asarray(diagonal)
    out = np.full((*d.shape[:-1], num_rows, num_cols), padding_value, dtype=d.dtype)
    r, c = _diag_coords(num_rows, num_cols, k)
    out[..., r, c] = d
    return out


@_matrix_diag.defvjp
def _matrix_diag_vjp(grad: Tensor, out: Tensor, d: Tensor, **attrs: Any) -> tuple[Any]:
    # the adjoint of placing a vector on a diagonal is reading that diagonal
    return (_matrix_diag_part(grad, k=attrs["k"]),)


@op("MatrixDiagPartV3", same_dtype=())
def _matrix_diag_part(input: Any, *, k: int = 0) -> Any:
    x = np.asarray(input)
    r, c = _diag_coords(x.shape[-2], x.shape[-1], k)
    return x[..., r, c]


@_matrix_diag_part.defvjp
def _matrix_diag_part_vjp(grad: Tensor, out: Tensor, x: Tensor, *, k: int) -> tuple[Any]:
    # reading a diagonal is adjoint to writing it into zeros
    rows, cols = x._value.shape[-2:]
    return (_matrix_diag(grad, k=k, num_rows=rows, num_cols=cols, padding_value=0),)


def _single_k(k: Any) -> int:
    ks = np.asarray(_value(k)).reshape(-1).tolist()
    if len(ks) == 2 and ks[0] == ks[1]:
        ks = ks[:1]
    if len(ks) != 1:
        raise NotImplementedError(
            f"tapeflow supports one diagonal (an integer k), got k={ks}; bands of several "
            "diagonals are not implemented"
        )
    return int(ks[0])


def diag(
    diagonal: Any,
    name: str = "diag",
    k: Any = 0,
    num_rows: int = -1,
    num_cols: int = -1,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """Matrices with `diagonal` (last axis) on diagonal `k` (0 main, >0 above, <0 below) and
    `padding_value` elsewhere; `num_rows`/`num_cols` default to the smallest fitting size.

    >>> import tapeflow as tf
    >>> tf.linalg.diag([1, 2]).numpy().tolist()
    [[1, 0], [0, 2]]
    """
    d = _tensor(diagonal)
    if d.ndim < 1:
        raise InvalidArgumentError("diagonal must be at least 1-dim [Op:MatrixDiagV3]")
    kk = _single_k(k)
    n = d._value.shape[-1]
    min_rows, min_cols = n + builtins.max(-kk, 0), n + builtins.max(kk, 0)
    rows, cols = int(num_rows), int(num_cols)
    if rows == -1 and cols == -1:
        rows = cols = builtins.max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    if rows < min_rows:
        raise InvalidArgumentError("The number of rows is too small. [Op:MatrixDiagV3]")
    if cols < min_cols:
        raise InvalidArgumentError("The number of columns is too small. [Op:MatrixDiagV3]")
    if len(_diag_coords(rows, cols, kk)[0]) != n:
        raise InvalidArgumentError(
            "The number of rows or columns is not consistent with the specified d_lower, "
            f"d_upper, and diagonal (a diagonal of length {n} at k = {kk} does not fit "
            f"exactly in {rows}x{cols}). [Op:MatrixDiagV3]"
        )
    pad_value = np.asarray(_value(padding_value)).astype(d._value.dtype).item()
    return _matrix_diag(d, k=kk, num_rows=rows, num_cols=cols, padding_value=pad_value)


def diag_part(
    input: Any,
    name: str = "diag_part",
    k: Any = 0,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """Diagonal `k` of each matrix in the last two axes.

    >>> import tapeflow as tf
    >>> tf.linalg.diag_part([[1, 2], [3, 4]]).numpy().tolist()
    [1, 4]
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"input must be at least 2-dim, received shape: {x.shape}")
    kk = _single_k(k)
    rows, cols = x._value.shape[-2:]
    if not -rows < kk < cols and rows and cols:
        raise InvalidArgumentError(
            f"lower_diag_index is out of bound: {kk}. It must be between {-rows} and {cols} "
            "[Op:MatrixDiagPartV3]"
        )
    return _matrix_diag_part(x, k=kk)


@op("MatrixBandPart", same_dtype=())
def _band_part(input: Any, *, num_lower: int, num_upper: int) -> Any:
    x = np.asarray(input)
    i = np.arange(x.shape[-2])[:, None]
    j = np.arange(x.shape[-1])[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return np.where(keep, x, np.zeros((), x.dtype))


@_band_part.defvjp
def _band_part_vjp(grad: Tensor, out: Tensor, x: Tensor, **attrs: Any) -> tuple[Any]:
    # masking is self-adjoint
    return (_band_part(grad, **attrs),)


def band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None) -> Tensor:
    """Keeps `num_lower` subdiagonals and `num_upper` superdiagonals (-1: all) of each matrix,
    zeroing the rest.

    >>> import tapeflow as tf
    >>> tf.linalg.band_part(tf.ones([3, 3]), 1, 0).numpy().tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"input must be at least 2-dim, received shape: {x.shape}")
    lo, up = int(_value(num_lower)), int(_value(num_upper))
    rows, cols = x._value.shape[-2:]
    if lo > rows:
        raise InvalidArgumentError(
            f"num_lower must be negative or less or equal to number of rows ({rows}) got: {lo} "
            "[Op:MatrixBandPart]"
        )
    if up > cols:
        raise InvalidArgumentError(
            f"num_upper must be negative or less or equal to number of columns ({cols}) got: "
            f"{up} [Op:MatrixBandPart]"
        )
    return _band_part(x, num_lower=lo, num_upper=up)
