"""map_fn, scan, folds, TensorArray, py_function/numpy_function and shape utilities print what
TF 2.21 printed for the same snippets (tests/fixtures/functional_snippets.py; the outputs were
recorded by tests/fixtures/make_functional_outputs.py)."""

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
from functional_snippets import SNIPPETS  # noqa: E402

EXPECTED = json.loads((FIXTURES / "functional_outputs_tf.json").read_text())


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
    # TF's runtime prefixes kernel errors with the function and device it ran on
    expected = re.sub(r"\{\{function_node [^}]*\}\} ", "", EXPECTED[name])
    assert run(SNIPPETS[name]) == expected


def test_every_snippet_has_tf_output():
    assert set(EXPECTED) == set(SNIPPETS)
