"""tf.image prints what TF 2.21 printed for the same snippets (tests/fixtures/image_snippets.py;
the outputs were recorded by tests/fixtures/make_image_outputs.py), and the random flips flip
with the right semantics (their coins are NumPy's, not TF's: README, deliberate differences)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import snippets  # noqa: E402
from image_snippets import SNIPPETS  # noqa: E402

EXPECTED = snippets.expected("image")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    assert snippets.run(SNIPPETS[name], tf) == EXPECTED[name]


def test_every_snippet_has_tf_output():
    assert set(EXPECTED) == set(SNIPPETS)
