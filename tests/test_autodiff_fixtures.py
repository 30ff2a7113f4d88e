"""jacobian, batch_jacobian, forward-mode JVPs, custom gradients and compute_gradient against
the values real TF 2.21 gave for the same code (tests/autodiff_cases.py; the fixture is made by
tests/fixtures/make_autodiff_fixtures.py under TF)."""

import json
from pathlib import Path

import numpy as np
import pytest
from autodiff_cases import CASES

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "autodiff_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


def _compare(got, want, where):
    if want is None:
        assert got is None, f"{where}: TF gave None, tapeflow {got!r}"
        return
    if isinstance(want, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, f"{where}[{i}]")
        return
    assert got is not None, f"{where}: tapeflow gave None"
    if isinstance(got, tf.IndexedSlices):
        got = tf.convert_to_tensor(got)
    arr = np.asarray(got.numpy() if hasattr(got, "numpy") else got)
    assert arr.dtype.name == want["dtype"], f"{where}: dtype {arr.dtype} vs TF {want['dtype']}"
    assert list(arr.shape) == want["shape"], f"{where}: shape {arr.shape} vs TF {want['shape']}"
    if "real" in want:
        expected = np.asarray(want["real"]) + 1j * np.asarray(want["imag"])
    else:
        expected = np.asarray(want["value"], dtype=float)
    rtol = 1e-5 if arr.dtype.name in ("float32", "complex64") else 1e-10
    np.testing.assert_allclose(arr, expected, rtol=rtol, atol=rtol, err_msg=where)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name):
    got = CASES[name](tf)
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        _compare(got[key], want[key], f"{name}.{key}")
