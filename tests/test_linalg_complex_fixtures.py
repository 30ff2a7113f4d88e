"""Gradients through the decompositions and solves for complex inputs against the values real
TF 2.21 gave for the same code (tests/linalg_complex_cases.py; the fixture is made by
tests/fixtures/make_linalg_complex_fixtures.py under TF)."""

import json
from pathlib import Path

import pytest
from linalg_complex_cases import CASES
from test_autodiff_fixtures import _compare

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "linalg_complex_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name):
    got = CASES[name](tf)
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        _compare(got[key], want[key], f"{name}.{key}")
