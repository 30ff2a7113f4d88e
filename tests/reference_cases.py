"""The ~135 snippets of tests/fixtures/tf_autodiff_semantics.md with TF 2.21's verbatim output.

Each case is run under tapeflow and its output compared with what TF printed. `LOG` lines
(TF's logger) are compared separately, since Python's logging prints them elsewhere.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE = Path(__file__).parent / "fixtures" / "tf_autodiff_semantics.md"

# Type names differ on purpose: tapeflow's concrete classes are Tensor and Variable.
TYPE_NAMES = {
    "EagerTensor": "Tensor",
    "ResourceVariable": "Variable",
}


@dataclass
class Case:
    id: str
    title: str
    code: str
    expected: str  # stdout and RAISES line, TF's text
    logs: list[str]


def load() -> list[Case]:
    text = SOURCE.read_text()
    found = re.findall(
        r"^##### (\S+) (.*?)\n```python\n(.*?)```\nResult:\n```\n(.*?)```", text, re.M | re.S
    )
    cases = []
    for cid, title, code, result in found:
        lines = result.splitlines()
        logs = [ln for ln in lines if ln.startswith("LOG ")]
        out = "\n".join(ln for ln in lines if not ln.startswith("LOG ")).rstrip()
        for tf_name, ours in TYPE_NAMES.items():  # as a type name, not inside TF's messages
            out = re.sub(rf"\b{tf_name}\b(?! of dtype)", ours, out)
        cases.append(Case(cid, title, code, out, logs))
    return cases


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"LOG {record.levelname}: {record.getMessage()}")


def run(case: Case) -> tuple[str, list[str]]:
    """Runs a case under tapeflow: its stdout plus a `RAISES Type: message` line, and its logs."""
    import tapeflow as tf

    buffer = io.StringIO()
    handler = _Capture()
    logger = logging.getLogger("tapeflow")
    logger.addHandler(handler)
    namespace = {"tf": tf, "np": np, "__name__": f"case_{case.id}"}
    try:
        with contextlib.redirect_stdout(buffer):
            try:
                exec(compile(case.code, f"<snippet {case.id}>", "exec"), namespace)
            except Exception as e:
                print(f"RAISES builtins.{type(e).__name__}: {e}")
    finally:
        logger.removeHandler(handler)
    return buffer.getvalue().rstrip(), handler.records
