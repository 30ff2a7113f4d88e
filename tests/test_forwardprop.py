"""tf.autodiff.ForwardAccumulator: JVPs of every op against the (batched) jacobian, forward-over-
reverse against reverse-over-reverse Hessian-vector products, nesting rules (modelled on TF's
forwardprop_test; values checked with TF 2.21)."""

import gc
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_specs import SPECS

import tapeflow as tf
from tapeflow.testing import check_gradients

DIFFERENTIABLE = [s for s in SPECS if s.order and s.custom is None]


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=[s.op for s in DIFFERENTIABLE])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_jvp_of_every_op_is_jacobian_times_tangent(spec, data):
    shapes = data.draw(spec.shapes, label="shapes")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    lo, hi = spec.domain
    xs = [tf.constant(rng.uniform(lo, hi, s)) for s in shapes]
    vs = [tf.constant(rng.standard_normal(s)) for s in shapes]
    with tf.autodiff.ForwardAccumulator(xs, vs) as acc:
        out = spec.fn(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        again = spec.fn(*xs)
    agains = list(again) if isinstance(again, (list, tuple)) else [again]
    for o, y in zip(outs, agains):
        jvp = acc.jvp(o, unconnected_gradients="zero").numpy()
        expected = np.zeros(y.shape.as_list())
        for x, v, jac in zip(xs, vs, tape.jacobian(y, xs, unconnected_gradients="zero")):
            axes = list(range(y.ndim, y.ndim + x.ndim))
            expected = expected + np.tensordot(
                jac.numpy(), v.numpy(), axes=(axes, list(range(x.ndim)))
            )
        np.testing.assert_allclose(jvp, expected, rtol=1e-10, atol=1e-12)


def _model(x, w):
    h = tf.tanh(tf.matmul(x, w))
    return tf.reduce_sum(tf.nn.log_softmax(h * h, axis=-1)) + tf.reduce_sum(tf.sin(w) ** 3)


def test_forward_over_reverse_hvp_equals_reverse_over_reverse():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((4, 3)))
    w = tf.Variable(rng.standard_normal((3, 5)))
    v = tf.constant(rng.standard_normal((3, 5)))
    # forward over reverse: an accumulator around a tape
    with tf.autodiff.ForwardAccumulator(w, v) as acc:
        with tf.GradientTape() as tape:
            y = _model(x, w)
        g = tape.gradient(y, w)
    forward_over_reverse = acc.jvp(g).numpy()
    # reverse over reverse: nested tapes
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = _model(x, w)
        g = inner.gradient(y, w)
    reverse_over_reverse = outer.gradient(g, w, output_gradients=v).numpy()
    np.testing.assert_allclose(forward_over_reverse, reverse_over_reverse, rtol=1e-10)
    # and both equal the full Hessian (jacobian of the gradient) times v
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = _model(x, w)
        g = inner.gradient(y, w)
    hessian = outer.jacobian(g, w).numpy().reshape(15, 15)
    np.testing.assert_allclose(reverse_over_reverse.reshape(-1), hessian @ v.numpy().reshape(-1))


def test_reverse_over_forward_and_forward_over_forward():
    x = tf.constant([0.4, -1.3], tf.float64)
    t = tf.constant([1.0, 2.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.autodiff.ForwardAccumulator(x, t) as acc:
            y = tf.reduce_sum(tf.sin(x) * x)
        jvp = acc.jvp(y)  # sum((cos x * x + sin x) * t)
    grad_of_jvp = tape.gradient(jvp, x).numpy()  # d/dx of that
    xs = x.numpy()
    np.testing.assert_allclose(grad_of_jvp, (2 * np.cos(xs) - np.sin(xs) * xs) * t.numpy())
    # x ** 3.5 differentiated three times by nested accumulators (TF: 6.744, 12.969, 14.965)
    x = tf.constant(1.3)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as a3:
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as a2:
            with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as a1:
                y = x**3.5
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    d3 = a3.jvp(d2)
    np.testing.assert_allclose(
        [float(d1), float(d2), float(d3)], [6.744137, 12.969494, 14.964804], rtol=1e-6
    )


def test_inner_accumulators_do_not_see_outer_jvp_computations():
    c = tf.constant(3.0)
    with tf.autodiff.ForwardAccumulator(c, tf.constant(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(c, tf.constant(1.0)) as inner:
            d = c * c
    assert float(inner.jvp(d)) == float(outer.jvp(d)) == 6.0
    assert float(outer.jvp(inner.jvp(d))) == 2.0  # the outer one saw the inner's JVP ops
    assert inner.jvp(outer.jvp(d)) is None  # TF: the same


def test_variables_stop_recording_and_unconnected():
    v = tf.Variable([1.0, 2.0])
    c = tf.constant(5.0)
    with tf.autodiff.ForwardAccumulator(v, tf.constant([0.0, 1.0])) as acc:
        y = v * v
        z = c * 2.0
        with tf.GradientTape() as tape:
            with tape.stop_recording():
                w = v * 3.0  # the tape stops, the accumulator does not
    assert acc.jvp(y).numpy().tolist() == [0.0, 4.0]
    assert acc.jvp(w).numpy().tolist() == [0.0, 3.0]
    assert acc.jvp(z) is None and float(acc.jvp(z, unconnected_gradients="zero")) == 0.0
    assert acc.jvp(v).numpy().tolist() == [0.0, 1.0]
    assert acc.jvp({"a": [y]})["a"][0].numpy().tolist() == [0.0, 4.0]
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients"):
        acc.jvp(y, unconnected_gradients="zeros")


def test_custom_gradients_are_used_in_forward_mode():
    # deliberate difference: TF's forward mode differentiates the body (NaN here)
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(dy):
            return dy * (1 - 1 / (1 + e))

        return tf.math.log(1 + e), grad

    x = tf.constant(100.0)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(2.0)) as acc:
        y = log1pexp(x)
    assert float(acc.jvp(y)) == 2.0


def test_tangents_of_dead_tensors_are_freed():
    x = tf.constant(np.ones(100))
    with tf.autodiff.ForwardAccumulator(x, tf.constant(np.ones(100))) as acc:
        h = tf.exp(x)
        ref = weakref.ref(h)
        y = tf.reduce_sum(h)
    del h
    gc.collect()
    assert ref() is None
    assert len(acc._tangents) == 2  # x and y remain
    assert float(acc.jvp(y)) == pytest.approx(100 * np.e)


def test_jvp_is_differentiable_and_checked_numerically():
    def directional(x):
        with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)) as acc:
            y = tf.nn.softmax(x * tf.sin(x))
        return acc.jvp(y)

    check_gradients(directional, [[0.3, -1.2, 0.8]], order=2)


def test_jvp_of_complex_holomorphic_functions():
    z = tf.constant(1 + 2j)
    with tf.autodiff.ForwardAccumulator(z, tf.constant(1 + 0j)) as acc:
        y = z * z
        e = tf.exp(z)
    assert complex(acc.jvp(y)) == 2 + 4j  # TF: (2+4j)
    np.testing.assert_allclose(complex(acc.jvp(e)), np.exp(1 + 2j))
