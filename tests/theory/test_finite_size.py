"""The order-2 (finite-size) theory's symbolic side: symmaml.theory.finite_size."""
import pytest
from sympy import Symbol, cancel

from symmaml import theory
from symmaml.symbols import m, n_v, nu, p
from symmaml.theory import finite_size as fs


def test_alpha0_proof_holds():
    proof = fs.alpha0_proof()
    assert proof.holds and "N/(p - N - 1)" in str(proof)


def test_derivation_steps_cite_equations_and_name_approximations():
    d = theory.derivation(1, order=2)
    eqs = [s.equation for s in d.steps]
    assert eqs == ["59-65", "70-74", "77", "76", "78", "79", "80-82"]
    kinds = {s.equation: s.kind for s in d.steps}
    assert kinds["76"] == kinds["77"] == "exact" and kinds["78"] == "approximation"
    assert all(s.error for s in d.steps if s.kind == "approximation")
    assert d.result.has(fs.S_sigma) and d.extras["order"] == 2


def test_nu_part_equals_the_exact_alpha0_block_formula():
    """N (p - n_v - 1)/(p - N - 1) is the per-block Schur-complement value summed over m."""
    N = n_v * m
    _, nu_part = fs.exact_parts()
    per_block = n_v * (1 + (N - n_v) / (p - N - 1))
    assert cancel(nu_part - nu ** 2 / p * m * per_block) == 0


def test_loss_order_argument():
    L2 = theory.loss(1, order=2)
    assert L2.has(fs.S_sigma) and L2 != theory.loss(1)
    L2v = theory.loss(1, order=2, p=60, n_v=2, m=3)
    assert not L2v.has(Symbol("p"))
    with pytest.raises(ValueError, match="order"):
        theory.loss(1, order=3)
    with pytest.raises(ValueError, match="order"):
        theory.loss(1, order=True)
    with pytest.raises(ValueError, match="order"):
        theory.loss(3, order=3)
    with pytest.raises(ValueError, match="one-step"):
        theory.loss(1, steps_t=2, order=2)


def test_noise_equations_have_only_the_declared_symbols():
    eqs = fs.noise_equations()
    allowed = {fs.omega, fs.c_rank, n_v, p, *fs.SUMS}
    for expr in eqs.values():
        assert expr.free_symbols <= allowed


def test_projection_steps_are_the_correction_in_named_pieces():
    """Step 3b's record (subexpressions, main): each definition uses only the declared
    symbols and those defined before it; substituted back, they give projection_correction's
    delta s, delta U, and the named equations give noise_equations' F and traces -- checked
    exactly at rational points (the full expressions are too large to cancel quickly)."""
    from sympy import Rational, Symbol, symbols
    defs = fs.projection_steps()
    known = {fs.omega, fs.c_rank, p, *fs.SUMS}
    for sym, rhs in defs:
        assert rhs.free_symbols <= known, (sym, rhs.free_symbols - known)
        known.add(sym)
    assert [sym.name for sym, _ in defs[-2:]] == ["delta_s", "delta_U"]
    named, full = fs.noise_equations(named=True), fs.noise_equations()
    assert named["F"].has(Symbol("delta_s")) and named["trace_Ag"].has(Symbol("delta_U"))
    for point in ((Rational(3, 5), Rational(-1, 4), Rational(1, 3), Rational(7, 2),
                   Rational(-5, 3), Rational(4, 1), Rational(1, 2), Rational(2, 3), 30, 2),
                  (Rational(9, 10), Rational(-1, 20), Rational(1, 50), Rational(11, 1),
                   Rational(-2, 1), Rational(3, 1), Rational(3, 2), Rational(5, 6), 60, 3)):
        at = dict(zip((*fs.SUMS, fs.omega, fs.c_rank, p, n_v), point))
        values = {}
        for sym, rhs in defs:
            values[sym] = rhs.xreplace(at).xreplace(values)
        ds, dU = fs.projection_correction(tuple(at[x] for x in fs.SUMS), at[fs.omega],
                                          at[fs.c_rank], p=at[p])
        assert values[Symbol("delta_s")] == ds and values[Symbol("delta_U")] == dU
        sub = {**at, **dict(zip(symbols("delta_s delta_U"), (ds, dU)))}
        for key in ("F", "trace_g", "trace_Ag", "T", "tau2"):
            assert named[key].xreplace(sub) == full[key].xreplace(at), key
    free = fs.noise_equations(orthogonal=False)
    assert not free["F"].has(Symbol("delta_s")) and free["F"] != full["F"]


def test_exact_parts_by_direct_simulation():
    """The two parts called exact for every alpha_t, checked on sampled matrices: the nu^2
    part E Tr[blk(B B^T)(B B^T)^-1] = N (p - n_v - 1)/(p - N - 1) and E delta^T P delta =
    N |delta|^2 / p, at Fig. 2's sizes and alpha_t far from 0 (z-scores, Bonferroni over 4)."""
    import numpy as np
    from scipy.stats import norm
    rng = np.random.default_rng(20261202)
    n_t, nv, mm, pp, R = 30, 2, 3, 60, 3000
    N = nv * mm
    delta = np.ones(pp) / np.sqrt(pp)              # |delta|^2 = 1
    z_crit = norm.isf(1e-3 / 8)
    for at in (-1.5, 1.0):
        blk, dpd = np.empty(R), np.empty(R)
        for r in range(R):
            Bs = []
            for _ in range(mm):
                Xt = rng.standard_normal((n_t, pp))
                A = np.eye(pp) - at / n_t * Xt.T @ Xt
                Bs.append(rng.standard_normal((nv, pp)) @ A)
            B = np.vstack(Bs)
            Gi = np.linalg.inv(B @ B.T)
            blk[r] = sum(np.trace(Bs[i] @ Bs[i].T @ Gi[i * nv:(i + 1) * nv, i * nv:(i + 1) * nv])
                         for i in range(mm))
            dpd[r] = delta @ B.T @ Gi @ B @ delta
        for x, exact in ((blk, N * (pp - nv - 1) / (pp - N - 1)), (dpd, N / pp)):
            z = (x.mean() - exact) / (x.std(ddof=1) / np.sqrt(R))
            assert abs(z) < z_crit, (at, z)
