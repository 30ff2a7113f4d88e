"""tf.custom_gradient, tf.recompute_grad and tf.grad_pass_through beyond the reference cases
(modelled on TF's CustomGradientTest, VariablesGradientTest and GradPassThroughTest)."""

import gc
import weakref

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops.logic import _floor
from tapeflow.testing import check_gradients


@tf.custom_gradient
def _softplus(x):
    # a numerically stable softplus whose grad_fn is itself differentiable
    e = tf.exp(-tf.abs(x))
    y = tf.maximum(x, 0.0) + tf.math.log(1.0 + e)

    def grad(dy):
        return dy * tf.sigmoid(x)

    return y, grad


def test_custom_gradient_checked_numerically_to_second_order():
    check_gradients(_softplus, [-3.0, -0.2, 0.4, 5.0], order=2)


def test_grad_fn_is_recorded_by_outer_tapes_to_any_order():
    x = tf.constant(0.3, tf.float64)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = _softplus(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    s = 1 / (1 + np.exp(-0.3))
    np.testing.assert_allclose(
        [float(d1), float(d2), float(d3)], [s, s * (1 - s), s * (1 - s) * (1 - 2 * s)], rtol=1e-12
    )


def test_nested_inputs_and_outputs_unused_outputs_get_zeros():
    seen = []

    @tf.custom_gradient
    def f(pair, scale):
        a, b = pair

        def grad(d_prod, d_sum):  # outputs flatten in sorted-key order, as in TF
            seen.append((float(d_sum), float(d_prod)))
            return [d_sum + d_prod * b, d_sum + d_prod * a], None

        return {"sum": a + b, "prod": a * b * scale}, grad

    a, b = tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        out = f([a, b], 10.0)
    assert float(out["prod"]) == 60.0
    assert [float(g) for g in tape.gradient(out["sum"], [a, b])] == [1.0, 1.0]
    assert seen == [(1.0, 0.0)]  # "prod" unused: zeros, not None (TF)


def test_method_decorator_binds_self():
    class Scaled:
        def __init__(self, k):
            self.k = k

        @tf.custom_gradient
        def apply(self, x):
            def grad(dy):
                return dy * self.k * 10.0

            return x * self.k, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = Scaled(3.0).apply(x)
    assert float(y) == 6.0 and float(tape.gradient(y, x)) == 30.0  # TF: 30.0


def test_errors_in_grad_fn_propagate_and_called_decorator_works():
    @tf.custom_gradient()
    def f(x):
        def grad(dy):
            raise RuntimeError("boom in grad_fn")

        return x * 2.0, grad

    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    with pytest.raises(RuntimeError, match="boom in grad_fn"):
        tape.gradient(y, x)


def test_grad_fn_may_return_python_numbers_and_none():
    @tf.custom_gradient
    def f(x, n):
        def grad(dy):
            return 5.0, None  # TF hands the raw float back; tapeflow makes it a tensor

        return x * tf.cast(n, tf.float32), grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x, tf.constant(3))
    g = tape.gradient(y, x)
    assert isinstance(g, tf.Tensor) and float(g) == 5.0 and g.dtype == tf.float32


def test_jacobian_through_a_custom_gradient_uses_grad_fn_row_by_row():
    calls = []

    @tf.custom_gradient
    def f(x):
        def grad(dy):
            calls.append(dy.shape)
            return dy * 3.0 * x * x

        return x**3, grad

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), np.diag([3.0, 12.0, 27.0]))
    assert calls == [(3,)] * 3


def test_custom_gradient_with_captured_variables_in_a_model():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    b = tf.Variable([0.5, -0.5])

    @tf.custom_gradient
    def layer(x):
        def grad(dy, variables):
            assert [v.name for v in variables] == ["Variable:0"] * 2
            return tf.matmul(dy, w, transpose_b=True), [
                tf.matmul(x, dy, transpose_a=True),
                tf.reduce_sum(dy, axis=0),
            ]

        return tf.matmul(x, w) + b, grad

    x = tf.constant([[1.0, 0.5]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) ** 2)
    gx, gw, gb = tape.gradient(loss, [x, w, b])
    assert gx is None  # x was never watched
    with tf.GradientTape() as tape:
        ref = tf.reduce_sum((tf.matmul(x, w) + b) ** 2)
    rw, rb = tape.gradient(ref, [w, b])
    np.testing.assert_allclose(gw.numpy(), rw.numpy())
    np.testing.assert_allclose(gb.numpy(), rb.numpy())


# ---------------------------------------------------------------------------------------------
# recompute_grad


def test_recompute_grad_recomputes_and_keeps_no_intermediates():
    calls = []
    inside = []
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])

    def block(x):
        calls.append(1)
        h = tf.tanh(tf.matmul(x, w))  # an intermediate the tape would normally keep
        inside.append(weakref.ref(h))
        return tf.reduce_sum(h * h, axis=1)

    checkpointed = tf.recompute_grad(block)
    assert checkpointed.__wrapped__ is block
    x = tf.constant([[1.0, 0.5], [-0.2, 0.3]])
    results = {}
    for name, fn in [("plain", block), ("recomputed", checkpointed)]:
        calls.clear()
        inside.clear()
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(fn(x))
        gc.collect()
        kept = inside[0]() is not None  # is the tape holding block's intermediate?
        forward_calls = len(calls)
        results[name] = (kept, forward_calls, tape.gradient(y, [x, w]), len(calls))
    plain, recomputed = results["plain"], results["recomputed"]
    assert plain[0] is True and recomputed[0] is False  # memory: nothing inside f is kept
    assert plain[1] == recomputed[1] == 1
    assert plain[3] == 1 and recomputed[3] == 2  # f ran again in the backward pass
    for a, b in zip(plain[2], recomputed[2]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_recompute_grad_third_order_and_odd_inputs():
    f = tf.recompute_grad(lambda x, n, y: x**3 * tf.cast(n, x.dtype) + y)
    x = tf.constant(1.5, tf.float64)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = f(x, tf.constant(2), x)  # an int input, and x passed twice
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert [float(d1), float(d2), float(d3)] == [6 * 1.5**2 + 1, 12 * 1.5, 12.0]  # 14.5, 18, 12
    empty = tf.constant(np.zeros((0, 3)))
    with tf.GradientTape() as tape:
        tape.watch(empty)
        z = tf.recompute_grad(lambda e: tf.reduce_sum(e * 2.0))(empty)
    assert tape.gradient(z, empty).shape == (0, 3)


# ---------------------------------------------------------------------------------------------
# grad_pass_through


def test_grad_pass_through_is_identity_backward_and_skips_inner_variables():
    w = tf.Variable(3.0)
    x = tf.constant([0.3, 1.7])
    with tf.GradientTape() as tape:
        tape.watch(x)
        rounded = tf.grad_pass_through(lambda z: _floor(z + 0.5))(x)  # round half up
        y = tf.grad_pass_through(lambda z: z * w)(x) + rounded * 2.0
    assert rounded.numpy().tolist() == [0.0, 2.0]
    gx, gw = tape.gradient(y, [x, w])
    assert gx.numpy().tolist() == [3.0, 3.0] and gw is None  # TF: [1.0, None] for w alone
