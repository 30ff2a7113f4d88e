"""Functions of matrices (tf.linalg): inv, det, slogdet, solve, triangular_solve, cholesky,
qr, svd, eigh and trace. Batched over leading axes wherever TF is.

The decompositions' gradients are TF's (the same formulas, written in tapeflow ops), so they
are differentiable again: QR for square and tall inputs (and wide, as TF), SVD and eigh for
distinct singular values / eigenvalues. For complex inputs they use adjoints and TF's extra
terms (QR's diagonal correction, SVD's phase term); real inputs take the transposes alone.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _reshape, _transpose, broadcast_to, like_dtype
from tapeflow.ops.linalg import _matmul, _tensor, matmul
from tapeflow.ops.math import (
    _cast,
    _conj,
    _is_complex,
    grad_times,
    multiply,
    negative,
    real,
    realdiv,
    square,
    subtract,
)
from tapeflow.ops.matrix import _band_part, _matrix_diag, _matrix_diag_part
from tapeflow.ops.reduce import _sum
from tapeflow.tape import add
from tapeflow.tensor import Tensor, _wrap

__all__ = [
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


# ---------------------------------------------------------------------------------------------
# Matrix functions


def _mT(x: Tensor) -> Tensor:
    """The transpose of the last two axes."""
    n = x.ndim
    return _transpose(x, perm=(*range(n - 2), n - 1, n - 2))


def _mH(x: Tensor) -> Tensor:
    """The adjoint (conjugate transpose) of the last two axes: the transpose for real x."""
    return _conj(_mT(x)) if _is_complex(x) else _mT(x)


def _mm(a: Tensor, b: Tensor, *, adjoint_a: bool = False, adjoint_b: bool = False) -> Tensor:
    """a @ b with either side adjointed; real operands get no Conj op (the rules are hot)."""
    if adjoint_a and _is_complex(a):
        a = _conj(a)
    if adjoint_b and _is_complex(b):
        b = _conj(b)
    return _matmul(a, b, transpose_a=adjoint_a, transpose_b=adjoint_b)


def _to_complex_like(x: Tensor, like: Tensor) -> Tensor:
    """x cast to like's dtype when like is complex (TF's rules cast real s and grads so)."""
    return _cast(x, dtype=like._value.dtype) if _is_complex(like) else x


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


@_inv.defvjp(batched=True)
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


@_det.defvjp(batched=True)
def _det_vjp(grad: Tensor, out: Tensor, a: Tensor) -> tuple[Any]:
    # d det A = det A * tr(A^-1 dA), so dA = g det(A) A^-T
    return (multiply(_expand2(grad_times(grad, out)), _inv(a, adjoint=True)),)


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


@_slogdet.defvjp(batched=True)
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
        return _solve_columns(np.linalg.solve, a, rhs)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError("Input matrix is not invertible. [Op:MatrixSolve]") from None


def _solve_columns(solve: Callable[[Any, Any], Any], a: Any, rhs: Any) -> Any:
    """solve(a, rhs), with the leading axes rhs has beyond a's (a jacobian's rows) moved into
    its columns: NumPy would factorise each matrix again for every one of those rows."""
    extra = rhs.ndim - a.ndim
    if extra <= 0:
        return solve(a, rhs)
    n, lead, k = rhs.ndim, rhs.shape[:extra], rhs.shape[-1]
    cols = rhs.transpose(*range(extra, n - 1), *range(extra), n - 1)  # (..., m, *lead, k)
    x = solve(a, cols.reshape((*cols.shape[: -extra - 1], math.prod(lead) * k)))
    x = x.reshape((*x.shape[:-1], *lead, k))
    return x.transpose(*range(n - extra - 1, n - 1), *range(n - extra - 1), n - 1)


@_solve.defvjp(batched=True)
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
    return _solve_columns(functools.partial(_solve_triangular, lower=lower != adjoint), tri, rhs)


def _solve_triangular(tri: np.ndarray, rhs: np.ndarray, lower: bool) -> np.ndarray:
    try:
        return np.linalg.solve(tri, rhs)
    except np.linalg.LinAlgError:  # a zero on the diagonal: substitute, giving inf/nan as TF
        batch = np.broadcast_shapes(tri.shape[:-2], rhs.shape[:-2])
        return _substitute(tri, np.broadcast_to(rhs, batch + rhs.shape[-2:]), lower)


def _substitute(tri: np.ndarray, rhs: np.ndarray, lower: bool) -> np.ndarray:
    """Forward (lower) or back substitution, one row at a time for the whole batch."""
    n = tri.shape[-1]
    x = np.zeros(rhs.shape, dtype=np.result_type(tri, rhs))
    for i in range(n) if lower else range(n - 1, -1, -1):
        done = x[..., :i, :] if lower else x[..., i + 1 :, :]
        coef = tri[..., i : i + 1, :i] if lower else tri[..., i : i + 1, i + 1 :]
        x[..., i, :] = (rhs[..., i, :] - (coef @ done)[..., 0, :]) / tri[..., i, i : i + 1]
    return x


@_triangular_solve.defvjp(batched=True)
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


@_cholesky.defvjp(batched=True)
def _cholesky_vjp(grad: Tensor, out: Tensor, a: Tensor) -> tuple[Any]:
    # TF's rule (Murray 2016): P = Phi(L^H G), dA = herm(L^-H P L^-1), Phi = lower, half diagonal
    eye = broadcast_to(_eye_like(out), out._value.shape)
    l_inv = _triangular_solve(out, eye, lower=True, adjoint=False)
    middle = matmul(out, grad, adjoint_a=True)
    middle = subtract(
        _band_part(middle, num_lower=-1, num_upper=0),
        multiply(_diag(_matrix_diag_part(middle, k=0)), 0.5),
    )
    ga = matmul(matmul(l_inv, middle, adjoint_a=True), l_inv)
    return (multiply(add(ga, _mH(ga)), 0.5),)


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
    """x @ inv(r)^H for upper-triangular r, as one triangular solve."""
    return _mH(_triangular_solve(r, _mH(x), lower=False, adjoint=False))


def _qr_grad_square_or_tall(q: Tensor, r: Tensor, dq: Tensor, dr: Tensor) -> Tensor:
    qdq = _mm(q, dq, adjoint_a=True)
    qdq_ = subtract(qdq, _mH(qdq))
    rdr = _mm(r, dr, adjoint_b=True)
    rdr_ = subtract(rdr, _mH(rdr))
    tril = _band_part(add(qdq_, rdr_), num_lower=-1, num_upper=0)
    grad_a = _mm(q, add(dr, _tri_solve_right(tril, r)))
    grad_b = _tri_solve_right(subtract(dq, _mm(q, qdq)), r)
    out = add(grad_a, grad_b)
    if _is_complex(q):
        # R's diagonal is real: the imaginary part of diag(R dR^H - dQ^H Q) needs TF's
        # correction term (Roberts & Roberts 2020, arXiv:2009.10071)
        d = _matrix_diag_part(subtract(rdr, _mH(qdq)), k=0)
        correction = _diag(subtract(d, _cast(real(d), dtype=d._value.dtype)))
        out = add(out, _tri_solve_right(_mm(q, correction, adjoint_b=True), r))
    return out


@_qr.defvjp(batched=True)
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
    dy = _mm(q, dv)
    dx = _qr_grad_square_or_tall(q, u, add(dq, _mm(y, dv, adjoint_b=True)), du)
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


@_svd.defvjp(batched=True)
def _svd_vjp(grad: Any, out: Any, a: Tensor, *, compute_uv: bool, full_matrices: bool) -> Any:
    # TF's rule (Townsend 2016; Giles 2008), for distinct nonzero singular values
    # for complex A the real s and its gradient are cast to A's dtype, as TF does
    complex_ = _is_complex(a)
    if not compute_uv:
        s, u, v = _svd(a, compute_uv=True, full_matrices=False)
        grad = _to_complex_like(grad, a)
        return (
            _mm(
                multiply(u, _reshape(grad, shape=(*grad._value.shape[:-1], 1, -1))),
                v,
                adjoint_b=True,
            ),
        )
    gs, gu, gv = grad
    s, u, v = out
    gs, s = _to_complex_like(gs, a), _to_complex_like(s, a)
    m, n = a._value.shape[-2:]
    use_adjoint = m > n
    if use_adjoint:  # differentiate A^H = V S U^H instead, and take the adjoint at the end
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
    v_gv = _mm(v1, gv1, adjoint_a=True)
    f_u = multiply(f, _mm(u, gu, adjoint_a=True))
    f_v = multiply(f, v_gv)
    term1_nouv = add(add(_diag(gs), _mm(add(f_u, _mH(f_u)), s_mat)), _mm(s_mat, add(f_v, _mH(f_v))))
    grad_a = _mm(u, _mm(term1_nouv, v1, adjoint_b=True))
    if m != n or complex_:
        s_inv_mat = _diag(_safe_reciprocal(s))
    if m != n:
        gv1t = _mH(gv1)
        term2_nous = subtract(gv1t, _mm(_mm(gv1t, v1), v1, adjoint_b=True))
        if full_matrices:
            v2 = v[..., :, m:n]
            gv2 = gv[..., :, m:n]
            term2_nous = subtract(term2_nous, _mm(_mm(v1, gv2, adjoint_a=True), v2, adjoint_b=True))
        u_s_inv = _mm(u, s_inv_mat)
        grad_a = add(grad_a, _mm(u_s_inv, term2_nous))
    if complex_:
        # the phase of each pair of singular vectors is free: TF's term for its gauge
        diag_v_gv = _diag(_matrix_diag_part(v_gv, k=0))
        term3_nouv = _mm(s_inv_mat, subtract(_mH(diag_v_gv), diag_v_gv))
        grad_a = add(grad_a, multiply(_mm(u, _mm(term3_nouv, v1, adjoint_b=True)), 0.5))
    return (_mH(grad_a) if use_adjoint else grad_a,)


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
    # TF gives complex input complex eigenvalues (imaginary part 0)
    return e.astype(input.dtype, copy=False), v


@_eigh.defvjp(batched=True)
def _eigh_vjp(grads: tuple[Any, Any], outs: Any, a: Tensor) -> tuple[Any]:
    # TF's rule for distinct eigenvalues: dA = V (diag(ge) + F o V^H gV) V^H, F_ij = 1/(e_j-e_i),
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
    inner = add(_diag(ge), multiply(f, _mm(v, gv, adjoint_a=True)))
    ga = _mm(v, _mm(inner, v, adjoint_b=True))
    ga = _band_part(add(ga, _mH(ga)), num_lower=-1, num_upper=0)
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
