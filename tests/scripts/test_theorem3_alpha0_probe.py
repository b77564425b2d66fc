"""scripts/theorem3_alpha0_series_probe.py (the README's "Not even at alpha_t = 0"): its
order 2 is the order-2 theory's truncation at alpha_t = 0, its series is the Neumann series
of G^-1 (checked against the exact value at Sigma = I), and it runs end to end."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

import theorem3_alpha0_series_probe as probe  # noqa: E402

VALS = dict(alpha_r=0.3, n_t=10, n_v=2, n_r=5, m=3, sigma=0.7)


def _matrices(p, seed):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((p, p))
    W = rng.standard_normal((p, p))
    return Z @ Z.T / p + 0.1 * np.eye(p), W @ W.T / p ** 2


def test_order2_is_the_theorys_truncation_at_alpha_t_zero():
    from symmaml.symbols import alpha_t
    from symmaml.theory import finite_size_general as fg
    S, Sw = _matrices(12, 1)
    got = probe._evaluate(probe.e_h(2), S, Sw, **VALS)
    want = probe._evaluate(fg.derive().extras["E_h"].subs(alpha_t, 0), S, Sw, **VALS)
    assert got == pytest.approx(want, rel=1e-12)


def test_sigma_identity_partial_sums_approach_the_inverse_wishart_value():
    """Sigma = I, Sigma_w = 0, alpha_r = 0: E_h is sigma^2 E Tr G^-1 = sigma^2 N/(p - N - 1),
    and order 4 is closer to it than order 2 (p = 60, N = 6: 0.17 % against 1.1 %)."""
    p, N = 60, 6
    vals = dict(VALS, alpha_r=0.0)
    exact = vals["sigma"] ** 2 * N / (p - N - 1)
    err = [abs(probe._evaluate(probe.e_h(n), np.eye(p), 0 * np.eye(p), **vals) / exact - 1)
           for n in (2, 4)]
    assert err[1] < err[0] < 0.02, err


def test_bad_order():
    with pytest.raises(ValueError, match="order"):
        probe.e_h(probe.MAX_ORDER + 1)


def test_runs_end_to_end(capsys):
    probe.main(["--runs", "2000", "--seed", "1"])
    out = capsys.readouterr().out
    assert "order 6" in out and "Pade at t = 1" in out and "Neumann partial sums" in out
