"""The README's jacobian / forward mode / explain example prints what its comments say."""

import contextlib
import gc
import io
import re
from pathlib import Path

import tapeflow as tf

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_autodiff_example_output():
    section = README.split('## Jacobians, forward mode, and "why is my gradient None?"')[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    expected = "\n".join(line[2:] for line in code.splitlines() if line.startswith("# "))
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(code, {})
    finally:
        tf.config.set_gradient_explanations(False)
        gc.collect()
    assert buffer.getvalue().strip() == expected.strip()
