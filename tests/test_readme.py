"""The README's example prints what its comments say."""

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_example_output():
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    expected = "\n".join(line[2:] for line in code.splitlines() if line.startswith("# "))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(code, {})
    assert buffer.getvalue().strip() == expected.strip()
