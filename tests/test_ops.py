"""Every row of the op table: forward against NumPy, gradients checked numerically."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_specs import SPECS, OpSpec, draw_arrays

import tapeflow as tf
from tapeflow.op import REGISTRY
from tapeflow.testing import GradientCheckError, check_gradients


def test_every_registered_op_has_a_row():
    covered = {spec.op for spec in SPECS}
    assert set(REGISTRY) - covered == set(), "registered ops without a row in tests/op_specs.py"
    assert covered - set(REGISTRY) == set(), "rows for ops that are not registered"
    assert len(covered) == len(SPECS), "an op has two rows"


def _draw_inputs(spec: OpSpec, data: st.DataObject) -> list[np.ndarray]:
    shapes = data.draw(spec.shapes, label="shapes")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    return draw_arrays(spec, shapes, rng)


class _Counting:
    """Counts calls of one op's forward, so a row is known to exercise the op it names."""

    def __init__(self, op_type: str):
        self.op = REGISTRY[op_type]
        self.calls = 0

    def __enter__(self):
        self.original = self.op.forward

        def counted(*args, **kwargs):
            self.calls += 1
            return self.original(*args, **kwargs)

        self.op.forward = counted
        return self

    def __exit__(self, *exc):
        self.op.forward = self.original


@pytest.mark.parametrize("spec", SPECS, ids=[s.op for s in SPECS])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_op(spec: OpSpec, data):
    arrays = _draw_inputs(spec, data)
    with _Counting(spec.op) as counter:
        if spec.custom is not None:
            spec.custom(arrays)
        else:
            _check_forward(spec, arrays)
            _check_gradient(spec, arrays)
    assert counter.calls > 0, f"the row for {spec.op} never runs {spec.op}"


def _check_forward(spec: OpSpec, arrays: list[np.ndarray]) -> None:
    out = spec.fn(*[tf.constant(a) for a in arrays])
    if spec.numpy is None:
        return
    expected = spec.numpy(*arrays)
    outs = out if isinstance(out, (list, tuple)) else [out]
    wants = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(outs) == len(wants)
    for o, w in zip(outs, wants):
        assert o.shape == np.shape(w)
        np.testing.assert_allclose(o.numpy(), w, rtol=1e-12, atol=1e-12)


def _check_gradient(spec: OpSpec, arrays: list[np.ndarray]) -> None:
    if spec.order:
        check_gradients(spec.fn, *arrays, order=spec.order)
        return
    xs = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        out = spec.fn(*xs)
    assert tape.gradient(out, xs) == [None] * len(xs), f"{spec.op} must not be differentiable"


def test_checker_catches_a_wrong_gradient():
    sin = REGISTRY["Sin"]
    rule = sin.vjp
    sin.vjp = lambda grad, out, x: (grad * tf.cos(x) * 1.01,)  # a 1% error
    try:
        with pytest.raises(GradientCheckError, match="order 1"):
            check_gradients(tf.sin, [0.3, -1.2])
    finally:
        sin.vjp = rule


def test_checker_catches_a_wrong_second_order():
    tanh_grad = REGISTRY["TanhGrad"]
    rule = tanh_grad.vjp
    tanh_grad.vjp = lambda grad, out, y, dy: (None, rule(grad, out, y, dy)[1])  # drops d/dy
    try:
        check_gradients(tf.tanh, [0.3, -1.2], order=1)  # first order is still right
        with pytest.raises(GradientCheckError, match="order 2"):  # its own gradient is not
            check_gradients(tf.tanh, [0.3, -1.2], order=2)
    finally:
        tanh_grad.vjp = rule
