"""TF's conventions at kinks and ties of the array, linalg and nn ops, as recorded from TF 2.21
in kinks_arrays_linalg_nn.json.

Each case is the source of a function of tensors, run here with `tf = tapeflow`: its value and
the gradient of sum(f(x) * c) must match TF's (None where TF gives None). The fixture is made by
`fixtures/make_kink_fixtures_arrays_linalg_nn.py` with real TensorFlow.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "kinks_arrays_linalg_nn.json").read_text()
)
CASES = FIXTURE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_kink_matches_tensorflow(case):
    fn = eval(case["fn"], {"tf": tf, "np": np})  # the fixture's own cases
    xs = [tf.constant(x, dtype=tf.float32) for x in case["inputs"]]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        out = fn(*xs)
        c = tf.ones_like(out) if case["cotangent"] is None else tf.constant(case["cotangent"])
        target = tf.reduce_sum(out * c)
    grads = tape.gradient(target, xs)
    np.testing.assert_allclose(out.numpy(), np.asarray(case["value"]), rtol=1e-5, atol=1e-6)
    for got, want in zip(grads, case["grads"]):
        if want is None:
            assert got is None
        else:
            assert got is not None
            dense = tf.convert_to_tensor(got)  # a gather's gradient is IndexedSlices, as in TF
            np.testing.assert_allclose(dense.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)
