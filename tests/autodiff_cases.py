"""Advanced-autodiff cases written once against the TF API, run under real TF (to make
fixtures/autodiff_tf.json, see fixtures/make_autodiff_fixtures.py) and under tapeflow
(test_autodiff_fixtures.py). Each case takes the `tf` module and returns {name: value}, where a
value is a tensor, an IndexedSlices, None, or a NumPy array.
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


# ---------------------------------------------------------------------------------------------
# jacobian


@case
def jacobian_tanh_layer(tf):
    w = tf.constant(_rng().standard_normal((6, 5)))
    x = tf.constant(_rng(1).standard_normal((5, 2)))
    with tf.GradientTape(persistent=True) as t:
        t.watch([w, x])
        y = tf.tanh(tf.matmul(w, x))
    jw, jx = t.jacobian(y, [w, x])
    return {"jw": jw, "jx": jx}


@case
def jacobian_softmax_rows_and_dict_sources(tf):
    x = tf.constant([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    z = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, z])
        y = tf.nn.softmax(x, axis=1) * 2.0
        s = tf.nn.log_softmax(x, axis=0)
    j = t.jacobian(y, {"x": x, "z": z})
    j0 = t.jacobian(s, {"x": x, "z": z}, unconnected_gradients="zero")
    return {"jx": j["x"], "jz": j["z"], "log_softmax_x": j0["x"], "log_softmax_z": j0["z"]}


@case
def jacobian_shape_ops(tf):
    x = tf.constant(np.arange(1.0, 13.0).reshape(3, 4), tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        a, b = tf.split(tf.transpose(x), [1, 3], axis=0)
        c = tf.concat([b * 2.0, tf.tile(a, [3, 1]) ** 2], axis=1)  # (3, 6)
        d = tf.reshape(c[::-1, 1::2], [-1])  # strided slice, negative step
        e = tf.stack([tf.reduce_max(x, axis=0), tf.reduce_min(x, axis=1)[:1] + 0.0 * x[0]])
        f = tf.math.cumprod(x, axis=1, reverse=True) + tf.math.cumsum(x, axis=0, exclusive=True)
        g = tf.gather(x, [2, 0, 2], axis=0) * tf.gather(x, [1, 3], axis=1)[:, :1]
    return {
        "d": t.jacobian(d, x),
        "e": t.jacobian(e, x),
        "f": t.jacobian(f, x),
        "g": t.jacobian(g, x),
    }


@case
def jacobian_ties_and_kinks(tf):
    x = tf.constant([[1.0, 3.0, 3.0], [0.0, -2.0, 2.0]])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        m = tf.reduce_max(x, axis=1)
        r = tf.nn.relu(x) + tf.abs(x) + tf.maximum(x, 2.0 * x - 1.0)
        w = tf.where(x > 1.0, tf.sqrt(x * x + 1.0), -x)
    return {"max": t.jacobian(m, x), "relu_abs_max": t.jacobian(r, x), "where": t.jacobian(w, x)}


@case
def jacobian_of_gathered_variable(tf):
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        y = tf.gather(v, [2, 0, 2]) * tf.constant([[1.0], [2.0], [3.0]])
    return {"j": t.jacobian(y, v)}


@case
def hessian_by_nested_tapes(tf):
    x = tf.Variable([0.5, -1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(x**4) + tf.reduce_prod(tf.sin(x)) + tf.reduce_sum(tf.exp(x) / (x * x))
        g = inner.gradient(y, x)
    return {"g": g, "hessian": outer.jacobian(g, x)}


# ---------------------------------------------------------------------------------------------
# batch_jacobian


@case
def batch_jacobian_mlp(tf):
    w1 = tf.constant(_rng(2).standard_normal((3, 4)))
    w2 = tf.constant(_rng(3).standard_normal((4, 2)))
    x = tf.constant(_rng(4).standard_normal((5, 3)))
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        h = tf.nn.relu(tf.matmul(x, w1))
        y = tf.nn.softmax(tf.matmul(h, w2))
        s = tf.reduce_sum(x * x, axis=1, keepdims=True)
        u = tf.reshape(tf.sigmoid(x), [5, 3, 1]) * tf.constant([1.0, 2.0], tf.float64)
    return {
        "y": t.batch_jacobian(y, x),
        "s": t.batch_jacobian(s, x),
        "u": t.batch_jacobian(u, x),
        "unconnected": t.batch_jacobian(y, tf.constant(np.ones((5, 2)))),
    }


# ---------------------------------------------------------------------------------------------
# forward mode


@case
def jvp_basic_and_variables(tf):
    x = tf.constant([0.5, -1.5, 2.0])
    v = tf.Variable([[1.0, -2.0], [0.5, 3.0]])
    tx = tf.constant([1.0, 2.0, -1.0])
    tv = tf.constant([[0.0, 1.0], [1.0, 0.0]])
    with tf.autodiff.ForwardAccumulator([x, v], [tx, tv]) as acc:
        a = tf.exp(x) * tf.sin(x) / (1.0 + x * x)
        b = tf.matmul(v, v) + tf.reduce_sum(x)
        c = tf.nn.log_softmax(tf.concat([x, tf.reshape(v, [-1])], 0))
        d = tf.nn.relu(x - 0.5) + tf.abs(x + 1.5) + tf.maximum(x, x)  # kinks and ties
        e = tf.math.cumprod(tf.tanh(x)) + tf.sigmoid(x) ** 3.0
        f = tf.gather(v, [1, 1, 0]) * 2.0
    return {k: acc.jvp(val) for k, val in dict(a=a, b=b, c=c, d=d, e=e, f=f).items()}


@case
def jvp_forward_over_reverse(tf):
    v = tf.Variable([1.0, 2.0, -0.5], dtype=tf.float64)
    t = tf.constant([1.0, -1.0, 0.5], tf.float64)
    with tf.autodiff.ForwardAccumulator(v, t) as acc:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(v**3.0) * tf.reduce_sum(tf.cos(v)) + tf.reduce_prod(v)
        g = tape.gradient(y, v)
    return {"gradient": g, "hvp": acc.jvp(g)}


@case
def jvp_nested_accumulators(tf):
    x = tf.constant(1.3, tf.float64)
    one = tf.constant(1.0, tf.float64)
    with tf.autodiff.ForwardAccumulator(x, one) as a3:
        with tf.autodiff.ForwardAccumulator(x, one) as a2:
            with tf.autodiff.ForwardAccumulator(x, one) as a1:
                y = x**3.5 * tf.sin(x)
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    d3 = a3.jvp(d2)
    return {"d1": d1, "d2": d2, "d3": d3}


@case
def jvp_complex(tf):
    z = tf.constant([1.0 + 2.0j, -0.5 + 0.25j])
    t = tf.constant([1.0 + 0.0j, 0.5 - 1.0j])
    with tf.autodiff.ForwardAccumulator(z, t) as acc:
        y = z * z * tf.exp(z)
        r = tf.math.real(z * tf.math.conj(z))
    return {"y": acc.jvp(y), "r": acc.jvp(r)}


# ---------------------------------------------------------------------------------------------
# custom gradients


@case
def custom_gradient_cases(tf):
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(dy):
            return dy * (1 - 1 / (1 + e))

        return tf.math.log(1 + e), grad

    @tf.custom_gradient
    def clip_grad(x):
        def grad(dy):
            return tf.clip_by_value(dy, -1.0, 1.0)

        return tf.identity(x), grad

    @tf.custom_gradient
    def pair(x, y):
        def grad(d_prod, d_sum):
            return d_prod * y + d_sum, d_prod * x * 10.0 + d_sum

        return (x * y, x + y), grad

    x = tf.constant([-2.0, 0.0, 50.0, 100.0])
    y = tf.constant([1.0, 2.0, 3.0, 4.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, y])
        a = log1pexp(x)
        b = clip_grad(x) * 5.0
        p, s = pair(x, y)
        c = p * 3.0 + s
        only_first = pair(x, y)[0]
    return {
        "log1pexp": t.gradient(a, x),
        "clip": t.gradient(b, x),
        "pair": t.gradient(c, [x, y]),
        "unused_output": t.gradient(only_first, [x, y]),
        "jacobian": t.jacobian(c, x),
    }


@case
def custom_gradient_variables_and_second_order(tf):
    w = tf.Variable([2.0, -1.0])

    @tf.custom_gradient
    def scaled(x):
        def grad(dy, variables=None):
            return dy * w, [dy * x * 3.0]

        return x * w, grad

    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x

        return x**3, grad

    x = tf.constant([1.5, 0.5])
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(scaled(x))
    gx, gw = t.gradient(y, [x, w])
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            z = cube(x)
        d1 = t1.gradient(z, x)
    return {"gx": gx, "gw": gw, "d1": d1, "d2": t2.gradient(d1, x)}


@case
def recompute_and_pass_through(tf):
    w = tf.Variable([[1.0, 2.0], [3.0, -4.0]])

    def block(x):
        return tf.nn.relu(tf.matmul(x, w)) ** 2

    r = tf.recompute_grad(block)
    x = tf.constant([[1.0, 0.5], [-0.5, 2.0]])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y1 = tf.reduce_sum(block(x))
        y2 = tf.reduce_sum(r(x))
        y3 = tf.reduce_sum(tf.grad_pass_through(tf.sign)(x) * tf.constant([2.0, 3.0]))
    return {
        "plain": t.gradient(y1, [x, w]),
        "recomputed": t.gradient(y2, [x, w]),
        "st": t.gradient(y3, x),
    }


# ---------------------------------------------------------------------------------------------
# tf.test.compute_gradient


@case
def compute_gradient_cases(tf):
    def f(x, y):
        return tf.reduce_sum(x * y, axis=0) + tf.sin(y)

    def g(z):
        return z * tf.constant([1.0 + 1.0j, 2.0 - 0.5j])

    x = tf.constant([[1.0, 2.0], [3.0, 4.0]], tf.float64)
    y = tf.constant([0.5, -1.5], tf.float64)
    theo, num = tf.test.compute_gradient(f, [x, y])
    ctheo, cnum = tf.test.compute_gradient(g, [tf.constant([1.0 + 2.0j, 3.0 - 1.0j])])
    return {
        "theo_x": theo[0],
        "theo_y": theo[1],
        "num_x": num[0],
        "num_y": num[1],
        "complex_theo": ctheo[0],
        "complex_num": cnum[0],
    }
