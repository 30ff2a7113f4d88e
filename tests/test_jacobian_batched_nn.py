"""Batched gradient rules of the nn ops (bias_add, softmax cross-entropies, convolution,
pooling): jacobians against row-by-row gradients in the cases the op table does not reach
(strides, dilations, VALID and explicit padding, NCHW, groups, several channels), and
jacobians of jacobians, where the ops themselves carry leading axes.
"""

import numpy as np
import pytest
from jacobian_rows import compare

import tapeflow as tf
from tapeflow.op import REGISTRY

BATCHED = (
    "BiasAdd",
    "BiasAddGrad",
    "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits",
    "Conv2D",
    "Conv2DBackpropInput",
    "Conv2DBackpropFilter",
    "MaxPool",
    "MaxPoolGrad",
    "MaxPoolGradGrad",
    "AvgPool",
    "AvgPoolGrad",
)


def test_the_rules_are_marked_batched():
    # so jacobians never take the engine's row-by-row loop for them
    assert all(REGISTRY[name].vjp_batched for name in BATCHED)


CASES = {
    "conv_strided_valid": (
        lambda x, w: tf.nn.conv2d(x, w, [2, 2], "VALID"),
        [(2, 5, 6, 3), (2, 3, 3, 2)],
    ),
    "conv_dilated_same": (
        lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2),
        [(1, 5, 5, 2), (2, 2, 2, 3)],
    ),
    "conv_explicit": (
        lambda x, w: tf.nn.conv2d(x, w, [1, 2], [[0, 0], [1, 0], [0, 2], [0, 0]]),
        [(2, 4, 3, 2), (2, 2, 2, 2)],
    ),
    "conv_nchw": (
        lambda x, w: tf.nn.conv2d(x, w, 2, "SAME", data_format="NCHW"),
        [(2, 2, 4, 5), (3, 2, 2, 3)],
    ),
    "conv_grouped": (
        lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"),
        [(1, 4, 4, 4), (3, 3, 2, 2)],
    ),
    "conv_transpose": (
        lambda y, w: tf.nn.conv2d_transpose(y, w, [2, 5, 6, 3], 2, "SAME"),
        [(2, 3, 3, 2), (3, 3, 3, 2)],
    ),
    "conv1d": (
        lambda x, w: tf.nn.conv1d(x, w, 2, "VALID"),
        [(2, 7, 2), (3, 2, 3)],
    ),
    "max_pool_same": (
        lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"),
        [(2, 5, 4, 3)],
    ),
    "max_pool_valid_rect": (
        lambda x: tf.nn.max_pool2d(x, (2, 3), (1, 2), "VALID"),
        [(1, 4, 7, 2)],
    ),
    "max_pool_nchw": (
        lambda x: tf.nn.max_pool2d(x, 2, 2, "SAME", data_format="NCHW"),
        [(2, 3, 5, 5)],
    ),
    "avg_pool_same": (
        lambda x: tf.nn.avg_pool2d(x, 3, 1, "SAME"),
        [(2, 4, 5, 3)],
    ),
    "avg_pool_valid_rect": (
        lambda x: tf.nn.avg_pool2d(x, (3, 2), (2, 1), "VALID"),
        [(1, 7, 4, 2)],
    ),
    "bias_add_nhwc": (
        tf.nn.bias_add,
        [(2, 3, 2, 4), (4,)],
    ),
    "bias_add_nchw": (
        lambda v, b: tf.nn.bias_add(v, b, data_format="NCHW"),
        [(2, 4, 3, 2), (4,)],
    ),
    "softmax_ce": (
        lambda x, z: tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(z), x),
        [(2, 3, 4), (2, 3, 4)],
    ),
    "softmax_ce_axis": (
        lambda x, z: tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(z, 1), x, axis=1),
        [(2, 4, 3), (2, 4, 3)],
    ),
    "sparse_softmax_ce": (
        lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits([[1, 0, 3], [2, 3, 0]], x),
        [(2, 3, 4)],
    ),
}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [tf.constant(rng.uniform(-1.0, 1.0, s)) for s in shapes]


@pytest.mark.parametrize("case", CASES)
def test_jacobian_matches_row_by_row_gradients(case):
    fn, shapes = CASES[case]
    xs = _inputs(shapes)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        y = tf.tanh(fn(*xs))  # something after the op, so the cotangents are not one-hot
    compare(tape, y, xs)


@pytest.mark.parametrize("case", CASES)
def test_jacobian_of_gradient_matches_row_by_row(case):
    # the walk runs over the gradient ops (Conv2DBackprop*, MaxPoolGrad, ...) of a recorded
    # backward pass
    fn, shapes = CASES[case]
    xs = _inputs(shapes, seed=1)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = tf.reduce_sum(tf.sin(fn(*xs)) ** 2)
        grads = [tf.convert_to_tensor(g) for g in inner.gradient(y, xs)]
    for g in grads:
        compare(outer, g, xs)


THIRD = {  # small: the reference takes one gradient per element of a jacobian
    "conv": (lambda x, w: tf.nn.conv2d(x, w, [2, 1], "SAME"), [(1, 2, 2, 2), (2, 2, 2, 2)]),
    "conv_transpose": (
        lambda y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 2], 2, "SAME"),
        [(1, 2, 2, 1), (2, 2, 2, 1)],
    ),
    "max_pool": (lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), [(1, 3, 3, 2)]),
    "avg_pool": (lambda x: tf.nn.avg_pool2d(x, 2, 1, "SAME"), [(1, 2, 2, 2)]),
    "bias_add_nchw": (lambda v, b: tf.nn.bias_add(v, b, data_format="NCHW"), [(2, 3, 2), (3,)]),
    "softmax_ce": (
        lambda x, z: tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(z), x),
        [(2, 3), (2, 3)],
    ),
    "sparse_softmax_ce": (
        lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits([2, 0], x),
        [(2, 3)],
    ),
}


@pytest.mark.parametrize("case", THIRD)
def test_jacobian_of_jacobian_matches_row_by_row(case):
    # the inner jacobian records the ops with leading axes (a batch of filters, of cotangents);
    # the outer walk brings its own on top, the row-by-row gradients walk them as they are
    fn, shapes = THIRD[case]
    xs = _inputs(shapes, seed=2)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = tf.tanh(fn(*xs))
        js = inner.jacobian(y, xs)
    for j in js:
        compare(outer, j, xs)


def test_max_pool_ties_go_to_the_first_maximum_in_every_row():
    x = tf.constant(np.array([1.0, 3.0, 3.0, 2.0, 3.0, 0.0, 1.0, 3.0, 2.0]).reshape(1, 3, 3, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 1, "VALID")
    jac = tape.jacobian(y, x).numpy().reshape(4, 9)
    first = [1, 1, 4, 4]  # each window's first maximum, row-major (TF)
    np.testing.assert_array_equal(jac, np.eye(9)[first])
