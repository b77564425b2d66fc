"""Theorem 2 at order 2 (symmaml.theory.finite_size_tasks): the derivation, the exact steps
on sampled matrices, and the alpha_t = 0 proof."""
import numpy as np
import pytest
from sympy import Integer, cancel
from sympy.core.function import AppliedUndef

from symmaml import theory
from symmaml.symbols import alpha_t, m, n_v, nu, p, sigma
from symmaml.theory import finite_size_tasks as ft


def test_derivation_steps_and_result():
    d = theory.derivation(2, order=2)
    assert d is ft.derive() and d.extras["order"] == 2
    kinds = [s.kind for s in d.steps]
    assert kinds[:4] == ["exact"] * 4 and kinds[-1] == "approximation"
    assert all(s.error for s in d.steps if s.kind == "approximation")
    funcs = {a.func for a in d.result.atoms(AppliedUndef)}
    assert funcs == {ft.R_sigma, ft.R_nu}
    assert theory.loss(2, order=2) == d.result
    at0 = {a for a in d.result.atoms(AppliedUndef) if a.args[0] == Integer(0)}
    assert len(at0) == 2


def test_alpha0_proof_holds():
    proof = ft.alpha0_proof()
    assert proof.holds and "exact" in proof.claim


def test_matched_pieces_are_the_inverse_wishart_values_at_alpha_zero():
    e = theory.derivation(2, order=2).extras["E_d_sq"].subs(alpha_t, 0)
    assert not e.atoms(AppliedUndef)
    s0, n0 = ft.alpha0_values(n_v, m, p)
    assert cancel(e - sigma ** 2 * s0 - nu ** 2 * n0) == 0


def test_task_equations_have_only_the_declared_symbols():
    allowed = set(ft.SYMBOLS) | set(ft.SYMBOLS_4B) | {n_v, p}
    for expr in ft.task_equations().values():
        assert expr.free_symbols <= allowed


def _sample(rng, n_t, n_v, m, p, alpha):
    k = alpha / n_t
    A, X, W = [], [], []
    for _ in range(m):
        Xt = rng.standard_normal((n_t, p))
        W.append(Xt.T @ Xt)
        A.append(np.eye(p) - k * W[-1])
        X.append(rng.standard_normal((n_v, p)))
    return k, A, X, W


def test_steps_1_and_2_are_identities_on_sampled_matrices():
    """Step 1: B_i^T Gamma_i B_i = sigma^2 [F_i + k A X^T X (I - A) X^T X A] + nu^2/p F_i^2
    (Gamma_i of Eqs. 72-73); step 2: Tr[F^-2 B_1^T C B_1] = d/dlambda Tr[C (I + X M X^T)^-1]
    at 0 (Woodbury), for C = I, k X (I - A) X^T, X A^2 X^T/p."""
    rng = np.random.default_rng(5)
    n_t, nv, mm, pp, s2, v2 = 4, 5, 4, 9, 0.7, 1.3
    k, A, X, W = _sample(rng, n_t, nv, mm, pp, 0.8)
    B = [x @ a for x, a in zip(X, A)]
    Fi = [b.T @ b for b in B]
    F = sum(Fi)
    for a, x, w, b, f in zip(A, X, W, B, Fi):
        Gamma = v2 / pp * x @ a @ a @ x.T + s2 * (np.eye(nv) + k * k * x @ w @ x.T)
        lhs = b.T @ Gamma @ b
        rhs = s2 * (f + k * a @ x.T @ x @ (np.eye(pp) - a) @ x.T @ x @ a) + v2 / pp * f @ f
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)
    Fm = F - Fi[0]
    a, x = A[0], X[0]
    Finv2 = np.linalg.matrix_power(np.linalg.inv(F), 2)
    for C in (np.eye(nv), k * x @ (np.eye(pp) - a) @ x.T, x @ a @ a @ x.T / pp):
        lhs = np.trace(Finv2 @ B[0].T @ C @ B[0])

        def t(lam):
            M = a @ np.linalg.inv(Fm + lam * np.eye(pp)) @ a
            return np.trace(C @ np.linalg.inv(np.eye(nv) + x @ M @ x.T))
        h = 1e-4 * np.trace(F) / pp
        d = (t(-2 * h) - 8 * t(-h) + 8 * t(h) - t(2 * h)) / (12 * h)
        assert d == pytest.approx(lhs, rel=1e-7)


def test_woodbury_difference_and_resolvent_identity_on_sampled_matrices():
    """Step 5: Tr (F_k + zeta)^-1 = Tr (F_{k-1} + zeta)^-1 - Tr[(I + B R B^T)^-1 B R^2 B^T],
    and Tr[A R^2 A (I + x A R A)^-1] = (Tr R - Tr (R^-1 + x A^2)^-1)/x (the u of the
    Woodbury difference)."""
    rng = np.random.default_rng(6)
    k, A, X, W = _sample(rng, 3, 4, 3, 7, -0.6)
    B = [x @ a for x, a in zip(X, A)]
    Fprev = B[0].T @ B[0] + B[1].T @ B[1]
    zeta, xx = 0.37, 2.3
    R = np.linalg.inv(Fprev + zeta * np.eye(7))
    b, a = B[2], A[2]
    H = np.eye(4) + b @ R @ b.T
    lhs = np.trace(np.linalg.inv(Fprev + b.T @ b + zeta * np.eye(7)))
    rhs = np.trace(R) - np.trace(np.linalg.inv(H) @ b @ R @ R @ b.T)
    assert lhs == pytest.approx(rhs, rel=1e-12)
    left = np.trace(a @ R @ R @ a @ np.linalg.inv(np.eye(7) + xx * a @ R @ a))
    right = (np.trace(R) - np.trace(np.linalg.inv(np.linalg.inv(R) + xx * a @ a))) / xx
    assert left == pytest.approx(right, rel=1e-10)


def test_orthogonal_steps_are_the_correction_in_named_pieces():
    """Step 4b's record (subexpressions, main): each definition uses only the declared
    symbols and those defined before it, and substituting them back gives delta s and
    delta tau of task_equations exactly."""
    from sympy import Symbol
    defs = ft.orthogonal_steps()
    known = set(ft.SYMBOLS) | set(ft.SYMBOLS_4B) | {p}
    values = {}
    for sym, rhs in defs:
        assert rhs.free_symbols <= known, (sym, rhs.free_symbols - known)
        known.add(sym)
        values[sym] = rhs.xreplace(values)
    eqs = ft.task_equations()
    assert cancel(values[Symbol("delta_s")] - eqs["ds"]) == 0
    assert cancel(values[Symbol("delta_tau")] - eqs["dtau"]) == 0
