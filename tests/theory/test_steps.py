"""K-step MAML theory (symmaml.theory.steps): K = 1 is the paper exactly, the fast stand-in
path equals the full model averaged by the generic engine, the K-step map equals literal
gradient steps, integer sizes equal symbolic sizes, and bad input is refused."""
import warnings

import numpy as np
import pytest
from sympy import Identity, Rational, Symbol, cancel, lambdify

from symmaml import theory
from symmaml.moments import CostLimitError, expectation, gaussian_matrix, identity_coefficient
from symmaml.moments.polynomial import W
from symmaml.symbols import alpha_r, alpha_t, n_r, n_t, n_v, nu, p, sigma
from symmaml.theory import steps
from symmaml.theory.model import inner_matrix
from symmaml.theory.regime import InnerLoopDivergenceWarning

FIG2 = dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1, nu=Rational(1, 2), delta_sq=0,
            alpha_r=Rational(1, 5))
FIG3 = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=Rational(1, 5), nu=Rational(1, 5),
            alpha_r=Rational(1, 5))


@pytest.mark.parametrize("t", ["1", "2"])
def test_one_step_is_the_paper_exactly(t):
    assert cancel(steps.derive(t, 1, 1).result - theory.loss(t)) == 0
    assert theory.loss(t, steps_t=1, steps_r=1) is theory.loss(t)


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_inner_loop_is_literal_gradient_descent(K):
    rng = np.random.default_rng(K)
    n, pp, a = 7, 5, 0.3
    X, w, om, z = (rng.standard_normal(s) for s in ((n, pp), pp, pp, n))
    y = X @ w + z
    theta = om.copy()
    for _ in range(K):
        theta = theta - a / n * X.T @ (X @ theta - y)      # one full-batch gradient step
    k = Symbol("k")
    P, Q, N = steps.inner_loop(K, k)
    Wm = X.T @ X
    def mat(poly):
        f = lambdify((W, k), poly)
        ev, U = np.linalg.eigh(Wm)
        return U @ np.diag(f(ev, a / n) * np.ones_like(ev)) @ U.T
    pred = mat(P) @ (om - w) + w + mat(Q) @ (a / n * X.T @ z)
    np.testing.assert_allclose(theta, pred, rtol=1e-12, atol=1e-12)
    S = a / n * mat(Q) @ X.T
    np.testing.assert_allclose(S @ S.T, mat(N), rtol=1e-10, atol=1e-12)


def _full_model(K):
    """B, dgamma of one task with explicit A^K (the generic engine's reference)."""
    Xt, Xv = gaussian_matrix("X_t1", n_t, p), gaussian_matrix("X_v1", n_v, p)
    A = inner_matrix(Xt, alpha_t, n_t)
    Q = sum((A ** j for j in range(1, K)), Identity(p))
    dw = nu / p ** Rational(1, 2) * gaussian_matrix("g1", 1, p).T
    zt, zv = sigma * gaussian_matrix("z_t1", n_t, 1), sigma * gaussian_matrix("z_v1", n_v, 1)
    B = Xv * A ** K
    dgamma = B * dw - alpha_t / n_t * Xv * Q * Xt.T * zt + zv
    noise = [next(iter(e.atoms(type(Xt)))) for e in (dw, zt, zv)]
    return B, dgamma, noise


def test_stand_in_path_equals_the_full_model_theorem1():
    B, dg, noise = _full_model(2)
    ex = steps.derive("1", 2, 1).extras
    c_bb = identity_coefficient(expectation(B * B.T))
    Gamma = expectation(dg * dg.T, over=noise)
    c_gamma = identity_coefficient(expectation(Gamma))
    assert cancel(c_bb - ex["c_BB"]) == 0
    assert cancel(c_gamma - ex["c_Gamma"]) == 0


def test_stand_in_path_equals_the_full_model_theorem2():
    B, dg, noise = _full_model(2)
    ex = steps.derive("2", 2, 1).extras
    assert cancel(identity_coefficient(expectation(B.T * B)) - ex["c_BtB"]) == 0
    Gamma = expectation(dg * dg.T, over=noise)
    assert cancel(identity_coefficient(expectation(B.T * Gamma * B)) - ex["c_BGB"]) == 0


def test_test_side_equals_full_model_at_two_steps():
    """The K_r = 2 test average against the generic engine on the full test task."""
    Xr = gaussian_matrix("X_r", n_r, p)
    Xs = gaussian_matrix("X_s", Symbol("n_s"), p)
    Ar = inner_matrix(Xr, alpha_r, n_r)
    zr, zs = sigma * gaussian_matrix("z_r", n_r, 1), sigma * gaussian_matrix("z_s", Symbol("n_s"), 1)
    dw = nu / p ** Rational(1, 2) * gaussian_matrix("g_test", 1, p).T
    err = Ar ** 2 * dw - alpha_r / n_r * (Identity(p) + Ar) * Xr.T * zr      # omega* = w0
    u = Xs * err + zs
    from sympy import Trace
    full = expectation(Trace(u.T * u) / (2 * Symbol("n_s")))
    got = steps.test_loss(2)[0].subs(Symbol("E_d_sq"), 0)
    assert cancel(full - got) == 0


@pytest.mark.parametrize("t,vals", [("1", FIG2), ("2", FIG3)])
def test_integer_sizes_equal_symbolic_sizes(t, vals):
    sym = theory.loss(t, steps_t=2, steps_r=2)
    num = theory.loss(t, steps_t=2, steps_r=2, **vals)
    sub = sym.subs({Symbol(k): v for k, v in vals.items()})
    assert cancel(sub - num) == 0


@pytest.mark.parametrize("t,vals", [("1", FIG2), ("2", FIG3)])
def test_alpha_t_zero_does_not_depend_on_K_t(t, vals):
    base = theory.loss(t, **vals).subs(alpha_t, 0)
    for K in (2, 3, 5):
        assert cancel(theory.loss(t, steps_t=K, **vals).subs(alpha_t, 0) - base) == 0


def test_alpha_r_zero_does_not_depend_on_K_r():
    v = dict(FIG2, alpha_r=0)
    base = theory.loss(1, **v)
    assert cancel(theory.loss(1, steps_r=3, **v) - base) == 0


def test_derivative_at_zero_is_K_times_one_step():
    assert theory.theorem(1).steps_derivative_proof(4).holds
    assert theory.theorem(2).steps_derivative_proof(3).holds
    assert theory.theorem(1).steps_derivative_proof(2, steps_r=2).holds
    d1 = theory.theorem(2).dloss_dalpha_t_at_zero(1, 1)
    assert cancel(theory.theorem(2).dloss_dalpha_t_at_zero(5, 1) - 5 * d1) == 0


def test_phase_statement_for_K():
    pr = theory.theorem(1).steps_phase(3, 2)
    assert pr.holds and "K_t = 3" in pr.claim


def test_argmin_alpha_r_matches_closed_form_at_one_step():
    vals = {k: v for k, v in FIG2.items() if k != "alpha_r"}
    vals["alpha_t"] = Rational(-1, 2)
    T = theory.theorem(1)
    closed = T.optimal_alpha_r()[0].subs({Symbol(k): v for k, v in vals.items()})
    assert abs(float(T.argmin_alpha_r(vals)) - float(closed)) < 1e-20
    assert float(T.argmin_alpha_r(vals, steps_r=3)) != pytest.approx(float(closed), rel=1e-3)


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.0, True, "2", None])
def test_bad_steps_are_refused(bad):
    with pytest.raises(ValueError, match="steps_t"):
        theory.loss(1, steps_t=bad)
    with pytest.raises(ValueError, match="steps_r"):
        theory.derivation(2, steps_r=bad)


def test_theorem3_one_step_general_derivation_is_eq14_with_gaussian_F():
    from symmaml.theory.algebra import expand_traces
    from symmaml.theory.model import F
    a = steps.derive_general(1, 1).result
    b = theory.loss(3).xreplace({F: theory.gaussian_F()})
    assert cancel(expand_traces(a - b)) == 0
    assert not theory.loss(3, steps_t=2).has(F)          # Gaussian inputs for K > 1


def test_theorem3_derivative_at_zero_is_K_times_one_step():
    assert theory.theorem(3).steps_derivative_proof(2).holds


def test_theorem3_two_steps_numerically_against_direct_matrices():
    """K = 2 Theorem 3 at explicit Sigma = I, Sigma_w = nu^2/p I equals Theorem 1's K = 2."""
    from sympy import Identity
    from symmaml.theory import specialise
    L3 = theory.loss(3, steps_t=2)
    L3 = specialise(L3, Sigma_value=Identity(p), Sigma_w_value=nu ** 2 / p * Identity(p))
    L1 = theory.loss(1, steps_t=2).subs(Symbol("delta_sq"), 0)
    assert cancel(L3 - L1) == 0


def test_cost_guard():
    with pytest.raises(CostLimitError, match="steps_t = 6"):
        theory.loss(3, steps_t=6)
    with pytest.raises(CostLimitError, match="steps_t = 12.*estimated cost"):
        theory.loss(2, steps_t=12)
    with pytest.raises(ValueError, match="exceeds 1000"):
        theory.loss(1, steps_t=1001)
    with pytest.raises(ValueError, match="Theorem 2 needs p < n_v m"):
        theory.loss(2, steps_t=2, **FIG2)


def test_stability_warning_and_refusal():
    with pytest.warns(InnerLoopDivergenceWarning, match="alpha_t"):
        theory.loss(1, steps_t=2, **dict(FIG2, alpha_t=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theory.loss(1, steps_t=2, **dict(FIG2, alpha_t=Rational(-1)))   # negative: no warning
    with pytest.raises(ValueError, match="not meaningful"):
        theory.loss(1, steps_t=100, **dict(FIG2, alpha_t=-50))
