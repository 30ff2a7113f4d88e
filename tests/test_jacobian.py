"""tape.jacobian and batch_jacobian: one batched backward walk, checked against row-by-row
gradients for every op in the op table (first and second order), against the per-op fallback
for rules not marked batched, and against closed forms.
"""

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jacobian_rows import compare
from op_specs import SPECS, OpSpec

import tapeflow as tf
from tapeflow.op import REGISTRY, Op
from tapeflow.testing import check_gradients

DIFFERENTIABLE = [s for s in SPECS if s.order and s.custom is None]


def _inputs(spec: OpSpec, data: st.DataObject) -> list[tf.Tensor]:
    shapes = data.draw(spec.shapes, label="shapes")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    lo, hi = spec.domain
    return [tf.constant(rng.uniform(lo, hi, s)) for s in shapes]


def _outputs(out):
    return [o for o in (out if isinstance(out, (list, tuple)) else [out])]


@contextlib.contextmanager
def _no_batched_rules():
    """Every rule treated as unmarked: the engine's row-by-row fallback runs for each op."""
    saved = {name: o.vjp_batched for name, o in REGISTRY.items()}
    try:
        for o in REGISTRY.values():
            o.vjp_batched = False
        yield
    finally:
        for name, flag in saved.items():
            REGISTRY[name].vjp_batched = flag


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=[s.op for s in DIFFERENTIABLE])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_jacobian_of_every_op_matches_row_by_row_gradients(spec, data):
    xs = _inputs(spec, data)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        outs = _outputs(spec.fn(*xs))
    for y in outs:
        compare(tape, y, xs)
    with _no_batched_rules():  # the fallback gives the same answer
        for y in outs:
            compare(tape, y, xs)


SECOND = [s for s in DIFFERENTIABLE if s.order >= 2]


@pytest.mark.parametrize("spec", SECOND, ids=[s.op for s in SECOND])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_jacobian_of_gradient_of_every_op(spec, data):
    # second order: the batched walk runs over the ops of a recorded backward pass
    xs = _inputs(spec, data)
    rng = np.random.default_rng(0)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            outs = _outputs(spec.fn(*xs))
        seeds = [tf.constant(rng.standard_normal(o.shape.as_list())) for o in outs]
        grads = inner.gradient(outs, xs, output_gradients=seeds, unconnected_gradients="zero")
        grads = [tf.convert_to_tensor(g) for g in grads]
    for g in grads:
        compare(outer, g, xs)


def test_every_registered_rule_takes_a_batch():
    # No op of tapeflow's own needs the row-by-row fallback: a jacobian through any of them is
    # one batched walk. The fallback stays for rules written outside (next test).
    unbatched = [n for n, o in REGISTRY.items() if o.vjp is not None and not o.vjp_batched]
    assert unbatched == []


def test_an_op_without_a_batched_rule_still_works_row_by_row():
    # An op added by someone who never thought about jacobians: its rule reshapes the cotangent
    # to the input's shape, which fails on a batch of cotangents. The engine notices the rule is
    # not marked batched and loops over the rows for this op only.
    calls = []

    def forward(x):
        return np.reshape(x**3, (-1,))

    cube = Op("TestCubeFlat", forward)  # not registered: it lives only in this test

    @cube.defvjp
    def _cube_vjp(grad, out, x):
        calls.append(grad.shape)
        return (tf.reshape(grad, x.shape) * 3.0 * x * x,)

    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.sin(cube(x))  # batched sin around an unbatched cube
    jac = tape.jacobian(y, x)
    xs = x.numpy().reshape(-1)
    expected = np.diag(np.cos(xs**3) * 3 * xs**2).reshape(4, 2, 2)
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-6)
    assert calls == [(4,)] * 4  # one unbatched call per row
    # the row-by-row results are recorded like any other ops: second order works too
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(cube(x))
        g = inner.gradient(y, x)
    hessian = outer.jacobian(g, x).numpy().reshape(4, 4)
    np.testing.assert_allclose(hessian, np.diag(6 * xs), rtol=1e-6)


def test_a_batched_rule_that_drops_the_batch_axes_is_reported():
    # marked batched, but it sums the batch axis away
    bad = Op("TestBadBatched", lambda x: x * 2.0)
    bad.defvjp(lambda g, out, x: (tf.reduce_sum(g, axis=0, keepdims=True) * 2.0,), batched=True)
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = bad(x) * 1.0
    with pytest.raises(ValueError, match="must keep the cotangent's leading axes"):
        tape.jacobian(y, x)


def test_jacobian_of_tanh_layer_matches_closed_form():
    rng = np.random.default_rng(1)
    w = tf.constant(rng.standard_normal((100, 100)) / 10)
    x = tf.constant(rng.standard_normal((100, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.tanh(w @ x)
    jac = tape.jacobian(y, x).numpy().reshape(100, 100)
    closed = (1 - np.tanh(w.numpy() @ x.numpy()) ** 2) * w.numpy()
    np.testing.assert_allclose(jac, closed, rtol=1e-12, atol=1e-15)


def test_hessian_by_jacobian_of_gradient_matches_closed_form():
    x = tf.Variable([0.5, -1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(x**4) + tf.reduce_sum(tf.sin(x)) * tf.reduce_prod(x)
        g = inner.gradient(y, x)
    hessian = outer.jacobian(g, x).numpy()
    v = x.numpy()
    p, s = np.prod(v), np.sum(np.sin(v))
    expected = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            dp_ij = 0.0 if i == j else p / (v[i] * v[j])
            expected[i, j] = (
                (12 * v[i] ** 2 - np.sin(v[i]) * p if i == j else 0.0)
                + np.cos(v[i]) * p / v[j]
                + np.cos(v[j]) * p / v[i]
                + s * dp_ij
            )
    np.testing.assert_allclose(hessian, expected, rtol=1e-12)


def test_jacobian_of_jacobian_third_order_tensor():
    x = tf.constant([0.3, 0.7], tf.float64)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.sin(x) * tf.reduce_sum(x**2)
        j = t1.jacobian(y, x)  # (2, 2)
    jj = t2.jacobian(j, x)  # (2, 2, 2)
    assert jj.shape == (2, 2, 2)
    v = x.numpy()
    s2 = np.sum(v**2)

    def y_fn(z):
        return np.sin(z) * np.sum(z**2)

    # d^2 y_i / dx_j dx_k by finite differences of the analytic jacobian
    def jac(z):
        return np.diag(np.cos(z)) * np.sum(z**2) + np.outer(np.sin(z), 2 * z)

    eps = 1e-6
    numeric = np.stack(
        [(jac(v + eps * e) - jac(v - eps * e)) / (2 * eps) for e in np.eye(2)], axis=-1
    )
    np.testing.assert_allclose(jj.numpy(), numeric, rtol=1e-6)
    assert y_fn(v).shape == (2,) and s2 > 0


def test_jacobian_structure_dtype_and_unconnected():
    x = tf.constant([1.0, 2.0], tf.float64)
    z = tf.constant([[3.0]], tf.float64)
    v = tf.Variable([1.0, 2.0, 3.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * tf.reduce_sum(v)
    got = tape.jacobian(y, {"a": x, "b": (z, [v])})
    assert got["a"].dtype == tf.float64 and got["b"][0] is None
    np.testing.assert_allclose(got["a"].numpy(), np.eye(2) * 6)
    np.testing.assert_allclose(got["b"][1][0].numpy(), np.outer([1, 2], [1, 1, 1]))
    zero = tape.jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zero.shape == (2, 1, 1) and zero.dtype == tf.float64
    assert tape.jacobian(y, y).numpy().tolist() == np.eye(2).tolist()  # target is the source
    assert tape.jacobian(v, v).numpy().tolist() == np.eye(3).tolist()  # a Variable too (TF)
    empty = tf.zeros([0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[:0] * 2.0
    assert tape.jacobian(y, x, unconnected_gradients="zero").shape == (0, 2)
    _ = empty


def test_jacobian_of_integer_target_is_none():
    x = tf.constant([1.5, 2.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(x, tf.int32)
    assert tape.jacobian(y, x) is None


def test_batch_jacobian_of_a_per_example_network():
    rng = np.random.default_rng(2)
    w = tf.constant(rng.standard_normal((3, 4)))
    x = tf.constant(rng.standard_normal((5, 3)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.softmax(tf.tanh(x @ w))  # (5, 4), row i depends on x[i] only
    bj = tape.batch_jacobian(y, x).numpy()
    assert bj.shape == (5, 4, 3)
    for i in range(5):  # row by row with jacobian
        xi = tf.constant(x.numpy()[i : i + 1])
        with tf.GradientTape() as t:
            t.watch(xi)
            yi = tf.nn.softmax(tf.tanh(xi @ w))
        np.testing.assert_allclose(bj[i], t.jacobian(yi, xi).numpy()[0, :, 0, :], rtol=1e-12)


def test_batch_jacobian_shapes_and_errors():
    x = tf.constant(np.ones((2, 3, 1)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reshape(x * 2.0, [2, 3])
    assert tape.batch_jacobian(y, x).shape == (2, 3, 3, 1)
    with pytest.raises(ValueError, match=r"Shape \(3,\) must have rank at least 2"):
        tape.batch_jacobian(y, tf.zeros([3]))
    with pytest.raises(RuntimeError, match="used tocompute"):
        t = tf.GradientTape()
        with t:
            t.watch(x)
            y2 = x * x
        t.batch_jacobian(y2, x)
        t.batch_jacobian(y2, x)
    with pytest.raises(ValueError, match="batch_jacobian computation"):
        tape.batch_jacobian(y, x, parallel_iterations=1)


def test_jacobian_pfor_flags():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    loop = tape.jacobian(y, x, experimental_use_pfor=False)  # TF's while_loop mode: same answer
    assert loop.numpy().tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert tape.jacobian(y, x, parallel_iterations=10).numpy().tolist() == loop.numpy().tolist()


def test_jacobian_is_differentiable_through_check_gradients():
    # the jacobian as a function of x, checked numerically (its own gradient is second order)
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.log_softmax(x * x)
        return tape.jacobian(y, x)

    check_gradients(f, [[0.2, -0.4, 1.1]], order=1)
