"""Why Theorem 3 has no order-2 theory yet: a seeded measurement at Fig. 4b's parameters.

    python scripts/theorem3_order2_probe.py [--runs 20000] [--seed 2026]

Theorem 3's loss is sigma^2/2 (1 + alpha_r^2 Tr Sigma^2 / n_r) + Tr(Sigma_w H_r)/2 + E/2 with
E = E omega*^T H_r omega* (Eqs. 14, 115-141; omega0 = w0 = 0).  The paper replaces
G = B B^T, Y = B H_r B^T and gamma gamma^T by their means s I, y I, c I (Eqs. 137-141):
E ~ N c y / s^2.  Carrying the expansion of G^-1 = (1/s)(I + D)^-1, D = G/s - I, one order
further (E' = Y/y - I):

    E ~ (y/s^2) E Tr[gamma gamma^T (I + E' - 2D + 3D^2 - D E' - E' D)].

This script estimates every moment in that truncation by simulation (the same draws for all
terms) and prints, per alpha_t: the simulated E (with its standard error), the paper's value,
the truncation's, and what makes the expansion fail: the effective dimension
p_eff = (Tr K)^2 / Tr K^2 of a task's row covariance K = A Sigma A (A = I - alpha_t W_t/n_t)
and the relative spread of Tr K across tasks.  A further column solves the same problem with
independent Gaussian rows N(0, H_t) (Eq. 15's mean covariance): what is left once the
per-task randomness of A is removed.  It is a diagnostic, not a theory: the numbers
quoted in the README ("Theorem 3 at order 2") come from it.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def probe(alpha_t, runs, seed, chunk=500):
    from symmaml.experiments.paper import get_figure
    fig = get_figure("4b")
    S, Sw = fig.matrices()
    P = fig.params
    p, n_t, n_v, m, n_r, sig = P["p"], P["n_t"], P["n_v"], P["m"], P["n_r"], P["sigma"]
    a_r = fig.fixed
    N = n_v * m
    I = np.eye(p)
    F = 2 * S @ S @ S + S * np.trace(S @ S)            # Gaussian inputs (Eq. 111)

    def H(a, n):
        return S @ (I - a * S) @ (I - a * S) + a ** 2 / n * (F - S @ S @ S)

    Hr, Ht = H(a_r, n_r), H(alpha_t, n_t)
    s, y = np.trace(Ht), np.trace(Hr @ Ht)
    c = np.trace(Sw @ Ht) + sig ** 2 * (1 + alpha_t ** 2 / n_t * np.trace(S @ S))
    L = np.linalg.cholesky(S)
    k = alpha_t / n_t
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(round(1e6 * (alpha_t + 10)))]))
    keys = ("exact", "trunc", "p_eff", "trK")
    acc = {key: [] for key in keys}
    for start in range(0, runs, chunk):
        R = min(chunk, runs - start)
        Xt = rng.standard_normal((R, m, n_t, p)) @ L.T
        Xv = rng.standard_normal((R, m, n_v, p)) @ L.T
        W = np.swapaxes(Xt, -1, -2) @ Xt
        A = I - k * W
        B = (Xv @ A).reshape(R, N, p)
        K = A @ S @ A
        trK = np.trace(K, axis1=-2, axis2=-1)
        acc["trK"].append(trK.reshape(-1))
        acc["p_eff"].append((trK ** 2 / np.trace(K @ K, axis1=-2, axis2=-1)).reshape(-1))
        blocks = (Xv @ A @ Sw @ A @ np.swapaxes(Xv, -1, -2)
                  + sig ** 2 * (np.eye(n_v) + k ** 2 * Xv @ W @ np.swapaxes(Xv, -1, -2)))
        Gam = np.zeros((R, N, N))
        for i in range(m):
            Gam[:, i * n_v:(i + 1) * n_v, i * n_v:(i + 1) * n_v] = blocks[:, i]
        G = B @ np.swapaxes(B, -1, -2)
        Y = B @ Hr @ np.swapaxes(B, -1, -2)
        Gi = np.linalg.inv(G)
        acc["exact"].append(np.trace(Gam @ Gi @ Y @ Gi, axis1=-2, axis2=-1))
        D = G / s - np.eye(N)
        E = Y / y - np.eye(N)
        M = np.eye(N) + E - 2 * D + 3 * D @ D - D @ E - E @ D
        acc["trunc"].append(y / s ** 2 * np.trace(Gam @ M, axis1=-2, axis2=-1))
    # the same problem with every row an independent N(0, H_t) (no shared A within a task,
    # noise variance at its mean): the "Gaussian-equivalent" rows
    Lh = np.linalg.cholesky(Ht + 1e-14 * np.trace(Ht) / p * I)
    noise = sig ** 2 * (1 + alpha_t ** 2 / n_t * np.trace(S @ S))
    ge = []
    for start in range(0, runs, chunk):
        R = min(chunk, runs - start)
        B = rng.standard_normal((R, N, p)) @ Lh.T
        Bw = B @ Sw @ np.swapaxes(B, -1, -2)
        Gam = noise * np.broadcast_to(np.eye(N), (R, N, N)).copy()
        for i in range(m):
            sl = slice(i * n_v, (i + 1) * n_v)
            Gam[:, sl, sl] += Bw[:, sl, sl]
        G = B @ np.swapaxes(B, -1, -2)
        Gi = np.linalg.inv(G)
        ge.append(np.trace(Gam @ Gi @ (B @ Hr @ np.swapaxes(B, -1, -2)) @ Gi,
                           axis1=-2, axis2=-1))
    acc["gauss"] = ge
    out = {key: np.concatenate(v) for key, v in acc.items()}
    ex, tr = out["exact"], out["trunc"]
    return dict(alpha_t=alpha_t, exact=ex.mean(), se=ex.std(ddof=1) / np.sqrt(runs),
                paper=N * c * y / s ** 2, trunc=tr.mean(),
                trunc_se=tr.std(ddof=1) / np.sqrt(runs), p_eff=out["p_eff"].mean(),
                trK_spread=out["trK"].std() / out["trK"].mean(), gauss=out["gauss"].mean(),
                gauss_se=out["gauss"].std(ddof=1) / np.sqrt(runs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    print(f"Fig. 4b, E = E omega*^T H_r omega*, {args.runs} runs per alpha_t, seed {args.seed}")
    print("| alpha_t | simulated E | paper (order 1) | 2nd-order truncation | Gaussian rows "
          "N(0, H_t) | p_eff | sd(Tr K)/Tr K |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for a in (-1.5, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, 1.5):      # 0.2: Fig. 4a
        r = probe(a, args.runs, args.seed)
        rel = lambda v: 100 * (v / r["exact"] - 1)   # noqa: E731
        print(f"| {a:+.1f} | {r['exact']:.5f} ± {r['se']:.5f} | {r['paper']:.5f} "
              f"({rel(r['paper']):+.1f} %) | {r['trunc']:.5f} ({rel(r['trunc']):+.1f} %) | "
              f"{r['gauss']:.5f} ({rel(r['gauss']):+.1f} %) | {r['p_eff']:.1f} | {100 * r['trK_spread']:.0f} % |")


if __name__ == "__main__":
    main()
