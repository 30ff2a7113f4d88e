"""IndexedSlices: the gather gradient, its aggregation, conversion and arithmetic (TF 2.21's
behaviour, values checked with the oracle)."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.testing import check_gradients


def _gradient(fn, source):
    with tf.GradientTape() as t:
        if not isinstance(source, tf.Variable):
            t.watch(source)
        y = fn()
    return t.gradient(y, source)


def test_gather_gradient_is_indexed_slices_for_variables_and_watched_tensors():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    g = _gradient(lambda: tf.reduce_sum(tf.gather(v, [[0, 2], [2, 2]]) * 2.0), v)
    assert type(g) is tf.IndexedSlices
    assert g.indices.numpy().tolist() == [0, 2, 2, 2]  # flattened, duplicates kept
    assert g.values.shape == (4, 2) and g.dense_shape.numpy().tolist() == [3, 2]
    assert g.dtype == tf.float32 and g.indices.dtype == tf.int32 and g.shape == (3, 2)
    assert tf.convert_to_tensor(g).numpy().tolist() == [[2, 2], [0, 0], [6, 6]]
    c = tf.constant([1.0, 2.0, 3.0])
    gc = _gradient(lambda: tf.reduce_sum(tf.gather(c, 1)), c)  # a scalar index
    assert type(gc) is tf.IndexedSlices and gc.indices.numpy().tolist() == [1]
    gi = _gradient(lambda: tf.reduce_sum(tf.gather(tf.identity(v), [1])), v)  # identity passes
    assert type(gi) is tf.IndexedSlices


def test_sparse_only_on_the_way_to_a_source():
    x = tf.constant([1.0, 2.0, 3.0])
    g = _gradient(lambda: tf.reduce_sum(tf.gather(tf.exp(x), [0, 0])), x)
    assert type(g) is tf.Tensor  # exp's rule got it densified (TF: EagerTensor too)
    np.testing.assert_allclose(g.numpy(), [2 * np.e, 0, 0], rtol=1e-6)
    v = tf.Variable(np.ones((3, 2), np.float32))
    g = _gradient(lambda: tf.reduce_sum(tf.gather(v, [1, 0], axis=1)), v)
    assert type(g) is tf.Tensor  # TF: only axis-0 gathers give IndexedSlices


def test_aggregation_concatenates_sparse_and_densifies_with_dense():
    v = tf.Variable([1.0, 2.0, 3.0])
    g = _gradient(lambda: tf.reduce_sum(tf.gather(v, [0])) + tf.reduce_sum(v * 2.0), v)
    assert type(g) is tf.Tensor and g.numpy().tolist() == [3, 2, 2]
    g = _gradient(lambda: tf.reduce_sum(v * 2.0) + tf.reduce_sum(tf.gather(v, [0])), v)
    assert type(g) is tf.Tensor and g.numpy().tolist() == [3, 2, 2]  # dense first, then sparse
    g = _gradient(
        lambda: tf.reduce_sum(tf.gather(v, [0])) * 2.0 + tf.reduce_sum(tf.gather(v, [1, 2])), v
    )
    # TF gives [1 2 0] (breadth-first from the target); tapeflow program order: same slices
    assert type(g) is tf.IndexedSlices
    assert sorted(zip(g.indices.numpy().tolist(), g.values.numpy().tolist())) == [
        (0, 2.0),
        (1, 1.0),
        (2, 1.0),
    ]
    g = _gradient(lambda: tf.reduce_sum(tf.gather(v, [0])) + tf.reduce_sum(tf.gather(v, [0])), v)
    assert g.indices.numpy().tolist() == [0, 0] and tf.convert_to_tensor(g).numpy()[0] == 2.0


def test_arithmetic_and_conversion_as_tf():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    g = _gradient(lambda: tf.reduce_sum(tf.gather(v, [2, 0]) * 3.0), v)
    neg = -g
    assert type(neg) is tf.IndexedSlices and neg.values.numpy().tolist() == [[-3, -3]] * 2
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \*"):
        g * 2.0
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+"):
        g + g
    assert tf.multiply(g, 2.0).numpy().tolist() == [[6, 6], [0, 0], [6, 6]]
    assert not hasattr(g, "numpy")
    assert tf.is_tensor(g)
    assert str(g) == (
        "IndexedSlices(indices=tf.Tensor([2 0], shape=(2,), dtype=int32), values=tf.Tensor(\n"
        "[[3. 3.]\n [3. 3.]], shape=(2, 2), dtype=float32), dense_shape=tf.Tensor([3 2], "
        "shape=(2,), dtype=int32))"
    )
    bare = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]))
    assert str(bare.shape) == "<unknown>" and bare.dense_shape is None
    with pytest.raises(ValueError, match="without dense_shape"):
        tf.convert_to_tensor(bare)
    with pytest.raises(AttributeError, match="undefined when eager execution is enabled"):
        bare.name


def test_unconnected_zero_is_dense_and_jacobian_densifies():
    v = tf.Variable([1.0, 2.0, 3.0])
    c = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(c)
        y = tf.gather(v, [2, 0])
        z = tf.reduce_sum(c)
    zero = t.gradient(z, v, unconnected_gradients="zero")
    assert type(zero) is tf.Tensor and zero.numpy().tolist() == [0, 0, 0]
    j = t.jacobian(y, v)
    assert type(j) is tf.Tensor and j.numpy().tolist() == [[0, 0, 1], [1, 0, 0]]


def test_sparse_read_and_gather_nd():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape(persistent=True) as t:
        a = v.sparse_read([1])
        b = v.gather_nd([[0, 1], [1, 1]])
    assert a.numpy().tolist() == [[3, 4]] and b.numpy().tolist() == [2, 4]
    assert type(t.gradient(a, v)) is tf.IndexedSlices
    gb = t.gradient(b, v)
    assert type(gb) is tf.Tensor and gb.numpy().tolist() == [[0, 1], [0, 1]]


def test_second_order_through_a_sparse_gradient():
    # values from TF 2.21: the second-order gradient is sparse too
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.reduce_sum(tf.gather(x, [0, 2, 2]) ** 3)
        g = t1.gradient(y, x)
        z = tf.reduce_sum(tf.convert_to_tensor(g) * tf.constant([1.0, 2.0, 3.0]))
    h = t2.gradient(z, x)
    assert type(h) is tf.IndexedSlices
    assert h.indices.numpy().tolist() == [0, 2, 2] and h.values.numpy().tolist() == [6, 54, 54]
    # an op applied to the IndexedSlices directly is recorded through its dense form
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.reduce_sum(tf.gather(x, [1]) ** 2)
        g = t1.gradient(y, x)
        z = tf.reduce_sum(tf.multiply(g, 3.0))
    assert tf.convert_to_tensor(t2.gradient(z, x)).numpy().tolist() == [0, 6, 0]


def test_gather_gradient_checked_numerically_to_second_order():
    check_gradients(lambda p: tf.gather(p, [2, 0, 2]) ** 2, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def test_clip_by_global_norm_keeps_sparse_and_none():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    g = _gradient(lambda: tf.reduce_sum(tf.gather(v, [2, 0]) * 3.0), v)
    dense = tf.constant([8.0])
    clipped, norm = tf.clip_by_global_norm([g, None, dense], 5.0)
    assert float(norm) == pytest.approx(10.0)  # sqrt(4 * 9 + 64)
    assert type(clipped[0]) is tf.IndexedSlices and clipped[1] is None
    np.testing.assert_allclose(clipped[0].values.numpy(), 1.5)
    np.testing.assert_allclose(clipped[2].numpy(), [4.0])
    _, nan_norm = tf.clip_by_global_norm([tf.constant([np.inf])], 1.0)
    assert np.isinf(float(nan_norm))
