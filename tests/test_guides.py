"""Acceptance: TF guides run unchanged on tapeflow and print what TF 2.21 printed.

Each guide is a script in examples/guides/; its TF output was recorded by running the same
script with `import tensorflow as tf`. TF's class names for tensors and variables and its
graph-node prefix of kernel errors are replaced by what tapeflow prints (README, deliberate
differences).
"""

import contextlib
import io
import runpy
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from snippets import as_tapeflow_prints  # noqa: E402

GUIDES = ["advanced_autodiff", "autodiff", "variable", "intro_to_graphs", "function"]


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_prints_what_tensorflow_prints(guide):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_module(f"examples.guides.{guide}", run_name="__main__")
    expected = as_tapeflow_prints((FIXTURES / f"guide_{guide}_tf.txt").read_text())
    assert out.getvalue() == expected
