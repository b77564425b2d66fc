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
            "symmaml.nonlinear.metasgd, symmaml.nonlinear.experiment, symmaml.nonlinear.ntk; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def sweep():
    pytest.importorskip("torch")
    from symmaml.nonlinear.experiment import run_sweep
    return run_sweep([-0.05, 0.0, 0.05], runs=3, seed=3, hidden=(16,), prob=SMALL, test_tasks=20,
                     max_epochs=150, val_tasks=4, check_every=50, patience=10, alpha_r=0.05,
                     lr=1e-2, dtype="float64")


def test_maml_at_zero_trains_far_below_untrained(sweep):
    """Meta-training loss at alpha_t = 0 ends well below its value at initialisation."""
    import torch
    from symmaml.nonlinear.experiment import build_batch
    from symmaml.nonlinear.maml import batched_meta_loss
    from symmaml.nonlinear.model import make_mlp
    net = make_mlp(SMALL.p, (16,))
    params, alphas, tr, _, _ = build_batch([-0.05, 0.0, 0.05], 3, 3, net, SMALL, 20, 4, torch.float64)
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
    from symmaml.nonlinear.experiment import draw_figure5, run_sweep, to_json
    again = run_sweep([-0.05, 0.0, 0.05], runs=3, seed=3, hidden=(16,), prob=SMALL, test_tasks=20,
                      max_epochs=150, val_tasks=4, check_every=50, patience=10, alpha_r=0.05,
                      lr=1e-2, dtype="float64")
    assert again.per_run == sweep.per_run
    other = run_sweep([0.0], runs=2, seed=4, hidden=(16,), prob=SMALL, test_tasks=20, max_epochs=5,
                      val_tasks=4, alpha_r=0.05, lr=1e-2, dtype="float64")
    assert other.per_run[0][0] != sweep.per_run[0][1]
    d = json.loads(to_json(sweep))
    assert d["alpha_t"] == sweep.alpha_t and d["config"]["hidden"] == [16]
    paths = draw_figure5(sweep, tmp_path)
    assert {p.suffix for p in paths} == {".png", ".pdf"}
    assert all(p.stat().st_size > 1000 for p in paths)
    assert not list(tmp_path.glob(".*.tmp"))


def test_argmin_bootstrap_on_synthetic_curves():
    from symmaml.nonlinear.experiment import argmin_with_uncertainty
    a = np.linspace(-1, 1, 9)
    rng = np.random.default_rng(0)
    per = (a + 0.3) ** 2 + 0.01 * rng.standard_normal((10, 9))
    am = argmin_with_uncertainty(a, per)
    assert am["quadratic_argmin"] == pytest.approx(-0.3, abs=0.03)
    assert am["ci95"][0] < -0.3 < am["ci95"][1] and am["frac_boot_negative"] == 1.0
    assert am["loss_at_argmin_minus_at_zero"] < 0
