"""symmaml.sweep.runner: the same bits serially, on a real LocalCluster with 2 worker
processes and under any chunking; an interrupted sweep resumes to the same store; without
dask it runs in-process; an unreachable scheduler is a clear error within its timeout."""
import time

import numpy as np
import pytest

from symmaml.montecarlo import simulate
from symmaml.sweep import StoreError, SweepInterrupted, run_sweep
from symmaml.sweep import runner as runner_mod
from symmaml.sweep import store as store_mod
from symmaml.sweep.units import compute_theory, point_seed

from .conftest import needs_dask, needs_pyarrow, points_table, small_spec, store_arrays

pytestmark = needs_pyarrow


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The small spec run serially in this process: the reference store."""
    out = tmp_path_factory.mktemp("serial") / "store"
    run = run_sweep(small_spec(), out, workers=0, progress=False, figure=False)
    return out, run


def _same_store(a, b):
    for kind in ("theory", "mc"):
        x, y = store_arrays(a, kind), store_arrays(b, kind)
        assert set(x) == set(y)
        for k in x:
            assert np.array_equal(np.asarray(x[k]), np.asarray(y[k])), (kind, k)
    assert points_table(a) == points_table(b)


def test_serial_store_equals_the_direct_computation(serial):
    """Per point: the theory on the whole grid in one call, and one simulate() call with
    the point's seed -- bit for bit, through alpha-chunks of 10 and run-chunks of 4."""
    out, run = serial
    s = small_spec()
    th, mc = store_arrays(out, "theory"), store_arrays(out, "mc")
    for r in run.points:
        k = r["point"]
        pt = s.points[k]
        if not pt.possible:
            assert r["status"] == "impossible" and "p = n_v m" in r["reason"]
            continue
        ref = compute_theory(pt.params, pt.theorem, 1, s.alpha_t)["loss"]
        assert np.array_equal(th["loss"][th["point"] == k], ref)
        assert r["alpha_t_star"] == s.alpha_t[np.argmin(ref)] and r["sign"] == -1
        rates = [r["alpha_t_star"], 0.0, 0.25]
        kw = {n: pt.params[n] for n in ("n_t", "n_v", "n_r", "m", "p", "sigma", "nu", "alpha_r")}
        sim = simulate(**kw, alpha_t=rates, runs=12, seed=point_seed(s.seed, k),
                       estimator="rao_blackwell").values
        sel = mc["point"] == k
        assert np.array_equal(mc["loss"][sel].reshape(3, 12), sim)
        assert [m["mean"] for m in r["mc"]] == np.ascontiguousarray(sim).mean(axis=1).tolist()
    assert len(run.impossible) == 2 and run.total_units == 4 * (5 + 3)


@pytest.mark.parametrize("achunk, rchunk", [(1, 12), (41, 2), (7, 5)])
def test_any_chunking_gives_the_same_values(serial, tmp_path, achunk, rchunk):
    out, _ = serial
    run_sweep(small_spec(achunk=achunk, rchunk=rchunk), tmp_path / "s", workers=0,
              progress=False, figure=False)
    for kind, col in (("theory", "loss"), ("mc", "loss")):
        assert np.array_equal(store_arrays(out, kind)[col], store_arrays(tmp_path / "s", kind)[col])
    assert points_table(out) == points_table(tmp_path / "s")


@needs_dask
def test_local_cluster_with_two_workers_equals_serial_bit_for_bit(serial, tmp_path):
    out, _ = serial
    logs = []
    run = run_sweep(small_spec(), tmp_path / "c", workers=2, progress=False, figure=False,
                    log=logs.append)
    assert run.where == "a local Dask cluster (2 worker processes)"
    assert run.computed == run.total_units == 32
    _same_store(out, tmp_path / "c")


@needs_dask
def test_interrupted_sweep_keeps_its_units_and_resumes_to_the_same_store(serial, tmp_path,
                                                                         monkeypatch):
    out, _ = serial
    real = store_mod.Store.write_mc
    calls = []

    def ctrl_c_on_the_fourth(self, *a, **kw):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(self, *a, **kw)
    monkeypatch.setattr(store_mod.Store, "write_mc", ctrl_c_on_the_fourth)
    target = tmp_path / "r"
    with pytest.raises(SweepInterrupted) as e:
        run_sweep(small_spec(), target, workers=0, progress=False, figure=False)
    monkeypatch.undo()
    assert (e.value.done, e.value.total) == (20 + 3, 32)        # every theory unit, 3 MC
    assert not (target / "points.parquet").exists()
    assert not [f for f in target.rglob(".*") if f.name != ".lock"]   # no temporary file
    with pytest.raises(StoreError, match="pass --resume"):
        run_sweep(small_spec(), target, workers=0, progress=False)
    run = run_sweep(small_spec(), target, workers=2, resume=True, progress=False, figure=False)
    assert (run.stored_before, run.computed) == (23, 9)          # only the missing units
    _same_store(out, target)
    again = run_sweep(small_spec(), target, workers=0, resume=True, progress=False, figure=False)
    assert again.computed == 0


def test_without_dask_it_runs_in_process_and_says_how_to_install(serial, tmp_path, monkeypatch):
    out, _ = serial
    monkeypatch.setattr(runner_mod, "dask_available", lambda: False)
    logs = []
    run = run_sweep(small_spec(), tmp_path / "n", progress=False, figure=False, log=logs.append)
    assert run.where == "this process (serial)"
    assert logs == [runner_mod.INSTALL_HINT] and 'pip install "symmaml[sweep]"' in logs[0]
    _same_store(out, tmp_path / "n")
    with pytest.raises(ValueError, match="--scheduler needs dask.distributed"):
        run_sweep(small_spec(), tmp_path / "n2", scheduler="tcp://127.0.0.1:1", progress=False)


@needs_dask
def test_unreachable_scheduler_is_a_clear_error_within_the_timeout(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"--scheduler 'tcp://127.0.0.1:9': cannot reach the "
                                         r"scheduler within 2 s"):
        run_sweep(small_spec(), tmp_path / "u", scheduler="tcp://127.0.0.1:9",
                  connect_timeout=2, progress=False)
    assert time.perf_counter() - t0 < 20
    assert not (tmp_path / "u" / "manifest.json").exists()      # nothing half-made is left
    run_sweep(small_spec(), tmp_path / "u", workers=0, progress=False, figure=False)


def test_a_second_sweep_on_the_same_folder_is_refused(tmp_path):
    spec = small_spec()
    held = store_mod.Store(tmp_path / "l").open(spec, resume=False, n_units={})
    try:
        with pytest.raises(StoreError, match=r"another sweep \(pid \d+\) is writing"):
            run_sweep(spec, tmp_path / "l", workers=0, resume=True, progress=False)
    finally:
        held.close()
    other = small_spec(runs=14)
    with pytest.raises(StoreError, match="holds a sweep of a different spec"):
        run_sweep(other, tmp_path / "l", workers=0, progress=False)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="is not empty and holds no sweep"):
        run_sweep(spec, tmp_path / "f", workers=0, progress=False)
