"""Ragged, string and sparse tensors print what TF 2.21 printed.

Outputs were recorded by tests/fixtures/make_text_outputs.py; the snippets are in
tests/fixtures/text_snippets.py. Behaviour TF's printed output does not show is asserted below.
"""

import contextlib
import doctest
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import ragged_tensor, sparse_tensor
from tapeflow.ops import strings

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from text_snippets import SNIPPETS  # noqa: E402

EXPECTED = json.loads((FIXTURES / "text_outputs_tf.json").read_text())

# tapeflow's class paths in place of TF's (README, deliberate differences)
TYPE_NAMES = {
    "tensorflow.python.framework.sparse_tensor.SparseTensor": "tapeflow.sparse_tensor.SparseTensor"
}


def run(code: str) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            exec(code, {"tf": tf, "np": np})
        except Exception as e:
            print(f"RAISES {type(e).__name__}: {e}")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    expected = EXPECTED[name]
    for theirs, ours in TYPE_NAMES.items():
        expected = expected.replace(theirs, ours)
    assert run(SNIPPETS[name]) == expected


@pytest.mark.parametrize(
    "module", [ragged_tensor, sparse_tensor, strings], ids=lambda m: m.__name__
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
