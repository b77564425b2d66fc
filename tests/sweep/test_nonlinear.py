"""symmaml.sweep.nonlinear: the Fig. 5 study over runs x alpha_t in units, serially and on a
real LocalCluster with 2 worker processes, equal bit for bit to one in-process sweep of all
runs (per-model stopping); its power analysis; the CLI's distributed mode."""
import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="needs PyTorch: pip install torch==2.13.0 (the CPU wheel; CI installs it)")

from symmaml.cli import main  # noqa: E402
from symmaml.nonlinear.sweep import run_sweep  # noqa: E402
from symmaml.sweep.nonlinear import run_nonlinear_study  # noqa: E402

from .conftest import needs_dask  # noqa: E402

GRID = [-0.0075, 0.0, 0.0075]
OPTS = dict(hidden=(16,), max_epochs=40, test_tasks=6)


@pytest.fixture(scope="module")
def whole():
    """All 5 runs in one in-process sweep with per-model stopping: the reference."""
    return run_sweep(alpha_t_values=GRID, runs=5, seed=3, stop="model", threads=1, **OPTS)


def _same(study, ref):
    assert np.array_equal(np.array(study.sweep.per_run), np.array(ref.per_run))
    assert study.sweep.mean == ref.mean and study.sweep.argmin == ref.argmin
    assert study.sweep.untrained == ref.untrained


def test_units_in_process_equal_one_sweep_and_give_the_power_analysis(whole):
    study = run_nonlinear_study(runs=5, alpha_t=GRID, seed=3, run_chunk=1, alpha_chunk=2,
                                workers=0, progress=False, **OPTS)
    _same(study, whole)
    assert study.units == 5 and study.where == "this process (serial)"
    p = study.power
    d = np.array(whole.per_run)[:, 0] - np.array(whole.per_run)[:, 1]
    assert p["runs"] == 5 and np.isclose(p["mean_diff"], d.mean())
    assert "power: L(-0.0075) - L(0)" in study.summary_text()


def test_a_unit_of_one_model_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        run_nonlinear_study(runs=5, alpha_t=GRID, run_chunk=1, alpha_chunk=1, workers=0)


@needs_dask
def test_local_cluster_with_two_workers_equals_one_sweep(whole, tmp_path):
    study = run_nonlinear_study(runs=5, alpha_t=GRID, seed=3, run_chunk=2, alpha_chunk=1,
                                workers=2, progress=False, out_dir=tmp_path, **OPTS)
    _same(study, whole)
    assert study.where == "a local Dask cluster (2 worker processes)"
    saved = json.loads((tmp_path / "nonlinear.json").read_text())
    assert saved["sweep"]["per_run"] == whole.per_run and saved["power"]["runs"] == 5
    assert (tmp_path / "figure5_nonlinear.png").exists()


def test_cli_distributed_mode(capsys):
    assert main(["nonlinear", "--workers", "0", "--runs", "2", "--hidden", "8", "--max-epochs",
                 "3", "--alpha-t", "-0.0075", "0", "0.0075", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["where"] == "this process (serial)" and len(out["sweep"]["per_run"]) == 2
    assert out["power"]["target"] == -0.0075
    assert main(["nonlinear", "--alpha-t", "0", "1", "2"]) == 2
    assert "belong to the distributed study" in capsys.readouterr().err
    assert main(["nonlinear", "--workers", "0", "--ntk"]) == 2


def test_time_budget_reports_the_complete_runs(whole):
    study = run_nonlinear_study(runs=5, alpha_t=GRID, seed=3, run_chunk=2, workers=0,
                                progress=False, time_budget=1e-9, **OPTS)
    assert study.stopped.startswith("time budget") and study.sweep.config["runs"] == 2
    assert np.array_equal(np.array(study.sweep.per_run), np.array(whole.per_run)[:2])
    assert "time budget of 1e-09 s reached: the complete runs only" in study.summary_text()
