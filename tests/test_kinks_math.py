"""tapeflow against real TF at the kinks, ties and edges of the math, reduction and sorting ops.

The expected values and gradients are TF 2.21's, recorded by fixtures/make_kink_fixtures_math.py
into fixtures/kinks_math.json. Where tapeflow deliberately differs (README), DELIBERATE holds
tapeflow's answer and the test asserts it instead of TF's.
"""

import json
import pathlib

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = json.loads(
    pathlib.Path(__file__).with_name("fixtures").joinpath("kinks_math.json").read_text()
)
CASES = FIXTURES["cases"]

# The gradient of the euclidean norm at the zero vector: TF gives nan, tapeflow gives 0. And
# clip_by_global_norm of all-zero tensors: TF's gradient is nan (0 * inf in the rule of
# 1 / norm), tapeflow's is the true Jacobian there, the identity (the scale is 1 near 0).
DELIBERATE = {
    "clip_by_global_norm_zero": [[1.0, 1.0]],
    "norm_zero": [[0.0, 0.0]],
    "norm_zero_row": [[[0.0, 0.0], [0.6, 0.8]]],
    "linalg_norm_fro_zero": [[[0.0, 0.0], [0.0, 0.0]]],
    "reduce_euclidean_norm_zero": [[0.0, 0.0]],
    "reduce_euclidean_norm_zero_row": [[[0.0, 0.0], [5 / 13, 12 / 13]]],
}


def _tolerance(case):
    """(rtol, atol): float64 results agree to 1e-12 relative, or 1e-15 absolute near a zero of
    the function (digamma's root); float32 ones to 1e-6 relative."""
    return (1e-12, 1e-15) if case.get("dtype") == "float64" else (1e-6, 0.0)


def _assert_close(got, want, tolerance, what):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    rtol, atol = tolerance
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def test_the_fixtures_come_from_tf_2_21():
    assert FIXTURES["tensorflow"].startswith("2.21")
    assert set(DELIBERATE) <= {c["id"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kink(case):
    dtype = tf.as_dtype(case.get("dtype", "float32"))
    f = eval(case["code"], {"tf": tf, "np": np})
    xs = [tf.constant(v, dtype=dtype) for v in case["inputs"]]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    tolerance = _tolerance(case)
    _assert_close(y.numpy(), case["value"], tolerance, "value")
    if not case.get("grad", True):
        return
    grads = tape.gradient(y, xs)
    for i, (g, want) in enumerate(zip(grads, DELIBERATE.get(case["id"], case["grads"]))):
        if want is None:
            assert g is None, f"gradient {i} should be None"
        else:
            assert g is not None, f"gradient {i} should not be None"
            _assert_close(g.numpy(), want, tolerance, f"gradient {i}")
