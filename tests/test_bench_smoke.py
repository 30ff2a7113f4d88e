"""Smoke test of the benchmark suite (bench/): every workload, at tiny sizes, computes on
tapeflow the numbers its hand-written NumPy floor computes. Timings are never asserted."""

import json

import numpy as np
import pytest

import tapeflow as tf
from bench import __main__ as cli
from bench import memory, report, workloads

KEYS = [c.key for c in workloads.cases(workloads.QUICK, {"tapeflow": workloads.TfApi(tf)})]


def _case(key, sizes=workloads.QUICK):
    # built afresh per test: W3's step updates its weights
    cases = workloads.cases(sizes, {"tapeflow": workloads.TfApi(tf)})
    return next(c for c in cases if c.key == key)


@pytest.mark.parametrize("key", KEYS)
def test_tapeflow_computes_what_the_floor_computes(key):
    case = _case(key)
    impl = case.impls["tapeflow"]
    assert callable(impl), impl  # every workload runs on tapeflow
    assert workloads.verify(case) == {"tapeflow": None}


def test_w1_gradient_of_the_full_chain_matches_the_floor():
    case = _case("W1", workloads.FULL)
    (y, g), (fy, fg) = case.impls["tapeflow"](), case.floor()
    assert g.numpy() == pytest.approx(fg, rel=1e-4)
    assert y.numpy() == pytest.approx(fy, rel=1e-4)
    assert fg != 0  # a chain whose gradient underflowed would compare nothing


def test_floors_agree_with_finite_differences():
    # The floors are the reference: check the hand-written derivatives independently.
    x = workloads.uniform(5, 0).astype(np.float64)
    v = workloads.uniform(5, 1).astype(np.float64)
    eps = 1e-6

    def grad(f, z):
        return np.array([(f(z + eps * e) - f(z - eps * e)) / (2 * eps) for e in np.eye(len(z))])

    _, g = workloads.Floor.tanh_sigmoid(x)()
    np.testing.assert_allclose(g, grad(lambda z: np.sum(np.tanh(z) / (1 + np.exp(-z))), x), 1e-6)
    hv = workloads.Floor.hvp(x, v)()

    def gv(z):
        return np.dot(4 * z**3 + np.cos(z), v)

    np.testing.assert_allclose(hv, grad(gv, x), rtol=1e-5)
    w = workloads.uniform((5, 5), 2).astype(np.float64)
    jac = workloads.Floor.jacobian(w, x)()
    fd = np.array(
        [(np.tanh(w @ (x + eps * e)) - np.tanh(w @ (x - eps * e))) / (2 * eps) for e in np.eye(5)]
    ).T
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-9)


def test_mismatch_notices_a_wrong_result():
    assert workloads.mismatch((1.0, np.ones(3)), (1.0, np.ones(3)), 1e-4) is None
    assert workloads.mismatch((1.0, np.ones(3)), (1.0, np.full(3, 1.01)), 1e-4) is not None
    assert workloads.mismatch((1.0,), (1.0, 2.0), 1e-4) is not None


def test_memory_child_measures_each_side_in_a_fresh_process():
    for side in ("numpy", "tapeflow"):
        r = memory.run_side(side, memory.QUICK)
        assert r["side"] == side
        assert r["increase_mib"] >= 0
        assert r["peak_mib"] >= r["baseline_mib"] > 0


def test_cli_quick_run_prints_the_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert cli.main(["--quick", "--only", "W1,W6,W7", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| Workload | tapeflow | NumPy floor | ratio | target | met? |" in table
    assert "NumPy: " in table and "BLAS: " in table
    data = json.loads(out.read_text())
    assert [r["key"] for r in data["rows"]] == ["W1", "W1-fwd", "W1-fn", "W6", "W7"]
    w1 = data["rows"][0]
    assert w1["ratio"] > 0 and w1["problems"] == {}
    assert data["machine"]["cpu_count"] >= 1 and data["machine"]["numpy"] == np.__version__
    assert w1["other_load"]["tapeflow"] >= 0  # CPUs other processes took meanwhile
    # the JSON is enough to render the table again (python -m bench.report results.json)
    assert report.markdown(*report.load_json(out)) + "\n" == table


def test_profile_summarises_where_the_time_goes():
    text = cli.profile(_case("W1"), "tapeflow", seconds=0.05, top=12)  # rank order is noisy
    assert "| function |" in text and "bind" in text
