"""Small programs on tensors, dtypes and Variables print what TF 2.21 printed.

Outputs were recorded by tests/fixtures/make_core_outputs.py; the snippets are in
tests/fixtures/core_snippets.py.
"""

import sys
from pathlib import Path

import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import snippets  # noqa: E402
from core_snippets import SNIPPETS  # noqa: E402

EXPECTED = snippets.expected("core")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    assert snippets.run(SNIPPETS[name], tf) == EXPECTED[name]
