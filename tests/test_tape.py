"""GradientTape semantics beyond the TF reference cases, modelled on TF's backprop_test.

Expected values are TF 2.21's (checked with the oracle) or closed forms.
"""

import gc
import threading
import weakref

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.errors import InvalidArgumentError


def test_higher_order_of_any_order():
    # d^k/dx^k sin(x) cycles cos, -sin, -cos, sin
    x = tf.constant(0.7)
    expected = [np.cos(0.7), -np.sin(0.7), -np.cos(0.7), np.sin(0.7), np.cos(0.7)]
    tapes = [tf.GradientTape() for _ in range(5)]
    for t in tapes:
        t.__enter__()
        t.watch(x)
    y = tf.sin(x)
    derivatives = []
    for t in reversed(tapes):
        t.__exit__(None, None, None)
        y = t.gradient(y, x)
        derivatives.append(float(y))
    np.testing.assert_allclose(derivatives, expected, rtol=1e-6)


@pytest.mark.parametrize("c", [4.0, 3.0, 2.5, 2.0, 1.0, 0.0, -1.5])
def test_constant_exponent_derivatives_of_every_order(c):
    # x ** c with a constant c differentiates through ScaledPow (one op per order):
    # the k-th derivative is c (c-1) ... (c-k+1) x^(c-k)
    xs = np.array([0.5, 1.25, 2.0])
    x = tf.constant(xs)
    tapes = [tf.GradientTape() for _ in range(4)]
    for t in tapes:
        t.__enter__()
        t.watch(x)
    y = x**c
    for k, t in enumerate(reversed(tapes), start=1):
        t.__exit__(None, None, None)
        y = t.gradient(y, x)
        factor = np.prod([c - i for i in range(k)])
        np.testing.assert_allclose(y.numpy(), factor * xs ** (c - k), rtol=1e-13, atol=1e-300)
        if factor == 0:
            break  # a zero derivative is a constant: the next tape sees no path to x


def test_hessian_by_nested_tapes_matches_closed_form():
    x = tf.constant([1.0, 2.0, 3.0], tf.float64)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x**3) * tf.reduce_prod(x)
        g = inner.gradient(y, x)
        rows = [g[i] for i in range(3)]
    hessian = np.stack([outer.gradient(r, x).numpy() for r in rows])
    xs = x.numpy()
    s3, p = np.sum(xs**3), np.prod(xs)
    expected = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            d2s3 = 6 * xs[i] if i == j else 0.0
            d2p = 0.0 if i == j else p / (xs[i] * xs[j])
            expected[i, j] = (
                d2s3 * p + 3 * xs[i] ** 2 * p / xs[j] + 3 * xs[j] ** 2 * p / xs[i] + s3 * d2p
            )
    np.testing.assert_allclose(hessian, expected, rtol=1e-12)


def test_python_control_flow_on_tensor_values():
    x = tf.Variable(1.5)
    with tf.GradientTape() as t:
        y = x
        while y < 20.0:  # a tensor-valued condition drives a Python loop
            y = y * y
    assert float(y) == pytest.approx(1.5**8)
    assert float(t.gradient(y, x)) == pytest.approx(8 * 1.5**7)


def test_tapes_are_thread_local():
    x = tf.constant(2.0)
    results = {}
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)

        def other_thread():
            results["other"] = x * x  # not recorded: the tape is this thread's only
            with tf.GradientTape() as own:
                own.watch(x)
                z = x * x * x
            results["own"] = own.gradient(z, x)

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        mine = x * 3.0
    assert t.gradient(results["other"], x) is None
    assert float(t.gradient(mine, x)) == 3.0
    assert float(results["own"]) == 12.0


def test_non_persistent_tape_frees_recording_after_gradient():
    x = tf.constant(np.ones(1000, np.float32))
    with tf.GradientTape() as t:
        t.watch(x)
        h = tf.exp(x)
        y = tf.reduce_sum(h)
    ref = weakref.ref(h)
    del h
    gc.collect()
    assert ref() is not None  # the tape keeps the intermediate until gradient()
    t.gradient(y, x)
    gc.collect()
    assert ref() is None


def test_persistent_tape_frees_recording_when_deleted():
    x = tf.constant(np.ones(10, np.float32))
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        h = tf.exp(x)
        y = tf.reduce_sum(h)
    ref = weakref.ref(h)
    del h
    t.gradient(y, x)
    t.gradient(y, x)
    gc.collect()
    assert ref() is not None
    del t
    gc.collect()
    assert ref() is None


def test_stop_recording_only_stops_that_tape():
    x = tf.constant(3.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            with inner.stop_recording():
                y = x * x
    assert inner.gradient(y, x) is None
    assert float(outer.gradient(y, x)) == 6.0


def test_nested_structures_of_targets_and_sources():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as t:
        out = {"s": a * b, "l": (a + b, [b * b])}
    g = t.gradient(out, {"a": a, "b": (b,)})
    # d/da (ab + a + b + b^2) = b + 1 = 3; d/db = a + 1 + 2b = 6
    assert float(g["a"]) == 3.0
    assert isinstance(g["b"], tuple) and float(g["b"][0]) == 6.0


def test_output_gradients_seed_each_target():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y1, y2 = x * x, x * 3.0
    g = t.gradient([y1, y2], x, output_gradients=[tf.constant([1.0, 0.0]), tf.constant([0.0, 2.0])])
    np.testing.assert_allclose(g.numpy(), [2.0, 6.0])


def test_broadcast_gradients_are_summed_back():
    a = tf.constant(np.ones((3, 1), np.float32))
    b = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch([a, b])
        y = a * b
    ga, gb = t.gradient(y, [a, b])
    assert ga.shape == (3, 1) and gb.shape == (2,)
    np.testing.assert_allclose(ga.numpy(), [[3.0]] * 3)
    np.testing.assert_allclose(gb.numpy(), [3.0, 3.0])


def test_gradient_of_intermediate_only_walks_downstream():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        h = x * x
        y = tf.sin(h)
    assert float(t.gradient(y, h)) == pytest.approx(np.cos(4.0))
    assert float(t.gradient(y, x)) == pytest.approx(np.cos(4.0) * 4.0)


def test_unconnected_zero_keeps_dtype_and_shape():
    v = tf.Variable(np.zeros((2, 3)))  # float64
    i = tf.constant([1, 2])
    x = tf.constant(1.0)
    with tf.GradientTape() as t:
        t.watch([x, i])
        y = x * 2.0
    gv, gi = t.gradient(y, [v, i], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert gv.dtype == tf.float64 and gv.shape == (2, 3)
    assert gi.dtype == tf.int32 and gi.numpy().tolist() == [0, 0]


def test_trainable_false_and_selective_watching():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", trainable=False)
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(b)
        y = a * b
    assert [v.name for v in t.watched_variables()] == ["b:0"]
    ga, gb = t.gradient(y, [a, b])
    assert ga is None and float(gb) == 1.0


def test_variable_value_is_captured_when_read():
    v = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = v * v
        v.assign(100.0)
        z = y + v  # reads the new value
    assert float(t.gradient(z, v)) == 2 * 3.0 + 1.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: tf.constant(1.0) + tf.constant(1.0, tf.float64),
            InvalidArgumentError,
            "expected to be a float tensor but is a double tensor",
        ),
        (
            lambda: tf.constant([1.0, 2.0]) * tf.constant([1.0, 2.0, 3.0]),
            InvalidArgumentError,
            r"Incompatible shapes: \[2\] vs. \[3\]",
        ),
        (
            lambda: tf.constant(1) + 1.5,
            InvalidArgumentError,
            "expected to be a int32 tensor but is a float tensor",
        ),
        (
            lambda: tf.matmul(tf.ones([2, 3]), tf.ones([2, 3])),
            InvalidArgumentError,
            "Matrix size-incompatible",
        ),
        (
            lambda: tf.reshape(tf.ones([4]), [3]),
            InvalidArgumentError,
            "Input to reshape is a tensor with 4 values, but the requested shape has 3",
        ),
        (
            lambda: tf.reduce_sum(tf.ones([2]), axis=1),
            InvalidArgumentError,
            "Invalid reduction dimension",
        ),
        (lambda: tf.constant(1.5, dtype=tf.int32), TypeError, "Cannot convert 1.5"),
    ],
)
def test_bad_input_raises_tf_error_naming_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bad_gradient_arguments():
    x = tf.constant(1.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'zeros'"):
        t.gradient(y, x, unconnected_gradients="zeros")
    with pytest.raises(AttributeError, match="sources must be Tensors or Variables"):
        t.gradient(y, 1.0)
    with pytest.raises(TypeError, match="received None"):
        t.gradient(None, x)
    with pytest.raises(ValueError, match="Passed in object"):
        with tf.GradientTape() as t2:
            t2.watch([1.0])


def test_op_without_gradient_raises_lookup_error():
    from tapeflow.op import op

    @op("TestNoGradient")
    def no_gradient(x):
        return x * 1

    try:
        x = tf.constant(1.0)
        with tf.GradientTape() as t:
            t.watch(x)
            y = no_gradient(x)
        with pytest.raises(LookupError, match="gradient registry has no entry for: TestNoGradient"):
            t.gradient(y, x)
    finally:
        from tapeflow.op import REGISTRY

        del REGISTRY["TestNoGradient"]


def test_variable_updates_never_change_tensors_read_before():
    v = tf.Variable(np.ones(4, np.float32))
    before = v.read_value()
    kept = v * 1.0
    v.assign_sub(np.full(4, 0.5, np.float32))
    v.assign_add(tf.ones(4))
    np.testing.assert_array_equal(before.numpy(), np.ones(4))
    np.testing.assert_array_equal(kept.numpy(), np.ones(4))
    np.testing.assert_array_equal(v.numpy(), np.full(4, 1.5))


def test_unshared_variable_updates_in_place():
    v = tf.Variable(np.ones(3, np.float32))
    v.assign_sub(tf.ones(3))  # the initial value still holds the first array
    array_id = id(v._value)  # not the array itself: holding it would share it
    v.assign_sub(tf.ones(3))
    assert id(v._value) == array_id  # nothing else held it: updated in place
    np.testing.assert_array_equal(v.numpy(), [-1.0, -1.0, -1.0])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(v * v)
    g = t.gradient(y, v)
    v.assign_sub(0.5 * g)  # y's recording is gone, but `y` is alive; the array is free
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g.numpy(), [-2.0, -2.0, -2.0])


def test_assign_copies_callers_numpy_array():
    a = np.ones(2, np.float32)
    v = tf.Variable(a)
    v.assign(a)
    a[0] = 5.0
    assert v.numpy().tolist() == [1.0, 1.0]


def test_gradient_of_a_sum_skips_multiplying_by_its_ones():
    # the seed 1 of reduce_sum reaches sin's VJP as a view of ones: cos(x) is the gradient as
    # it is, so an outer tape records no Mul for it (and walks one op less for a Hessian)
    x = tf.constant([0.5, 1.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.sin(x))
        g = inner.gradient(y, x)
        recorded = [entry[0].type for entry in outer._entries]
    assert recorded == ["Sin", "Sum", "Cos"]
    np.testing.assert_allclose(g.numpy(), np.cos([0.5, 1.0]), rtol=1e-6)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), -np.sin([0.5, 1.0]), rtol=1e-6)


def test_a_tracked_all_ones_cotangent_keeps_its_gradient():
    # the same all-ones view, given as output_gradients and watched by an outer tape, must stay
    # on the path: d(u * cos x)/du = cos x
    x = tf.constant([0.5, 1.0])
    u = tf.broadcast_to(tf.constant(1.0), [2])
    with tf.GradientTape() as outer:
        outer.watch(u)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.sin(x)
        g = inner.gradient(y, x, output_gradients=u)
    np.testing.assert_allclose(outer.gradient(g, u).numpy(), np.cos([0.5, 1.0]), rtol=1e-6)
    with tf.autodiff.ForwardAccumulator(u, tf.constant([2.0, 3.0])) as acc:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.sin(x)
        g = inner.gradient(y, x, output_gradients=u)
    np.testing.assert_allclose(acc.jvp(g).numpy(), [2, 3] * np.cos([0.5, 1.0]), rtol=1e-6)
