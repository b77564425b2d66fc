"""Reduced-size experiment: training works, the sweep's result structure, seeding,
JSON and the figure."""
import json
import subprocess
import sys

import numpy as np
import pytest

from symmaml.nonlinear.model import Problem

SMALL = Problem(p=8, n_t=10, n_v=2, n_r=8, n_s=10, m=3)


def test_import_does_not_need_torch():
    code = ("import sys, symmaml, symmaml.nonlinear, symmaml.nonlinear.model, "
            "symmaml.nonlinear.metasgd, symmaml.nonlinear.experiment, symmaml.nonlinear.ntk, "
            "symmaml.nonlinear.sweep, symmaml.nonlinear.stats, symmaml.experiments.nonlinear_figure; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def sweep():
    pytest.importorskip("torch")
    from symmaml.nonlinear.sweep import run_sweep
    return run_sweep([-0.05, 0.0, 0.05], runs=3, seed=3, hidden=(16,), prob=SMALL, test_tasks=20,
                     max_epochs=150, check_every=50, rtol=0, atol=0, alpha_r=0.05,
                     lr=1e-2, dtype="float64")


def test_maml_at_zero_trains_far_below_untrained(sweep):
    """Meta-training loss at alpha_t = 0 ends well below its value at initialisation."""
    import torch
    from symmaml.nonlinear.sweep import build_batch
    from symmaml.nonlinear.maml import batched_meta_loss
    from symmaml.nonlinear.model import make_mlp
    net = make_mlp(SMALL.p, (16,))
    params, alphas, tr, _, _ = build_batch([-0.05, 0.0, 0.05], 3, 3, net, SMALL, 20, torch.float64)
    before = batched_meta_loss(net)(params, alphas, *tr).view(3, 3)[:, 1]
    after = torch.tensor(sweep.train_meta_loss)[:, 1]
    assert torch.all(after < 0.2 * before), (before, after)


def test_sweep_structure(sweep):
    r = sweep
    assert r.alpha_t == [-0.05, 0.0, 0.05]
    assert np.shape(r.per_run) == (3, 3) and len(r.mean) == len(r.stderr) == 3
    assert np.all(np.isfinite(r.mean)) and np.all(np.array(r.stderr) > 0)
    np.testing.assert_allclose(r.mean, np.mean(r.per_run, 0))
    for key in ("grid_argmin", "quadratic_argmin", "bootstrap_median", "ci68", "ci95",
                "frac_boot_negative", "loss_diff_stderr"):
        assert key in r.argmin
    assert r.argmin["ci95"][0] <= r.argmin["bootstrap_median"] <= r.argmin["ci95"][1]
    assert -0.05 <= r.argmin["quadratic_argmin"] <= 0.05
    assert r.epochs == 150 and len(r.untrained) == 3


def test_same_seed_same_numbers_and_json(sweep, tmp_path):
    from symmaml.experiments.nonlinear_figure import draw_figure5
    from symmaml.nonlinear.sweep import run_sweep, to_json
    again = run_sweep([-0.05, 0.0, 0.05], runs=3, seed=3, hidden=(16,), prob=SMALL, test_tasks=20,
                      max_epochs=150, check_every=50, rtol=0, atol=0, alpha_r=0.05,
                      lr=1e-2, dtype="float64")
    assert again.per_run == sweep.per_run
    other = run_sweep([0.0], runs=2, seed=4, hidden=(16,), prob=SMALL, test_tasks=20, max_epochs=5,
                      alpha_r=0.05, lr=1e-2, dtype="float64")
    assert other.per_run[0][0] != sweep.per_run[0][1]
    d = json.loads(to_json(sweep))
    assert d["alpha_t"] == sweep.alpha_t and d["config"]["hidden"] == [16]
    paths = draw_figure5(sweep, tmp_path)
    assert {p.suffix for p in paths} == {".png", ".pdf"}
    assert all(p.stat().st_size > 1000 for p in paths)
    assert not list(tmp_path.glob(".*.tmp"))


def test_argmin_bootstrap_on_synthetic_curves():
    from symmaml.nonlinear.stats import argmin_with_uncertainty
    a = np.linspace(-1, 1, 9)
    rng = np.random.default_rng(0)
    per = (a + 0.3) ** 2 + 0.01 * rng.standard_normal((10, 9))
    am = argmin_with_uncertainty(a, per)
    assert am["quadratic_argmin"] == pytest.approx(-0.3, abs=0.03)
    assert am["ci95"][0] < -0.3 < am["ci95"][1] and am["frac_boot_negative"] == 1.0
    assert am["loss_at_argmin_minus_at_zero"] < 0


def test_progress_bar_and_interrupt_keep_partial_results():
    """progress=True draws a tqdm bar; Ctrl-C during training stops it, and the models
    trained so far are still tested and flagged as interrupted."""
    pytest.importorskip("torch")
    from symmaml.nonlinear.sweep import run_sweep, summary_text
    kw = dict(runs=2, seed=3, hidden=(8,), prob=SMALL, test_tasks=5, check_every=10, alpha_r=0.05,
              lr=1e-2, dtype="float64")
    r = run_sweep([0.0, 0.05], max_epochs=20, progress=True, **kw)
    assert r.epochs == 20 and not r.interrupted

    def stop(epoch, v):
        if epoch == 30:
            raise KeyboardInterrupt
    r = run_sweep([0.0, 0.05], max_epochs=1000, progress=stop, rtol=0, atol=0, **kw)
    assert r.interrupted and r.epochs == 30 and np.all(np.isfinite(r.mean))
    assert "INTERRUPTED" in summary_text(r)


def test_fresh_regime_draws_new_tasks_and_is_seeded():
    pytest.importorskip("torch")
    from symmaml.nonlinear.sweep import run_sweep
    kw = dict(runs=2, seed=5, hidden=(8,), prob=SMALL, test_tasks=5, max_epochs=40, alpha_r=0.05,
              lr=1e-2, dtype="float64")
    a = run_sweep([0.0, 0.05], regime="fresh", **kw)
    b = run_sweep([0.0, 0.05], regime="fresh", **kw)
    c = run_sweep([0.0, 0.05], regime="fixed", rtol=0, atol=0, **kw)
    assert a.per_run == b.per_run and a.per_run != c.per_run
    assert a.epochs == 40 and not a.converged and a.config["regime"] == "fresh"
    with pytest.raises(ValueError, match="regime"):
        run_sweep([0.0], regime="online", **kw)
    with pytest.raises(ValueError, match="runs"):
        run_sweep([0.0], **dict(kw, runs=0))


def test_paired_differences_in_argmin():
    from symmaml.nonlinear.stats import argmin_with_uncertainty
    a = np.array([-0.1, 0.0, 0.1])
    per = np.array([[1.0, 2.0, 3.5], [2.0, 3.0, 4.0], [0.5, 1.0, 2.5]])
    am = argmin_with_uncertainty(a, per)
    np.testing.assert_allclose(am["paired_diff"], [-2.5 / 3, 0.0, 4 / 3])
    np.testing.assert_allclose(am["paired_diff_stderr"][0], np.std([-1, -1, -0.5], ddof=1) / np.sqrt(3))
    assert am["reference_alpha_t"] == 0.0


def test_pool_sweeps_unions_runs_on_the_common_grid(sweep):
    from symmaml.nonlinear.stats import pool_sweeps
    other = json.loads(json.dumps(sweep.asdict()))
    other["config"]["seed"] = 99
    other["alpha_t"] = [-0.05, 0.0, 0.05, 0.1]
    other["per_run"] = [row + [9.0] for row in other["per_run"]]
    pooled = pool_sweeps([sweep, other])
    assert pooled["alpha_t"] == [-0.05, 0.0, 0.05] and pooled["runs"] == 6
    np.testing.assert_allclose(pooled["mean"], np.mean(sweep.per_run, 0))
    with pytest.raises(ValueError, match="share a seed"):
        pool_sweeps([sweep, sweep])
    other["config"]["hidden"] = [32]
    with pytest.raises(ValueError, match="hidden"):
        pool_sweeps([sweep, other])


def test_new_stream_restarts_each_runs_task_stream():
    """Meta-SGD and MAML see the same fresh tasks: every new_stream() starts over."""
    torch = pytest.importorskip("torch")
    from symmaml.nonlinear.sweep import build_batch
    from symmaml.nonlinear.model import make_mlp
    net = make_mlp(SMALL.p, (4,))
    *_, new_stream = build_batch([0.0, 0.1], 2, 3, net, SMALL, 2, torch.float64)
    a, b = new_stream(), new_stream()
    first = a(1)
    for x, y in zip(first, b(1)):
        assert torch.equal(x, y)
    assert not torch.equal(a(2)[0], first[0])          # the stream moves on
    assert torch.equal(first[0][0], first[0][1])        # alphas of a run share the tasks
    assert not torch.equal(first[0][0], first[0][2])    # runs do not


def test_per_model_stopping_makes_a_model_independent_of_its_batch():
    """stop="model": each model freezes when its own rule holds, so a block of runs gives
    each run the numbers of the whole sweep (first_run picks the block's seeds)."""
    pytest.importorskip("torch")
    from symmaml.nonlinear.sweep import run_sweep
    kw = dict(alpha_t_values=[-0.01, 0.0, 0.01], seed=4, hidden=(8,), max_epochs=3000,
              check_every=10, rtol=5e-2, lr=0.01, test_tasks=4, stop="model", threads=1,
              prob=SMALL)
    whole = run_sweep(runs=4, **kw)
    assert whole.converged and whole.epochs < 3000
    block = run_sweep(runs=2, first_run=2, **kw)
    assert np.array_equal(np.array(whole.per_run)[2:], np.array(block.per_run))
    batch = run_sweep(runs=4, **dict(kw, stop="batch"))
    assert not np.array_equal(np.array(whole.per_run), np.array(batch.per_run))
    with pytest.raises(ValueError, match="stop must be"):
        run_sweep(runs=2, **dict(kw, stop="each"))


def test_power_analysis_runs_needed_reach_the_stated_power():
    from symmaml.nonlinear.stats import power_analysis, runs_needed
    assert runs_needed(0.01, 0.05) == 197          # ((1.960 + 0.8416) * 5)^2 = 196.2
    rng = np.random.default_rng(0)
    n, effect, sd = int(runs_needed(0.02, 0.1)), 0.02, 0.1
    d = rng.normal(effect, sd, size=(4000, n))
    z = d.mean(1) / (d.std(1, ddof=1) / np.sqrt(n))
    rate = float(np.mean(np.abs(z) > 1.959964))
    assert abs(rate - 0.8) < 4 * np.sqrt(0.8 * 0.2 / 4000)
    alpha = [-0.0075, 0.0, 0.005]
    L = np.column_stack([1 + d[0], np.ones(n), np.ones(n)])
    p = power_analysis(alpha, L)
    assert p["runs"] == n and np.isclose(p["mean_diff"], d[0].mean())
    assert p["runs_for_effect"][0.01] == runs_needed(0.01, p["sd_diff"])
    with pytest.raises(ValueError, match="not on the grid"):
        power_analysis([-0.01, 0.0, 0.01], L)
