"""Warm-up, then the median of repeated samples, interleaving the implementations.

Interleaving (tapeflow, floor, tapeflow, floor, ...) rather than timing one side after the
other means that drift on a shared 2-core machine (frequency changes, a noisy neighbour) hits
both sides alike, so the ratio is steadier than either time.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Budget:
    """How long to spend on one row (all its implementations together)."""

    warmup: int = 2  # untimed calls first: imports, caches, allocator and BLAS buffers settle
    min_sample: float = 0.02  # a sample repeats the call until it lasts this long (seconds)
    seconds: float = 6.0  # the rounds are sized to fit this: enough to outvote noisy spells
    min_repeats: int = 7
    max_repeats: int = 100


FULL = Budget()
QUICK = Budget(warmup=1, min_sample=0.0, seconds=0.05, min_repeats=3, max_repeats=3)


@dataclasses.dataclass(frozen=True)
class Timing:
    median: float  # seconds per call
    samples: tuple[float, ...]  # seconds per call, one per round
    number: int  # calls per sample

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median: how much to trust the median."""
        if len(self.samples) < 4:
            return 0.0
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median


def _cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds the whole machine was busy or stolen, CPU seconds this process and its
    children used), from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system


class OtherLoad:
    """Measures how many CPUs others (other processes, the hypervisor) took during a block.

    On a shared 2-core machine a busy neighbour changes times several-fold, multi-threaded
    BLAS most of all (W3); the report flags rows measured under such load.
    """

    cpus: float | None = None

    def __enter__(self) -> OtherLoad:
        self._start, self._t0 = _cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        end, wall = _cpu_seconds(), time.perf_counter() - self._t0
        if self._start is not None and end is not None and wall > 0:
            others = (end[0] - self._start[0]) - (end[1] - self._start[1])
            self.cpus = max(others, 0.0) / wall


def _run(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def measure(fns: dict[str, Callable[[], object]], budget: Budget = FULL) -> dict[str, Timing]:
    """Times each callable; returns the median seconds per call of each.

    The garbage collector stays on (unlike timeit): collecting the objects an eager framework
    creates per op is part of what a user pays.
    """
    numbers: dict[str, int] = {}
    single: dict[str, float] = {}
    for name, fn in fns.items():
        for _ in range(budget.warmup):
            fn()
        single[name] = t = max(_run(fn, 1), 1e-9)
        numbers[name] = max(1, round(budget.min_sample / t))
    per_round = sum(numbers[n] * single[n] for n in fns)
    repeats = int(budget.seconds / per_round)
    repeats = min(max(repeats, budget.min_repeats), budget.max_repeats)
    samples: dict[str, list[float]] = {n: [] for n in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(_run(fn, numbers[name]) / numbers[name])
    return {n: Timing(statistics.median(s), tuple(s), numbers[n]) for n, s in samples.items()}
