"""Vectorised simulator == per-run loop reference (same draws) to float tolerance."""
import numpy as np
import pytest

from symmaml.montecarlo import reference_simulate, simulate

from mc_helpers import EPS, OVER, UNDER


def _spd(p, seed, scale=1.0):
    g = np.random.default_rng(seed).standard_normal((p, p))
    return scale * (g @ g.T / p + 0.5 * np.eye(p))


CASES = {
    "over": dict(OVER, w0=0.2, omega0=-0.1),
    "under": dict(UNDER, w0=np.linspace(-0.3, 0.3, UNDER["p"])),
    "over-cov-rademacher": dict(OVER, nu=None, Sigma=_spd(11, 1), Sigma_w=_spd(11, 2, 0.05),
                                x_dist="rademacher", omega0=0.3),
    "under-cov-t": dict(UNDER, Sigma=_spd(5, 3), x_dist="student_t", df=6.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("estimator", ["plain", "conditional", "rao_blackwell"])
def test_matches_reference(case, estimator):
    kw = dict(CASES[case], alpha_t=[-0.4, 0.0, 0.3], alpha_r=[0.1, 0.7], runs=3, seed=21,
              test_tasks=3, n_s=4, estimator=estimator)
    ref = reference_simulate(**kw)
    vec = simulate(**kw, reduce_draws=False if estimator == "plain" else None, chunk=2)
    assert vec.values.shape == ref.values.shape == (3, 2, 3)
    np.testing.assert_allclose(vec.values, ref.values, rtol=2e4 * EPS, atol=0)


def test_conditional_is_exact_given_omega():
    """For a fixed omega*, the plain estimator averaged over many test tasks -> conditional."""
    kw = dict(OVER, alpha_t=0.3, alpha_r=0.4, runs=2, seed=2)
    plain = simulate(**kw, test_tasks=4000, n_s=5, reduce_draws=False)
    cond = simulate(**kw, estimator="conditional")
    # same omega* per run (meta draws come first); the test-task average of each run has a
    # CLT error ~ 1/sqrt(4000)
    assert np.all(np.abs(plain.values - cond.values) < 0.1 * cond.values)
