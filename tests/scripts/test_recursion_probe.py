"""scripts/recursion_level_probe.py (the measurement behind step 4b of Theorem 2's order 2 and
the README's note on Figs. 3b/6c/6d): its theory is the package's, its simulation is of the
right object, and it runs end to end."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

import recursion_level_probe as probe  # noqa: E402
from symmaml.numeric import loss_function  # noqa: E402

SIZES = probe.sizes_of("6c")


def test_theory_value_is_the_packages_order2():
    """The script's matched E|omega* - w0|^2 is the package's order 2 (from the loss at
    alpha_r = 0, Eq. 65: (nu^2 + E)/2 + sigma^2/2)."""
    sigma, nu = 0.5, 0.5
    L = loss_function(2, order=2)(alpha_t=np.array([1.0]), alpha_r=0.0, n_r=40, sigma=sigma,
                                  nu=nu, **SIZES)[0]
    assert probe.theory_E(1.0, sizes=SIZES, sigma=sigma, nu=nu) == pytest.approx(
        2 * L - nu ** 2 - sigma ** 2, rel=1e-12)


def test_empirical_resolvent_is_the_mean_trace_and_its_derivatives():
    lam = np.random.default_rng(0).uniform(0.5, 3.0, size=(7, 5))
    g = probe.EmpiricalResolvent(lam)
    z = np.array([[0.3, 1.0]])
    g0, g1, g2 = g(z)
    for j, zz in enumerate(z[0]):
        d = 1.0 / (lam + zz)
        assert g0[0, j] == pytest.approx(d.mean(), rel=1e-13)
        assert g1[0, j] == pytest.approx(-(d ** 2).mean(), rel=1e-13)
        assert g2[0, j] == pytest.approx(2 * (d ** 3).mean(), rel=1e-13)


def test_simulated_levels_agree_with_the_recursion_at_small_runs():
    """400 runs at Fig. 6c's sizes: every level within 6 standard errors (the residual is
    below 0.1 %, far under the s.e. at this size); seeded."""
    zeta, th, mean, se = probe.probe(1.0, SIZES, 400, 7)
    assert th.shape == mean.shape == (SIZES["m"] - 1, len(probe.MULTIPLES))
    assert np.all(np.abs(th - mean) < 6 * se)


def test_main_runs_end_to_end(capsys):
    probe.main(["--figure", "6c", "--runs", "200", "--alpha", "1", "--hybrid"])
    out = capsys.readouterr().out
    assert "| 9 |" in out and "hybrid with step 4b" in out
    assert sum(line.startswith("| +1 |") for line in out.splitlines()) == 1
    assert out.count("\n| ") == 1 + 9 + 2            # level table header, 9 levels, hybrid
