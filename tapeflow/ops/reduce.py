"""Reductions (reduce_sum, reduce_mean, ...) and cumulative sums and products."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import reshape, transpose
from tapeflow.ops.math import cast, equal, multiply, realdiv
from tapeflow.tape import _broadcast_to
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "reduce_sum",
    "reduce_mean",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "cumsum",
    "cumprod",
    "normalize_axis",
]


def normalize_axis(axis: Any, ndim: int, op_type: str) -> tuple[int, ...] | None:
    """TF's `axis` argument (None, int, list, tensor) as a sorted tuple of positive axes."""
    if axis is None:
        return None
    if hasattr(axis, "_value"):
        axis = axis._value
    axes = np.asarray(axis).reshape(-1).tolist()
    out = set()
    for a in axes:
        if not isinstance(a, int):
            raise TypeError(f"axis must be an int or a list of ints, got {axis!r}")
        if not -ndim <= a < builtins.max(ndim, 1):
            raise InvalidArgumentError(
                f"Invalid reduction dimension ({a} for input with {ndim} dimension(s) "
                f"[Op:{op_type}]"
            )
        out.add(a % ndim if ndim else 0)
    return tuple(sorted(out))


def _reduction(op_: Any, input_tensor: Any, axis: Any, keepdims: Any) -> Tensor:
    x = convert_to_tensor(input_tensor)
    axes = normalize_axis(axis, x.ndim, op_.type)
    return op_(x, axis=axes, keepdims=bool(keepdims))


def _unreduce(grad: Tensor, x: Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> Tensor:
    """Broadcasts a reduced gradient back to x's shape (any extra leading axes are kept)."""
    shape = x._value.shape
    kept = tuple(1 if axis is None or i in axis else d for i, d in enumerate(shape))
    own_ndim = len(shape) if keepdims else len(shape) - (len(shape) if axis is None else len(axis))
    lead = grad._value.shape[: grad.ndim - own_ndim]
    leading = axis is None or axis == tuple(range(len(axis)))
    if not keepdims and not leading:  # put the reduced axes back as 1s
        grad = reshape(grad, lead + kept)
    # broadcasting aligns the rest from the right, after the lead (batch) axes
    return _broadcast_to(grad, shape=shape, batch=len(lead))


def _count(x: Tensor, axis: tuple[int, ...] | None) -> int:
    shape = x._value.shape
    return int(np.prod(shape if axis is None else [shape[a] for a in axis]))


@op("Sum")
def _sum(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    if x.dtype == np.bool_:
        raise InvalidArgumentError(
            "Value for attr 'T' of bool is not in the list of allowed values [Op:Sum]"
        )
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@_sum.defvjp(batched=True)
def _sum_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any, keepdims: bool) -> tuple[Any]:
    # the sum's gradient is the upstream broadcast back over the reduced axes
    return (_unreduce(grad, x, axis, keepdims),)


def reduce_sum(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Sum over `axis` (all axes if None).

    >>> import tapeflow as tf
    >>> tf.reduce_sum([[1, 2], [3, 4]], axis=1).numpy().tolist()
    [3, 7]
    """
    return _reduction(_sum, input_tensor, axis, keepdims)


@op("Mean")
def _mean(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    if x.dtype.kind in "iu":  # TF divides integers as integers (truncating)
        total = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
        n = x.size // builtins.max(np.size(total), 1) if x.size else 1
        return np.trunc(total / builtins.max(n, 1)).astype(x.dtype)[()]
    return np.mean(x, axis=axis, keepdims=keepdims)


@_mean.defvjp(batched=True)
def _mean_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any, keepdims: bool) -> tuple[Any]:
    return (realdiv(_unreduce(grad, x, axis, keepdims), _count(x, axis)),)


def reduce_mean(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Mean over `axis`; integer tensors give the truncated integer mean, as TF does.

    >>> import tapeflow as tf
    >>> float(tf.reduce_mean([1.0, 2.0]))
    1.5
    """
    return _reduction(_mean, input_tensor, axis, keepdims)


def _extreme_vjp(grad: Tensor, out: Tensor, x: Tensor, axis: Any, keepdims: bool) -> tuple[Any]:
    # the gradient is split equally between tied extreme elements (TF)
    y = _unreduce(out, x, axis, keepdims)
    indicators = cast(equal(x, y), x.dtype)
    count = _unreduce(_sum(indicators, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return (multiply(realdiv(indicators, count), _unreduce(grad, x, axis, keepdims)),)


@op("Max")
def _max(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    return np.max(x, axis=axis, keepdims=keepdims)


@_max.defvjp(batched=True)
def _max_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any, keepdims: bool) -> tuple[Any]:
    return _extreme_vjp(grad, out, x, axis, keepdims)


def reduce_max(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Maximum over `axis`; tied maxima share the gradient equally."""
    return _reduction(_max, input_tensor, axis, keepdims)


@op("Min")
def _min(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    return np.min(x, axis=axis, keepdims=keepdims)


@_min.defvjp(batched=True)
def _min_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any, keepdims: bool) -> tuple[Any]:
    return _extreme_vjp(grad, out, x, axis, keepdims)


def reduce_min(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Minimum over `axis`; tied minima share the gradient equally."""
    return _reduction(_min, input_tensor, axis, keepdims)


@op("Prod")
def _prod(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@_prod.defvjp(batched=True)
def _prod_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any, keepdims: bool) -> tuple[Any]:
    # d(prod)/dx_i = product of the others, from exclusive cumprods both ways (exact at zeros)
    shape = x._value.shape
    ndim = len(shape)
    reduced = tuple(range(ndim)) if axis is None else axis
    kept = tuple(i for i in range(ndim) if i not in reduced)
    perm = reduced + kept
    n_red = int(np.prod([shape[i] for i in reduced]))
    n_kept = int(np.prod([shape[i] for i in kept]))
    flat = reshape(transpose(x, perm=perm), (n_red, n_kept))
    left = cumprod(flat, axis=0, exclusive=True)
    right = cumprod(flat, axis=0, exclusive=True, reverse=True)
    others = reshape(multiply(left, right), tuple(shape[i] for i in perm))
    others = transpose(others, perm=tuple(np.argsort(perm).tolist()))
    return (multiply(_unreduce(grad, x, axis, keepdims), others),)


def reduce_prod(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Product over `axis`.

    >>> import tapeflow as tf
    >>> float(tf.reduce_prod([2.0, 3.0]))
    6.0
    """
    return _reduction(_prod, input_tensor, axis, keepdims)


def _cum(fn: Any, x: Any, axis: int, exclusive: bool, reverse: bool) -> Any:
    x = np.asarray(x)
    if reverse:
        x = np.flip(x, axis)
    out = fn(x, axis=axis, dtype=x.dtype)
    if exclusive:  # shift by one along axis, starting from the identity (1 or 0)
        pad = [(0, 0)] * x.ndim
        pad[axis] = (1, 0)
        keep = [slice(None)] * x.ndim
        keep[axis] = slice(0, x.shape[axis])
        out = np.pad(out, pad, constant_values=1 if fn is np.cumprod else 0)[tuple(keep)]
    if reverse:
        out = np.flip(out, axis)
    return np.ascontiguousarray(out)


@op("Cumsum")
def _cumsum(x: Any, *, axis: int = 0, exclusive: bool = False, reverse: bool = False) -> Any:
    return _cum(np.cumsum, x, axis, exclusive, reverse)


@_cumsum.defvjp(batched=True)
def _cumsum_vjp(
    grad: Tensor, out: Tensor, x: Tensor, *, axis: int, exclusive: bool, reverse: bool
) -> tuple[Any]:
    # the adjoint of a running sum is the running sum the other way
    ax = axis + grad.ndim - out.ndim  # after any batch axes of grad
    return (_cumsum(grad, axis=ax, exclusive=exclusive, reverse=not reverse),)


def cumsum(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running sum along `axis`.

    >>> import tapeflow as tf
    >>> tf.math.cumsum([1, 2, 3], exclusive=True).numpy().tolist()
    [0, 1, 3]
    """
    x = convert_to_tensor(x)
    (ax,) = normalize_axis(axis, x.ndim, "Cumsum") or (0,)
    return _cumsum(x, axis=ax, exclusive=bool(exclusive), reverse=bool(reverse))


@op("Cumprod")
def _cumprod(x: Any, *, axis: int = 0, exclusive: bool = False, reverse: bool = False) -> Any:
    return _cum(np.cumprod, x, axis, exclusive, reverse)


@_cumprod.defvjp(batched=True)
def _cumprod_vjp(
    grad: Tensor, out: Tensor, x: Tensor, *, axis: int, exclusive: bool, reverse: bool
) -> tuple[Any]:
    # TF's rule: reverse-cumsum(out * grad) / x (undefined where x is 0, as in TF)
    ax = axis + grad.ndim - out.ndim  # after any batch axes of grad
    summed = _cumsum(multiply(out, grad), axis=ax, exclusive=exclusive, reverse=not reverse)
    return (realdiv(summed, x),)


def cumprod(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running product along `axis`."""
    x = convert_to_tensor(x)
    (ax,) = normalize_axis(axis, x.ndim, "Cumprod") or (0,)
    return _cumprod(x, axis=ax, exclusive=bool(exclusive), reverse=bool(reverse))
