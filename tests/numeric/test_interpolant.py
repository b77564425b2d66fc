"""Chebyshev interpolation in alpha_t (symmaml.numeric.interpolant) and the interpolated
order-2 losses (FiniteSizeLoss.interpolated): against the function itself and direct
evaluation, nested sampling, and bad input."""
import numpy as np
import pytest

from symmaml.numeric import loss_function
from symmaml.numeric.interpolant import chebyshev_fit, lobatto_points

EPS = np.finfo(float).eps


def test_smooth_function_is_resolved_with_each_node_evaluated_once():
    calls = []

    def f(x):
        calls.append(np.asarray(x).copy())
        return {"exp": np.exp(x), "sin": np.sin(3 * x)}

    s = chebyshev_fit(f, -1.0, 2.0, tol=1e-12)
    seen = np.concatenate(calls)
    assert seen.size == s.nodes == len(np.unique(seen))       # nested: no point twice
    x = np.random.default_rng(1).uniform(-1, 2, 500)
    out = s(x)
    assert np.max(np.abs(out["exp"] - np.exp(x))) <= 1e-11 * np.exp(2.0)
    assert np.max(np.abs(out["sin"] - np.sin(3 * x))) <= 1e-11
    assert max(s.error.values()) <= 1e-10
    assert s(0.5)["exp"].shape == ()


def test_interpolates_exactly_at_its_nodes():
    s = chebyshev_fit(lambda x: {"y": 1 / (2 + x)}, 0.0, 1.0, tol=1e-6)
    t = 0.5 + 0.5 * lobatto_points(s.nodes - 1)
    assert np.allclose(s(t)["y"], 1 / (2 + t), rtol=50 * EPS, atol=0)


def test_unresolved_function_is_an_error_not_a_silent_answer():
    with pytest.raises(ValueError, match="did not converge"):
        chebyshev_fit(lambda x: {"abs": np.abs(x)}, -1.0, 1.0, tol=1e-10, max_nodes=65)


@pytest.mark.parametrize("lo,hi", [(1.0, 1.0), (2.0, 1.0), (np.nan, 1.0), (0.0, np.inf)])
def test_bad_interval(lo, hi):
    with pytest.raises(ValueError, match="alpha_t: the interval"):
        chebyshev_fit(lambda x: {"y": x}, lo, hi, name="alpha_t")


def test_bad_tolerance_and_non_finite_values():
    with pytest.raises(ValueError, match="tol"):
        chebyshev_fit(lambda x: {"y": x}, 0.0, 1.0, tol=0.0)
    with pytest.raises(ValueError, match="not finite"):
        with np.errstate(divide="ignore"):
            chebyshev_fit(lambda x: {"y": 1 / x}, 0.0, 1.0)
    s = chebyshev_fit(lambda x: {"y": x}, 0.0, 1.0)
    with pytest.raises(ValueError, match="alpha_t must lie in"):
        s(np.array([0.5, 1.5]), name="alpha_t")
    with pytest.raises(ValueError, match="alpha_t must be finite"):
        s(np.nan, name="alpha_t")


FIG2 = dict(n_t=30, n_v=2, n_r=20, m=3, p=60)


def test_interpolated_theorem1_matches_direct_evaluation():
    """Fig. 2's sizes, the grid of Fig. 2b: the interpolated loss equals the directly
    evaluated one to the interpolant's own estimated error (measured: 3e-14)."""
    f = loss_function(1, order=2)
    g = f.interpolated((-1.5, 1.5), **FIG2)
    a = np.random.default_rng(2).uniform(-1.5, 1.5, 200)
    kw = dict(alpha_r=0.2, sigma=1.0, nu=0.5, delta_sq=0.0)
    direct = f(alpha_t=a, **kw, **FIG2)
    fast = g(alpha_t=a, **kw)
    assert np.max(np.abs(fast / direct - 1)) <= max(g.error.values()) + 100 * EPS
    assert max(g.error.values()) <= 1e-7
    # alpha_r, sigma, nu are free: a second call reuses the interpolant
    assert g(alpha_t=a[:3], alpha_r=0.5, sigma=0.3, nu=1.0, delta_sq=0.5) == pytest.approx(
        f(alpha_t=a[:3], alpha_r=0.5, sigma=0.3, nu=1.0, delta_sq=0.5, **FIG2), rel=1e-7)


@pytest.mark.slow
def test_interpolated_theorem2_matches_direct_evaluation():
    f = loss_function(2, order=2)
    sizes = dict(n_t=10, n_v=10, n_r=10, m=8, p=30)
    g = f.interpolated((-0.5, 0.5), **sizes)
    a = np.random.default_rng(3).uniform(-0.5, 0.5, 6)
    kw = dict(alpha_r=0.2, sigma=0.5, nu=0.5)
    assert np.max(np.abs(g(alpha_t=a, **kw) / f(alpha_t=a, **kw, **sizes) - 1)) <= 1e-7


def test_interpolated_loss_bad_input():
    f = loss_function(1, order=2)
    with pytest.raises(ValueError, match="missing \\['p'\\]"):
        f.interpolated((0.0, 1.0), n_t=30, n_v=2, n_r=20, m=3)
    with pytest.raises(ValueError, match="alpha_t must be an interval"):
        f.interpolated(0.5, **FIG2)
    with pytest.raises(ValueError, match="m must be one integer"):
        f.interpolated((0.0, 1.0), **{**FIG2, "m": 2.5})
    with pytest.raises(ValueError, match="p > n_v m"):
        f.interpolated((0.0, 1.0), **{**FIG2, "p": 6})
    g = f.interpolated((0.0, 0.5), **FIG2)
    kw = dict(alpha_r=0.2, sigma=1.0, nu=0.5, delta_sq=0.0)
    with pytest.raises(ValueError, match="alpha_t must lie in the interpolated interval"):
        g(alpha_t=0.7, **kw)
    with pytest.raises(ValueError, match="unknown \\['p'\\]"):
        g(alpha_t=0.2, p=60, **kw)
    with pytest.raises(ValueError, match="sigma"):
        g(alpha_t=0.2, **{**kw, "sigma": -1.0})
