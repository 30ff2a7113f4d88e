"""Jacobians through the matrix ops whose gradient rules are batched: single matrices and
batches, broadcast right-hand sides, wide and tall decompositions, checked against row-by-row
gradients (first and second order); the per-op row-by-row fallback must not run for them.
"""

import numpy as np
import pytest
from jacobian_rows import compare, refuse_fallback

import tapeflow as tf
from tapeflow.ops.matrix_functions import _solve

MATRIX_OPS = {
    "MatrixDiagV3",
    "MatrixDiagPartV3",
    "MatrixBandPart",
    "MatrixInverse",
    "MatrixDeterminant",
    "LogMatrixDeterminant",
    "MatrixSolve",
    "MatrixTriangularSolve",
    "Cholesky",
    "Qr",
    "Svd",
    "SelfAdjointEigV2",
}


@pytest.fixture(autouse=True)
def _no_fallback_for_matrix_ops(monkeypatch):
    """A matrix op reaching the row-by-row fallback fails the test: its rule must be batched."""
    refuse_fallback(monkeypatch, MATRIX_OPS)


def _spread(x):
    m, n = x.shape[-2:]
    return x + 10.0 * np.eye(m, n) * np.arange(1, n + 1)


def _dominant(x):
    n = x.shape[-1]
    return x + 2.0 * n * np.eye(n)


def _svd_all(x, **kw):
    s, u, v = tf.linalg.svd(_spread(x), **kw)
    return [s, _fix_signs(u), _fix_signs(v)]


def _fix_signs(u):
    """Columns with a non-negative first row: removes the sign freedom of singular vectors."""
    return u * tf.stop_gradient(tf.sign(u[..., :1, :]))


def _eigh(x):
    e, v = tf.linalg.eigh(_spread(x + tf.transpose(x)))
    return [e, _fix_signs(v)]


CASES = {
    "diag": (lambda d: tf.linalg.diag(d, k=1), [(2, 3)]),
    "diag_part": (lambda x: tf.linalg.diag_part(x, k=-1), [(2, 3, 4)]),
    "band_part": (lambda x: tf.linalg.band_part(x, 0, 1), [(3, 4)]),
    "inv": (lambda x: tf.linalg.inv(_dominant(x), adjoint=True), [(3, 3)]),
    "det": (lambda x: tf.linalg.det(_dominant(x)), [(3, 3)]),
    "det_batch": (lambda x: tf.linalg.det(_dominant(x)), [(2, 2, 3, 3)]),
    "slogdet": (lambda x: list(tf.linalg.slogdet(_dominant(x) - 6.0 * np.eye(3))), [(3, 3)]),
    "solve": (lambda a, b: tf.linalg.solve(_dominant(a), b, adjoint=True), [(3, 3), (3, 2)]),
    "solve_batch": (lambda a, b: tf.linalg.solve(_dominant(a), b), [(2, 3, 3), (2, 3, 2)]),
    "triangular_solve_matrix_broadcast": (
        lambda a, b: tf.linalg.triangular_solve(_dominant(a), b, lower=False),
        [(3, 3), (2, 3, 2)],
    ),
    "triangular_solve_rhs_broadcast": (
        lambda a, b: tf.linalg.triangular_solve(_dominant(a), b, adjoint=True),
        [(2, 3, 3), (3, 1)],
    ),
    "cholesky": (
        lambda x: tf.linalg.cholesky(tf.matmul(x, x, transpose_b=True) + 3.0 * np.eye(3)),
        [(3, 3)],
    ),
    "qr_square": (lambda x: list(tf.linalg.qr(_spread(x))), [(3, 3)]),
    "qr_wide_batch": (lambda x: list(tf.linalg.qr(_spread(x))), [(2, 2, 4)]),
    "svd_wide": (_svd_all, [(3, 4)]),
    "svd_square_batch": (_svd_all, [(2, 3, 3)]),
    "svd_full_tall": (lambda x: _svd_all(x, full_matrices=True), [(4, 3)]),
    "svd_values_only": (lambda x: tf.linalg.svd(_spread(x), compute_uv=False), [(2, 3, 4)]),
    "eigh": (_eigh, [(3, 3)]),
}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [tf.constant(rng.uniform(-1.0, 1.0, s)) for s in shapes]


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("case", CASES)
def test_jacobian_matches_row_by_row_gradients(case):
    fn, shapes = CASES[case]
    xs = _inputs(shapes)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        outs = _outputs(fn(*xs))
    for y in outs:
        compare(tape, y, xs, rtol=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_jacobian_of_gradient_matches_row_by_row(case):
    # the walk runs over the recorded backward pass: the rules meet batched cotangents whose
    # operands (the first backward's cotangents) have more axes than the op's own inputs
    fn, shapes = CASES[case]
    xs = _inputs(shapes, seed=1)
    rng = np.random.default_rng(2)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            outs = _outputs(fn(*xs))
        seeds = [tf.constant(rng.standard_normal(o.shape.as_list())) for o in outs]
        grads = inner.gradient(outs, xs, output_gradients=seeds, unconnected_gradients="zero")
    for g in grads:
        compare(outer, g, xs, rtol=1e-10)


def test_solves_with_extra_right_hand_side_axes_match_numpy():
    # the forwards fold a right-hand side's extra leading axes into its columns
    rng = np.random.default_rng(3)
    a = _dominant(rng.standard_normal((2, 3, 3)))
    b = rng.standard_normal((4, 5, 2, 3, 2))
    want = np.linalg.solve(a, b)
    np.testing.assert_allclose(
        tf.linalg.triangular_solve(a, b, lower=False).numpy(),
        np.linalg.solve(np.triu(a), b),
        rtol=1e-12,
    )
    np.testing.assert_allclose(_solve(a, b).numpy(), want, rtol=1e-12)
    assert _solve(a, b[:0]).shape == (0, 5, 2, 3, 2)
    singular = np.tril(np.ones((3, 3)))
    singular[1, 1] = 0.0  # substitution: inf/nan in the columns that meet the zero pivot
    x = tf.linalg.triangular_solve(singular, np.ones((2, 3, 1))).numpy()
    assert x.shape == (2, 3, 1) and np.isfinite(x[:, 0]).all() and not np.isfinite(x[:, 1:]).any()


def _complex(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _abs2(x):
    return tf.math.real(x * tf.math.conj(x))


def _hermitian_pd(x):
    # elementwise, not x^H x: MatMul's gradient does not conjugate complex inputs yet
    top = x[:3]
    return top + tf.math.conj(tf.transpose(top)) + 12.0 * tf.eye(3, dtype=x.dtype)


COMPLEX_CASES = {  # real outputs of complex inputs (phase-invariant for singular/eigen vectors)
    "Qr": lambda x: [tf.math.real(tf.linalg.qr(x)[0] * (1 + 2j)), tf.math.imag(tf.linalg.qr(x)[1])],
    "Svd": lambda x: [tf.linalg.svd(x)[0], _abs2(tf.linalg.svd(x)[1]), _abs2(tf.linalg.svd(x)[2])],
    "Svd-values": lambda x: tf.linalg.svd(x, compute_uv=False),
    "SelfAdjointEigV2": lambda x: [
        tf.math.real(e) if i == 0 else _abs2(e)
        for i, e in enumerate(tf.linalg.eigh(_hermitian_pd(x)))
    ],
    "Cholesky": lambda x: tf.math.real(tf.linalg.cholesky(_hermitian_pd(x)) * (1 - 1j)),
}


@pytest.mark.parametrize("case", COMPLEX_CASES)
def test_jacobian_through_complex_rules_matches_row_by_row(case):
    x = tf.constant(_complex((4, 3), 7))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outs = _outputs(COMPLEX_CASES[case](x))
    for y in outs:
        compare(tape, y, [x], rtol=1e-10)
