"""Batched gradient rules of the array, indexing, einsum, top_k and norm ops, in the cases the
op table does not reach: axis attributes past 0, index tuples shorter than the rank, several
index axes, diagonals and letters summed within one einsum operand, empty targets, and
jacobians of jacobians. Each jacobian must take the batched rules only (no row-by-row
fallback) and match row-by-row gradients.
"""

import numpy as np
import pytest
from jacobian_rows import compare, refuse_fallback

import tapeflow as tf
from tapeflow.ops import array as A

RNG = np.random.default_rng(7)


def _x(*shape):
    return tf.constant(RNG.uniform(-2.0, 2.0, shape))


# (name, function, input shapes): each function differentiable in all its float inputs
CASES = [
    ("PadV2", lambda x: tf.pad(x, [[0, 1], [2, 0], [1, 1]], constant_values=3.0), [(2, 3, 2)]),
    ("MirrorPad-reflect", lambda x: tf.pad(x, [[1, 0], [0, 0], [2, 1]], "REFLECT"), [(2, 2, 4)]),
    ("MirrorPad-symmetric", lambda x: tf.pad(x, [[0, 0], [2, 2]], "SYMMETRIC"), [(3, 2)]),
    (
        "MirrorPadGrad",
        lambda g: A._mirror_pad_grad(g, paddings=((0, 0), (1, 2), (1, 0)), mode="REFLECT"),
        [(2, 6, 4)],
    ),
    ("Slice", lambda x: tf.slice(x, [0, 1, 1], [2, -1, 1]), [(3, 3, 2)]),
    ("ReverseV2", lambda x: tf.reverse(x, [1, 2]), [(2, 3, 2)]),
    ("Roll", lambda x: tf.roll(x, [1, -1, 2], [2, 1, 2]), [(2, 3, 4)]),
    ("SegmentSum", lambda x: tf.math.segment_sum(x, [0, 1, 1, 3]), [(4, 2, 3)]),
    ("GatherNd-partial", lambda x: tf.gather_nd(x, [[[1], [0]], [[1], [1]]]), [(2, 3, 2)]),
    ("GatherNd-full", lambda x: tf.gather_nd(x, [[1, 2, 0], [0, 0, 1], [1, 2, 0]]), [(2, 3, 2)]),
    (
        "GatherNd-batch-dims",
        lambda x: tf.gather_nd(x, [[[1], [0]], [[2], [2]]], batch_dims=1),
        [(2, 3, 2)],
    ),
    ("ScatterNd", lambda u: tf.scatter_nd([[[1, 0]], [[1, 0]]], u, [3, 2, 2]), [(2, 1, 2)]),
    (
        "TensorScatterUpdate",
        lambda t, u: tf.tensor_scatter_nd_update(t, [[0, 1], [2, 0]], u),
        [(3, 2, 2), (2, 2)],
    ),
    (
        "TensorScatterAdd",
        lambda t, u: tf.tensor_scatter_nd_add(t, [[[1]], [[1]]], u),
        [(3, 2), (2, 1, 2)],
    ),
    ("EuclideanNorm-all", tf.math.reduce_euclidean_norm, [(2, 3)]),
    (
        "EuclideanNorm-axes",
        lambda x: tf.math.reduce_euclidean_norm(x, axis=[0, 2], keepdims=True),
        [(2, 3, 2)],
    ),
    ("EuclideanNorm-middle", lambda x: tf.math.reduce_euclidean_norm(x, axis=1), [(2, 3, 2)]),
    ("TopKV2", lambda x: tf.math.top_k(x, k=2).values, [(2, 2, 4)]),
    ("Sort", lambda x: tf.sort(x, axis=0), [(3, 2)]),
    ("Einsum-diagonal", lambda a, b: tf.einsum("iij,jk->ik", a, b), [(2, 2, 3), (3, 2)]),
    ("Einsum-own-sum", lambda a, b: tf.einsum("ijk,j->i", a, b), [(2, 3, 2), (3,)]),
    ("Einsum-ellipsis", lambda a, b: tf.einsum("...ij,jk->...ik", a, b), [(1, 2, 3), (3, 2)]),
    ("Einsum-trace", lambda a: tf.einsum("ii", a), [(3, 3)]),
    ("CheckNumerics", lambda x: tf.debugging.check_numerics(x * x, "msg"), [(2, 3)]),
]
IDS = [c[0] for c in CASES]


@pytest.fixture(autouse=True)
def no_fallback(monkeypatch):
    """Fails a test in which any op's rule runs one row at a time."""
    refuse_fallback(monkeypatch)


@pytest.mark.parametrize("name, fn, shapes", CASES, ids=IDS)
def test_jacobian_matches_row_by_row(name, fn, shapes):
    xs = [_x(*s) for s in shapes]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        y = fn(*xs)
    compare(tape, y, xs)


@pytest.mark.parametrize("name, fn, shapes", CASES, ids=IDS)
def test_jacobian_of_gradient_matches_row_by_row(name, fn, shapes):
    # the gradient's ops (the rule's own, recorded) are walked with batch axes in turn
    xs = [_x(*s) for s in shapes]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = fn(*xs)
            y = tf.reduce_sum(tf.sin(y) * _x(*y.shape))
        grads = inner.gradient(y, xs)
    for g in grads:
        compare(outer, g, xs)


@pytest.mark.parametrize("name, fn, shapes", CASES, ids=IDS)
def test_jacobian_of_jacobian_matches_row_by_row(name, fn, shapes):
    # the inner jacobian records the batched rules' ops, attributes shifted for its batch
    # axis; the outer walk adds a batch axis of its own on top
    xs = [_x(*s) for s in shapes]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = fn(*xs)
            y = tf.sin(y)
        jacs = inner.jacobian(y, xs)
    for j in jacs:
        compare(outer, j, xs)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tf.slice(x, [0, 1], [0, 2]),
        lambda x: tf.pad(x[:0], [[0, 1], [1, 1]]),
        lambda x: tf.roll(x[:, :0], [1], [0]),
        lambda x: tf.gather_nd(x, np.zeros((0, 1), np.int64)),
    ],
)
def test_jacobian_of_an_empty_target_is_empty(fn):
    x = _x(2, 3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    jac = tape.jacobian(y, x)
    assert jac.shape == (*y.shape, 2, 3)


def test_batch_jacobian_through_mirror_pad_and_einsum():
    x = _x(3, 4)
    w = _x(6, 2)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.einsum("bi,ij->bj", tf.pad(x, [[0, 0], [1, 1]], "REFLECT"), w)
    got = tape.batch_jacobian(y, x).numpy()
    full = tape.jacobian(y, x).numpy()  # (3, 2, 3, 4): rows only depend on their own row
    np.testing.assert_allclose(got, np.stack([full[b, :, b] for b in range(3)]), rtol=1e-12)
