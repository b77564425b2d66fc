"""Where does Fig. 3b's order-2 residual come from?  A seeded measurement of step 6 (the
A average) of Theorem 2's order 2, behind the README's note on Figs. 3b/6d.

    python scripts/spectrum_average_probe.py [--runs 60000] [--seed 2026] [--alpha -1 ...]

Step 6 (:mod:`symmaml.theory.finite_size_tasks`) lets the exact *expected* spectrum of W_t
stand for each task's random one.  This script removes that step from the comparison: it
simulates a model in which every task's W_t = O diag(lam) O^T has one fixed spectrum lam
(one seeded draw of a Wishart spectrum at n_t, p) and a Haar-random O, and compares it with
the order-2 theory built on that same spectrum (``task_recursion(..., rule=(lam, 1))``).
Beside it, the real model (W_t = X_t^T X_t) against the real order-2 theory.  Both compare
E|omega* - w0|^2 = E Tr[F^-2 B^T Gamma B] (Eq. 85; Rao-Blackwell: exact given the inputs),
with the order-2 value matched at alpha_t = 0 as in the package.  If the two residuals
agree, the A average is not where the residual comes from.  It is a diagnostic, not a test
of the package's numbers.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

#: Fig. 3b's sizes and noise levels
SIZES = dict(n_t=5, n_v=25, m=40, p=30)
SIGMA, NU = 0.2, 0.2


def theory_E(alpha_t, rule=None, sizes=SIZES, sigma=SIGMA, nu=NU, orthogonal=True,
             resolvents=None):
    """The order-2 E|omega* - w0|^2 (matched at alpha_t = 0) on W_t's exact expected spectrum
    or on ``rule`` = (lam, w); ``orthogonal``: with step 4b (the default) or free
    subordination alone; ``resolvents``: {alpha: callable} for the last step on a given law
    of F_{-1} at alpha_t and at 0 (``scripts/recursion_level_probe.py``'s hybrid)."""
    from symmaml.inverse_wishart import underparameterized_alpha0
    from symmaml.numeric.finite_size_tasks import task_recursion
    # (each row is computed independently, so separate calls give the same bits)
    R = {a: task_recursion([a], rule=rule, orthogonal=orthogonal, **sizes,
                           resolvent=None if resolvents is None else resolvents[a])
         for a in (alpha_t, 0.0)}
    exact_s, exact_n = underparameterized_alpha0(sizes["n_v"], sizes["m"], sizes["p"])
    # underparameterized_alpha0 gives the nu^2 part per tau^2 = nu^2/p
    return (sigma ** 2 * exact_s * R[alpha_t][0][0] / R[0.0][0][0]
            + nu ** 2 / sizes["p"] * exact_n * R[alpha_t][1][0] / R[0.0][1][0])


def fixed_spectrum(rng, sizes=SIZES):
    """One draw of W_t's eigenvalues (exact zeros where p > n_t)."""
    X = rng.standard_normal((sizes["n_t"], sizes["p"]))
    lam = np.sort(np.linalg.eigvalsh(X.T @ X))
    lam[: max(sizes["p"] - sizes["n_t"], 0)] = 0.0
    return lam


def simulate(alpha_t, lam, runs, rng, sizes=SIZES, sigma=SIGMA, nu=NU, chunk=200):
    """Mean and standard error of Tr[F^-2 B^T Gamma B] over runs; ``lam`` None: the real
    model, else every W_t = O diag(lam) O^T with O Haar."""
    n_t, n_v, m, p = (sizes[k] for k in ("n_t", "n_v", "m", "p"))
    k = alpha_t / n_t
    vals = []
    for start in range(0, runs, chunk):
        R = min(chunk, runs - start)
        if lam is None:
            Xt = rng.standard_normal((R, m, n_t, p))
            W = np.swapaxes(Xt, -1, -2) @ Xt
        else:
            Q, T = np.linalg.qr(rng.standard_normal((R, m, p, p)))
            Q = Q * np.sign(np.diagonal(T, axis1=-2, axis2=-1))[..., None, :]   # Haar
            W = (Q * lam) @ np.swapaxes(Q, -1, -2)
        A = np.eye(p) - k * W
        Xv = rng.standard_normal((R, m, n_v, p))
        B = Xv @ A
        Bt = np.swapaxes(B, -1, -2)
        Fi = np.linalg.inv((Bt @ B).sum(1))
        # Gamma_i = sigma^2 (I + k^2 X_v W X_v^T) + nu^2/p B_i B_i^T (Eqs. 72-73)
        G = (sigma ** 2 * (np.eye(n_v) + k ** 2 * Xv @ W @ np.swapaxes(Xv, -1, -2))
             + nu ** 2 / p * B @ Bt)
        S = (Bt @ G @ B).sum(1)
        vals.append(np.einsum("rpq,rqp->r", Fi @ Fi, S))
    v = np.concatenate(vals)
    return v.mean(), v.std(ddof=1) / np.sqrt(runs)


def probe(alpha_t, runs, seed):
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(round(1e6 * (alpha_t + 10)))]))
    lam = fixed_spectrum(rng)
    rule = (lam, np.ones_like(lam))
    t_fixed, t_real = theory_E(alpha_t, rule), theory_E(alpha_t)
    m_fixed, s_fixed = simulate(alpha_t, lam, runs, rng)
    m_real, s_real = simulate(alpha_t, None, runs, rng)
    return dict(alpha_t=alpha_t, fixed=(t_fixed, m_fixed, s_fixed), real=(t_real, m_real, s_real))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--alpha", type=float, nargs="*", default=[-1.0])
    args = ap.parse_args()
    print(f"Fig. 3b sizes, E|omega* - w0|^2, {args.runs} runs per model, seed {args.seed}")
    print("| alpha_t | fixed spectrum: order 2 vs simulation | real model: order 2 vs "
          "simulation | difference (the A average) |")
    print("|---:|---:|---:|---:|")
    for a in args.alpha:
        r = probe(a, args.runs, args.seed)
        rel = [(t / mc - 1, s / mc) for t, mc, s in (r["fixed"], r["real"])]
        d, sd = rel[1][0] - rel[0][0], np.hypot(rel[0][1], rel[1][1])
        print(f"| {a:+.2f} | {100 * rel[0][0]:+.4f} ± {100 * rel[0][1]:.4f} % | "
              f"{100 * rel[1][0]:+.4f} ± {100 * rel[1][1]:.4f} % | "
              f"{100 * d:+.4f} ± {100 * sd:.4f} % |", flush=True)


if __name__ == "__main__":
    main()
