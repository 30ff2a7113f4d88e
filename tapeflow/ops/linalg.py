"""Linear algebra: matmul, matvec, tensordot, einsum, and the matrix functions of
tf.linalg (inv, det, slogdet, solve, cholesky, triangular_solve, qr, svd, eigh, trace,
global_norm). Batched over leading axes wherever TF is.

The decompositions' gradients are TF's (the same formulas, written in tapeflow ops), so they
are differentiable again: QR for square and tall inputs (and wide, as TF), SVD and eigh for
distinct singular values / eigenvalues.
"""

from __future__ import annotations

import builtins
import string
from collections import Counter, namedtuple
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import FLOATS_COMPLEX, op, require_dtype
from tapeflow.ops import math as _math
from tapeflow.ops.array import _reshape, _transpose, broadcast_to, like_dtype, squeeze
from tapeflow.ops.math import conj, maximum, multiply, negative, realdiv, rsqrt, square, subtract
from tapeflow.ops.matrix import _band_part, _matrix_diag, _matrix_diag_part
from tapeflow.ops.reduce import _euclidean_norm, _sum, normalize_axis, reduce_max, reduce_sum
from tapeflow.tape import add
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = [
    "matmul",
    "norm",
    "l2_normalize",
    "matvec",
    "tensordot",
    "einsum",
    "inv",
    "det",
    "slogdet",
    "solve",
    "cholesky",
    "triangular_solve",
    "qr",
    "svd",
    "eigh",
    "trace",
]


def _t(x: Any, flag: bool) -> Any:
    return np.swapaxes(x, -1, -2) if flag else x


@op("MatMul")
def _matmul(a: Any, b: Any, *, transpose_a: bool = False, transpose_b: bool = False) -> Any:
    return np.matmul(_t(a, transpose_a), _t(b, transpose_b))


@_matmul.defvjp(batched=True)
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
    largest = reduce_max(_svd(moved, compute_uv=False), axis=-1)
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


def _tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else convert_to_tensor(x)


# ---------------------------------------------------------------------------------------------
# Products built on matmul: matvec, tensordot


def matvec(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    adjoint_a: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
) -> Tensor:
    """Matrix-vector product of the last two axes of `a` with the last axis of `b` (batched).

    >>> import tapeflow as tf
    >>> tf.linalg.matvec([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy().tolist()
    [3.0, 7.0]
    """
    bt = _tensor(b)
    column = _reshape(bt, shape=(*bt._value.shape, 1))
    out = matmul(a, column, transpose_a=transpose_a, adjoint_a=adjoint_a)
    return _reshape(out, shape=out._value.shape[:-1])


def _tensordot_axes(axes: Any, a_ndim: int, b_ndim: int) -> tuple[list[int], list[int]]:
    value = getattr(axes, "_value", axes)
    if isinstance(value, (int, np.integer)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        n = int(value)
        if n < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {n}.")
        if n > builtins.min(a_ndim, b_ndim):
            raise ValueError(
                "`axes` must not be larger than the number of dimensions of tensor. Received "
                f"{n}, vs tensor dimensions {builtins.min(a_ndim, b_ndim)}."
            )
        return list(range(a_ndim - n, a_ndim)), list(range(n))
    if not isinstance(value, (list, tuple)):
        value = np.asarray(value).tolist()
    if len(value) != 2:
        raise ValueError(f"`axes` must be an integer or have length 2. Received {axes!r}")
    a_axes = [int(x) for x in np.asarray(getattr(value[0], "_value", value[0])).reshape(-1)]
    b_axes = [int(x) for x in np.asarray(getattr(value[1], "_value", value[1])).reshape(-1)]
    if len(a_axes) != len(b_axes):
        raise ValueError(
            f"Different number of contraction axes `a` and `b`, {len(a_axes)} != {len(b_axes)}."
        )
    return [x % a_ndim for x in a_axes], [x % b_ndim for x in b_axes]


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Sums the products of `a` and `b` over the given axes: `axes = n` pairs the last n axes
    of `a` with the first n of `b`; `axes = [a_axes, b_axes]` names them. One matmul.

    >>> import tapeflow as tf
    >>> tf.tensordot(tf.ones([2, 3]), tf.ones([3, 4]), 1).shape
    TensorShape([2, 4])
    """
    at, bt = _tensor(a), _tensor(b)
    a_shape, b_shape = at._value.shape, bt._value.shape
    a_axes, b_axes = _tensordot_axes(axes, len(a_shape), len(b_shape))
    a_free = [i for i in range(len(a_shape)) if i not in a_axes]
    b_free = [i for i in range(len(b_shape)) if i not in b_axes]
    k = int(np.prod([a_shape[i] for i in a_axes]))
    a2 = _reshape(
        _transpose(at, perm=(*a_free, *a_axes)),
        shape=(int(np.prod([a_shape[i] for i in a_free])), k),
    )
    b2 = _reshape(
        _transpose(bt, perm=(*b_axes, *b_free)),
        shape=(int(np.prod([b_shape[i] for i in b_axes])), -1),
    )
    out = matmul(a2, b2)
    return _reshape(
        out, shape=tuple(a_shape[i] for i in a_free) + tuple(b_shape[i] for i in b_free)
    )


# ---------------------------------------------------------------------------------------------
# einsum


def _normalize_einsum(equation: str, shapes: list[tuple[int, ...]]) -> str:
    """The equation with `...` spelt out as letters and the output made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    for t in [*terms, out]:
        plain = t.replace("...", "", 1)
        if set(plain) - set(string.ascii_letters) or "->" in out:
            raise ValueError(f"Subscripts have incorrect format: {equation}")
    if len(terms) != len(shapes):
        raise ValueError(
            f'Got {len(shapes)} inputs for equation "{equation}", expecting {len(terms)}'
        )
    ranks = [len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t]
    rank = builtins.max(ranks, default=0)
    free = [c for c in string.ascii_letters if c not in eq]
    ell = "".join(free[:rank])
    spelt = []
    for term, s in zip(terms, shapes):
        t = term
        if "..." in t:
            r = len(s) - (len(t) - 3)
            if r < 0:
                raise ValueError(f"Input of shape {list(s)} has too few axes for {term!r}")
            t = t.replace("...", ell[rank - r :])
        if len(t) != len(s):
            raise ValueError(
                f"Input of shape {list(s)} has {len(s)} axes but its subscripts {term!r} "
                f"name {len(t)}"
            )
        spelt.append(t)
    if not arrow:  # implicit output: the broadcast axes, then the letters used once, sorted
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    elif "..." in out:
        out = out.replace("...", ell)
    elif rank:
        raise InvalidArgumentError(
            f"Output contains {rank} broadcasting dimension(s) but no ellipsis (...) was found "
            "in the output subscripts. [Op:Einsum]"
        )
    letters = set("".join(spelt))
    for c in out:
        if c not in letters:
            raise ValueError(
                f"Output subscripts contain the label {c} not present in the input subscripts."
            )
    if len(set(out)) != len(out):
        raise ValueError(f"Output subscripts contain a label appearing more than once: {equation}")
    return ",".join(spelt) + "->" + out


def _check_einsum_sizes(equation: str, shapes: list[tuple[int, ...]], ellipsis: str) -> None:
    """Each letter names one size; only `...` axes broadcast (size 1 against any), as in TF."""
    sizes: dict[str, int] = {}
    for t, s in zip(equation.split("->", maxsplit=1)[0].split(","), shapes):
        for axis, (c, d) in enumerate(zip(t, s)):
            known = sizes.get(c)
            if known is None or (c in ellipsis and known == 1):
                sizes[c] = d
            elif d != known and not (c in ellipsis and d == 1):
                raise InvalidArgumentError(
                    f"Expected dimension {known} at axis {axis} of the input shaped [{_dims(s)}] "
                    f"but got dimension {d} [Op:Einsum]"
                )


@op("Einsum")
def _einsum(*inputs: Any, equation: str) -> Any:
    # BLAS contraction orders pay off for big operands or more than two
    big = len(inputs) > 2 or builtins.max((np.size(x) for x in inputs), default=0) > 4096
    return np.asarray(np.einsum(equation, *inputs, optimize=big))[()]


@_einsum.defvjp
def _einsum_vjp(grad: Tensor, out: Tensor, *inputs: Tensor, equation: str) -> tuple[Any, ...]:
    # d/dX_i: the einsum of the upstream with the other operands, written to X_i's subscripts;
    # a repeated letter (a diagonal) is written through an identity matrix, a letter that only
    # X_i has (summed out within X_i) is broadcast back
    lhs, out_subs = equation.split("->")
    terms = lhs.split(",")
    grads: list[Any] = []
    for i, (term, x) in enumerate(zip(terms, inputs)):
        shape = x._value.shape
        target: list[str] = []
        eyes: list[tuple[str, Tensor]] = []
        fresh = iter(c for c in string.ascii_letters if c not in equation)
        for c, d in zip(term, shape):
            if c in target:
                new = next(fresh)
                eyes.append((c + new, _wrap(np.eye(d, dtype=x._value.dtype))))
                target.append(new)
            else:
                target.append(c)
        sources = [out_subs] + [t for j, t in enumerate(terms) if j != i] + [e for e, _ in eyes]
        available = set("".join(sources))
        kept = "".join(c for c in target if c in available)
        operands = [grad] + [t for j, t in enumerate(inputs) if j != i] + [m for _, m in eyes]
        g = _einsum(*operands, equation=",".join(sources) + "->" + kept)
        if len(kept) < len(target):  # letters summed within X_i alone: broadcast back
            g_shape = dict(zip(kept, g._value.shape))
            g = _reshape(g, shape=tuple(g_shape.get(c, 1) for c in target))
            g = broadcast_to(g, tuple(g_shape.get(c, d) for c, d in zip(target, shape)))
        grads.append(g)
    return tuple(grads)


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """Einstein summation: `"ij,jk->ik"` is a matmul, `"ii->"` a trace, `"...ij->...ji"` a
    batched transpose. Repeated letters take diagonals; `...` broadcasts.

    >>> import tapeflow as tf
    >>> tf.einsum("ij,j->i", [[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy().tolist()
    [3.0, 7.0]
    """
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(sorted(kwargs))}")
    tensors = [_tensor(x) for x in inputs]
    shapes = [x._value.shape for x in tensors]
    normalized = _normalize_einsum(str(equation), shapes)
    ellipsis = "".join(set(normalized) - set(str(equation)) - {",", "-", ">"})
    _check_einsum_sizes(normalized, shapes, ellipsis)
    return _einsum(*tensors, equation=normalized)


# ---------------------------------------------------------------------------------------------
# Matrix functions


def _mT(x: Tensor) -> Tensor:
    """The transpose of the last two axes."""
    n = x.ndim
    return _transpose(x, perm=(*range(n - 2), n - 1, n - 2))


def _eye_like(x: Tensor) -> Tensor:
    n = x._value.shape[-1]
    return _wrap(np.eye(n, dtype=x._value.dtype))


def _square_matrices(x: Tensor, op_type: str) -> Tensor:
    shape = x._value.shape
    if len(shape) < 2:
        raise InvalidArgumentError(
            f"Input tensor 0 must have rank >= 2, got {len(shape)} [Op:{op_type}]"
        )
    if shape[-1] != shape[-2]:
        raise InvalidArgumentError(f"Input matrix must be square. [Op:{op_type}]")
    if x._value.dtype.kind not in "fc":
        raise InvalidArgumentError(
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: "
            f"double, float, half, complex64, complex128 [Op:{op_type}]"
        )
    return x


@op("MatrixInverse")
def _inv(input: Any, *, adjoint: bool = False) -> Any:
    a = np.conj(np.swapaxes(input, -1, -2)) if adjoint else input
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError("Input is not invertible. [Op:MatrixInverse]") from None


@_inv.defvjp
def _inv_vjp(grad: Tensor, out: Tensor, a: Tensor, *, adjoint: bool) -> tuple[Any]:
    # d(A^-1) = -A^-1 dA A^-1, so dA = -A^-H G A^-H (transposed back for the adjoint flag)
    inner = matmul(grad, out, adjoint_a=adjoint, adjoint_b=not adjoint)
    return (negative(matmul(out, inner, adjoint_a=not adjoint)),)


def inv(input: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    """The inverse of each square matrix (of its adjoint, with `adjoint=True`).

    >>> import tapeflow as tf
    >>> tf.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return _inv(_square_matrices(_tensor(input), "MatrixInverse"), adjoint=bool(adjoint))


def _expand2(x: Tensor) -> Tensor:
    return _reshape(x, shape=(*x._value.shape, 1, 1))


@op("MatrixDeterminant")
def _det(input: Any) -> Any:
    return np.asarray(np.linalg.det(input)).astype(input.dtype)[()]


@_det.defvjp
def _det_vjp(grad: Tensor, out: Tensor, a: Tensor) -> tuple[Any]:
    # d det A = det A * tr(A^-1 dA), so dA = g det(A) A^-T
    return (multiply(_expand2(multiply(grad, out)), _inv(a, adjoint=True)),)


def det(input: Any, name: str | None = None) -> Tensor:
    """The determinant of each square matrix.

    >>> import tapeflow as tf
    >>> float(tf.linalg.det([[1.0, 2.0], [3.0, 4.0]]))
    -2.0
    """
    return _det(_square_matrices(_tensor(input), "MatrixDeterminant"))


@op("LogMatrixDeterminant")
def _slogdet(input: Any) -> Any:
    sign, logdet = np.linalg.slogdet(input)
    dt = input.dtype
    return np.asarray(sign).astype(dt)[()], np.asarray(logdet).astype(dt)[()]


@_slogdet.defvjp
def _slogdet_vjp(grads: tuple[Any, Any], outs: Any, a: Tensor) -> tuple[Any]:
    # d log|det A| = tr(A^-1 dA); the sign is piecewise constant
    return (multiply(_expand2(grads[1]), _inv(a, adjoint=True)),)


def slogdet(input: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """`(sign, log_abs_determinant)` of each square matrix: the determinant without overflow.

    >>> import tapeflow as tf
    >>> sign, logdet = tf.linalg.slogdet([[1.0, 2.0], [3.0, 4.0]])
    >>> float(sign), round(float(logdet), 6)
    (-1.0, 0.693147)
    """
    return LogMatrixDeterminant(*_slogdet(_square_matrices(_tensor(input), "LogMatrixDeterminant")))


LogMatrixDeterminant = namedtuple("LogMatrixDeterminant", ["sign", "log_abs_determinant"])
Qr = namedtuple("Qr", ["q", "r"])


@op("MatrixSolve")
def _solve(matrix: Any, rhs: Any, *, adjoint: bool = False) -> Any:
    a = np.conj(np.swapaxes(matrix, -1, -2)) if adjoint else matrix
    try:
        return np.linalg.solve(a, rhs)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError("Input matrix is not invertible. [Op:MatrixSolve]") from None


@_solve.defvjp
def _solve_vjp(
    grad: Tensor, out: Tensor, a: Tensor, b: Tensor, *, adjoint: bool
) -> tuple[Any, Any]:
    # X = A^-1 B: dB = A^-H G, dA = -dB X^H (or -X dB^H for the adjoint system)
    gb = _solve(a, grad, adjoint=not adjoint)
    if adjoint:
        ga = negative(matmul(out, gb, adjoint_b=True))
    else:
        ga = negative(matmul(gb, out, adjoint_b=True))
    return ga, gb


def _check_rhs(a: Tensor, b: Tensor, op_type: str) -> None:
    if op_type == "MatrixSolve":  # TF's MatrixSolve does not broadcast (the others do)
        if b.ndim != a.ndim:
            raise InvalidArgumentError(f"All input tensors must have the same rank. [Op:{op_type}]")
        if b._value.shape[:-2] != a._value.shape[:-2]:
            raise InvalidArgumentError(
                f"All input tensors must have the same outer dimensions. [Op:{op_type}]"
            )
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-1]:
        raise InvalidArgumentError(
            f"Input matrix and right-hand side must have the same number of rows and the "
            f"right-hand side must be a matrix: {list(a._value.shape)} vs. "
            f"{list(b._value.shape)} [Op:{op_type}]"
        )


def solve(matrix: Any, rhs: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    """Solves `matrix @ X = rhs` (`adjoint(matrix) @ X = rhs` with `adjoint=True`).

    >>> import tapeflow as tf
    >>> tf.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [[1.0], [1.0]]).numpy().tolist()
    [[0.5], [0.25]]
    """
    a = _square_matrices(_tensor(matrix), "MatrixSolve")
    b = _tensor(like_dtype(rhs, a))
    _check_rhs(a, b, "MatrixSolve")
    return _solve(a, b, adjoint=bool(adjoint))


@op("MatrixTriangularSolve")
def _triangular_solve(matrix: Any, rhs: Any, *, lower: bool = True, adjoint: bool = False) -> Any:
    tri = np.tril(matrix) if lower else np.triu(matrix)  # the other triangle is ignored
    if adjoint:
        tri = np.conj(np.swapaxes(tri, -1, -2))
    try:
        return np.linalg.solve(tri, rhs)
    except np.linalg.LinAlgError:  # a zero on the diagonal: substitute, giving inf/nan as TF
        batch = np.broadcast_shapes(tri.shape[:-2], rhs.shape[:-2])
        return _substitute(tri, np.broadcast_to(rhs, batch + rhs.shape[-2:]), lower != adjoint)


def _substitute(tri: np.ndarray, rhs: np.ndarray, lower: bool) -> np.ndarray:
    """Forward (lower) or back substitution, one row at a time for the whole batch."""
    n = tri.shape[-1]
    x = np.zeros(rhs.shape, dtype=np.result_type(tri, rhs))
    for i in range(n) if lower else range(n - 1, -1, -1):
        done = x[..., :i, :] if lower else x[..., i + 1 :, :]
        coef = tri[..., i : i + 1, :i] if lower else tri[..., i : i + 1, i + 1 :]
        x[..., i, :] = (rhs[..., i, :] - (coef @ done)[..., 0, :]) / tri[..., i, i : i + 1]
    return x


@_triangular_solve.defvjp
def _triangular_solve_vjp(
    grad: Tensor, out: Tensor, a: Tensor, b: Tensor, *, lower: bool, adjoint: bool
) -> tuple[Any, Any]:
    # as MatrixSolve, with dA kept to the triangle that was read
    gb = _triangular_solve(a, grad, lower=lower, adjoint=not adjoint)
    if adjoint:
        ga = negative(matmul(out, gb, adjoint_b=True))
    else:
        ga = negative(matmul(gb, out, adjoint_b=True))
    ga = (
        _band_part(ga, num_lower=-1, num_upper=0)
        if lower
        else _band_part(ga, num_lower=0, num_upper=-1)
    )
    return ga, gb


def triangular_solve(
    matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False, name: str | None = None
) -> Tensor:
    """Solves `matrix @ X = rhs` for triangular `matrix` (its lower triangle with `lower=True`,
    else its upper one; the other triangle is ignored).

    >>> import tapeflow as tf
    >>> tf.linalg.triangular_solve([[2.0, 0.0], [1.0, 1.0]], [[2.0], [2.0]]).numpy().tolist()
    [[1.0], [1.0]]
    """
    a = _square_matrices(_tensor(matrix), "MatrixTriangularSolve")
    b = _tensor(like_dtype(rhs, a))
    _check_rhs(a, b, "MatrixTriangularSolve")
    return _triangular_solve(a, b, lower=bool(lower), adjoint=bool(adjoint))


@op("Cholesky")
def _cholesky(input: Any) -> Any:
    try:
        return np.linalg.cholesky(input)
    except np.linalg.LinAlgError:  # TF returns garbage for a non-positive-definite matrix;
        flat = input.reshape(-1, *input.shape[-2:])  # we return NaN for that matrix only
        out = np.full_like(flat, np.nan)
        for i, m in enumerate(flat):
            try:
                out[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                pass
        return out.reshape(input.shape)


@_cholesky.defvjp
def _cholesky_vjp(grad: Tensor, out: Tensor, a: Tensor) -> tuple[Any]:
    # TF's rule (Murray 2016): P = Phi(L^T G), dA = sym(L^-T P L^-1), Phi = lower, half diagonal
    eye = broadcast_to(_eye_like(out), out._value.shape)
    l_inv = _triangular_solve(out, eye, lower=True, adjoint=False)
    middle = matmul(out, grad, adjoint_a=True)
    middle = subtract(
        _band_part(middle, num_lower=-1, num_upper=0),
        multiply(_diag(_matrix_diag_part(middle, k=0)), 0.5),
    )
    ga = matmul(matmul(l_inv, middle, adjoint_a=True), l_inv)
    return (multiply(add(ga, _mT(ga)), 0.5),)


def _diag(d: Tensor) -> Tensor:
    n = d._value.shape[-1]
    return _matrix_diag(d, k=0, num_rows=n, num_cols=n, padding_value=0)


def cholesky(input: Any, name: str | None = None) -> Tensor:
    """The lower-triangular L with `L @ L^T = input`, for symmetric positive-definite
    matrices (only the lower triangle is read). A matrix that is not positive definite gives
    NaN.

    >>> import tapeflow as tf
    >>> tf.linalg.cholesky([[4.0, 2.0], [2.0, 2.0]]).numpy().tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    return _cholesky(_square_matrices(_tensor(input), "Cholesky"))


@op("Qr")
def _qr(input: Any, *, full_matrices: bool = False) -> Any:
    q, r = np.linalg.qr(input, mode="complete" if full_matrices else "reduced")
    return q, r


def _tri_solve_right(x: Tensor, r: Tensor) -> Tensor:
    """x @ inv(r)^T for upper-triangular r, as one triangular solve."""
    return _mT(_triangular_solve(r, _mT(x), lower=False, adjoint=False))


def _qr_grad_square_or_tall(q: Tensor, r: Tensor, dq: Tensor, dr: Tensor) -> Tensor:
    qdq = matmul(q, dq, transpose_a=True)
    qdq_ = subtract(qdq, _mT(qdq))
    rdr = matmul(r, dr, transpose_b=True)
    rdr_ = subtract(rdr, _mT(rdr))
    tril = _band_part(add(qdq_, rdr_), num_lower=-1, num_upper=0)
    grad_a = matmul(q, add(dr, _tri_solve_right(tril, r)))
    grad_b = _tri_solve_right(subtract(dq, matmul(q, qdq)), r)
    return add(grad_a, grad_b)


@_qr.defvjp
def _qr_vjp(grads: tuple[Any, Any], outs: Any, a: Any, *, full_matrices: bool) -> tuple[Any]:
    # TF's rule (Walter & Lehmann; Liao et al. 2019) for square and tall inputs; a wide input
    # A = Q [X Y] reuses it on the square block X
    dq, dr = grads
    q, r = outs
    m, n = a._value.shape[-2:]
    if m >= n:
        if full_matrices and m > n:
            raise NotImplementedError(
                "QrGrad not implemented when nrows > ncols and full_matrices is true."
            )
        return (_qr_grad_square_or_tall(q, r, dq, dr),)
    y = a[..., :, m:]
    u = r[..., :, :m]
    dv = dr[..., :, m:]
    du = dr[..., :, :m]
    dy = matmul(q, dv)
    dx = _qr_grad_square_or_tall(q, u, add(dq, matmul(y, dv, transpose_b=True)), du)
    from tapeflow.ops.array import concat

    return (concat([dx, dy], axis=-1),)


def qr(input: Any, full_matrices: bool = False, name: str | None = None) -> tuple[Tensor, Tensor]:
    """`(q, r)` with orthonormal columns in q and upper-triangular r, `q @ r = input`.

    >>> import tapeflow as tf
    >>> q, r = tf.linalg.qr([[3.0, 0.0], [4.0, 5.0]])
    >>> [round(abs(v), 6) for v in r.numpy().reshape(-1).tolist()]
    [5.0, 4.0, 0.0, 3.0]
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise InvalidArgumentError(f"Input tensor 0 must have rank >= 2, got {x.ndim} [Op:Qr]")
    return Qr(*_qr(x, full_matrices=bool(full_matrices)))


@op("Svd")
def _svd(input: Any, *, compute_uv: bool = True, full_matrices: bool = False) -> Any:
    if not compute_uv:
        return np.linalg.svd(input, compute_uv=False)
    u, s, vh = np.linalg.svd(input, full_matrices=full_matrices)
    return s, u, np.conj(np.swapaxes(vh, -1, -2))


def _safe_reciprocal(x: Tensor, epsilon: float = 1e-20) -> Tensor:
    # x / (x^2 + eps): 1/x away from 0, 0 at 0 (TF's choice for repeated values)
    return realdiv(x, add(square(x), epsilon))


@_svd.defvjp
def _svd_vjp(grad: Any, out: Any, a: Tensor, *, compute_uv: bool, full_matrices: bool) -> Any:
    # TF's rule (Townsend 2016; Giles 2008), for distinct nonzero singular values
    if not compute_uv:
        s, u, v = _svd(a, compute_uv=True, full_matrices=False)
        return (
            matmul(
                multiply(u, _reshape(grad, shape=(*grad._value.shape[:-1], 1, -1))),
                v,
                transpose_b=True,
            ),
        )
    gs, gu, gv = grad
    s, u, v = out
    m, n = a._value.shape[-2:]
    use_adjoint = m > n
    if use_adjoint:  # differentiate A^T = V S U^T instead, and transpose at the end
        m, n = n, m
        u, v = v, u
        gu, gv = gv, gu
    if full_matrices and abs(m - n) > 1:
        raise NotImplementedError(
            "svd gradient is not implemented for abs(m - n) > 1 when full_matrices is True"
        )
    s2 = square(s)
    off_diagonal = _wrap(1 - np.eye(m, dtype=a._value.dtype))
    f = multiply(
        _safe_reciprocal(
            subtract(
                _reshape(s2, shape=(*s2._value.shape[:-1], 1, m)),
                _reshape(s2, shape=(*s2._value.shape, 1)),
            )
        ),
        off_diagonal,
    )
    s_mat = _diag(s)
    v1 = v[..., :, :m]
    gv1 = gv[..., :, :m]
    f_u = multiply(f, matmul(u, gu, transpose_a=True))
    f_v = multiply(f, matmul(v1, gv1, transpose_a=True))
    term1_nouv = add(
        add(_diag(gs), matmul(add(f_u, _mT(f_u)), s_mat)), matmul(s_mat, add(f_v, _mT(f_v)))
    )
    grad_a = matmul(u, matmul(term1_nouv, v1, transpose_b=True))
    if m != n:
        gv1t = _mT(gv1)
        term2_nous = subtract(gv1t, matmul(matmul(gv1t, v1), v1, transpose_b=True))
        if full_matrices:
            v2 = v[..., :, m:n]
            gv2 = gv[..., :, m:n]
            term2_nous = subtract(
                term2_nous, matmul(matmul(v1, gv2, transpose_a=True), v2, transpose_b=True)
            )
        u_s_inv = matmul(u, _diag(_safe_reciprocal(s)))
        grad_a = add(grad_a, matmul(u_s_inv, term2_nous))
    return (_mT(grad_a) if use_adjoint else grad_a,)


def svd(
    tensor: Any, full_matrices: bool = False, compute_uv: bool = True, name: str | None = None
) -> Any:
    """Singular values `s` (descending) and, with `compute_uv`, vectors: `(s, u, v)` with
    `tensor = u @ diag(s) @ v^H`.

    >>> import tapeflow as tf
    >>> s = tf.linalg.svd([[3.0, 0.0], [0.0, -4.0]], compute_uv=False)
    >>> s.numpy().tolist()
    [4.0, 3.0]
    """
    x = _tensor(tensor)
    if x.ndim < 2:
        raise InvalidArgumentError(f"Input tensor 0 must have rank >= 2, got {x.ndim} [Op:Svd]")
    return _svd(x, compute_uv=bool(compute_uv), full_matrices=bool(full_matrices))


@op("SelfAdjointEigV2")
def _eigh(input: Any) -> Any:
    e, v = np.linalg.eigh(input)  # reads the lower triangle, as TF's kernel
    return e, v


@_eigh.defvjp
def _eigh_vjp(grads: tuple[Any, Any], outs: Any, a: Tensor) -> tuple[Any]:
    # TF's rule for distinct eigenvalues: dA = V (diag(ge) + F o V^T gV) V^T, F_ij = 1/(e_j-e_i),
    # then kept to the lower triangle that was read (the diagonal counted once)
    ge, gv = grads
    e, v = outs
    n = a._value.shape[-1]
    f = multiply(
        _safe_reciprocal(
            subtract(
                _reshape(e, shape=(*e._value.shape[:-1], 1, n)),
                _reshape(e, shape=(*e._value.shape, 1)),
            )
        ),
        _wrap(1 - np.eye(n, dtype=a._value.dtype)),
    )
    inner = add(_diag(ge), multiply(f, matmul(v, gv, transpose_a=True)))
    ga = matmul(v, matmul(inner, v, transpose_b=True))
    ga = _band_part(add(ga, _mT(ga)), num_lower=-1, num_upper=0)
    return (subtract(ga, multiply(_diag(_matrix_diag_part(ga, k=0)), 0.5)),)


def eigh(tensor: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors (columns) of self-adjoint matrices; only the
    lower triangle is read.

    >>> import tapeflow as tf
    >>> e, v = tf.linalg.eigh([[2.0, 0.0], [0.0, 1.0]])
    >>> e.numpy().tolist()
    [1.0, 2.0]
    """
    return _eigh(_square_matrices(_tensor(tensor), "SelfAdjointEigV2"))


def trace(x: Any, name: str | None = None) -> Tensor:
    """The sum of the main diagonal of each matrix in the last two axes.

    >>> import tapeflow as tf
    >>> float(tf.linalg.trace([[1.0, 2.0], [3.0, 4.0]]))
    5.0
    """
    t = _tensor(x)
    if t.ndim < 2:
        raise InvalidArgumentError(
            f"input must be at least 2-dim, received shape: {list(t._value.shape)} "
            "[Op:MatrixDiagPartV3]"
        )
    return _sum(_matrix_diag_part(t, k=0), axis=(t.ndim - 2,), keepdims=False)


def _dims(shape: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in shape)
