"""Shape and indexing ops: reshape, transpose, concat, stack, gather, slicing, and the
constructors (zeros, ones, fill, range, linspace, eye)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
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


@_reshape.defvjp
def _reshape_vjp(grad: Tensor, out: Tensor, x: Tensor, *, shape: Any) -> tuple[Any]:
    return (_reshape(grad, shape=x._value.shape),)


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


@_transpose.defvjp
def _transpose_vjp(grad: Tensor, out: Tensor, x: Tensor, *, perm: tuple[int, ...]) -> tuple[Any]:
    return (_transpose(grad, perm=tuple(np.argsort(perm).tolist())),)


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


@_concat.defvjp
def _concat_vjp(grad: Tensor, out: Tensor, *inputs: Any, axis: int) -> tuple[Any, ...]:
    # the adjoint of joining is splitting at the same places
    sizes = tuple(x._value.shape[axis] for x in inputs)
    return _split(grad, sizes=sizes, axis=axis)


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


@_split.defvjp
def _split_vjp(
    grads: tuple[Any, ...], outs: Any, value: Tensor, *, sizes: Any, axis: int
) -> tuple[Any]:
    return (_concat(*grads, axis=axis),)


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


@_stack.defvjp
def _stack_vjp(grad: Tensor, out: Tensor, *inputs: Any, axis: int) -> tuple[Any, ...]:
    return _unstack(grad, axis=axis)


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


@_unstack.defvjp
def _unstack_vjp(grads: tuple[Any, ...], outs: Any, value: Tensor, *, axis: int) -> tuple[Any]:
    return (_stack(*grads, axis=axis),)


def unstack(value: Any, num: Any = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    """Splits a tensor into a list along `axis`, removing that axis."""
    x = _tensor(value)
    if x.ndim == 0:
        raise ValueError("Cannot unstack a scalar tensor (rank 0).")
    return list(_unstack(x, axis=axis % x.ndim))


@op("Tile", same_dtype=())
def _tile(input: Any, *, multiples: tuple[int, ...]) -> Any:
    return np.tile(input, multiples)


@_tile.defvjp
def _tile_vjp(grad: Tensor, out: Tensor, x: Tensor, *, multiples: tuple[int, ...]) -> tuple[Any]:
    # view the tiled gradient as (m0, d0, m1, d1, ...) and sum the copies
    from tapeflow.ops.reduce import reduce_sum

    shape = x._value.shape
    split_shape = tuple(v for pair in zip(multiples, shape) for v in pair)
    summed = reduce_sum(
        _reshape(grad, shape=split_shape), axis=list(builtins.range(0, 2 * len(shape), 2))
    )
    return (summed,)


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


def _gather_drop_negatives(grad: Tensor, ids: Tensor) -> Tensor:
    """grad[ids], with zeros where an id is negative (its row was dropped)."""
    from tapeflow.ops.math import cast, greater_equal, maximum, multiply

    gathered = _gather(grad, maximum(ids, 0), axis=0, batch_dims=0)
    keep = cast(greater_equal(ids, 0), grad.dtype)
    extra = gathered.ndim - ids.ndim
    return multiply(gathered, _reshape(keep, shape=keep._value.shape + (1,) * extra))


@_unsorted_segment_sum.defvjp
def _unsorted_segment_sum_vjp(
    grad: Tensor, out: Tensor, data: Tensor, ids: Tensor, *, num_segments: int
) -> tuple[Any, Any]:
    # each data row went to one segment: its gradient is that segment's gradient
    return _gather_drop_negatives(grad, ids), None


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
    return np.take(params, idx, axis=axis)


@_gather.defvjp
def _gather_vjp(
    grad: Tensor, out: Tensor, params: Tensor, indices: Tensor, *, axis: int, batch_dims: int
) -> tuple[Any, Any]:
    # scatter-add the gradient rows back to the rows they were gathered from
    p_shape = params._value.shape
    i_ndim = indices.ndim
    # move the gathered axes to the front: (indices..., params[:axis], params[axis+1:])
    g_ndim = grad.ndim
    front = list(builtins.range(axis, axis + i_ndim))
    perm = front + [d for d in builtins.range(g_ndim) if d not in front]
    moved = _transpose(grad, perm=tuple(perm)) if axis else grad
    summed = _unsorted_segment_sum(moved, indices, num_segments=p_shape[axis])
    if axis:
        back = [
            *list(builtins.range(1, axis + 1)),
            0,
            *list(builtins.range(axis + 1, len(p_shape))),
        ]
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
    if batch_dims:
        raise NotImplementedError("gather with batch_dims is not supported yet")
    idx = convert_to_tensor(indices)
    if idx._value.dtype.kind not in "iu":
        raise TypeError(
            f"Value passed to parameter 'indices' has DataType {idx.dtype.name} not in list of "
            "allowed values: int16, int32, int64"
        )
    return _gather(p, idx, axis=ax % builtins.max(ndim, 1), batch_dims=0)


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
        elif isinstance(k, slice):
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
    return tuple(slice(k[1], k[2], k[3]) if isinstance(k, tuple) else k for k in key)


@op("StridedSlice", same_dtype=())
def _strided_slice(input: Any, *, key: tuple[Any, ...]) -> Any:
    np_key = _numpy_key(key)
    try:
        out = np.asarray(input)[np_key]
    except IndexError as e:
        raise InvalidArgumentError(f"{e} [Op:StridedSlice] name: strided_slice/") from None
    return out.copy()[()] if isinstance(out, np.ndarray) else out


@_strided_slice.defvjp
def _strided_slice_vjp(grad: Tensor, out: Tensor, x: Tensor, *, key: Any) -> tuple[Any]:
    # scatter the gradient into zeros of the input's shape
    return (_strided_slice_grad(grad, shape=x._value.shape, key=key),)


@op("StridedSliceGrad", same_dtype=())
def _strided_slice_grad(dy: Any, *, shape: tuple[int, ...], key: tuple[Any, ...]) -> Any:
    out = np.zeros(shape, dtype=np.asarray(dy).dtype)
    out[_numpy_key(key)] = dy
    return out[()]


@_strided_slice_grad.defvjp
def _strided_slice_grad_vjp(
    grad: Tensor, out: Tensor, dy: Tensor, *, shape: Any, key: Any
) -> tuple[Any]:
    return (_strided_slice(grad, key=key),)


def getitem(tensor: Any, key: Any) -> Tensor:
    """`tensor[key]` with TF's indexing: ints, slices with steps, `...`, `tf.newaxis`."""
    return _strided_slice(tensor, key=strided_slice_key(key))


# ---------------------------------------------------------------------------------------------
# Constructors and shape queries (no gradients)


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of zeros.

    >>> import tapeflow as tf
    >>> tf.zeros([2]).numpy().tolist()
    [0.0, 0.0]
    """
    return _wrap(np.zeros(_shape_tuple(shape), dtype=dtypes.as_dtype(dtype)._np)[()])


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _wrap(np.ones(_shape_tuple(shape), dtype=dtypes.as_dtype(dtype)._np)[()])


def zeros_like(input: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of `input`."""
    out = zeros_like_np(input)
    return (
        out
        if dtype is None
        else _wrap(np.asarray(out._value).astype(dtypes.as_dtype(dtype)._np)[()])
    )


def ones_like(input: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of `input`."""
    out = ones_like_np(input)
    return (
        out
        if dtype is None
        else _wrap(np.asarray(out._value).astype(dtypes.as_dtype(dtype)._np)[()])
    )


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of shape `dims` filled with `value` (differentiable in `value`).

    >>> import tapeflow as tf
    >>> tf.fill([2], 7).numpy().tolist()
    [7, 7]
    """
    v = _tensor(value)
    if v.ndim:
        raise InvalidArgumentError(f"value must be a scalar, got shape {v.shape} [Op:Fill]")
    return broadcast_to(v, _shape_tuple(dims))


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


def shape(input: Any, out_type: Any = dtypes.int32, name: str | None = None) -> Tensor:
    """The shape of `input` as a 1-D integer tensor."""
    return _wrap(np.asarray(np.shape(_value(input)), dtype=dtypes.as_dtype(out_type)._np))


def size(input: Any, out_type: Any = dtypes.int32, name: str | None = None) -> Tensor:
    """The number of elements of `input` as a scalar tensor."""
    return _wrap(dtypes.as_dtype(out_type)._np.type(np.size(_value(input))))


def rank(input: Any, name: str | None = None) -> Tensor:
    """The number of dimensions of `input` as a scalar int32 tensor."""
    return _wrap(np.int32(np.ndim(_value(input))))


def _value(x: Any) -> Any:
    return x._value if hasattr(x, "_value") else convert_to_tensor(x)._value
