"""Reductions (reduce_sum, reduce_mean, ...) and cumulative sums and products."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.op import dtype_mismatch, op
from tapeflow.ops.array import reshape, transpose
from tapeflow.ops.logic import equal, is_finite, not_equal
from tapeflow.ops.math import (
    _div_no_nan,
    cast,
    conj,
    multiply,
    real,
    realdiv,
    sqrt,
    square,
    stop_gradient,
    subtract,
    where,
)
from tapeflow.ops.transcendental import exp, log
from tapeflow.tape import _broadcast_to, add
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "reduce_sum",
    "reduce_mean",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "cumsum",
    "cumprod",
    "reduce_variance",
    "reduce_std",
    "reduce_logsumexp",
    "reduce_euclidean_norm",
    "reduce_any",
    "reduce_all",
    "count_nonzero",
    "argmax",
    "argmin",
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


# Value types with reductions of their own (RaggedTensor registers here):
# type -> fn(op type, value, axis, keepdims). Only looked up for inputs that are not Tensors.
REDUCTION_DISPATCH: dict[type, Any] = {}


def _reduction(op_: Any, input_tensor: Any, axis: Any, keepdims: Any) -> Tensor:
    if type(input_tensor) is Tensor:
        x = input_tensor
    else:
        own = REDUCTION_DISPATCH.get(type(input_tensor))
        if own is not None:
            return own(op_.type, input_tensor, axis, bool(keepdims))
        x = convert_to_tensor(input_tensor)
    axes = None if axis is None else normalize_axis(axis, x.ndim, op_.type)
    return op_(x, axis=axes, keepdims=bool(keepdims))


def _unreduce(grad: Tensor, x: Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> Tensor:
    """Broadcasts a reduced gradient back to x's shape (any extra leading axes are kept)."""
    shape = x._value.shape
    if axis is None and not keepdims:  # a full reduction: the gradient's axes are all lead
        return _broadcast_to(grad, shape=shape, batch=grad._value.ndim)
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


_add_reduce: Any = np.add.reduce


@op("Sum")
def _sum(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    if x.dtype.kind == "b":
        raise InvalidArgumentError(
            "Value for attr 'T' of bool is not in the list of allowed values [Op:Sum]"
        )
    # what ndarray.sum calls, without np.sum's Python-level dispatch or the method's wrapper
    return _add_reduce(x, axis=axis, dtype=x.dtype, keepdims=keepdims)


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
    return x.mean(axis=axis, keepdims=keepdims)


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
    return x.max(axis=axis, keepdims=keepdims)


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
    return x.min(axis=axis, keepdims=keepdims)


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


# ---------------------------------------------------------------------------------------------
# Statistics and norms


def reduce_variance(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """The (biased) variance over `axis`: the mean squared deviation from the mean.

    >>> import tapeflow as tf
    >>> float(tf.math.reduce_variance([1.0, 2.0, 3.0, 4.0]))
    1.25
    """
    x = convert_to_tensor(input_tensor)
    if x._value.dtype.kind not in "fc":
        raise TypeError(f"Input must be either real or complex. Received integer type {x.dtype!r}.")
    diff = subtract(x, reduce_mean(x, axis=axis, keepdims=True))
    squared = real(multiply(diff, conj(diff))) if x._value.dtype.kind == "c" else square(diff)
    return reduce_mean(squared, axis=axis, keepdims=keepdims)


def reduce_std(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """The (biased) standard deviation over `axis`, sqrt(reduce_variance). At zero variance
    its gradient is nan, as in TF.

    >>> import tapeflow as tf
    >>> tf.math.reduce_std([[1.0, 2.0], [3.0, 5.0]], axis=0).numpy().tolist()
    [1.0, 1.5]
    """
    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_logsumexp(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed stably: the maximum is taken out first.

    >>> import tapeflow as tf
    >>> float(tf.reduce_logsumexp([10000.0, 10000.0]))
    10000.693359375
    """
    x = convert_to_tensor(input_tensor)
    raw_max = reduce_max(x, axis=axis, keepdims=True)
    # TF: an infinite maximum is not subtracted (inf - inf would be nan)
    shift = stop_gradient(where(is_finite(raw_max), raw_max, 0))
    result = log(reduce_sum(exp(subtract(x, shift)), axis=axis, keepdims=keepdims))
    if not keepdims:
        shift = reshape(shift, result._value.shape)
    return add(result, shift)


@op("EuclideanNorm")
def _euclidean_norm(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    total = np.sum(x * np.conj(x) if x.dtype.kind == "c" else x * x, axis=axis, keepdims=keepdims)
    return np.sqrt(total).astype(x.dtype)[()]


@_euclidean_norm.defvjp(batched=True)
def _euclidean_norm_vjp(
    grad: Tensor, out: Tensor, x: Tensor, *, axis: Any, keepdims: bool
) -> tuple[Any]:
    # d |x| = x / |x|. Deliberately 0 at the zero vector (TF gives nan there). Batched as it
    # stands: _unreduce keeps grad's leading axes and the product broadcasts over them.
    norm = _unreduce(out, x, axis, keepdims)
    if x._value.dtype.kind == "c":  # the norm is real: only the upstream's real part counts
        grad = cast(real(grad), x.dtype)
    return (multiply(_unreduce(grad, x, axis, keepdims), _div_no_nan(x, norm)),)


def reduce_euclidean_norm(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """sqrt(sum(x^2)) over `axis`. Its gradient at the zero vector is 0 (TF: nan).

    >>> import tapeflow as tf
    >>> tf.math.reduce_euclidean_norm([[3.0, 4.0], [5.0, 12.0]], axis=1).numpy().tolist()
    [5.0, 13.0]
    """
    return _reduction(_euclidean_norm, input_tensor, axis, keepdims)


# ---------------------------------------------------------------------------------------------
# Logical reductions and counting (no gradients)


def _bool_reduction(np_fn: Any, op_type: str) -> Any:
    def forward(x: Any, *, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        if x.dtype != np.bool_:
            raise dtype_mismatch(op_type, 0, np.dtype(np.bool_), x.dtype)
        return np_fn(x, axis=axis, keepdims=keepdims)

    forward.__name__ = op_type.lower()
    return op(op_type, differentiable=False)(forward)


_any = _bool_reduction(np.any, "Any")
_all = _bool_reduction(np.all, "All")


def reduce_any(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Logical or over `axis` of a bool tensor.

    >>> import tapeflow as tf
    >>> tf.reduce_any([[True, False], [False, False]], axis=1).numpy().tolist()
    [True, False]
    """
    return _reduction(_any, input_tensor, axis, keepdims)


def reduce_all(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Logical and over `axis` of a bool tensor.

    >>> import tapeflow as tf
    >>> bool(tf.reduce_all([True, False]))
    False
    """
    return _reduction(_all, input_tensor, axis, keepdims)


def count_nonzero(
    input: Any,
    axis: Any = None,
    keepdims: Any = None,
    dtype: Any = dtypes.int64,
    name: str | None = None,
) -> Tensor:
    """The number of non-zero elements (non-empty strings) over `axis`, as `dtype`.

    >>> import tapeflow as tf
    >>> tf.math.count_nonzero([[0, 1], [2, 3]], axis=1).numpy().tolist()
    [1, 2]
    """
    x = convert_to_tensor(input)
    zero = b"" if x._value.dtype == object else np.zeros((), x._value.dtype)
    nonzero = cast(not_equal(x, zero), dtypes.int64)
    return cast(reduce_sum(nonzero, axis=axis, keepdims=bool(keepdims)), dtype)


_ARG_TYPES = ("int16", "uint16", "int32", "int64")


def _arg_extreme(np_fn: Any, op_type: str) -> Any:
    def forward(input: Any, *, axis: int = 0, output_type: Any = np.int64) -> Any:
        x = np.asarray(input)
        if x.dtype.kind == "f":  # TF's kernels skip NaN
            x = np.where(np.isnan(x), -np.inf if np_fn is np.argmax else np.inf, x)
        elif x.dtype.kind == "b":
            x = x.astype(np.int8)
        return np_fn(x, axis=axis).astype(output_type)[()]

    forward.__name__ = op_type.lower()
    return op(op_type, differentiable=False, same_dtype=())(forward)


_argmax = _arg_extreme(np.argmax, "ArgMax")
_argmin = _arg_extreme(np.argmin, "ArgMin")


def _arg_call(op_: Any, input: Any, axis: Any, output_type: Any) -> Tensor:
    x = convert_to_tensor(input)
    out = dtypes.as_dtype(output_type)
    if out.name not in _ARG_TYPES:
        raise InvalidArgumentError(
            f"Value for attr 'output_type' of {out.name} is not in the list of allowed values: "
            f"{', '.join(_ARG_TYPES)} [Op:{op_.type}]"
        )
    ndim = x.ndim
    ax = 0 if axis is None else int(getattr(axis, "_value", axis))
    if not -ndim <= ax < ndim:
        raise InvalidArgumentError(
            f"Expected dimension in the range [{-ndim}, {ndim}), but got {ax} [Op:{op_.type}] "
            "name: "
        )
    ax %= ndim
    if x._value.shape[ax] == 0:
        raise InvalidArgumentError(
            f"Reduction axis {ax} is empty in shape {list(x._value.shape)} [Op:{op_.type}] name: "
        )
    return op_(x, axis=ax, output_type=out._np)


def argmax(
    input: Any, axis: Any = None, output_type: Any = dtypes.int64, name: str | None = None
) -> Tensor:
    """The index of the largest value along `axis` (0 if None); the first one on ties.

    >>> import tapeflow as tf
    >>> int(tf.math.argmax([1.0, 3.0, 3.0]))
    1
    """
    return _arg_call(_argmax, input, axis, output_type)


def argmin(
    input: Any, axis: Any = None, output_type: Any = dtypes.int64, name: str | None = None
) -> Tensor:
    """The index of the smallest value along `axis` (0 if None); the first one on ties.

    >>> import tapeflow as tf
    >>> tf.math.argmin([[1, 0], [0, 1]], axis=1).numpy().tolist()
    [1, 0]
    """
    return _arg_call(_argmin, input, axis, output_type)


def histogram_fixed_width(
    values: Any, value_range: Any, nbins: int = 100, dtype: Any = dtypes.int32, name: Any = None
) -> Tensor:
    """Counts of `values` in `nbins` equal bins over `value_range`; values outside fall into
    the first or last bin, as TF's.

    >>> import tapeflow as tf
    >>> tf.histogram_fixed_width([0.0, 1.0, 9.0], [0.0, 10.0], nbins=2).numpy().tolist()
    [2, 1]
    """
    v = np.asarray(convert_to_tensor(values)._value, dtype=np.float64).reshape(-1)
    lo, hi = (float(r) for r in np.asarray(convert_to_tensor(value_range)._value))
    bins = np.clip(np.floor((v - lo) / (hi - lo) * nbins), 0, nbins - 1).astype(np.int64)
    counts: np.ndarray = np.bincount(bins, minlength=nbins)
    counts = counts.astype(dtypes.as_dtype(dtype).as_numpy_dtype)
    return convert_to_tensor(counts)
