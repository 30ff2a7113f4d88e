"""Linear algebra: matmul (batched, with transpose and adjoint flags)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops import math as _math
from tapeflow.ops.array import expand_dims, squeeze
from tapeflow.ops.math import (
    FLOATS_COMPLEX,
    conj,
    maximum,
    multiply,
    require_dtype,
    rsqrt,
    square,
)
from tapeflow.ops.reduce import _euclidean_norm, normalize_axis, reduce_max, reduce_sum
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["matmul", "norm", "l2_normalize"]


def _t(x: Any, flag: bool) -> Any:
    return np.swapaxes(x, -1, -2) if flag else x


@op("MatMul")
def _matmul(a: Any, b: Any, *, transpose_a: bool = False, transpose_b: bool = False) -> Any:
    return np.matmul(_t(a, transpose_a), _t(b, transpose_b))


@_matmul.defvjp
def _matmul_vjp(
    grad: Tensor,
    out: Tensor,
    a: Tensor,
    b: Tensor,
    *,
    transpose_a: bool,
    transpose_b: bool,
    needs: tuple[bool, bool],
) -> tuple[Any, Any]:
    # C = op(A) op(B): dA = G op(B)^T (transposed back if A was), dB = op(A)^T G (likewise)
    ga = gb = None
    if needs[0]:
        if transpose_a:
            ga = _matmul(b, grad, transpose_a=transpose_b, transpose_b=True)
        else:
            ga = _matmul(grad, b, transpose_b=not transpose_b)
    if needs[1]:
        if transpose_b:
            gb = _matmul(grad, a, transpose_a=True, transpose_b=transpose_a)
        else:
            gb = _matmul(a, grad, transpose_a=not transpose_a)
    return ga, gb


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    output_type: Any = None,
    grad_a: bool = False,
    grad_b: bool = False,
    name: str | None = None,
) -> Tensor:
    """Matrix product of the last two axes, broadcasting any leading (batch) axes.

    >>> import tapeflow as tf
    >>> tf.matmul([[1.0, 2.0]], [[3.0], [4.0]]).numpy().tolist()
    [[11.0]]
    """
    a = a if hasattr(a, "_value") else convert_to_tensor(a)
    b = b if hasattr(b, "_value") else convert_to_tensor(b)
    if np.ndim(a._value) < 2 or np.ndim(b._value) < 2:
        raise InvalidArgumentError(
            f"In[0] and In[1] must be at least rank 2 for matmul, got shapes "
            f"{list(np.shape(a._value))} and {list(np.shape(b._value))} [Op:MatMul]"
        )
    if adjoint_a:
        a, transpose_a = conj(a), not transpose_a
    if adjoint_b:
        b, transpose_b = conj(b), not transpose_b
    ka = np.shape(a._value)[-2 if transpose_a else -1]
    kb = np.shape(b._value)[-1 if transpose_b else -2]
    if ka != kb:
        raise InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {list(np.shape(a._value))}, In[1]: "
            f"{list(np.shape(b._value))} [Op:MatMul]"
        )
    return _matmul(a, b, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


# ---------------------------------------------------------------------------------------------
# Singular values (for the matrix 2-norm)


@op("Svd", same_dtype=())
def _svd(input: Any, *, compute_uv: bool = True, full_matrices: bool = False) -> Any:
    x = np.asarray(input)
    if compute_uv:
        u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
        return s, u, np.conj(np.swapaxes(vh, -1, -2))
    empty = np.zeros((0,), x.dtype)
    return np.linalg.svd(x, compute_uv=False), empty, empty


@_svd.defvjp
def _svd_vjp(
    grads: tuple[Any, Any, Any], outs: Any, x: Tensor, *, compute_uv: bool, full_matrices: bool
) -> tuple[Any]:
    # for the singular values (TF's rule): dA = U diag(ds) V^H
    gs, gu, gv = grads
    if compute_uv and (np.any(gu._value) or np.any(gv._value)):
        raise NotImplementedError(
            "tapeflow differentiates only the singular values of Svd, not u and v (a second "
            "derivative of a matrix 2-norm needs them)"
        )
    _, u, v = outs if compute_uv and not full_matrices else _svd(x, compute_uv=True)
    return (matmul(multiply(u, expand_dims(gs, -2)), v, adjoint_b=True),)


# ---------------------------------------------------------------------------------------------
# Norms


_MATRIX_NORMS = ["euclidean", "fro", 1, 2, np.inf]  # as TF lists them in its error


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _is_named(ord: Any, *names: str) -> bool:
    return isinstance(ord, str) and ord in names


def norm(
    tensor: Any,
    ord: Any = "euclidean",
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
) -> Tensor:
    """The vector norm over `axis` (all elements if None), or a matrix norm over a pair of axes.

    `ord` is 'euclidean' (also 'fro' for matrices), 1, 2, np.inf, or any p > 0 for vectors.
    Deliberately, the gradient of the euclidean norm at the zero vector is 0 (TF: nan).

    >>> import tapeflow as tf
    >>> float(tf.norm([3.0, -4.0])), float(tf.norm([3.0, -4.0], ord=1))
    (5.0, 7.0)
    >>> float(tf.linalg.norm([[1.0, -2.0], [3.0, 4.0]], ord=1, axis=[0, 1]))
    6.0
    """
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix:
        axis = tuple(axis)
        if not all(isinstance(a, (int, np.integer)) for a in axis) or axis[0] == axis[1]:
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        if not (_is_named(ord, "euclidean", "fro") or (_is_number(ord) and ord in (1, 2, np.inf))):
            raise ValueError(f"'ord' must be a supported matrix norm in {_MATRIX_NORMS}, got {ord}")
    else:
        if not (axis is None or isinstance(axis, (int, np.integer))):
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        if not (_is_named(ord, "euclidean") or (_is_number(ord) and ord > 0)):
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    x = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    keep = bool(keepdims)
    axes = normalize_axis(axis, x.ndim, "Sum")
    if is_matrix and _is_number(ord) and ord == 2:
        result = _matrix_two_norm(x, axes)  # type: ignore[arg-type]
    elif _is_named(ord, "euclidean", "fro") or (_is_number(ord) and ord == 2):
        require_dtype(x._value, "Sqrt", FLOATS_COMPLEX)
        result = _euclidean_norm(x, axis=axes, keepdims=True)
    else:
        result = _math.abs(x)
        if ord == 1:
            if is_matrix:  # the largest column sum
                result = reduce_sum(result, axis=axis[0], keepdims=True)
                result = reduce_max(result, axis=axis[1], keepdims=True)
            else:
                result = reduce_sum(result, axis=axes, keepdims=True)
        elif ord == np.inf:
            if is_matrix:  # the largest row sum
                result = reduce_sum(result, axis=axis[1], keepdims=True)
                result = reduce_max(result, axis=axis[0], keepdims=True)
            else:
                result = reduce_max(result, axis=axes, keepdims=True)
        else:  # a general p-norm, p > 0
            summed = reduce_sum(_math.pow(result, ord), axis=axes, keepdims=True)
            result = _math.pow(summed, 1.0 / ord)
    if not keep:
        result = squeeze(result, axes)
    return result


def _matrix_two_norm(x: Tensor, axes: tuple[int, int]) -> Tensor:
    """The largest singular value over the two axes, kept as size-1 dims."""
    ndim = x.ndim
    rest = [i for i in range(ndim) if i not in axes]
    from tapeflow.ops.array import reshape, transpose

    moved = transpose(x, rest + list(axes))
    largest = reduce_max(_svd(moved, compute_uv=False)[0], axis=-1)
    kept = [1 if i in axes else x._value.shape[i] for i in range(ndim)]
    return reshape(largest, kept)


def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Tensor:
    """x / sqrt(max(sum(x^2), epsilon)) over `axis` (all elements if None).

    >>> import tapeflow as tf
    >>> tf.math.l2_normalize([3.0, 4.0]).numpy().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if dim is not None:
        axis = dim
    if t._value.dtype.kind != "f":
        raise TypeError(f"Cannot convert {epsilon!r} to EagerTensor of dtype {t.dtype.name}")
    square_sum = reduce_sum(square(t), axis=axis, keepdims=True)
    return multiply(t, rsqrt(maximum(square_sum, epsilon)))
