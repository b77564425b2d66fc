"""Where Theorem 1's order-2 residual sits: the sigma^2 factor S itself, simulated.

    python scripts/theorem1_noise_probe.py [--p 12 32] [--alpha -1 0.5 1] [--runs 100000]
                                           [--seed 7] [--n-v 2] [--m 3]

S = E Tr[(B B^T)^-1 Gamma_sigma], Gamma_sigma = blockdiag(I + k^2 X_v W_t X_v^T),
k = alpha_t/n_t (Eqs. 70-74), is the one piece of Theorem 1's order-2 loss that is not exact
(the delta and nu^2 parts are; ``symmaml.theory.finite_size``).  This script simulates S
directly (seeded; n_t = p/2 as in the order-2 p-sweep) and prints its relative error
against ``overparameterized_noise`` with the projection's orthogonal correction (step 3b)
and without it (free subordination), with z-scores from the simulation's standard error.
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


def probe(ps, alphas, runs, seed, n_v=2, m=3):
    """Rows (p, alpha_t, mc, se, corrected, free) for n_t = p/2."""
    from symmaml.numeric.finite_size import overparameterized_noise
    rows = []
    for p in ps:
        sizes = dict(n_t=p // 2, n_v=n_v, m=m, p=p)
        for a in alphas:
            mc, se = simulate_S(a, runs=runs, seed=seed, **sizes)
            rows.append((p, a, mc, se, float(overparameterized_noise(a, **sizes)),
                         float(overparameterized_noise(a, orthogonal=False, **sizes))))
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
    print("| p | alpha_t | S simulated | vs step 3b | z | vs free | z |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for p, a, mc, se, th, fr in probe(args.p, args.alpha, args.runs, args.seed,
                                      args.n_v, args.m):
        print(f"| {p} | {a:g} | {mc:.6f} ± {se:.6f} | {100 * (mc - th) / th:+.3f} % | "
              f"{(mc - th) / se:.1f} | {100 * (mc - fr) / fr:+.3f} % | {(mc - fr) / se:.1f} |")


if __name__ == "__main__":
    main()
