"""Derivatives and optima of the order-2 losses (symmaml.numeric.finite_size): the
derivative of the interpolated loss against finite differences of the direct loss, the
argmin over alpha_t against a root of the direct loss's derivative, the closed-form
optimal alpha_r against the direct loss's stationary point, and bad input."""
import numpy as np
import pytest
from scipy.optimize import brentq
from sympy.core.function import AppliedUndef

from symmaml import theory
from symmaml.numeric import loss_function
from symmaml.numeric.interpolant import chebyshev_fit

FIG2 = dict(n_t=30, n_v=2, n_r=20, m=3, p=60)
FIG2_REST = dict(alpha_r=0.2, sigma=1.0, nu=0.5, delta_sq=0.0)
#: a small underparameterized case (Theorem 2): cheap task recursion
SMALL2 = dict(n_t=5, n_v=10, n_r=10, m=4, p=20)
SMALL2_REST = dict(alpha_r=0.2, sigma=0.5, nu=0.5)


def _direct_derivative(f, a, h=2e-4, **kw):
    """Five-point central difference of the direct (not interpolated) loss."""
    v = f(alpha_t=np.array([a - 2 * h, a - h, a + h, a + 2 * h]), **kw)
    return (v[0] - 8 * v[1] + 8 * v[2] - v[3]) / (12 * h)


def test_series_derivative_is_the_derivative():
    s = chebyshev_fit(lambda x: {"a": np.exp(x) * np.sin(3 * x), "b": 1 / (2 + x)},
                      -1.0, 1.5, tol=1e-12)
    d = s.derivative()
    x = np.linspace(-1.0, 1.5, 501)
    v = d(x)
    assert np.abs(v["a"] - np.exp(x) * (np.sin(3 * x) + 3 * np.cos(3 * x))).max() < 1e-10
    assert np.abs(v["b"] + 1 / (2 + x) ** 2).max() < 1e-10
    assert (d.lo, d.hi, d.names, d.nodes) == (s.lo, s.hi, s.names, s.nodes)


@pytest.mark.parametrize("theorem, sizes, rest", [(1, FIG2, FIG2_REST),
                                                  (2, SMALL2, SMALL2_REST)])
def test_derivative_matches_finite_differences(theorem, sizes, rest):
    f = loss_function(theorem, order=2)
    il = f.interpolated((-1.5, 1.0), **sizes)
    a = np.linspace(-1.3, 0.8, 5)
    d = il.derivative(alpha_t=a, **rest)
    fd = np.array([_direct_derivative(f, x, **sizes, **rest) for x in a])
    # the series' derivative error (estimated 1e-8 .. 1e-6) and the stencil's (h^4 terms
    # and rounding: ~1e-11 here), relative to the derivative's scale
    assert np.abs(d - fd).max() <= 1e-5 * np.abs(fd).max()


@pytest.mark.parametrize("theorem, sizes, rest", [(1, FIG2, FIG2_REST),
                                                  (2, SMALL2, SMALL2_REST)])
def test_argmin_alpha_t_is_the_direct_losss_stationary_point(theorem, sizes, rest):
    f = loss_function(theorem, order=2)
    x, L = f.argmin_alpha_t((-3.0, 0.5), **sizes, **rest)
    assert x is not None and -3.0 < x < 0.5
    ref = brentq(lambda a: _direct_derivative(f, a, **sizes, **rest), x - 5e-3, x + 5e-3,
                 xtol=1e-12)
    assert abs(x - ref) < 1e-6
    assert L == pytest.approx(float(f(alpha_t=np.array([ref]), **sizes, **rest)[0]),
                              rel=1e-9)
    # the interpolant is built once per sizes and interval, then reused
    assert f.argmin_alpha_t((-3.0, 0.5), **sizes, **rest) == (x, L)


def test_argmin_at_an_end_of_the_interval_is_none():
    f = loss_function(1, order=2)
    x, L = f.argmin_alpha_t((0.2, 0.6), **FIG2, **FIG2_REST)     # increasing there
    assert x is None
    assert L == pytest.approx(float(f(alpha_t=np.array([0.2]), **FIG2, **FIG2_REST)[0]),
                              rel=1e-8)


@pytest.mark.parametrize("theorem, sizes, rest", [(1, FIG2, FIG2_REST),
                                                  (2, SMALL2, SMALL2_REST)])
def test_optimal_alpha_r_is_the_stationary_point(theorem, sizes, rest):
    f = loss_function(theorem, order=2)
    kw = {k: v for k, v in rest.items() if k != "alpha_r"}
    at = np.array([-1.0, 0.0, 0.7])
    star = f.optimal_alpha_r(alpha_t=at, **sizes, **kw)
    # the loss is quadratic in alpha_r: its derivative is linear, so the root from two
    # evaluations of the derivative (central differences, exact for a quadratic) is exact
    h = 1e-3

    def dL(ar):
        return (f(alpha_t=at, alpha_r=ar + h, **sizes, **kw)
                - f(alpha_t=at, alpha_r=ar - h, **sizes, **kw)) / (2 * h)

    d0, d1 = dL(0.0), dL(1.0)
    root = -d0 / (d1 - d0)
    np.testing.assert_allclose(star, root, rtol=1e-9)
    assert np.all((star > 0) & (star < 1 / (1 + (sizes["p"] + 1) / sizes["n_r"])))


def test_symbolic_optimal_alpha_r_at_order2():
    for t in (1, 2):
        value, proof = theory.optimal_alpha_r(t, order=2)
        assert proof.holds
        assert "order-2" in proof.steps[-1]
        # the order-2 E|omega* - w0|^2 inside: its undefined functions of alpha_t
        names = {type(a).__name__ for a in value.atoms(AppliedUndef)}
        assert names == ({"S_sigma"} if t == 1 else {"R_sigma", "R_nu"})
    with pytest.raises(ValueError, match="order"):
        theory.optimal_alpha_r(1, order=3)


def test_bad_input():
    f = loss_function(1, order=2)
    il = f.interpolated((-1.0, 1.0), **FIG2)
    with pytest.raises(ValueError, match="alpha_t is the variable"):
        il.argmin_alpha_t(alpha_t=0.1, **FIG2_REST)
    with pytest.raises(ValueError, match="sigma must be a scalar"):
        il.argmin_alpha_t(**dict(FIG2_REST, sigma=np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="missing"):
        il.derivative(alpha_t=0.1, alpha_r=0.2, sigma=1.0)
    with pytest.raises(ValueError, match="alpha_t must be an interval"):
        f.argmin_alpha_t(0.5, **FIG2, **FIG2_REST)
    with pytest.raises(ValueError, match="sizes missing"):
        f.argmin_alpha_t((-1.0, 1.0), n_t=30, **FIG2_REST)
    with pytest.raises(ValueError, match="missing"):
        f.optimal_alpha_r(alpha_t=0.1, **FIG2)
    with pytest.raises(ValueError, match="interval"):
        il.derivative(alpha_t=2.0, **FIG2_REST)


def test_figure_optimum_brackets_then_solves():
    """theory_optimum(order=2) brackets on the figure's coarse grid, then solves on the
    sub-interval: the same stationary point as the whole range's interpolant; Fig. 6a's
    optimum (-1.4685) lies inside [-1.5, 1.5] next to the edge, Fig. 6b's (-1.560) beyond it."""
    from symmaml.experiments.figures import theory_optimum
    from symmaml.experiments.paper import get_figure
    fig = get_figure("6a")
    P = fig.params
    f = loss_function(1, order=2)
    full, _ = f.argmin_alpha_t((-1.5, 1.5), alpha_r=fig.fixed, delta_sq=fig.delta_sq,
                               **{k: P[k] for k in ("n_t", "n_v", "n_r", "m", "p", "sigma",
                                                    "nu")})
    x, _, how = theory_optimum("6a", order=2)
    assert how == "numeric" and abs(x - full) < 1e-7 and -1.5 < x < -1.45
    assert theory_optimum("6b", order=2)[0] is None
