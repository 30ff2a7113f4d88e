"""map_fn, scan, folds, TensorArray, py_function/numpy_function and shape utilities print what
TF 2.21 printed for the same snippets (tests/fixtures/functional_snippets.py; the outputs were
recorded by tests/fixtures/make_functional_outputs.py)."""

import sys
from pathlib import Path

import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import snippets  # noqa: E402
from functional_snippets import SNIPPETS  # noqa: E402

EXPECTED = snippets.expected("functional")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    assert snippets.run(SNIPPETS[name], tf) == EXPECTED[name]


def test_every_snippet_has_tf_output():
    assert set(EXPECTED) == set(SNIPPETS)
