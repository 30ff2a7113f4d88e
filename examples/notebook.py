"""Runs the code cells of the seed documents, as a notebook would, under TF or tapeflow.

The seed documents (copied verbatim into examples/seeds/) are tapeflow's first acceptance test.
Each document's cells run in order in one namespace; the only change made to a cell is
`import tensorflow as tf` -> `import tapeflow as tf`. IPython magics (`%...`, `!...`) are
dropped, and a cell's last bare expression is displayed as IPython would.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).parent / "seeds"

# autodiff_tutorial_r2.txt is the tutorial's page text: prose and code are not delimited, so
# its code cells are named by their (first, last) line numbers.
_R2_CELLS = [(10, 10), (18, 28), (32, 41), (45, 51), (57, 73), (79, 90)]

SEEDS = {
    "autodiff_tutorial_r2": "autodiff_tutorial_r2.txt",
    "autodiff_tutorial_r2_alpha": "autodiff_tutorial_r2_alpha.md",
    "tf_basics_autodiff_notebook": "tf_basics_autodiff_notebook.txt",
}


@dataclass
class CellResult:
    source: str
    stdout: str
    error: str | None  # "TypeName: message", or None


def cells(seed: str) -> list[str]:
    """The code cells of one seed document, in order."""
    text = (SEED_DIR / SEEDS[seed]).read_text()
    lines = text.splitlines()
    if seed == "autodiff_tutorial_r2":
        return ["\n".join(lines[a - 1 : b]) for a, b in _R2_CELLS]
    if seed == "autodiff_tutorial_r2_alpha":
        return [m.strip("\n") for m in re.findall(r"^```\n(.*?)^```", text, re.M | re.S)]
    out, current = [], None
    for line in lines:  # the course notebook: "In [None]:" then code up to a "---" rule
        if line.startswith("In [None]:"):
            current = []
        elif current is not None and line.startswith("---"):
            out.append("\n".join(current).strip("\n"))
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        out.append("\n".join(current).strip("\n"))
    return out


def _prepare(source: str, module: str) -> str:
    kept = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    code = "\n".join(kept)
    if module != "tensorflow":
        code = code.replace("import tensorflow as tf", f"import {module} as tf")
    return code


def _allow_old_style_names() -> None:
    """Matplotlib >= 3.8 renamed the 'seaborn-*' styles the course notebook uses."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    library = plt.style.library
    for name in list(library):
        if name.startswith("seaborn-v0_8-"):
            library.setdefault(name.replace("seaborn-v0_8-", "seaborn-"), library[name])


def run_cell(code: str, namespace: dict[str, Any]) -> None:
    """exec a cell; display its last bare expression like IPython (unless it ends in ';')."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not code.rstrip().endswith(";"):
        tree.body.pop()
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        if value is not None:
            print(repr(value))
    else:
        exec(compile(tree, "<cell>", "exec"), namespace)


def run(seed: str, module: str = "tapeflow") -> list[CellResult]:
    """Runs every cell of `seed` with `module` imported as tf; returns what each printed."""
    _allow_old_style_names()
    namespace: dict[str, Any] = {"__name__": "__seed__"}
    results = []
    for source in cells(seed):
        buffer = io.StringIO()
        error = None
        with contextlib.redirect_stdout(buffer):
            try:
                run_cell(_prepare(source, module), namespace)
            except Exception as e:
                error = f"{type(e).__name__}: {e}"
        results.append(CellResult(source, buffer.getvalue(), error))
    return results
