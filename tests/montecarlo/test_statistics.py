"""Statistical checks (z-scores, Bonferroni-corrected within each test).

* the three estimators agree in mean (paired per-run differences on one seed: the runs
  share omega* or the training inputs, so the differences only carry the extra noise);
* the reduced-draw identities (sampling.py) agree with the literal test protocol;
* at alpha_t = 0 all estimators agree with the exact finite-sample values of exact.py.
"""
import numpy as np
import pytest

from symmaml.montecarlo import expected_test_loss_alpha0, simulate

from mc_helpers import OVER, UNDER, paired_z, z_crit

pytestmark = pytest.mark.slow

AT, AR = [-0.4, 0.3], [0.1, 0.6]


def _spd(p, seed, scale=1.0):
    g = np.random.default_rng(seed).standard_normal((p, p))
    return scale * (g @ g.T / p + 0.5 * np.eye(p))


CONFIGS = [
    dict(OVER, w0=0.1, omega0=-0.2),                                        # reduced plain path
    dict(OVER, Sigma=_spd(11, 5), omega0=0.2),                              # full plain path
    dict(UNDER, x_dist="rademacher", Sigma=_spd(5, 6), w0=0.3),
    dict(OVER, nu=None, Sigma_w=_spd(11, 7, 0.05), x_dist="student_t", df=9.0),
]


def _run(cfg, **kw):
    return simulate(**cfg, alpha_t=AT, alpha_r=AR, test_tasks=10, n_s=8, **kw)


def test_conditional_matches_plain():
    k = len(CONFIGS) * len(AT) * len(AR)
    for i, cfg in enumerate(CONFIGS):
        plain = _run(cfg, runs=1000, seed=100 + i)
        cond = _run(cfg, runs=1000, seed=100 + i, estimator="conditional")
        z = paired_z(plain.values, cond.values)
        assert np.all(np.abs(z) < z_crit(k)), (i, z)


def test_rao_blackwell_matches_conditional():
    k = len(CONFIGS) * len(AT) * len(AR)
    for i, cfg in enumerate(CONFIGS):
        cond = _run(cfg, runs=1000, seed=200 + i, estimator="conditional")
        rb = _run(cfg, runs=1000, seed=200 + i, estimator="rao_blackwell")
        z = paired_z(cond.values, rb.values)
        assert np.all(np.abs(z) < z_crit(k)), (i, z)


def test_reduced_draws_match_full_protocol():
    cfgs = [dict(OVER, w0=0.1, omega0=-0.2), dict(UNDER, nu=None, Sigma_w=_spd(5, 8, 0.1))]
    k = len(cfgs) * len(AT) * len(AR)
    for i, cfg in enumerate(cfgs):
        full = _run(cfg, runs=1000, seed=300 + i, reduce_draws=False)
        red = _run(cfg, runs=1000, seed=300 + i, reduce_draws=True)
        z = paired_z(full.values, red.values)
        assert np.all(np.abs(z) < z_crit(k)), (i, z)


# exact alpha_t = 0 values: (sizes, delta = omega0 - w0 entries, Sigma_w or None)
EXACT = [
    dict(n_t=6, n_v=2, n_r=5, m=3, p=16, sigma=0.7, nu=0.8, omega0=0.25),   # over, |omega0-w0| > 0
    dict(n_t=6, n_v=4, n_r=5, m=1, p=14, sigma=0.5, nu=0.5),                # over, single task
    dict(n_t=4, n_v=6, n_r=5, m=4, p=8, sigma=0.5, nu=0.6, w0=0.4, omega0=-1.0),   # under (omega0 irrelevant)
    dict(n_t=4, n_v=3, n_r=6, m=8, p=10, sigma=0.9, nu=None, Sigma_w=_spd(10, 9, 0.08)),  # under, Sigma_w
]


@pytest.mark.parametrize("estimator,runs", [("plain", 3000), ("conditional", 6000), ("rao_blackwell", 3000)])
def test_exact_alpha_t_zero(estimator, runs):
    k = len(EXACT) * 2
    for i, cfg in enumerate(EXACT):
        r = simulate(**cfg, alpha_t=0.0, alpha_r=[0.0, 0.4], runs=runs, seed=400 + i,
                     estimator=estimator, test_tasks=10, n_s=8)
        p = cfg["p"]
        tr_sw = np.trace(cfg["Sigma_w"]) if cfg.get("nu") is None else cfg["nu"] ** 2
        delta_sq = p * (cfg.get("omega0", 0.0) - cfg.get("w0", 0.0)) ** 2
        exact = np.array([expected_test_loss_alpha0(n_v=cfg["n_v"], n_r=cfg["n_r"], m=cfg["m"], p=p,
                                                    sigma=cfg["sigma"], alpha_r=ar, tr_Sigma_w=tr_sw,
                                                    delta_sq=delta_sq) for ar in (0.0, 0.4)])
        z = (r.mean - exact) / r.stderr
        assert np.all(np.abs(z) < z_crit(k)), (i, r.mean, exact, z)
