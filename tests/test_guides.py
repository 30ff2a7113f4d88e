"""Acceptance: TF guides run unchanged on tapeflow and print what TF 2.21 printed.

Each guide is a script in examples/guides/; its TF output was recorded by running the same
script with `import tensorflow as tf` (the fixture's first line says so).
"""

import contextlib
import io
import runpy
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("guide", ["advanced_autodiff"])
def test_guide_prints_what_tensorflow_prints(guide):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_module(f"examples.guides.{guide}", run_name="__main__")
    expected = (FIXTURES / f"guide_{guide}_tf.txt").read_text()
    assert out.getvalue() == expected
