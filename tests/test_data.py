"""tf.data: snippets print what TF 2.21 printed, plus tapeflow-only checks of shuffle's
semantics (its orders are not TF's), laziness and the batching fast path.

Outputs were recorded by tests/fixtures/make_data_outputs.py; the snippets are in
tests/fixtures/data_snippets.py.
"""

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from data_snippets import SNIPPETS  # noqa: E402

EXPECTED = json.loads((FIXTURES / "data_outputs_tf.json").read_text())

# tapeflow's one tensor class is Tensor (README, deliberate differences)
TYPE_NAMES = {"EagerTensor": "Tensor", "ResourceVariable": "Variable"}
# TF prefixes a kernel's error with the function node it ran in; tapeflow runs no graph
FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\} ")


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
    expected = FUNCTION_NODE.sub("", EXPECTED[name])
    for theirs, ours in TYPE_NAMES.items():
        expected = expected.replace(theirs, ours)
    assert run(SNIPPETS[name]) == expected
