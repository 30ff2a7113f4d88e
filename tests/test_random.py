"""tf.random's seeding rules (checked against TF 2.21; the values themselves differ from TF's),
and the samplers added with them: truncated_normal, categorical, shuffle, Generator, dropout."""

import numpy as np
import pytest

import tapeflow as tf


@pytest.fixture(autouse=True)
def _no_global_seed_afterwards():
    yield
    tf.random.set_seed(None)


def _u(**kwargs):
    return float(tf.random.uniform([], **kwargs))


def test_global_seed_repeats_the_sequence_and_calls_differ():
    tf.random.set_seed(1)
    a = [_u(), _u()]
    tf.random.set_seed(1)
    assert [_u(), _u()] == a
    assert a[0] != a[1]


def test_op_seed_repeats_and_does_not_shift_the_unseeded_sequence():
    tf.random.set_seed(1)
    a = [_u(seed=3), _u(seed=3)]
    tf.random.set_seed(1)
    assert [_u(seed=3), _u(seed=3)] == a
    assert a[0] != a[1]
    tf.random.set_seed(1)
    with_seeded = [_u(), _u(seed=3), _u()]
    tf.random.set_seed(1)
    assert [_u(), _u()] == [with_seeded[0], with_seeded[2]]


def test_op_seed_stream_depends_on_the_global_seed():
    tf.random.set_seed(1)
    a = _u(seed=3)
    tf.random.set_seed(2)
    assert _u(seed=3) != a


def test_op_seed_alone_is_reproducible():
    tf.random.set_seed(None)
    import tapeflow.ops.random as R

    R._state["streams"] = {}  # a fresh program: no stream drawn from yet
    a = _u(seed=7)
    R._state["streams"] = {}
    assert _u(seed=7) == a


def test_generator_has_its_own_state():
    g = tf.random.Generator.from_seed(5)
    a, b = g.normal([3]).numpy(), g.normal([3]).numpy()
    assert not np.array_equal(a, b)
    tf.random.set_seed(9)  # no effect on generators
    np.testing.assert_array_equal(tf.random.Generator.from_seed(5).normal([3]).numpy(), a)
    g.reset_from_seed(5)
    np.testing.assert_array_equal(g.normal([3]).numpy(), a)
    copy = tf.random.Generator(copy_from=g)
    np.testing.assert_array_equal(copy.normal([3]).numpy(), g.normal([3]).numpy())
    x, y = g.split(2)
    assert not np.array_equal(x.normal([3]).numpy(), y.normal([3]).numpy())


def test_generator_samplers():
    g = tf.random.Generator.from_seed(0)
    t = g.truncated_normal([2000], mean=1.0, stddev=2.0)
    assert t.dtype == tf.float32 and np.abs(t.numpy() - 1.0).max() <= 4.0
    u = g.uniform([1000], minval=2, maxval=5, dtype=tf.int64)
    assert u.dtype == tf.int64 and set(np.unique(u.numpy())) == {2, 3, 4}
    assert g.uniform([3], dtype=tf.float64).dtype == tf.float64
    assert g.uniform([3], minval=None, maxval=None, dtype=tf.int32).dtype == tf.int32
    with pytest.raises(ValueError, match="minval and maxval must be both"):
        g.uniform([2], dtype=tf.int32)


def test_truncated_normal_is_cut_at_two_standard_deviations():
    x = tf.random.truncated_normal([20000], mean=3.0, stddev=0.5, dtype=tf.float64, seed=1)
    v = x.numpy()
    assert x.dtype == tf.float64
    assert np.abs(v - 3.0).max() <= 1.0
    assert abs(v.std() / 0.5 - 0.8796) < 0.02  # the std of a normal cut at 2 sigma


def test_categorical():
    tf.random.set_seed(0)
    s = tf.random.categorical(tf.math.log([[0.25, 0.75], [1.0, 0.0]]), 4000)
    assert s.dtype == tf.int64 and s.shape == (2, 4000)
    assert abs(s.numpy()[0].mean() - 0.75) < 0.03
    assert (s.numpy()[1] == 0).all()
    assert tf.random.categorical([[0.0, 0.0]], 3, dtype=tf.int32).dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="logits should be a matrix"):
        tf.random.categorical([0.5, 0.5], 5)


def test_shuffle_permutes_rows_and_is_reproducible():
    x = tf.reshape(tf.range(12), [6, 2])
    tf.random.set_seed(3)
    a = tf.random.shuffle(x).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.shuffle(x).numpy(), a)
    assert sorted(map(tuple, a.tolist())) == sorted(map(tuple, x.numpy().tolist()))
    assert (a[:, 1] - a[:, 0] == 1).all()  # rows move whole


def test_dropout_scales_kept_values_and_is_seeded():
    x = tf.ones([2000])
    tf.random.set_seed(0)
    a = tf.nn.dropout(x, 0.25)
    tf.random.set_seed(0)
    b = tf.nn.dropout(x, 0.25)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert set(np.unique(a.numpy())) == {0.0, np.float32(1 / 0.75)}
    assert abs((a.numpy() == 0).mean() - 0.25) < 0.04
    with tf.GradientTape() as tape:
        tape.watch(x)
        tf.random.set_seed(0)
        y = tf.nn.dropout(x, 0.25)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), a.numpy())


def test_dropout_noise_shape_and_errors():
    y = tf.nn.dropout(tf.ones([3, 4]), 0.5, noise_shape=[1, 4], seed=2).numpy()
    assert (y == y[0]).all()  # one mask row, broadcast
    assert tf.nn.dropout(tf.ones([3, 4]), 0.5, noise_shape=[None, 1], seed=2).shape == (3, 4)
    assert tf.nn.dropout(tf.ones([2]), 0.0).numpy().tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="range \\[0, 1\\)"):
        tf.nn.dropout(tf.ones([2]), 1.0)
    with pytest.raises(ValueError, match="must be a floating point tensor"):
        tf.nn.dropout(tf.ones([2], tf.int32), 0.5)
