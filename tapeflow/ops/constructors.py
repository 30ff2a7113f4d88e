"""Constructors and shape queries: zeros, ones, zeros_like, ones_like, fill, eye, range,
linspace, one_hot, meshgrid, sequence_mask; and shape, size, rank. Only one_hot records a
gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow import dtypes, graph
from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _reshape, _shape_tuple, _tensor, _value
from tapeflow.tape import broadcast_to, ones_like_np, zeros_like_np
from tapeflow.tensor import Tensor, TensorShape, _wrap, convert_to_tensor

__all__ = [
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
    "shape_n",
    "get_static_value",
    "ensure_shape",
    "one_hot",
    "meshgrid",
    "sequence_mask",
]


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
    value = _value(x)
    dtype = getattr(value, "dtype", None)  # (a traced tensor's dtype is no read of its value)
    return (np.asarray(value).dtype if dtype is None else dtype).kind == "O"


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
    if dtype is not None:  # a constant of the input's shape (a traced one reads no value)
        return zeros(np.shape(_value(input)), dtype)
    return zeros_like_np(input)


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
    if dtype is not None:  # a constant of the input's shape (a traced one reads no value)
        return ones(np.shape(_value(input)), dtype)
    return ones_like_np(input)


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
    e = stop if hasattr(stop, "_value") else convert_to_tensor(stop, dtype=s.dtype)
    if s._value.dtype != e._value.dtype:
        raise TypeError(
            f"linspace's start and stop must share a dtype, got {s.dtype.name} and {e.dtype.name}"
        )
    kind = s._value.dtype.kind
    if kind not in "iuf":
        raise TypeError(f"linspace needs real start and stop, got {s.dtype.name}")
    out_dtype = s._value.dtype if kind == "f" else np.dtype(np.float64)  # TF: ints -> float64
    out = np.linspace(s._value, e._value, int(getattr(num, "_value", num)), axis=axis)
    return _wrap(out.astype(out_dtype))


@op("Shape", differentiable=False, same_dtype=())
def _shape_op(input: Any, *, out_type: Any) -> Any:
    return np.asarray(np.shape(input), dtype=out_type)


@op("Size", differentiable=False, same_dtype=())
def _size_op(input: Any, *, out_type: Any) -> Any:
    return out_type.type(np.size(input))


# A shape is known when the function is traced, so it is a constant, except for a tensor whose
# shape depends on values (tf.where's): then an op, so that tf.function's graph computes it.


def shape(input: Any, out_type: Any = None, name: str | None = None) -> Tensor:
    """The shape of `input` as a 1-D integer tensor (int32 unless `out_type` says otherwise)."""
    dt = dtypes.as_dtype(dtypes.int32 if out_type is None else out_type)
    if graph.shape_depends_on_values(input):
        return _shape_op(input, out_type=dt._np)
    return _wrap(np.asarray(np.shape(_value(input)), dtype=dt._np))


def size(input: Any, out_type: Any = None, name: str | None = None) -> Tensor:
    """The number of elements of `input` as a scalar tensor (int32 unless `out_type` says
    otherwise)."""
    dt = dtypes.as_dtype(dtypes.int32 if out_type is None else out_type)
    if graph.shape_depends_on_values(input):
        return _size_op(input, out_type=dt._np)
    return _wrap(dt._np.type(np.size(_value(input))))


def rank(input: Any, name: str | None = None) -> Tensor:
    """The number of dimensions of `input` as a scalar int32 tensor."""
    return _wrap(np.int32(np.ndim(_value(input))))


def shape_n(input: Any, out_type: Any = None, name: str | None = None) -> list[Tensor]:
    """`shape(x)` for each tensor of the list `input`."""
    return [shape(x, out_type) for x in input]


def get_static_value(tensor: Any, partial: bool = False) -> Any:
    """The NumPy value of `tensor` (eagerly, always known); a non-tensor comes back as is."""
    if hasattr(tensor, "_value"):
        return np.asarray(tensor._value)
    return tensor


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> Tensor:
    """`x` itself if its shape fits `shape` (None: any size), else InvalidArgumentError."""
    t = convert_to_tensor(x)
    expected = TensorShape(shape)
    if not expected.is_compatible_with(t.shape):

        def text(dims: Any) -> str:  # TF's kernel message: [2,3], unknown sizes as ?
            return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"

        raise InvalidArgumentError(
            f"Shape of tensor input {text(t.shape)} is not compatible with expected shape "
            f"{text(expected)}. [Op:EnsureShape] name: "
        )
    return t


# ---------------------------------------------------------------------------------------------
# One-hot, masks, grids


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
    from tapeflow.ops.logic import less
    from tapeflow.ops.math import cast

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
