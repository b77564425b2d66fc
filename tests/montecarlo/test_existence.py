"""Where the expected test loss (ValueError) and the per-run variance (warning) are infinite.

symmaml.montecarlo.existence: with N = n_v m, the small-ball exponent of s_min(B) is
c = |p - N| + 1, or min(c, (m - 1) p + 1) for alpha_t > 0 with p < n_v; the mean is finite
iff c > 2, the variance iff c > 4.  Both sides of both limits are tested, and the exponent
itself is checked against the tail index of the simulated per-run values.
"""
import itertools
import warnings

import numpy as np
import pytest

from symmaml.montecarlo import InfiniteVarianceWarning, loss_moments, reference_simulate, simulate
from symmaml.montecarlo import sampling
from symmaml.backend import resolve_backend
from symmaml.montecarlo.simulate import _constants, simulate_chunk

from mc_helpers import z_crit

BASE = dict(n_t=4, n_r=3, sigma=0.5, nu=0.5, alpha_r=0.2, runs=2, seed=0, test_tasks=2, n_s=2)


def run(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InfiniteVarianceWarning)
        return simulate(**dict(BASE, **kw))


# ------------------------------------------------------------------ |p - n_v m| (any alpha_t)
@pytest.mark.parametrize("dp", [-1, 0, 1])
@pytest.mark.parametrize("alpha_t", [-0.3, 0.0, 0.3])
def test_infinite_mean_refused(dp, alpha_t):
    n_v, m = 3, 4                                  # N = 12
    with pytest.raises(ValueError, match=r"infinite at p=%d, n_v=3, m=4" % (12 + dp)):
        run(n_v=n_v, m=m, p=12 + dp, alpha_t=alpha_t)
    with pytest.raises(ValueError, match="infinite"):
        reference_simulate(**dict(BASE, n_v=n_v, m=m, p=12 + dp, alpha_t=alpha_t))


@pytest.mark.parametrize("dp", [-3, -2, 2, 3])
def test_infinite_variance_warns(dp):
    match = r"p=%d, n_v=3, m=4.*standard error is unreliable" % (12 + dp)
    with pytest.warns(InfiniteVarianceWarning, match=match):
        r = simulate(**dict(BASE, n_v=3, m=4, p=12 + dp, alpha_t=[-0.3, 0.0, 0.3]))
    assert np.all(np.isfinite(r.values))


@pytest.mark.parametrize("dp", [-4, 4])
@pytest.mark.parametrize("estimator", ["plain", "conditional", "rao_blackwell"])
def test_finite_variance_is_silent(dp, estimator):
    run(n_v=3, m=4, p=12 + dp, alpha_t=[-0.3, 0.0, 0.3], estimator=estimator)


def test_message_names_the_condition():
    with pytest.raises(ValueError, match=r"\|p - n_v m\| >= 2") as e:
        run(n_v=2, m=3, p=7, alpha_t=0.1)
    assert "n_v m = 6" in str(e.value)


# ------------------------------------------------------------------ alpha_t > 0 with p < n_v
def test_single_task_positive_alpha_t():
    """m = 1, n_v = 7 > p = 2: N - p - 1 = 4 > 0, yet A = I - alpha_t/n_t X_t^T X_t can be
    singular for alpha_t > 0 and then B = X_v A is too (c = (m - 1) p + 1 = 1)."""
    kw = dict(n_v=7, m=1, p=2)
    run(**kw, alpha_t=[-0.3, 0.0])
    with pytest.raises(ValueError, match=r"alpha_t = \[0.3\]"):
        run(**kw, alpha_t=[-0.3, 0.0, 0.3])


@pytest.mark.parametrize("m,outcome", [(2, "infinite mean"), (3, "warn"), (4, "warn"), (5, "ok")])
def test_p_one_positive_alpha_t(m, outcome):
    """p = 1 < n_v = 4: c = min(N, m) at alpha_t > 0 (N = 4 m, so |p - N| never limits)."""
    kw = dict(n_v=4, m=m, p=1, alpha_t=0.5)
    run(**dict(kw, alpha_t=-0.5))
    if outcome == "infinite mean":
        with pytest.raises(ValueError, match="p < n_v"):
            run(**kw)
    elif outcome == "warn":
        with pytest.warns(InfiniteVarianceWarning):
            simulate(**dict(BASE, **kw))
    else:
        run(**kw)


# ------------------------------------------------------------------ bounded cases
def test_no_amplified_noise_is_finite():
    run(n_v=3, m=1, p=3, sigma=0.0, alpha_t=0.2)                   # omega* - w0 = P dw
    run(n_v=3, m=4, p=12, sigma=0.0, nu=0.0, alpha_t=0.2)          # no noise at all
    with pytest.raises(ValueError, match="infinite"):
        run(n_v=3, m=4, p=12, sigma=0.0, alpha_t=0.2)              # task noise, m >= 2


def test_discrete_inputs_are_not_refused():
    r = run(n_v=3, m=4, p=13, alpha_t=0.0, x_dist="rademacher", estimator="conditional")
    assert np.all(np.isfinite(r.values))


def test_singular_sigma_uses_its_rank():
    Sigma = np.diag([1.0] * 13 + [0.0, 0.0])         # p = 15 but the rows of B span 13 dims
    with pytest.raises(ValueError, match="rank 13"):
        run(n_v=3, m=4, p=15, Sigma=Sigma, alpha_t=0.0)


def test_summary_formula():
    """loss_moments == the summary of the module docstring, on a grid."""
    for p, n_v, m, a in itertools.product(range(1, 9), range(1, 5), range(1, 5), (-0.5, 0.0, 0.5)):
        N = n_v * m
        lm = loss_moments(p=p, n_v=n_v, m=m, alpha_t=a)
        mode = p >= n_v or a <= 0
        assert lm.mean_finite == (abs(p - N) >= 2 and (mode or (m - 1) * p >= 2)), (p, n_v, m, a)
        assert lm.variance_finite == (abs(p - N) >= 4 and (mode or (m - 1) * p >= 4)), (p, n_v, m, a)


# ------------------------------------------------------------------ the exponent, numerically
def _per_run(runs, seed, **kw):
    """Rao-Blackwell per-run values without the refusal (simulate_chunk directly)."""
    d = sampling.make_design(**kw, estimator="rao_blackwell")
    be = resolve_backend("numpy")
    draws = sampling.draw_chunk(sampling.run_generators(np.random.SeedSequence(seed), runs), d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate_chunk(be, d, _constants(be, d), draws)[:, 0, 0]


def _hill(x, k):
    """Hill estimate of 1 / (tail index) from the k largest of x (excess over the minimum);
    asymptotically normal with standard error (its value) / sqrt(k)."""
    y = np.sort(x - x.min())[::-1]
    return float(np.mean(np.log(y[:k] / y[k])))


TAIL = [  # (sizes, alpha_t): predicted tail index c/2 of the per-run values
    (dict(n_v=3, m=2, p=6), 0.0),       # p = N:           c = 1
    (dict(n_v=3, m=2, p=6), 0.5),
    (dict(n_v=3, m=2, p=5), -0.5),      # |p - N| = 1:     c = 2
    (dict(n_v=3, m=2, p=8), 0.5),       # |p - N| = 2:     c = 3
    (dict(n_v=5, m=1, p=2), -0.5),      # N - p = 3:       c = 4
    (dict(n_v=5, m=1, p=2), 0.5),       # p < n_v, alpha_t > 0, m = 1: c = 1 (not 4)
    (dict(n_v=3, m=2, p=1), 0.5),       # p < n_v, m = 2, p = 1:      c = 2 (not 6)
    (dict(n_v=4, m=2, p=2), 0.5),       # (m - 1) p + 1 = 3 (not 7)
]


@pytest.mark.slow
def test_tail_index_matches_exponent():
    """The Hill estimate (top 1 %) of the tail of E[loss | X] agrees with the predicted index
    c/2 (z-score, Bonferroni over the cases): the small-ball count of the module docstring,
    including the alpha_t > 0, p < n_v mode.  Neighbouring exponents differ by about 6 s.e."""
    runs, k = 30000, 300
    zc = z_crit(len(TAIL))
    for i, (sizes, a) in enumerate(TAIL):
        gamma = 2.0 / loss_moments(**sizes, alpha_t=a).exponent
        x = _per_run(runs, 900 + i, n_t=5, n_r=5, sigma=1.0, nu=0.5, alpha_t=a, alpha_r=0.2, **sizes)
        z = (_hill(x, k) - gamma) / (gamma / np.sqrt(k))
        assert abs(z) < zc, (sizes, a, 1 / gamma, z)


def test_paper_figures_are_inside_both_limits():
    """Every figure of the registry symmaml.experiments.paper (and gap_scaling's sizes)
    has a finite mean and variance over its whole swept range."""
    from symmaml.experiments.paper import FIGURES
    configs = [(f.name, f.params, [min(f.alphas), max(f.alphas), f.fixed]) for f in FIGURES.values()]
    configs += [(f"gap1 k={k}", dict(p=60 * k, n_v=2, m=3), [-1.0, 0.5]) for k in (1, 2, 4, 8)]
    configs += [(f"gap2 m={m}", dict(p=30, n_v=25, m=m), [-0.5, 0.5]) for m in (40, 80, 160, 320)]
    for name, P, alphas in configs:
        for a in alphas:
            lm = loss_moments(p=P["p"], n_v=P["n_v"], m=P["m"], alpha_t=a)
            assert lm.mean_finite and lm.variance_finite, (name, a, lm)
