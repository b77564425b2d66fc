"""Theorem 3 at order 2 (symmaml.theory.finite_size_general): the derivation, its
assembly against a seeded simulation of the same truncation, its isotropic limit, the
compiled evaluator, the regime, and Fig. 4 against simulation."""
import numpy as np
import pytest
from sympy import MatrixSymbol, Symbol, Trace, cancel

from symmaml import theory
from symmaml.claims.finite_size import CLAIMS
from symmaml.experiments.paper import get_figure
from symmaml.experiments.validation import format_table, to_records, validate, z_threshold
from symmaml.numeric import direct_evaluate, theorem3_effective_dimension, theorem3_evaluator
from symmaml.numeric.losses import loss_function
from symmaml.symbols import alpha_r, alpha_t, n_r, n_t
from symmaml.theory import finite_size_general as fg
from symmaml.theory.model import Sigma, Sigma_w

SCALARS = dict(n_t=20, n_v=2, n_r=5, m=2, sigma=0.7)
RUNS = 20000


def _rest(alpha_r, S, Sw, n_r, sigma):
    """sigma^2 (1 + alpha_r^2 Tr Sigma^2/n_r) + Tr(Sigma_w H_r), Gaussian inputs (Eq. 14
    without its omega* term), per alpha_r."""
    S2, out = S @ S, []
    for a in np.atleast_1d(alpha_r):
        R = np.eye(len(S)) - a * S
        Hr = S @ R @ R + a ** 2 / n_r * (np.trace(S2) * S + S2 @ S)
        out.append(sigma ** 2 * (1 + a ** 2 * np.trace(S2) / n_r) + np.trace(Sw @ Hr))
    return np.array(out)


def _matrices(size, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size + 3))
    b = rng.standard_normal((size, size + 2))
    return a @ a.T / (size + 3), 0.3 * b @ b.T / (size + 2)


def test_derivation_steps_and_symbols():
    d = theory.derivation(3, order=2)
    assert d.result == theory.loss(3, order=2)
    eqs = [s.equation for s in d.steps]
    assert eqs[0] == "115-124" and "140" in eqs and eqs[-1] == "14"
    assert all(s.error for s in d.steps if s.kind == "approximation")
    mats = {a.name for a in d.result.atoms(MatrixSymbol)}
    assert mats == {"Sigma", "Sigma_w"}                 # Gaussian inputs: no F, no stand-in
    scal = {s.name for s in d.result.free_symbols if isinstance(s, Symbol)}
    assert scal <= {"alpha_t", "alpha_r", "n_t", "n_v", "n_r", "m", "p", "sigma", "rho_0"}


def _simulated_truncation(S, Sw, at, ar, runs, seed, n_t, n_v, n_r, m, sigma):
    """A per-draw loop over the model itself: tasks, inputs, noise, gamma, G, Y, and the
    second-order truncation (y/s^2) gamma^T [I + E' - 2D - DE' - E'D + 3D^2] gamma."""
    size = S.shape[0]
    L = np.linalg.cholesky(S)
    Lw = np.linalg.cholesky(Sw)
    I = np.eye(size)
    F = 2 * S @ S @ S + S * np.trace(S @ S)

    def H(a, n):
        return S @ (I - a * S) @ (I - a * S) + a ** 2 / n * (F - S @ S @ S)
    Ht, Hr = H(at, n_t), H(ar, n_r)
    s, y = np.trace(Ht), np.trace(Hr @ Ht)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    N = n_v * m
    vals = np.empty(runs)
    for r in range(runs):
        B, g = [], []
        for _ in range(m):
            Xt = rng.standard_normal((n_t, size)) @ L.T
            Xv = rng.standard_normal((n_v, size)) @ L.T
            dw = Lw @ rng.standard_normal(size)
            zt, zv = sigma * rng.standard_normal(n_t), sigma * rng.standard_normal(n_v)
            A = I - at / n_t * Xt.T @ Xt
            B.append(Xv @ A)
            g.append(Xv @ A @ dw - at / n_t * Xv @ Xt.T @ zt + zv)
        B, g = np.vstack(B), np.concatenate(g)
        D = B @ B.T / s - np.eye(N)
        E = B @ Hr @ B.T / y - np.eye(N)
        M = np.eye(N) + E - 2 * D - D @ E - E @ D + 3 * D @ D
        vals[r] = y / s ** 2 * g @ M @ g
    return vals.mean(), vals.std(ddof=1) / np.sqrt(runs)


def test_assembly_against_a_simulated_truncation():
    """The moments, task weights and H_r substitution against the same truncation averaged
    over seeded draws of the model (p = 12, two tasks), at three alpha_t: z-scores with a
    Bonferroni threshold."""
    S, Sw = _matrices(12, 1)
    e2 = fg.derive().extras["E_h"]
    zc = z_threshold(3, RUNS)
    for k, at in enumerate((-0.4, 0.0, 0.3)):
        want = float(direct_evaluate(e2, {Sigma: S, Sigma_w: Sw},
                                     dict(alpha_t=at, alpha_r=0.3, **SCALARS)))
        mc, se = _simulated_truncation(S, Sw, at, 0.3, RUNS, [5, k], **SCALARS)
        assert abs(mc - want) / se < zc, (at, mc, want, se)


def test_a_wrong_assembly_is_rejected():
    """The same check sees the path through a second task dropped from Q_GG (40 s.e.)."""
    S, Sw = _matrices(12, 1)
    Ht, Hr = fg.gaussian_H(alpha_t, n_t), fg.gaussian_H(alpha_r, n_r)
    parts = dict(fg.moment_parts())
    parts["QGG"] = (parts["QGG"][0], 0 * parts["QGG"][1])
    Q = fg.assemble(parts, Hr)
    wrong = fg.expansion(Q, Trace(Ht), Trace(Hr * Ht))
    vals = dict(alpha_t=0.3, alpha_r=0.3, **SCALARS)
    w = float(direct_evaluate(wrong, {Sigma: S, Sigma_w: Sw}, vals))
    mc, se = _simulated_truncation(S, Sw, 0.3, 0.3, RUNS, [5, 2], **SCALARS)
    assert abs(mc - w) / se > z_threshold(3, RUNS)


def test_isotropic_limit_is_exact_to_first_order_and_the_paper_is_not():
    """At Sigma = I, alpha_t = 0 the relative error is O(p^-2) and the paper's O(1/p)
    (both in the proof's condition), and the claim that states it is registered."""
    from symmaml.theory.finite_size import general_limit_proof
    proof = general_limit_proof()
    assert proof.holds and "eps**2" in proof.steps[1] and "eps*" in proof.steps[2]
    claims = {c.equation: c for c in CLAIMS}
    assert {"FS-11", "FS-12"} <= set(claims)


def test_evaluator_matches_direct_evaluation_and_rejects_bad_input():
    S, Sw = _matrices(6, 3)
    ev = theorem3_evaluator(S, Sw, order=2)
    vals = dict(alpha_t=np.array([-0.5, 0.0, 0.4]), alpha_r=0.2, **SCALARS)
    got = np.asarray(ev(**vals))
    rho = ev.match(SCALARS["n_v"], SCALARS["m"], SCALARS["sigma"])      # the alpha_t = 0 match
    want = direct_evaluate(theory.loss(3, order=2), {Sigma: S, Sigma_w: Sw},
                           dict(vals, rho_0=rho))
    np.testing.assert_allclose(got, want, rtol=1e-11)
    with pytest.raises(ValueError, match="n_v"):
        ev.match(np.array([2, 3]), 2, 0.7)
    with pytest.raises(ValueError, match="m: a positive integer"):
        ev.match(2, 2.5, 0.7)
    # no noise and no task spread: the matched term is zero, the loss finite
    ev0 = theorem3_evaluator(S, 0 * Sw, order=2)
    assert float(ev0.match(2, 2, 0.0)) == 1.0
    assert np.all(np.isfinite(ev0(**dict(vals, sigma=0.0))))
    with pytest.raises(ValueError, match="wrt"):
        ev.derivative("n_t")
    with pytest.raises(ValueError, match="F"):
        theorem3_evaluator(S, Sw, F=np.eye(6), order=2)
    with pytest.raises(ValueError, match="one-step"):
        theorem3_evaluator(S, Sw, steps_t=2, order=2)
    with pytest.raises(ValueError, match="order"):
        theorem3_evaluator(S, Sw, order=3)
    with pytest.raises(ValueError, match="theorem3_evaluator"):
        loss_function(3, order=2)


def test_effective_dimension():
    S, _ = _matrices(6, 3)
    pe = fg.effective_dimension().subs(alpha_t, 0)
    want = Trace(Sigma) ** 2 / Trace(Sigma ** 2)
    assert cancel(theory.expand_traces(pe - want)) == 0
    f = theorem3_effective_dimension(S)
    assert float(f(alpha_t=0.0, n_t=4)) == pytest.approx(np.trace(S) ** 2 / np.trace(S @ S),
                                                         rel=1e-12)


def test_optimal_alpha_r_order2_is_the_vertex():
    S, Sw = _matrices(6, 3)
    value, proof = theory.optimal_alpha_r(3, order=2)
    assert proof is None
    vals = dict(alpha_t=0.2, **SCALARS)
    ev = theorem3_evaluator(S, Sw, order=2)
    rho = ev.match(SCALARS["n_v"], SCALARS["m"], SCALARS["sigma"])
    x = float(direct_evaluate(value, {Sigma: S, Sigma_w: Sw}, dict(vals, rho_0=rho)))
    h = 1e-4
    left, mid, right = (float(ev(alpha_r=x + d, **vals)) for d in (-h, 0.0, h))
    assert mid < left and mid < right


def test_fig4_order2_against_simulation():
    """Fig. 4a (alpha_t = 0.2, inside the regime; 20 000 runs, 3 s): the order-2 gap is
    10x below the paper's at every alpha_r, MC error included (the target judged on the
    family-wise interval: measured 14-65x); the same check fails for the truncation
    without its alpha_t = 0 matching (6-11x).  Fig. 4b: only alpha_t = 0 is inside the
    regime."""
    r = validate("4a", runs=20000, seed=7, order=2)
    assert not r.extra["outside_regime"].any()
    assert r.extra["target"] == ("met",) * r.alpha.size, r.extra["target"]
    gap1 = np.abs(r.extra["rel_gap_order1"])
    bound2 = np.abs(r.rel_gap) + r.z_crit * r.stderr / np.abs(r.theory)
    assert np.all(gap1 >= 10 * bound2), gap1 / bound2
    # the unmatched truncation (rho_0 = 1) on the same runs: 10x fails (the power of the test)
    fig = get_figure("4a")
    P, (S, Sw) = fig.params, fig.matrices()
    rho = fig.theorem3_evaluator(order=2).match(P["n_v"], P["m"], P["sigma"])
    half_rest = _rest(r.alpha, S, Sw, P["n_r"], P["sigma"]) / 2      # L = rest/2 + rho E/2
    unmatched = half_rest + (r.theory - half_rest) / rho
    g2 = np.abs(r.mc / unmatched - 1)
    assert np.any(gap1 < 10 * g2), gap1 / g2
    r = validate("4b", runs=200, seed=7, order=2)
    assert list(r.extra["outside_regime"]) == [a != 0 for a in r.alpha]
    assert r.ok and all(v == "expected inaccurate" for v, o in
                        zip(r.verdict, r.extra["outside_regime"]) if o)
    (rec,) = to_records([r])
    assert [row["outside_regime"] for row in rec["rows"]] == list(r.extra["outside_regime"])
    assert rec["rows"][0]["p_eff"] == pytest.approx(7.22, abs=0.01)
    assert "outside Theorem 3's order-2 regime" in format_table([r])


def test_isotropic_sigma_against_theorem1_order2():
    """At Sigma = I (Fig. 2's sizes) Theorem 1's order 2 (within Monte Carlo error of the
    simulation there) is the reference: inside the regime Theorem 3's order 2 is closer to
    it than the paper's theorem at every alpha_t (measured: 1.9x at alpha_t = -1.5, where
    n_v m / p_eff = 0.38, to 35x), and exact at alpha_t = 0 (both match the inverse-Wishart
    value there)."""
    size = 60
    P = dict(alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=3, sigma=1.0)
    a = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0])
    S, Sw = np.eye(size), 0.25 / size * np.eye(size)
    inside = 6 / np.asarray(theorem3_effective_dimension(S)(alpha_t=a, n_t=30)) < 0.5
    assert inside.all()
    t3 = np.asarray(theorem3_evaluator(S, Sw, order=2)(alpha_t=a, **P))
    ref = np.asarray(loss_function(1, order=2)(alpha_t=a, p=size, nu=0.5, delta_sq=0.0, **P))
    paper = np.asarray(loss_function(1)(alpha_t=a, p=size, nu=0.5, delta_sq=0.0, **P))
    ratio = np.abs(paper / ref - 1) / np.abs(t3 / ref - 1)
    assert np.all(ratio >= 1.5) and ratio[a == 0] >= 5, ratio
