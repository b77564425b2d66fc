"""Rao-Blackwell estimator: the p x p Gram path (p < n_v m) equals the SVD path on the same
draws, hands ill-conditioned runs to the SVD, and keeps its warnings and errors."""
import warnings

import numpy as np
import pytest

from symmaml.montecarlo import IllConditionedWarning, rao_blackwell, simulate

from mc_helpers import OVER, UNDER


def _spd(p, seed, scale=1.0):
    g = np.random.default_rng(seed).standard_normal((p, p))
    return scale * (g @ g.T / p + 0.5 * np.eye(p))


CASES = {
    "under": dict(UNDER, w0=0.2),                                   # n_v > p
    "fig3b-like": dict(n_t=5, n_v=5, n_r=10, m=8, p=12, sigma=0.2, nu=0.2),   # n_v < p < N
    "near-threshold": dict(n_t=5, n_v=4, n_r=5, m=3, p=8, sigma=0.5, nu=0.5),  # N - p = 4
    "cov-t": dict(UNDER, nu=None, Sigma=_spd(5, 3), Sigma_w=_spd(5, 4, 0.1), x_dist="student_t",
                  df=6.0, omega0=0.3),
    "rademacher": dict(UNDER, x_dist="rademacher", Sigma=_spd(5, 6)),
}
AT = list(np.round(np.linspace(-1.0, 1.0, 9), 10))
AR = [0.0, 0.2, 0.9]


def _both(monkeypatch, kw):
    out = {}
    for method in ("svd", "gram"):
        monkeypatch.setattr(rao_blackwell, "METHOD", method)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IllConditionedWarning)
            out[method] = simulate(**kw, estimator="rao_blackwell")
    return out["svd"], out["gram"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_gram_equals_svd(monkeypatch, case):
    """Same draws, two evaluations of E[loss | X_t, X_v]: equal to 1e-12 relative."""
    svd, gram = _both(monkeypatch, dict(CASES[case], alpha_t=AT, alpha_r=AR, runs=300, seed=7))
    np.testing.assert_allclose(gram.values, svd.values, rtol=1e-12, atol=0)


def test_auto_uses_svd_when_overparameterized(monkeypatch):
    """p > n_v m keeps the SVD of the short B: "auto" is bit-identical to it."""
    kw = dict(OVER, alpha_t=AT, alpha_r=AR, runs=20, seed=3, estimator="rao_blackwell")
    auto = simulate(**kw)
    monkeypatch.setattr(rao_blackwell, "METHOD", "svd")
    np.testing.assert_array_equal(auto.values, simulate(**kw).values)


def test_ill_conditioned_runs_go_to_the_svd(monkeypatch):
    """With the acceptance bound at 0 every run is recomputed by the SVD: bit-identical to
    it; with a bound in the middle of the runs' values, some are, and the mix still agrees."""
    kw = dict(CASES["near-threshold"], alpha_t=AT, alpha_r=AR, runs=200, seed=11)
    svd, gram = _both(monkeypatch, kw)
    kw["estimator"] = "rao_blackwell"
    monkeypatch.setattr(rao_blackwell, "METHOD", "auto")
    monkeypatch.setattr(rao_blackwell, "GRAM_COND_MAX", 0.0)
    np.testing.assert_array_equal(simulate(**kw).values, svd.values)
    monkeypatch.setattr(rao_blackwell, "GRAM_COND_MAX", 150.0)
    mixed = simulate(**kw).values
    same_svd = np.all(mixed == svd.values, axis=(0, 1))
    assert 0 < same_svd.mean() < 1
    np.testing.assert_allclose(mixed, gram.values, rtol=1e-12, atol=0)


def test_cond_warn_still_warns():
    """A run whose cond(B) exceeds ``cond_warn`` is never accepted from the Gram path, so
    the SVD's warning is issued as before."""
    kw = dict(CASES["fig3b-like"], alpha_t=AT, alpha_r=0.2, runs=4, seed=1,
              estimator="rao_blackwell")
    with pytest.warns(IllConditionedWarning, match="ill-conditioned"):
        simulate(**kw, cond_warn=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllConditionedWarning)
        simulate(**kw)


@pytest.mark.parametrize("case", ["fig3b-like", "near-threshold"])    # the second mixes paths
def test_gram_path_is_chunk_independent(case):
    """Same seed, same bits, whatever the chunking (per-run products and fallbacks)."""
    kw = dict(CASES[case], alpha_t=AT, alpha_r=AR, runs=30, seed=5, estimator="rao_blackwell")
    ref = simulate(**kw).values
    for chunk in (1, 3, 50):
        np.testing.assert_array_equal(simulate(**kw, chunk=chunk).values, ref)


def test_unknown_method():
    with pytest.raises(ValueError, match="method"):
        rao_blackwell.loss({}, None, {}, method="qr")
