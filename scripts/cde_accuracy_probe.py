"""How accurate is the corrected deterministic equivalent (cDE) by itself?  A seeded
measurement at Theorem 2's figures (3b, 6c, 6d), behind the README's note on Fig. 6c.

    python scripts/cde_accuracy_probe.py [--runs 200000] [--seed 2026]

Step 3 of Theorem 2's order 2 (:mod:`symmaml.theory.finite_size_tasks`) replaces the
average over a task's validation inputs X (n_v x p, standard Gaussian) of
t = E Tr (I + X M X^T)^-1 by the root of

    n_v = t + p - s(t) - t_2 s''(t)/2,   s(x) = Tr (I + x M)^-1,  t_2 = t / (1 - s'(t))   (cDE)

(the first-order equivalent drops the last term), with residual O(p^-2) relative.  Here M is
one draw of the matrix the recursion's last step sees, M = A (F_-1)^-1 A: A = I - alpha_t
W_t/n_t from one task's training inputs and F_-1 = sum_j B_j^T B_j from the m - 1 other
tasks, all drawn from the model.  For that fixed M the script solves both equations and
estimates t by simulation over X alone, so the difference is the cDE's own error, with no
subordination, recursion or A-average in it.  A second table does the same for the
lambda-derivative of t that the order-2 pieces are built from, a third for step 3's K-trace
formula (value and lambda-derivative).  It is a diagnostic: it shows the size of the
O(p^-2) term that the order-2 theory leaves, next to the order-2 residuals of
``symmaml validate --order 2``.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from scipy.optimize import brentq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

FIGURES = ("3b", "6c", "6d")
ALPHAS = (-1.0, 0.0, 1.0, 1.5)


def draw_M(fig_id, alpha_t, rng):
    """Eigenvalues of one draw of M = A (F_-1)^-1 A at the figure's sizes (Sigma = I)."""
    A, F, n_v = draw_AF(fig_id, alpha_t, rng)
    return _eig(A @ np.linalg.solve(F, A)), n_v


def _eig(M):
    return np.clip(np.linalg.eigvalsh(0.5 * (M + M.T)), 0.0, None)


def draw_AF(fig_id, alpha_t, rng):
    """One draw of a task's A and of the other m - 1 tasks' Gram matrix F_-1."""
    from symmaml.experiments.paper import get_figure
    P = get_figure(fig_id).params
    p, n_t, n_v, m = P["p"], P["n_t"], P["n_v"], P["m"]
    k = alpha_t / n_t

    def A_of():
        Xt = rng.standard_normal((n_t, p))
        return np.eye(p) - k * Xt.T @ Xt

    F = np.zeros((p, p))
    for _ in range(m - 1):
        B = rng.standard_normal((n_v, p)) @ A_of()
        F += B.T @ B
    return A_of(), F, n_v


def cde(mu, n_v, order):
    """Root t of the cDE (order 2) or of the first-order equivalent (order 1) for a fixed M
    with eigenvalues ``mu``."""
    p = len(mu)

    def F(t):
        d = 1.0 / (1.0 + t * mu)
        s, s1, s2 = d.sum(), -(mu * d * d).sum(), 2.0 * (mu * mu * d ** 3).sum()
        extra = t / (1.0 - s1) * s2 / 2.0 if order == 2 else 0.0
        return t + p - s - extra - n_v

    return brentq(F, 0.0, float(n_v), xtol=1e-15, rtol=1e-15)


def simulate(mu, n_v, runs, rng, chunk=20000):
    """Mean and standard error of Tr (I + X M X^T)^-1 over X (n_v x p, standard Gaussian)."""
    root = np.sqrt(mu)
    vals = []
    for start in range(0, runs, chunk):
        R = min(chunk, runs - start)
        X = rng.standard_normal((R, n_v, len(mu))) * root
        G = np.eye(n_v) + X @ np.swapaxes(X, -1, -2)
        vals.append(np.trace(np.linalg.inv(G), axis1=-2, axis2=-1))
    v = np.concatenate(vals)
    return v.mean(), v.std(ddof=1) / np.sqrt(runs)


def derivative_probe(fig_id, alpha_t, runs, seed, rel_h=1e-3):
    """The quantity the order-2 pieces are built from is a lambda-derivative (module doc of
    :mod:`symmaml.theory.finite_size_tasks`, step 2): d t / d lambda for M_lambda =
    A (F_-1 + lambda)^-1 A at 0.  Central differences at lambda = +-h (h = ``rel_h`` Tr F/p)
    of the cDE root against the same differences of the simulation, with the same X draws
    for both signs (so the difference is resolved).  Returns the derivative, its standard
    error and the cDE's value."""
    rng = np.random.default_rng(np.random.SeedSequence(
        [seed, 7, FIGURES.index(fig_id) if fig_id in FIGURES else 99,
         int(round(1e6 * (alpha_t + 10)))]))
    A, F, n_v = draw_AF(fig_id, alpha_t, rng)
    p = F.shape[0]
    h = rel_h * np.trace(F) / p
    mus = [_eig(A @ np.linalg.solve(F + s * h * np.eye(p), A)) for s in (1.0, -1.0)]
    vals = []
    for start in range(0, runs, 20000):
        R = min(20000, runs - start)
        Z = rng.standard_normal((R, n_v, p))
        t = []
        for mu in mus:
            X = Z * np.sqrt(mu)
            G = np.eye(n_v) + X @ np.swapaxes(X, -1, -2)
            t.append(np.trace(np.linalg.inv(G), axis1=-2, axis2=-1))
        vals.append((t[0] - t[1]) / (2 * h))
    v = np.concatenate(vals)
    d_cde = (cde(mus[0], n_v, 2) - cde(mus[1], n_v, 2)) / (2 * h)
    return dict(fig=fig_id, alpha_t=alpha_t, d=v.mean(), se=v.std(ddof=1) / np.sqrt(runs),
                d_cde=d_cde)


def ktrace_cde(mu, Kd, n_v):
    """Step 3's K-trace formula E Tr[X K X^T (I + X M X^T)^-1] = t u + t_2 (u' + t u''/2),
    u(x) = Tr K (I + x M)^-1 (x-derivatives), at the cDE root t; ``Kd``: K's diagonal in
    M's eigenbasis (its off-diagonal entries drop out of the mean)."""
    t = cde(mu, n_v, 2)
    d = 1.0 / (1.0 + t * mu)
    t2 = t / (1.0 + (mu * d * d).sum())
    u, u1, u2 = (Kd * d).sum(), -(Kd * mu * d * d).sum(), 2.0 * (Kd * mu * mu * d ** 3).sum()
    return t * u + t2 * (u1 + t * u2 / 2.0)


def ktrace_probe(fig_id, alpha_t, runs, seed, rel_h=1e-3):
    """The K-trace of step 3 for the sigma^2 piece, K = k (I - A) (k = alpha_t/n_t), at one
    model draw of M = A (F_-1 + lambda)^-1 A: its value at lambda = 0 and its
    lambda-derivative (central differences, the same X for +-h), formula against
    simulation over X."""
    from symmaml.experiments.paper import get_figure
    rng = np.random.default_rng(np.random.SeedSequence(
        [seed, 8, FIGURES.index(fig_id) if fig_id in FIGURES else 99,
         int(round(1e6 * (alpha_t + 10)))]))
    A, F, n_v = draw_AF(fig_id, alpha_t, rng)
    p = F.shape[0]
    K = alpha_t / get_figure(fig_id).params["n_t"] * (np.eye(p) - A)
    h = rel_h * np.trace(F) / p
    cases = []
    for s in (0.0, 1.0, -1.0):
        M = A @ np.linalg.solve(F + s * h * np.eye(p), A)
        mu, V = np.linalg.eigh(0.5 * (M + M.T))
        cases.append((np.clip(mu, 0.0, None), V.T @ K @ V))
    vals = []
    for start in range(0, runs, 20000):
        R = min(20000, runs - start)
        Z = rng.standard_normal((R, n_v, p))
        out = []
        for mu, Kt in cases:
            X = Z * np.sqrt(mu)
            G = np.linalg.inv(np.eye(n_v) + X @ np.swapaxes(X, -1, -2))
            out.append(np.trace((Z @ Kt @ np.swapaxes(Z, -1, -2)) @ G, axis1=-2, axis2=-1))
        vals.append(np.stack([out[0], (out[1] - out[2]) / (2 * h)], axis=1))
    v = np.concatenate(vals)
    f = [ktrace_cde(mu, np.diagonal(Kt), n_v) for mu, Kt in cases]
    return dict(value=(v[:, 0].mean(), v[:, 0].std(ddof=1) / np.sqrt(runs), f[0]),
                deriv=(v[:, 1].mean(), v[:, 1].std(ddof=1) / np.sqrt(runs),
                       (f[1] - f[2]) / (2 * h)))


def probe(fig_id, alpha_t, runs, seed):
    rng = np.random.default_rng(np.random.SeedSequence(
        [seed, FIGURES.index(fig_id) if fig_id in FIGURES else 99,
         int(round(1e6 * (alpha_t + 10)))]))
    mu, n_v = draw_M(fig_id, alpha_t, rng)
    t, se = simulate(mu, n_v, runs, rng)
    return dict(fig=fig_id, alpha_t=alpha_t, t=t, se=se, n_v=n_v, cde1=cde(mu, n_v, 1),
                cde2=cde(mu, n_v, 2), p_eff=mu.sum() ** 2 / (mu ** 2).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    print(f"t = E_X Tr (I + X M X^T)^-1 for one draw of M per row, {args.runs} draws of X, "
          f"seed {args.seed}")
    print("| Fig. | alpha_t | p_eff(M) | simulated t | first order | cDE (order 2) | cDE z | "
          "cDE on n_v - t |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for fig_id in FIGURES:
        for a in ALPHAS:
            r = probe(fig_id, a, args.runs, args.seed)
            rel = lambda v: f"{100 * (v / r['t'] - 1):+.3f} %"   # noqa: E731
            # where t is close to n_v only n_v - t carries M: the error relative to it
            gap = r["n_v"] - r["t"]
            print(f"| {fig_id} | {a:+.1f} | {r['p_eff']:.1f} | {r['t']:.6f} ± {r['se']:.6f} | "
                  f"{rel(r['cde1'])} | {rel(r['cde2'])} | {(r['cde2'] - r['t']) / r['se']:+.1f} | "
                  f"{100 * (r['t'] - r['cde2']) / gap:+.2f} ± {100 * r['se'] / gap:.2f} % |",
                  flush=True)
    print()
    print("d t / d lambda at lambda = 0 (M_lambda = A (F_-1 + lambda)^-1 A), same X for +-h")
    print("| Fig. | alpha_t | simulated | cDE (order 2) | z |")
    print("|---|---:|---:|---:|---:|")
    for fig_id in FIGURES:
        for a in ALPHAS:
            r = derivative_probe(fig_id, a, args.runs, args.seed)
            print(f"| {fig_id} | {a:+.1f} | {r['d']:.6g} ± {r['se']:.2g} | "
                  f"{100 * (r['d_cde'] / r['d'] - 1):+.3f} % | "
                  f"{(r['d_cde'] - r['d']) / r['se']:+.1f} |", flush=True)
    print()
    print("K-trace of step 3 (sigma^2 piece, K = k (I - A)): value and d/d lambda, formula "
          "against simulation")
    print("| Fig. | alpha_t | value: formula | z | d/d lambda: formula | z |")
    print("|---|---:|---:|---:|---:|---:|")
    for fig_id in FIGURES:
        for a in ALPHAS:
            if a == 0.0:
                continue                   # K = 0 at alpha_t = 0
            r = ktrace_probe(fig_id, a, args.runs, args.seed)
            cells = []
            for key in ("value", "deriv"):
                sim, se, f = r[key]
                cells.append(f"{100 * (f / sim - 1):+.3f} ± {100 * se / abs(sim):.3f} % | "
                             f"{(f - sim) / se:+.1f}")
            print(f"| {fig_id} | {a:+.1f} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
