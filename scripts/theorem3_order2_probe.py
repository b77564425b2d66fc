"""Why Theorem 3's expansion fails where p_eff is small: a seeded measurement at Fig. 4b.

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
per-task randomness of A is removed; another keeps each task's scale, rows N(0, c_i H_t)
with c_i = Tr K_i / Tr H_t taken from the simulated tasks; and "noise variance at its mean"
recomputes E on the same draws with each validation row's noise variance
sigma^2 (1 + k^2 x^T W x) replaced by its mean (what the correlation between a row and its
own noise is worth).  It is a diagnostic, not a theory: the numbers
quoted in the README ("Theorem 3 at order 2") come from it.  Its truncation column is the
package's order 2 (symmaml.theory.finite_size_general, derived exactly) estimated by
simulation instead.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def _block_diag(blocks):
    """(R, m, n_v, n_v) task blocks -> (R, m n_v, m n_v) block-diagonal matrices."""
    R, m, n, _ = blocks.shape
    out = np.zeros((R, m * n, m * n))
    for i in range(m):
        out[:, i * n:(i + 1) * n, i * n:(i + 1) * n] = blocks[:, i]
    return out


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
    noise = sig ** 2 * (1 + alpha_t ** 2 / n_t * np.trace(S @ S))   # E sigma^2(1 + k^2 x^T W x)
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(round(1e6 * (alpha_t + 10)))]))
    keys = ("exact", "trunc", "p_eff", "trK", "mean_noise")
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
        signal = Xv @ A @ Sw @ A @ np.swapaxes(Xv, -1, -2)
        blocks = signal + sig ** 2 * (np.eye(n_v) + k ** 2 * Xv @ W @ np.swapaxes(Xv, -1, -2))
        Gam = _block_diag(blocks)
        G = B @ np.swapaxes(B, -1, -2)
        Y = B @ Hr @ np.swapaxes(B, -1, -2)
        Gi = np.linalg.inv(G)
        GYG = Gi @ Y @ Gi
        acc["exact"].append(np.trace(Gam @ GYG, axis1=-2, axis2=-1))
        # the same draws with the noise variance sigma^2 (1 + k^2 x^T W x) of each validation
        # row replaced by its mean: what the row-noise correlation within a task is worth
        acc["mean_noise"].append(np.trace(_block_diag(signal + noise * np.eye(n_v)) @ GYG,
                                          axis1=-2, axis2=-1))
        D = G / s - np.eye(N)
        E = Y / y - np.eye(N)
        M = np.eye(N) + E - 2 * D + 3 * D @ D - D @ E - E @ D
        acc["trunc"].append(y / s ** 2 * np.trace(Gam @ M, axis1=-2, axis2=-1))
    # the same problem with every row an independent N(0, H_t) (no shared A within a task,
    # noise variance at its mean): the "Gaussian-equivalent" rows
    Lh = np.linalg.cholesky(Ht + 1e-14 * np.trace(Ht) / p * I)
    trK = np.concatenate(acc["trK"]).reshape(runs, m)
    for name, scale in (("gauss", np.ones((runs, m))), ("mixture", trK / np.trace(Ht))):
        # rows N(0, H_t), and rows N(0, c_i H_t) with c_i = Tr K_i / Tr H_t the simulated
        # tasks' own scale (the spread of Tr K kept, the shape of K and the noise at means)
        vals = []
        for start in range(0, runs, chunk):
            R = min(chunk, runs - start)
            root = np.sqrt(scale[start:start + R])[:, :, None, None]
            Bb = root * (rng.standard_normal((R, m, n_v, p)) @ Lh.T)
            Gam = _block_diag(Bb @ Sw @ np.swapaxes(Bb, -1, -2) + noise * np.eye(n_v))
            B = Bb.reshape(R, N, p)
            Gi = np.linalg.inv(B @ np.swapaxes(B, -1, -2))
            vals.append(np.trace(Gam @ Gi @ (B @ Hr @ np.swapaxes(B, -1, -2)) @ Gi,
                                 axis1=-2, axis2=-1))
        acc[name] = vals
    out = {key: np.concatenate(v) for key, v in acc.items()}
    ex, tr = out["exact"], out["trunc"]
    se = lambda v: v.std(ddof=1) / np.sqrt(runs)   # noqa: E731
    return dict(alpha_t=alpha_t, exact=ex.mean(), se=ex.std(ddof=1) / np.sqrt(runs),
                paper=N * c * y / s ** 2, trunc=tr.mean(),
                trunc_se=tr.std(ddof=1) / np.sqrt(runs), p_eff=out["p_eff"].mean(),
                trK_spread=out["trK"].std() / out["trK"].mean(), gauss=out["gauss"].mean(),
                gauss_se=se(out["gauss"]), mixture=out["mixture"].mean(),
                mixture_se=se(out["mixture"]), mean_noise=out["mean_noise"].mean(),
                mean_noise_se=se(out["mean_noise"] - ex))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    print(f"Fig. 4b, E = E omega*^T H_r omega*, {args.runs} runs per alpha_t, seed {args.seed}")
    print("| alpha_t | simulated E | paper (order 1) | 2nd-order truncation | noise variance "
          "at its mean | rows N(0, H_t) | rows N(0, c_i H_t) | p_eff | sd(Tr K)/Tr K |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in (-1.5, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, 1.5):      # 0.2: Fig. 4a
        r = probe(a, args.runs, args.seed)
        rel = lambda v: f"{r[v]:.5f} ({100 * (r[v] / r['exact'] - 1):+.1f} %)"   # noqa: E731
        print(f"| {a:+.1f} | {r['exact']:.5f} ± {r['se']:.5f} | {rel('paper')} | {rel('trunc')} | "
              f"{rel('mean_noise')} | {rel('gauss')} | {rel('mixture')} | {r['p_eff']:.1f} | "
              f"{100 * r['trK_spread']:.0f} % |", flush=True)


if __name__ == "__main__":
    main()
