"""Slicing: `tensor[...]` (getitem) and tf.strided_slice, with the StridedSliceGrad op their
gradients use. (tf.slice, the adjoint of tf.pad, lives with pad in `tapeflow.ops.array`.)
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _shape_tuple, lead_shape
from tapeflow.tensor import Tensor

__all__ = [
    "strided_slice_key",
    "getitem",
    "strided_slice",
]


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
