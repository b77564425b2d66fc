"""Where Theorem 1's order-2 residual sits: the sigma^2 factor S itself, simulated.

    python scripts/theorem1_noise_probe.py [--p 12 32] [--alpha -1 0.5 1] [--runs 100000]
                                           [--seed 7] [--n-v 2] [--m 3]

S = E Tr[(B B^T)^-1 Gamma_sigma], Gamma_sigma = blockdiag(I + k^2 X_v W_t X_v^T),
k = alpha_t/n_t (Eqs. 70-74), is the one piece of Theorem 1's order-2 loss that is not exact
(the delta and nu^2 parts are; ``symmaml.theory.finite_size``).  This script simulates S
directly (seeded; n_t = p/2 as in the order-2 p-sweep) and prints its relative error
against ``overparameterized_noise`` with the projection's orthogonal correction (step 3b)
and without it (free subordination), with z-scores from the simulation's standard error;
and it splits that error in two with the cDE solved at fixed M = A Q A per draw
(:func:`cde_at_fixed_M`): the cDE's own truncation, and the averaging over A and Q inside
the equations.
A diagnostic, not a theory: the numbers quoted in the README (Theorem 1's item 2b) come
from it.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def simulate_S(alpha_t, *, n_t, n_v, m, p, runs, seed, chunk=2000):
    """(mean, standard error) of Tr[(B B^T)^-1 Gamma_sigma] over ``runs`` seeded draws."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_t, n_v, m, p,
                                                        int(round(1e6 * (alpha_t + 10)))]))
    k = alpha_t / n_t
    vals = []
    for start in range(0, runs, chunk):
        R = min(chunk, runs - start)
        Xt = rng.standard_normal((R, m, n_t, p))
        Xv = rng.standard_normal((R, m, n_v, p))
        W = np.swapaxes(Xt, -1, -2) @ Xt
        B = (Xv @ (np.eye(p) - k * W)).reshape(R, m * n_v, p)
        G = np.linalg.inv(B @ np.swapaxes(B, 1, 2))
        blocks = np.eye(n_v) + k * k * Xv @ W @ np.swapaxes(Xv, -1, -2)
        tr = np.zeros(R)
        for i in range(m):
            sl = slice(i * n_v, (i + 1) * n_v)
            tr += np.einsum("rij,rji->r", G[:, sl, sl], blocks[:, i])
        vals.append(tr)
    v = np.concatenate(vals)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))


def cde_at_fixed_M(alpha_t, *, n_t, n_v, m, p, draws, seed, chunk=2000):
    """(mean, standard error) of the order-2 theory's X average alone: per seeded draw of
    W_t (so A) and of the projection Q (Haar, rank p - N + n_v), the corrected
    deterministic equivalent is solved on M = A Q A's own eigenvalues (bisection in log T)
    and m [T + k Tr (I - A) g(M)] is recorded.  The theory instead averages the spectral
    sums over A and Q inside the equations (exact spectrum of W_t; subordination): the
    difference between the two is what that averaging costs, and the difference between
    this and :func:`simulate_S` is the cDE's own truncation."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1, n_t, n_v, m, p,
                                                        int(round(1e6 * (alpha_t + 10)))]))
    k, r = alpha_t / n_t, p - n_v * m + n_v
    vals = []
    for start in range(0, draws, chunk):
        R = min(chunk, draws - start)
        Xt = rng.standard_normal((R, n_t, p))
        A = np.eye(p) - k * np.swapaxes(Xt, 1, 2) @ Xt
        basis, _ = np.linalg.qr(rng.standard_normal((R, p, r)))
        mu, V = np.linalg.eigh(A @ (basis @ np.swapaxes(basis, 1, 2)) @ A)
        mu = np.clip(mu, 0.0, None)                  # rank r: the rest are rounding
        a_diag = np.einsum("rji,rjk,rki->ri", V, A, V)

        def F(log_T):
            x = mu * np.exp(log_T)[:, None]
            T2 = np.exp(log_T) / (mu / (1 + x) ** 2).sum(1)
            return (x / (1 + x)).sum(1) - T2 * (mu ** 2 / (1 + x) ** 3).sum(1) - n_v
        lo, hi = np.full(R, -40.0), np.full(R, 20.0)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            up = F(mid) > 0
            hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
        T = np.exp(0.5 * (lo + hi))
        x = mu * T[:, None]
        T2 = T / (mu / (1 + x) ** 2).sum(1)
        g = T[:, None] / (1 + x) - T2[:, None] * mu / (1 + x) ** 3
        vals.append(m * (T + k * (g.sum(1) - (a_diag * g).sum(1))))
    v = np.concatenate(vals)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))


def probe(ps, alphas, runs, seed, n_v=2, m=3):
    """Rows (p, alpha_t, mc, se, corrected, free, cde, cde_se) for n_t = p/2 (the cDE at
    fixed M with runs // 2 draws)."""
    from symmaml.numeric.finite_size import overparameterized_noise
    rows = []
    for p in ps:
        sizes = dict(n_t=p // 2, n_v=n_v, m=m, p=p)
        for a in alphas:
            mc, se = simulate_S(a, runs=runs, seed=seed, **sizes)
            cde, cde_se = cde_at_fixed_M(a, draws=max(runs // 2, 2), seed=seed, **sizes)
            rows.append((p, a, mc, se, float(overparameterized_noise(a, **sizes)),
                         float(overparameterized_noise(a, orthogonal=False, **sizes)),
                         cde, cde_se))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, nargs="+", default=[12, 32])
    ap.add_argument("--alpha", type=float, nargs="+", default=[-1.0, 0.5, 1.0])
    ap.add_argument("--runs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n-v", type=int, default=2)
    ap.add_argument("--m", type=int, default=3)
    args = ap.parse_args(argv)
    print("| p | alpha_t | S simulated | vs step 3b | z | vs free | z | cDE at fixed M | "
          "its error (vs simulated) | averaging, step 3b (theory vs cDE at fixed M) | "
          "averaging, free |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p, a, mc, se, th, fr, cde, cse in probe(args.p, args.alpha, args.runs, args.seed,
                                                args.n_v, args.m):
        print(f"| {p} | {a:g} | {mc:.6f} ± {se:.6f} | {100 * (mc - th) / th:+.3f} % | "
              f"{(mc - th) / se:.1f} | {100 * (mc - fr) / fr:+.3f} % | {(mc - fr) / se:.1f} | "
              f"{cde:.6f} ± {cse:.6f} | {100 * (cde - mc) / mc:+.3f} % | "
              f"{100 * (th - cde) / cde:+.3f} % | {100 * (fr - cde) / cde:+.3f} % |")


if __name__ == "__main__":
    main()
