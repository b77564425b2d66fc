"""Compiled losses and derived quantities agree with the exact SymPy values."""
import numpy as np
import pytest
from sympy import Rational

from symmaml import theory
from symmaml.numeric.losses import (DERIVED, derived_function, gaussian_F, gaussian_F_numeric,
                                    loss_function, theorem3_evaluator)
from symmaml.montecarlo.sampling import wishart_draw
from t3_expr import S as S_sym, fig4_matrices

FIG2 = dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5, delta_sq=0.1)
FIG3 = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2)
EPS = np.finfo(float).eps


@pytest.mark.parametrize("t,params", [("1", FIG2), ("2", FIG3)])
@pytest.mark.parametrize("name", [d for d in DERIVED if not d.startswith("alpha_t_")])
def test_compiled_matches_exact(t, params, name):
    f = derived_function(t, name)
    a_t, a_r = np.array([-0.7, -0.1, 0.0, 0.3]), 0.2
    vals = {k: v for k, v in params.items() if k in f.arg_names}
    got = f(**{k: v for k, v in dict(alpha_t=a_t, alpha_r=a_r, **vals).items()
               if k in f.arg_names})
    from symmaml.numeric.losses import _expr
    expr = _expr(t, name)
    for i, a in enumerate(a_t):
        sub = {s: Rational(str(v)) for s in expr.free_symbols
               for k, v in dict(alpha_t=a, alpha_r=a_r, **params).items() if s.name == k}
        want = float(expr.xreplace(sub).evalf(30))
        assert np.broadcast_to(got, a_t.shape)[i] == pytest.approx(want, rel=1e3 * EPS, abs=1e3 * EPS)


def test_theorem1_extrema_compiled():
    lo = derived_function(1, "alpha_t_minimum")(n_t=30, p=60)
    assert float(lo) == pytest.approx(float(theory.alpha_t_extrema()["minimum"].subs(
        {"n_t": 30, "p": 60})), rel=10 * EPS)
    with pytest.raises(ValueError, match="Theorem 1 only"):
        derived_function(2, "alpha_t_minimum")


def test_grid_broadcasting():
    f = loss_function(1)
    out = f(alpha_t=np.linspace(-1, 1, 11)[:, None], alpha_r=np.linspace(0, 1, 5)[None, :],
            **FIG2)
    assert out.shape == (11, 5) and np.all(np.isfinite(out))


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_backends_agree(backend):
    pytest.importorskip(backend)
    f_np, f_b = loss_function(2), loss_function(2, backend=backend)
    a = np.linspace(-0.5, 0.5, 9)
    from symmaml.numeric import to_numpy
    want = f_np(alpha_t=a, alpha_r=0.2, **FIG3)
    got = to_numpy(f_b(alpha_t=f_b.backend.asarray(a), alpha_r=0.2, **FIG3))
    np.testing.assert_allclose(got, want, rtol=100 * EPS)


def test_theorem3_evaluator_matches_specialised_symbolic():
    rng = np.random.default_rng(1)
    pv = 5
    A = rng.standard_normal((pv, pv)); S = A @ A.T / pv + 0.1 * np.eye(pv)
    B = rng.standard_normal((pv, pv)); Sw = B @ B.T / pv**2
    ev = theorem3_evaluator(S, Sw)
    kw = dict(alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=1, sigma=0.7)
    got = ev(alpha_t=np.array([-0.4, 0.25]), **kw)
    from sympy import ImmutableMatrix
    from symmaml.numeric import gaussian_F
    L = theory.specialise(theory.loss(3), ImmutableMatrix(S), ImmutableMatrix(Sw),
                          ImmutableMatrix(gaussian_F(S)))
    for a, g in zip([-0.4, 0.25], got):
        want = float(L.subs(dict(alpha_t=a, p=pv, **kw)))
        assert g == pytest.approx(want, rel=1e-12)


def test_gaussian_F_numeric_is_the_engine_result():
    S = np.array([[2.0, 0.5], [0.5, 1.0]])
    want = 2 * S @ S @ S + S * np.trace(S @ S)      # independent hand formula
    np.testing.assert_allclose(gaussian_F_numeric(S), want, rtol=10 * EPS)
    with pytest.raises(ValueError, match="square"):
        gaussian_F_numeric(np.ones((2, 3)))


def test_theorem3_evaluator_rejects_bad_F_name():
    with pytest.raises(ValueError, match="gaussian"):
        theorem3_evaluator(np.eye(3), np.eye(3), F="student")


def test_theorem3_needs_the_evaluator():
    with pytest.raises(ValueError, match="theorem3_evaluator"):
        derived_function(3, "loss")


def test_phase_map_matches_mpmath_argmin_and_sign():
    from symmaml.numeric.losses import phase_map
    sig = np.array([0.0, 0.1, 0.2])
    am, grid = phase_map(2, alpha_t=np.linspace(-0.5, 0.5, 2001), sigma=sig, nu=0.2,
                         **{k: v for k, v in FIG3.items() if k not in ("sigma", "nu")},
                         alpha_r=0.2)
    step = grid[1] - grid[0]
    assert am[0] == pytest.approx(0.0, abs=step)            # sigma = 0: alpha_t = 0
    assert np.all(am[1:] < 0)                                 # sigma > 0: negative optimum
    exact = float(theory.argmin_alpha_t("2", dict(FIG3, sigma=Rational(1, 5), nu=Rational(1, 5),
                                                  alpha_r=Rational(1, 5))))
    assert am[2] == pytest.approx(exact, abs=step)


def test_gaussian_F_formula():
    Sn = fig4_matrices(5, 0)[S_sym]
    Fn = gaussian_F(Sn)
    np.testing.assert_allclose(Fn, 2 * Sn @ Sn @ Sn + Sn * np.trace(Sn @ Sn), rtol=1e-13)
    assert np.array_equal(Fn, Fn.T)
    with pytest.raises(ValueError, match="square"):
        gaussian_F(np.zeros((2, 3)))


def test_gaussian_F_is_the_fourth_moment():
    """F = E[x^T S x x x^T] for x ~ N(0, S) (Section 7.4), seeded Monte Carlo, 6 sigma."""
    rng = np.random.default_rng(7)
    Sn = wishart_draw(3, rng=rng)
    L = np.linalg.cholesky(Sn)
    x = rng.standard_normal((200_000, 3)) @ L.T
    q = np.einsum("ni,ij,nj->n", x, Sn, x)
    samples = q[:, None, None] * x[:, :, None] * x[:, None, :]
    mean, se = samples.mean(0), samples.std(0) / np.sqrt(len(x))
    assert np.all(np.abs(mean - gaussian_F(Sn)) <= 6 * se)
