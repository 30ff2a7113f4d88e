"""Gradients through the matrix decompositions and solves for complex inputs (and a few real
ones beside them), written once against the TF API and run under real TF (to make
fixtures/linalg_complex_tf.json, see fixtures/make_linalg_complex_fixtures.py) and under
tapeflow (test_linalg_complex_fixtures.py). Each case takes the `tf` module and returns
{name: value}, as in autodiff_cases.py.

Singular vectors and eigenvectors are defined up to a phase per column, which TF and NumPy
may pick differently: the losses on them are phase-invariant (|u|^2, u diag(c) v^H).
"""

from __future__ import annotations

from typing import Any

import numpy as np

CASES: dict[str, Any] = {}


def case(fn: Any) -> Any:
    CASES[fn.__name__] = fn
    return fn


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _complex(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = _rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _hermitian(n: int, seed: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    x = _complex((*batch, n, n), seed)
    return x + np.conj(np.swapaxes(x, -1, -2)) + np.diag(4.0 * np.arange(n))


def _hpd(n: int, seed: int) -> np.ndarray:
    x = _complex((n, n), seed)
    return x @ np.conj(x.T) + n * np.eye(n)


def _grads(tf, fn, *values, dtype=None):
    """Gradients of the real scalar fn(*tensors) with respect to each tensor."""
    xs = [tf.constant(v, dtype) if dtype is not None else tf.constant(v) for v in values]
    with tf.GradientTape() as t:
        t.watch(xs)
        y = fn(*xs)
    return [y, *t.gradient(y, xs)]


def _wsum(tf, x, seed):
    """real(sum(x * W)) for a fixed complex W: touches both parts of every entry."""
    w = _complex(tuple(x.shape), seed)
    if not x.dtype.is_complex:
        w = w.real
    return tf.math.real(tf.reduce_sum(x * tf.constant(w, x.dtype)))


def _abs2(tf, x):
    return tf.math.real(x * tf.math.conj(x))


def _outer_sum(tf, u, c, v):
    """u diag(c) v^H, elementwise: tapeflow's MatMul gradient does not conjugate yet."""
    return tf.reduce_sum(tf.expand_dims(u * c, -2) * tf.math.conj(tf.expand_dims(v, -3)), axis=-1)


def _weights(tf, x, seed):
    return tf.constant(_rng(seed).standard_normal(tuple(x.shape)), x.dtype)


# ---------------------------------------------------------------------------------------------
# QR (Q and R are unique given R's real diagonal, which TF and LAPACK both produce)


def _qr_loss(tf, full_matrices=False):
    def loss(a):
        q, r = tf.linalg.qr(a, full_matrices=full_matrices)
        return _wsum(tf, q, 10) + _wsum(tf, r, 11)

    return loss


@case
def qr_complex_square(tf):
    return {"g": _grads(tf, _qr_loss(tf), _complex((3, 3), 1))}


@case
def qr_complex_tall(tf):
    return {"g": _grads(tf, _qr_loss(tf), _complex((4, 3), 2))}


@case
def qr_complex_wide(tf):
    return {"g": _grads(tf, _qr_loss(tf), _complex((3, 5), 3))}


@case
def qr_complex_wide_full_matrices(tf):
    return {"g": _grads(tf, _qr_loss(tf, full_matrices=True), _complex((2, 4), 4))}


@case
def qr_complex64_batch_tall(tf):
    return {"g": _grads(tf, _qr_loss(tf), _complex((2, 4, 2), 5), dtype=tf.complex64)}


@case
def qr_complex_q_only(tf):
    def loss(a):
        q, _ = tf.linalg.qr(a)
        return _wsum(tf, q, 12)

    return {"g": _grads(tf, loss, _complex((4, 3), 6))}


# ---------------------------------------------------------------------------------------------
# SVD


def _svd_values_loss(tf):
    def loss(a):
        s = tf.linalg.svd(a, compute_uv=False)
        return tf.reduce_sum(s * _weights(tf, s, 20))

    return loss


@case
def svd_complex_values_tall(tf):
    return {"g": _grads(tf, _svd_values_loss(tf), _complex((4, 3), 7))}


@case
def svd_complex_values_wide(tf):
    return {"g": _grads(tf, _svd_values_loss(tf), _complex((2, 3, 5), 8))}


@case
def svd_complex64_values_square(tf):
    return {"g": _grads(tf, _svd_values_loss(tf), _complex((3, 3), 9), dtype=tf.complex64)}


def _svd_vectors_loss(tf, full_matrices):
    """Phase-invariant: the singular values, |u|^2, |v|^2 and u diag(c) v^H, weighted."""

    def loss(a):
        s, u, v = tf.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        c = tf.constant(_rng(21).standard_normal(k), s.dtype)
        uv = _outer_sum(tf, u[..., :, :k], tf.cast(c, u.dtype), v[..., :, :k])
        return (
            tf.reduce_sum(s * _weights(tf, s, 22))
            + tf.reduce_sum(_abs2(tf, u) * _weights(tf, _abs2(tf, u), 23))
            + tf.reduce_sum(_abs2(tf, v) * _weights(tf, _abs2(tf, v), 24))
            + _wsum(tf, uv, 25)
        )

    return loss


@case
def svd_complex_vectors_square(tf):
    return {"g": _grads(tf, _svd_vectors_loss(tf, False), _complex((3, 3), 10))}


@case
def svd_complex_vectors_tall(tf):
    return {"g": _grads(tf, _svd_vectors_loss(tf, False), _complex((5, 3), 11))}


@case
def svd_complex_vectors_wide_batch(tf):
    return {"g": _grads(tf, _svd_vectors_loss(tf, False), _complex((2, 3, 4), 12))}


@case
def svd_complex_vectors_full_tall(tf):
    return {"g": _grads(tf, _svd_vectors_loss(tf, True), _complex((4, 3), 13))}


@case
def svd_complex_vectors_full_wide(tf):
    return {"g": _grads(tf, _svd_vectors_loss(tf, True), _complex((3, 4), 14))}


@case
def svd_complex64_vectors_tall(tf):
    loss = _svd_vectors_loss(tf, False)
    return {"g": _grads(tf, loss, _complex((4, 2), 15), dtype=tf.complex64)}


@case
def svd_real_vectors_full_wide(tf):
    return {"g": _grads(tf, _svd_vectors_loss(tf, True), _rng(16).standard_normal((3, 4)))}


# ---------------------------------------------------------------------------------------------
# eigh of Hermitian matrices (the gradient lands on the lower triangle, which is what is read)


def _eigh_loss(tf):
    def loss(a):
        e, v = tf.linalg.eigh(a)
        n = v.shape[-1]
        c = tf.constant(_rng(30).standard_normal(n), v.dtype)
        vv = _outer_sum(tf, v, c, v)
        return (
            tf.reduce_sum(tf.math.real(e) * _weights(tf, tf.math.real(e), 31))
            + tf.reduce_sum(_abs2(tf, v) * _weights(tf, _abs2(tf, v), 32))
            + _wsum(tf, vv, 33)
        )

    return loss


@case
def eigh_complex(tf):
    return {"g": _grads(tf, _eigh_loss(tf), _hermitian(4, 40))}


@case
def eigh_complex64_batch(tf):
    return {"g": _grads(tf, _eigh_loss(tf), _hermitian(3, 41, (2,)), dtype=tf.complex64)}


@case
def eigh_complex_values(tf):
    def loss(a):
        e = tf.linalg.eigh(a)[0]
        return tf.reduce_sum(_wsum(tf, e, 42))

    return {
        "e": tf.linalg.eigh(tf.constant(_hermitian(3, 43)))[0],
        "g": _grads(tf, loss, _hermitian(3, 43)),
    }


# ---------------------------------------------------------------------------------------------
# Cholesky, inverse, determinants and solves


@case
def cholesky_complex(tf):
    return {"g": _grads(tf, lambda a: _wsum(tf, tf.linalg.cholesky(a), 50), _hpd(3, 51))}


@case
def cholesky_complex64(tf):
    loss = lambda a: _wsum(tf, tf.linalg.cholesky(a), 52)
    return {"g": _grads(tf, loss, _hpd(4, 53), dtype=tf.complex64)}


@case
def inv_complex(tf):
    return {
        "g": _grads(tf, lambda a: _wsum(tf, tf.linalg.inv(a), 60), _complex((3, 3), 61)),
        "adjoint": _grads(
            tf, lambda a: _wsum(tf, tf.linalg.inv(a, adjoint=True), 62), _complex((3, 3), 63)
        ),
    }


@case
def det_complex(tf):
    return {
        "det": _grads(tf, lambda a: _wsum(tf, tf.linalg.det(a), 70), _complex((2, 3, 3), 71)),
        "slogdet": _grads(
            tf, lambda a: _wsum(tf, tf.linalg.slogdet(a)[1], 72), _complex((3, 3), 73)
        ),
        "slogdet_sign": _grads(
            tf, lambda a: _wsum(tf, tf.linalg.slogdet(a)[0], 74), _complex((3, 3), 75)
        ),
    }


@case
def solve_complex(tf):
    def loss(adjoint):
        return lambda a, b: _wsum(tf, tf.linalg.solve(a, b, adjoint=adjoint), 80)

    a, b = _complex((3, 3), 81), _complex((3, 2), 82)
    return {"g": _grads(tf, loss(False), a, b), "adjoint": _grads(tf, loss(True), a, b)}


@case
def triangular_solve_complex(tf):
    def loss(lower, adjoint):
        return lambda a, b: _wsum(
            tf, tf.linalg.triangular_solve(a, b, lower=lower, adjoint=adjoint), 90
        )

    a = _complex((3, 3), 91) + 3 * np.eye(3)
    b = _complex((3, 2), 92)
    return {
        f"{'lower' if lower else 'upper'}_{'adjoint' if adjoint else 'plain'}": _grads(
            tf, loss(lower, adjoint), a, b
        )
        for lower in (True, False)
        for adjoint in (True, False)
    }


# ---------------------------------------------------------------------------------------------
# Second order: a gradient of a gradient through the complex rules. Not SVD: TF's own second
# derivative there disagrees with finite differences.


@case
def second_order_complex(tf):
    out = {}
    for name, fn, x in [
        ("qr", _qr_loss(tf), _complex((3, 2), 100)),
        ("eigh", _eigh_loss(tf), _hermitian(3, 102)),
        ("cholesky", lambda a: _wsum(tf, tf.linalg.cholesky(a), 103), _hpd(3, 104)),
    ]:
        a = tf.constant(x)
        with tf.GradientTape() as outer:
            outer.watch(a)
            with tf.GradientTape() as inner:
                inner.watch(a)
                y = fn(a)
            g = inner.gradient(y, a)
            z = _wsum(tf, g, 105)
        out[name] = outer.gradient(z, a)
    return out


@case
def matmul_complex(tf):
    # MatMul's gradient conjugates the other operand, for every transpose/adjoint combination
    a, b, w = _complex((3, 2), 1), _complex((2, 4), 2), _complex((3, 4), 3)
    out = {}
    for ta, tb in [(False, False), (True, False), (False, True), (True, True)]:
        aa = tf.constant(a.T if ta else a)
        bb = tf.constant(b.T if tb else b)
        with tf.GradientTape() as t:
            t.watch([aa, bb])
            c = tf.matmul(aa, bb, transpose_a=ta, transpose_b=tb)
            d = tf.matmul(aa, bb, adjoint_a=ta, adjoint_b=tb)
            y = tf.math.real(tf.reduce_sum(c * w)) + tf.math.imag(tf.reduce_sum(d * w))
        out[f"t{int(ta)}{int(tb)}"] = t.gradient(y, [aa, bb])
    return out


@case
def complex_products_powers_and_norms(tf):
    # einsum conjugates the other operands, pow both its rules' factors, and the euclidean
    # norm (a real value in a complex dtype) takes only the upstream's real part
    a, b, w = (
        tf.constant(_complex((3, 2), 4)),
        tf.constant(_complex((2, 4), 5)),
        _complex((3, 4), 6),
    )
    ones = tf.ones([3, 4], tf.complex128)
    fns = {
        "einsum": lambda: tf.einsum("ij,jk->ik", a, b),
        "pow_constant": lambda: tf.matmul(a**3, b),
        "pow_tensor": lambda: tf.matmul(tf.pow(a, a), b),
        "norm": lambda: tf.cast(tf.norm(a), tf.complex128) * ones,
        "norm_axis": lambda: tf.cast(tf.norm(a, axis=1, keepdims=True), tf.complex128) * ones,
    }
    out = {}
    for name, f in fns.items():
        with tf.GradientTape() as t:
            t.watch([a, b])
            y = tf.math.real(tf.reduce_sum(f() * tf.constant(w)))
        out[name] = t.gradient(y, [a, b], unconnected_gradients="zero")
    return out
