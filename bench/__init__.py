"""tapeflow's benchmark suite: each workload timed for tapeflow and for a hand-written NumPy
floor of the same math, in the same run. Run it with `python -m bench` (or `make bench`).

Modules: `workloads` (the pairs of functions), `timing` (warm-up + interleaved medians),
`memory` (W7, peak RSS in fresh subprocesses), `others` (optional PyTorch / JAX columns) and
`report` (the Markdown and JSON output, with the machine's details).
"""
