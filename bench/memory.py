"""W7: peak memory of one forward+backward pass of a deep MLP, each side in a fresh process.

A fresh process per side, because a process's peak resident set only ever grows and freed
memory is not reliably returned to the OS: measuring two sides in one process would charge
one with the other's leftovers. The child (`python -m bench.memory SIDE --layers N --width N
--batch N`) imports its framework, builds the model and warms up on a tiny model, then records
its resident set and resets the peak counter (`/proc/self/clear_refs`), runs forward+backward
once, and prints one JSON line. The increase is peak minus that baseline: the memory the pass
itself needed (activations, tape, gradients, temporaries), not the weights, which both sides
hold alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class MemSizes:
    layers: int
    width: int
    batch: int


FULL = MemSizes(layers=20, width=2048, batch=256)
QUICK = MemSizes(layers=3, width=32, batch=4)
MIB = 1024 * 1024


def _status_bytes(field: str) -> int | None:
    """A `VmRSS`/`VmHWM` line of /proc/self/status, in bytes (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Sets the peak RSS (VmHWM) to the current RSS; False where the kernel won't."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _peak_bytes() -> int:
    hwm = _status_bytes("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def _builder(side: str) -> Any:
    """The side's `mlp(params, x, labels, update)` builder (importing the framework)."""
    if side == "numpy":
        from bench.workloads import Floor

        return Floor.mlp
    from bench import frameworks

    return frameworks.load(side).mlp


def child(side: str, sizes: MemSizes) -> dict[str, Any]:
    """Runs in the fresh process: one forward+backward, measured."""
    from bench.workloads import mlp_data

    build = _builder(side)
    # Warm up on a tiny model: the framework's lazy imports, BLAS thread buffers, caches.
    build(*mlp_data((64, 64, 64), 8), update=False)()
    params, x, labels = mlp_data((sizes.width,) * (sizes.layers + 1), sizes.batch)
    step = build(params, x, labels, update=False)
    del params, x, labels  # each side holds its own copy now
    gc.collect()
    baseline = _status_bytes("VmRSS") or _peak_bytes()
    reset = _reset_peak()
    result = step()
    peak = _peak_bytes()
    del result
    return {
        "side": side,
        "baseline_mib": baseline / MIB,
        "peak_mib": peak / MIB,
        "increase_mib": (peak - baseline) / MIB,
        "peak_reset": reset,  # False: the peak may include setup, the number is an upper bound
    }


def run_side(side: str, sizes: MemSizes) -> dict[str, Any]:
    """Runs `child` in a fresh interpreter; this file's repo comes first on its path."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    args = [str(sizes.layers), str(sizes.width), str(sizes.batch)]
    cmd = [sys.executable, "-m", "bench.memory", side, "--layers", args[0]]
    cmd += ["--width", args[1], "--batch", args[2]]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.memory {side} failed:\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def measure(sides: list[str], sizes: MemSizes, repeats: int) -> dict[str, dict[str, Any]]:
    """The median increase of each side over `repeats` fresh processes, taken in turns."""
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
    for _ in range(repeats):
        for side in sides:
            runs[side].append(run_side(side, sizes))
    out = {}
    for side, rs in runs.items():
        increases = [r["increase_mib"] for r in rs]
        out[side] = {
            "increase_mib": statistics.median(increases),
            "samples_mib": increases,
            "baseline_mib": statistics.median(r["baseline_mib"] for r in rs),
            "peak_reset": all(r["peak_reset"] for r in rs),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("side", help="numpy, tapeflow, or an optional framework's name")
    parser.add_argument("--layers", type=int, default=FULL.layers)
    parser.add_argument("--width", type=int, default=FULL.width)
    parser.add_argument("--batch", type=int, default=FULL.batch)
    a = parser.parse_args(argv)
    print(json.dumps(child(a.side, MemSizes(a.layers, a.width, a.batch))))


if __name__ == "__main__":
    main()
