"""scripts/theorem1_noise_probe.py (the measurement behind the README's note on Theorem 1's
remaining order-2 error): it simulates the right object and runs end to end."""
import os
import sys

from scipy.stats import norm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

import theorem1_noise_probe as probe  # noqa: E402


def test_simulated_S_is_the_inverse_wishart_mean_at_alpha_zero():
    """At alpha_t = 0, S = N/(p - N - 1) exactly; the simulation agrees within z*."""
    mc, se = probe.simulate_S(0.0, n_t=6, n_v=2, m=3, p=12, runs=20000, seed=1)
    assert abs(mc - 6 / 5) < norm.isf(0.001 / 2) * se


def test_probe_runs_end_to_end(capsys):
    probe.main(["--p", "12", "--alpha", "0", "0.5", "--runs", "400", "--seed", "3"])
    out = capsys.readouterr().out
    assert out.count("| 12 |") == 2 and "cDE at fixed M" in out
    rows = probe.probe([12], [0.0], 400, 3)
    assert abs(rows[0][4] - 1.2) < 1e-12 and abs(rows[0][5] - 1.2) < 1e-12   # exact there


def test_cde_at_fixed_M_is_exact_for_a_projection():
    """At alpha_t = 0, M = Q is a projection: the cDE's root is the inverse-Wishart
    T = n_v/(p - N - 1) for every draw, so the value is N/(p - N - 1) with no spread."""
    mean, se = probe.cde_at_fixed_M(0.0, n_t=6, n_v=2, m=3, p=12, draws=50, seed=2)
    assert abs(mean - 6 / 5) < 1e-9 and se < 1e-9
