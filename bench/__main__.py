"""`python -m bench [--quick] [--only W1,W3] [--json PATH] [--profile W1]`

Prints the Markdown table to stdout (progress goes to stderr) and writes the JSON results.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import time
from pathlib import Path
from typing import Any

from bench import frameworks, memory, timing, workloads
from bench.report import Row, echo, machine, markdown, write_json

DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"
RETRY_SECONDS = 90.0  # at most this long, per run, re-timing rows that others disturbed


def _selected(key: str, only: set[str] | None) -> bool:
    return only is None or key.split("-", maxsplit=1)[0] in only or key in only


def time_case(case: workloads.Case, budget: timing.Budget) -> Row:
    """Checks tapeflow's results against the floor's, then times the two, interleaved."""
    row = Row(case.key, case.title, case.unit, case.target, values={}, note=case.note)
    add_columns(row, case, ["numpy", "tapeflow"], budget)
    return row


def add_columns(row: Row, case: workloads.Case, names: list[str], budget: timing.Budget) -> None:
    """Verifies and times `names` (interleaved with each other) into `row`."""
    impls: dict[str, workloads.Fn | str] = {"numpy": case.floor, **case.impls}
    fns: dict[str, workloads.Fn] = {}
    for name in names:
        impl = impls[name]
        if isinstance(impl, str):
            row.values[name] = impl  # why it is n/a
        else:
            fns[name] = impl
    for name, problem in workloads.verify(case, list(fns)).items():
        if problem is not None:
            row.problems[name] = problem
    with timing.OtherLoad() as load:
        timings = timing.measure(fns, budget)
    if load.cpus is not None:
        row.other_load[names[-1]] = round(load.cpus, 2)
    row.values.update({n: t.median * case.per_call for n, t in timings.items()})
    row.spread.update({n: round(t.spread, 3) for n, t in timings.items()})


def memory_row(sides: list[str], sizes: memory.MemSizes, repeats: int) -> Row:
    results = memory.measure(["numpy", *sides], sizes, repeats)
    title = f"peak memory, fwd+bwd, {sizes.layers}-layer MLP, width {sizes.width}, "
    title += f"batch {sizes.batch}"
    note = ""
    if not all(r["peak_reset"] for r in results.values()):
        note = "the kernel refused to reset the peak RSS: increases include setup"
    return Row(
        "W7",
        title,
        "MiB",
        1.05,
        values={n: r["increase_mib"] for n, r in results.items()},
        note=note,
    )


def profile(case: workloads.Case, name: str, seconds: float = 3.0, top: int = 15) -> str:
    """Where `name`'s time goes in a row: cProfile's top functions, per unit of the row."""
    fn = case.impls[name]
    if isinstance(fn, str):
        return f"{case.key}: {name} is {fn}"
    fn()
    start, calls = time.perf_counter(), 0
    prof = cProfile.Profile()
    while time.perf_counter() - start < seconds:
        prof.runcall(fn)
        calls += 1
    stats: Any = pstats.Stats(prof).stats  # type: ignore[attr-defined]  # {(file, line, func): (cc, ncalls, tt, ct, callers)}
    total = sum(v[2] for v in stats.values())
    scale = case.per_call / calls  # total seconds -> the row's unit (µs per op for W1)
    per_op = case.unit.endswith("/op")
    per = case.per_call / 1e6 if per_op else 1.0  # 1 / ops per call, for the call counts
    entries = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    lines = [
        f"{case.key} ({case.title}), {name}: {calls} calls under cProfile, "
        f"{total * scale:.1f} {case.unit} with profiling overhead (shares are what matter)",
        "",
        f"| function | calls per {'op' if per_op else 'call'} | own time | own {case.unit} | "
        f"cumulative {case.unit} |",
        "|---|---|---|---|---|",
    ]
    for (file, line, func), (_, ncalls, tt, ct, _) in entries:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}({func})" if line else func
        where = re.sub(r" at 0x[0-9a-f]+", "", where)  # addresses differ from run to run
        lines.append(
            f"| `{where}` | {ncalls * per / calls:.2f} | {tt / total:.0%} | {tt * scale:.2f} "
            f"| {ct * scale:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the JSON goes")
    parser.add_argument("--profile", metavar="ROW", help="cProfile tapeflow on one row instead")
    args = parser.parse_args(argv)
    only = {k.strip().upper() for k in args.only.split(",")} if args.only else None
    sizes = workloads.QUICK if args.quick else workloads.FULL
    budget = timing.QUICK if args.quick else timing.FULL
    apis = {"tapeflow": frameworks.load("tapeflow"), **frameworks.optional()}
    cases = workloads.cases(sizes, apis)

    if args.profile:
        key = args.profile.upper()
        print(profile(next(c for c in cases if c.key.upper() == key), "tapeflow"))
        return 0

    started = time.perf_counter()
    selected = [c for c in cases if _selected(c.key, only)]
    rows = []
    retry_until = started + RETRY_SECONDS  # extended by the time spent on first measurements
    for case in selected:
        t0 = time.perf_counter()
        row = time_case(case, budget)
        retry_until += time.perf_counter() - t0
        for _ in range(2):  # a busy neighbour: try again, keep the least disturbed timing
            if args.quick or not row.contended or time.perf_counter() > retry_until:
                break
            echo(f"{case.key}: others took {row.other_load['tapeflow']:.1f} CPUs; again")
            again = time_case(case, budget)
            if again.other_load["tapeflow"] < row.other_load["tapeflow"]:
                row = again
        rows.append(row)
        echo(f"{case.key}: {time.perf_counter() - t0:.1f} s")
    # Optional frameworks come after, one at a time, never interleaved with the floor: their
    # thread pools spin after each call and would slow the NumPy floor (seen with JAX, PyTorch).
    for name in apis:
        if name == "tapeflow":
            continue
        t0 = time.perf_counter()
        for case, row in zip(selected, rows, strict=True):
            add_columns(row, case, [name], budget)
        echo(f"{frameworks.LABELS[name]}: {time.perf_counter() - t0:.1f} s")
    if _selected("W7", only):
        t0 = time.perf_counter()
        mem = memory.QUICK if args.quick else memory.FULL
        rows.append(memory_row(list(apis), mem, repeats=1 if args.quick else 3))
        echo(f"W7: {time.perf_counter() - t0:.1f} s")
    info = machine({n: frameworks.version(n) for n in apis if n != "tapeflow"})
    print(markdown(rows, info, quick=args.quick))
    write_json(args.json, rows, info, args.quick)
    echo(f"total {time.perf_counter() - started:.0f} s; JSON in {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
