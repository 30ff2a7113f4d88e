"""The results table (Markdown for people, JSON for tooling) and the machine it was measured on."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.frameworks import LABELS

CONTENDED = 0.2  # CPUs taken by others above which a row's times are flagged


@dataclasses.dataclass
class Row:
    key: str
    title: str
    unit: str
    target: float | None  # the largest tapeflow / floor ratio that meets it
    values: dict[str, float | str]  # column ("numpy", "tapeflow", ...) -> median, or why n/a
    spread: dict[str, float] = dataclasses.field(default_factory=dict)  # IQR / median
    problems: dict[str, str] = dataclasses.field(default_factory=dict)  # results that differ
    note: str = ""
    # CPUs that other processes took while a column was timed ("tapeflow": with the floor)
    other_load: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def contended(self) -> bool:
        return self.other_load.get("tapeflow", 0.0) > CONTENDED

    def ratio(self, name: str = "tapeflow") -> float | None:
        value, floor = self.values.get(name), self.values.get("numpy")
        if isinstance(value, float) and isinstance(floor, float) and floor > 0:
            return value / floor
        return None

    @property
    def met(self) -> bool | None:
        r = self.ratio()
        if r is None or self.target is None:
            return None
        return r <= self.target and "tapeflow" not in self.problems

    def as_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["ratio"] = self.ratio()
        out["met"] = self.met
        out["contended"] = self.contended
        out["ratios"] = {n: self.ratio(n) for n in self.values if n != "numpy"}
        return out


# ---------------------------------------------------------------------------------------------
# The machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _blas() -> dict[str, Any]:
    """What BLAS NumPy runs on: threadpoolctl's live view if installed, else NumPy's build."""
    info: dict[str, Any] = {}
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        info["build"] = {
            k: blas[k] for k in ("name", "version", "openblas configuration") if k in blas
        }
    except Exception:  # an older NumPy has no dict mode
        info["build"] = "unknown"
    try:
        import threadpoolctl

        info["runtime"] = [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for p in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        runtime = _openblas_runtime()
        if runtime:
            info["runtime"] = [runtime]
    return info


def _openblas_runtime() -> dict[str, Any] | None:
    """Without threadpoolctl: ask NumPy's bundled OpenBLAS which kernel it picked at run time
    (DYNAMIC_ARCH builds choose per CPU, and OPENBLAS_CORETYPE overrides it) and its threads."""
    import ctypes

    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for lib in sorted(libs.glob("libscipy_openblas*.so*")):
        try:
            dll = ctypes.CDLL(str(lib))
            prefix = "scipy_openblas_" if hasattr(dll, "scipy_openblas_get_corename64_") else ""
            corename = getattr(dll, f"{prefix}get_corename64_", None)
            threads = getattr(dll, f"{prefix}get_num_threads64_", None)
            if corename is None or threads is None:
                continue
            corename.restype = ctypes.c_char_p
            return {
                "internal_api": "openblas",
                "architecture": corename().decode(),
                "num_threads": int(threads()),
            }
        except OSError:
            continue
    return None


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "tapeflow"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() + (" (tapeflow/ modified)" if dirty.stdout.strip() else "")


def machine(frameworks: dict[str, str]) -> dict[str, Any]:
    """The details that decide what the numbers mean. `frameworks`: name -> version."""
    import tapeflow

    env = (
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    )
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "env": {k: os.environ[k] for k in env if k in os.environ},
        "tapeflow": f"{tapeflow.__version__} from {Path(tapeflow.__file__).parent}",
        "commit": _git_commit(),
        "frameworks": frameworks,
    }


# ---------------------------------------------------------------------------------------------
# Rendering


def _num(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _cell(row: Row, name: str, with_ratio: bool = False) -> str:
    value = row.values.get(name)
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    text = f"{_num(value)} {row.unit}"
    r = row.ratio(name)
    if with_ratio and r is not None:
        text += f" ({_num(r)}x)"
    if with_ratio and row.other_load.get(name, 0.0) > CONTENDED:
        text += " †"
    if name in row.problems:
        text += " **(result differs!)**"
    return text


def markdown(rows: list[Row], info: dict[str, Any], quick: bool = False) -> str:
    others = [n for n in LABELS if n != "tapeflow" and any(n in r.values for r in rows)]
    head = ["Workload", "tapeflow", "NumPy floor", "ratio", "target", "met?"]
    head += [f"{LABELS[n]} (ratio)" for n in others]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        r = row.ratio()
        met = {None: "—", True: "yes", False: "**no**"}[row.met]
        mark = " †" if row.contended else ""
        if row.contended and row.met is not None:
            met += mark
        cells = [
            f"{row.key}: {row.title}",
            _cell(row, "tapeflow"),
            _cell(row, "numpy"),
            "—" if r is None else f"{_num(r)}x{mark}",
            "—" if row.target is None else f"<= {row.target:g}x",
            met,
        ]
        cells += [_cell(row, n, with_ratio=True) for n in others]
        lines.append("| " + " | ".join(cells) + " |")
    out = []
    if quick:
        out.append("**--quick: tiny sizes, a smoke run; these numbers mean nothing.**\n")
    out += lines
    out.append("")
    out.append(
        "Every time is the median over repeated, interleaved runs after warm-up; "
        "µs/op = time per op of the chain. ratio = tapeflow / NumPy floor. "
        "W7 is the peak RSS increase of one forward+backward, in a fresh process per side."
    )
    notes = [f"{r.key}: {r.note}" for r in rows if r.note]
    notes += [
        f"{r.key} †: other processes took {r.other_load['tapeflow']:.1f} CPUs on average "
        "while it was timed; its times (more than its ratio) are unreliable"
        for r in rows
        if r.contended
    ]
    notes += [
        f"{r.key} {LABELS[n]} †: other processes took {load:.1f} CPUs while it was timed"
        for r in rows
        for n, load in r.other_load.items()
        if n in others and load > CONTENDED
    ]
    notes += [f"{r.key} {n}: {p}" for r in rows for n, p in r.problems.items()]
    out += [f"- {n}" for n in notes]
    out.append("")
    out.append("Machine:")
    blas = info["blas"].get("build")
    if isinstance(blas, dict):
        blas_text = f"{blas.get('name')} {blas.get('version')}"
        if blas.get("openblas configuration"):
            blas_text += f" ({' '.join(blas['openblas configuration'].split())})"
    else:
        blas_text = str(blas)
    items = [
        ("date", info["date"]),
        (
            "CPU",
            f"{info['cpu']}, {info['cpu_count']} logical CPUs "
            f"({info['cpus_usable']} usable), {info['memory_gib']} GiB RAM",
        ),
        ("OS", info["os"]),
        ("Python", info["python"]),
        ("NumPy", info["numpy"]),
        ("BLAS", blas_text),
    ]
    for rt in info["blas"].get("runtime", []):
        items.append(("BLAS at run time", ", ".join(f"{k}={v}" for k, v in rt.items())))
    if info["env"]:
        items.append(("env", ", ".join(f"{k}={v}" for k, v in info["env"].items())))
    items.append(("tapeflow", f"{info['tapeflow']}, commit {info['commit']}"))
    for name, version in info["frameworks"].items():
        items.append((LABELS.get(name, name), version))
    out += [f"- {k}: {v}" for k, v in items]
    return "\n".join(out) + "\n"


def write_json(path: Path, rows: list[Row], info: dict[str, Any], quick: bool) -> None:
    data = {
        "quick": quick,
        "machine": info,
        "units": "each row's `unit`; values are medians; ratio = tapeflow / numpy",
        "rows": [r.as_json() for r in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def load_json(path: Path) -> tuple[list[Row], dict[str, Any], bool]:
    """The rows, machine and quick flag of a results.json (to re-render or compare runs)."""
    data = json.loads(path.read_text())
    fields = {f.name for f in dataclasses.fields(Row)}
    rows = [Row(**{k: v for k, v in r.items() if k in fields}) for r in data["rows"]]
    return rows, data["machine"], bool(data["quick"])


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.report results.json`: the Markdown of an earlier run."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m bench.report RESULTS.json")
    rows, info, quick = load_json(Path(args[0]))
    print(markdown(rows, info, quick))


def echo(text: str) -> None:
    """Progress, to stderr so that stdout is the table alone."""
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
