"""scripts/cde_accuracy_probe.py (the measurement behind the README's note on Fig. 6c's
residual): its equations are the cDE of Theorem 2's step 3, and its simulation resolves
the first-order equivalent's error but not the cDE's at a few thousand draws."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

import cde_accuracy_probe as probe  # noqa: E402


def test_equations_are_the_module_doc_cde():
    """For M = mu I the cDE's residual, written out by hand at the script's root, is zero,
    and a vanishing M gives t = n_v (Tr I_{n_v})."""
    p, n_v, mu = 50, 10, 0.02
    t = probe.cde(np.full(p, mu), n_v, 2)
    d = 1 / (1 + t * mu)
    s, s1, s2 = p * d, -p * mu * d ** 2, 2 * p * mu ** 2 * d ** 3
    assert t + p - s - t / (1 - s1) * s2 / 2 - n_v == pytest.approx(0.0, abs=1e-12)
    assert probe.cde(np.full(p, 1e-14), n_v, 1) == pytest.approx(n_v, rel=1e-12)


def test_cde_beats_first_order_at_fig6c():
    r = probe.probe("6c", 1.5, runs=4000, seed=11)
    assert abs(r["cde1"] - r["t"]) > 5 * r["se"]      # ~1.3 % off: resolved
    assert abs(r["cde2"] - r["t"]) < 4 * r["se"]      # ~0.1 %: not resolved at 4000 draws
    assert 1 < r["p_eff"] < 50


def test_derivative_probe_resolves_the_lambda_derivative():
    """The same X for lambda = +-h makes the central difference resolved (s.e. < 0.5 % of
    it with 4000 draws), and the cDE's derivative is within 1 % of it (README: -0.15 %)."""
    r = probe.derivative_probe("6c", 1.5, runs=4000, seed=12)
    assert r["d"] > 0 and r["se"] < 5e-3 * r["d"]
    assert abs(r["d_cde"] / r["d"] - 1) < 0.01


def test_ktrace_formula_at_a_fixed_M():
    """Step 3's K-trace formula against simulation over X (one model draw of M at Fig. 3b,
    alpha_t = -1): within 1 % of the value and 2 % of the lambda-derivative at 4000 draws
    (README: -0.04 +- 0.02 % and -0.09 +- 0.05 % at 200 000)."""
    r = probe.ktrace_probe("3b", -1.0, runs=4000, seed=13)
    sim, se, f = r["value"]
    assert abs(f / sim - 1) < 0.01 and se < 0.005 * abs(sim)
    sim, se, f = r["deriv"]
    assert abs(f / sim - 1) < 0.02
