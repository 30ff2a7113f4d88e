"""Why is my gradient None? One test per cause: the reason, and the file:line of the user code
that ran the op where the path broke. Then strict tapes, and what explain() knows without
explanations switched on (and that switching them off leaves nothing behind)."""

import gc
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import explain
from tapeflow.errors import UnconnectedGradientError
from tapeflow.op import REGISTRY, Op, state
from tapeflow.ops.logic import _floor


def here(offset: int = 1) -> str:
    """file:line of the caller's line + offset (the line that runs the breaking op)."""
    frame = sys._getframe(1)
    return f"{frame.f_code.co_filename}:{frame.f_lineno + offset}"


@pytest.fixture(autouse=True)
def _nothing_left_on():
    yield
    gc.collect()
    assert explain._provenance is None, "a test left explanations on"


@pytest.fixture
def explaining():
    tf.config.set_gradient_explanations(True)
    yield
    tf.config.set_gradient_explanations(False)
    gc.collect()


def _check(found, reason, location, op=None):
    assert found.reason == reason, str(found)
    assert found.location == location, str(found)
    if op is not None:
        assert found.op == op
    assert not found.connected
    text = str(found)
    assert "is None" in text and reason in text and (location is None or location in text)
    return found


# ---------------------------------------------------------------------------------------------
# each cause, with explanations on


def test_constant_never_watched(explaining):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        where = here()
        y = x * x
    assert tape.gradient(y, x) is None
    found = _check(tape.explain(y, x), "not_watched", where, "Mul")
    assert "tape.watch(x)" in found.hint


def test_trainable_false_variable(explaining):
    v = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        where = here()
        y = v * 3.0
    _check(tape.explain(y, v), "not_trainable", where)


def test_watch_accessed_variables_false(explaining):
    v = tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        where = here()
        y = v * 3.0
    _check(tape.explain(y, v), "watch_accessed_variables_false", where)


def test_source_does_not_reach_the_target(explaining):
    a, b = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        where = here()
        y = b * 2.0
    _check(tape.explain(y, a), "unconnected", where, "Mul")


def test_value_went_through_numpy(explaining):
    v = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        where = here()
        z = tf.constant(v.numpy()) * 3.0  # TF's H07
    found = _check(tape.explain(z, v), "numpy", where, "Mul")
    assert f".numpy() or np.asarray at {where}" in found.message
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = tf.sin(x)
        exported = here()
        back = np.asarray(h) * 1.0  # leaves through __array__
        where = here()
        y = tf.reduce_sum(tf.constant(back) * 3.0)
    found = _check(tape.explain(y, x), "numpy", where, "Mul")
    assert exported in found.message


def test_cast_to_an_integer_type(explaining):
    x = tf.constant([1.5, 2.7])
    with tf.GradientTape() as tape:
        tape.watch(x)
        where = here()
        i = tf.cast(x * 2.0, tf.int32)
        y = tf.reduce_sum(tf.cast(i, tf.float32))
    _check(tape.explain(y, x), "integer_cast", where, "Cast")


def test_non_differentiable_ops(explaining):
    x = tf.constant([1.5, 2.7])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        where_cmp = here()
        mask = tf.cast(x > 2.0, tf.float32)
        where_floor = here()
        y = tf.reduce_sum(_floor(x * 3.0))
    _check(tape.explain(tf.reduce_sum(mask), x), "non_differentiable", where_cmp, "Greater")
    _check(tape.explain(y, x), "non_differentiable", where_floor, "Floor")
    # any op registered as `@op(..., differentiable=False)` is covered the same way
    argmax = Op("TestArgMax", lambda a: np.argmax(a).astype(np.int64), differentiable=False)
    REGISTRY["TestArgMax"] = argmax
    try:
        tf.config.set_gradient_explanations(False)  # the patching of ops happens when turned on
        tf.config.set_gradient_explanations(True)
        with tf.GradientTape() as tape:
            tape.watch(x)
            where = here()
            k = argmax(x * x)
            y = tf.gather(x, k) * 0.0 + tf.cast(k, tf.float32)
        found = tape.explain(y, x)
        assert found.reason == "connected"  # through gather's params, x is connected
        with tf.GradientTape() as tape:
            tape.watch(x)
            where = here()
            k = argmax(x * x)
            y = tf.cast(k, tf.float32) * 2.0
        _check(tape.explain(y, x), "non_differentiable", where, "TestArgMax")
        with tf.GradientTape() as tape:  # and the op library's own argmax
            tape.watch(x)
            where = here()
            y = tf.cast(tf.argmax(x * x), tf.float32) * 2.0
        _check(tape.explain(y, x), "non_differentiable", where, "ArgMax")
    finally:
        del REGISTRY["TestArgMax"]


def test_stop_gradient(explaining):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        where = here()
        y = tf.reduce_sum(tf.stop_gradient(x * 2.0)) + 1.0
    _check(tape.explain(y, x), "stop_gradient", where, "StopGradient")


def test_target_computed_outside_the_context(explaining):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    where = here()
    outside = tf.reduce_sum(y)  # TF's J01b
    assert tape.gradient(outside, x) is None and tape.jacobian(outside, x) is None
    _check(tape.explain(outside, x), "outside_context", where, "Sum")
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording():
            where = here()
            z = x * 2.0
    _check(tape.explain(z, x), "outside_context", where, "Mul")


def test_variable_replaced_by_a_tensor(explaining):
    v = tf.Variable(1.0)
    for step in range(2):
        with tf.GradientTape() as tape:
            loss = v * v
        g = tape.gradient(loss, v)
        if step == 0:
            assert g is not None
            where = here()
            v = v - 0.1 * g  # the classic mistake: v is now a Tensor
    assert g is None
    _check(tape.explain(loss, v), "variable_replaced", where, "Sub")


def test_integer_and_bool_sources(explaining):
    n = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(n)
        where = here()
        y = n * n
    _check(tape.explain(y, n), "integer_source", where, "Mul")
    b = tf.Variable(True)
    with tf.GradientTape() as tape:
        y = tf.cast(b, tf.float32) * 2.0
    assert tape.explain(y, b).reason == "integer_source"


def test_watched_after_use_and_integer_target(explaining):
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        where = here()
        y = x * 3.0
        tape.watch(x)
        i = tf.cast(x, tf.int32)
    _check(tape.explain(y, x), "watched_late", where, "Mul")
    assert tape.explain(i, x).reason == "integer_target"


def test_connected_sources_and_structures(explaining):
    x = tf.constant(2.0)
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * v
    found = tape.explain([y], {"x": x, "v": v, "c": tf.constant(1.0)})
    assert found["x"].connected and found["v"].connected and not found["c"].connected
    assert str(found["x"]).endswith("is connected.")


# ---------------------------------------------------------------------------------------------
# strict tapes


def test_strict_tape_raises_with_the_explanation():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(strict=True) as tape:
        tape.watch(x)
        where = here()
        y = tf.reduce_sum(tf.stop_gradient(x) * 2.0)
    with pytest.raises(UnconnectedGradientError) as err:
        tape.gradient(y, x)
    assert isinstance(err.value, ValueError)
    assert "stop_gradient" in str(err.value) and where in str(err.value)
    (found,) = err.value.explanations
    assert found.reason == "stop_gradient" and found.location == where
    del tape, err  # the traceback holds the tape too
    gc.collect()
    assert explain._provenance is None  # a strict tape's locations go with the tape


def test_strict_zero_and_jacobian():
    x = tf.constant([1.0, 2.0])
    c = tf.constant(1.0)
    with tf.GradientTape(persistent=True, strict=True) as tape:
        tape.watch(x)
        y = x * 2.0
    assert tape.gradient(y, c, unconnected_gradients="zero").numpy() == 0.0  # asked for zeros
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 2.0]
    with pytest.raises(UnconnectedGradientError, match="not_watched"):
        tape.jacobian(y, [x, c])
    assert tape.batch_jacobian(tf.reshape(y, [1, 2]), tf.ones([1, 1])).shape == (1, 2, 1)


def test_global_strict_switch_and_tf_signature():
    tf.config.set_strict_gradients(True)
    try:
        x = tf.constant(1.0)
        with tf.GradientTape(False, True) as tape:  # TF's positional signature still works
            y = x * 2.0
        with pytest.raises(UnconnectedGradientError):
            tape.gradient(y, x)
        with tf.GradientTape(strict=False) as tape:
            y = x * 2.0
        assert tape.gradient(y, x) is None
        # tapeflow's own tapes are never strict: forward mode, recompute_grad and checks work
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
            z = tf.recompute_grad(lambda a, b: a * 2.0)(x, tf.constant(5.0))
        assert float(acc.jvp(z)) == 2.0
    finally:
        tf.config.set_strict_gradients(False)
        gc.collect()


# ---------------------------------------------------------------------------------------------
# without explanations switched on


def test_without_explanations_the_source_side_is_still_explained():
    gc.collect()
    assert explain._provenance is None and state.recorders == []
    x = tf.constant(3.0)
    frozen = tf.Variable(1.0, trainable=False)
    n = tf.constant(2)
    with tf.GradientTape() as tape:
        tape.watch(n)
        y = x * x * frozen * tf.cast(n, tf.float32)
    assert tape.gradient(y, [x, frozen, n]) == [None, None, None]
    # the tape was used up by gradient(), and still knows what it watched
    found = tape.explain(y, [x, frozen, n])
    assert [f.reason for f in found] == ["not_watched", "not_trainable", "integer_source"]
    assert all(f.location is None for f in found)
    assert "set_gradient_explanations(True)" in found[0].message
    w = tf.constant(1.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(w)
        y = w * 2.0
    outside = tf.reduce_sum(y)
    assert tape.explain(outside, w).reason == "target_not_recorded"
    assert tape.explain(y, w).connected


def test_explanations_off_leave_nothing_behind():
    original_numpy = tf.Tensor.__dict__["numpy"]
    original_floor = REGISTRY["Floor"].forward
    tf.config.set_gradient_explanations(True)
    assert explain._provenance in state.recorders
    assert tf.Tensor.__dict__["numpy"] is not original_numpy
    tf.config.set_gradient_explanations(False)
    assert explain._provenance is None and state.recorders == []
    assert tf.Tensor.__dict__["numpy"] is original_numpy
    assert REGISTRY["Floor"].forward is original_floor


def test_history_lives_only_as_long_as_the_tensors(explaining):
    x = tf.constant(np.ones(10))
    y = tf.exp(x) * 2.0
    n = len(explain._provenance.records)
    del y
    gc.collect()
    assert len(explain._provenance.records) < n  # the Mul and Exp notes went with y
