"""Does Theorem 2's order-2 task recursion drift from level to level?  A seeded measurement of
steps 3-5 (the cDE under free subordination, and the Woodbury recursion over tasks) of
:mod:`symmaml.theory.finite_size_tasks`, behind the README's note on Figs. 3b/6c/6d.

    python scripts/recursion_level_probe.py [--figure 3b] [--runs 20000] [--seed 2026]
                                            [--alpha -1 1]

The recursion builds g_k(zeta) = E Tr (F_k + zeta)^-1 / p for k = 1 .. m - 1 tasks, F_k =
sum_i A_i X_i^T X_i A_i, level by level, each level from the previous one.  This script
simulates the same Gram matrices (the real model: W_t = X_t^T X_t per task, fresh X_i) and
prints, per level k and shift zeta, the theory's relative error on g_k with its z-score.  The
shifts are multiples of zeta_0 = n_v Tr E A^2 / p, one task's scale.  If the error grows
with k, the levels compound; if it is flat, the recursion is not where the order-2
residual comes from.

With ``--hybrid`` it also runs the decisive comparison: the last step (the cDE under
subordination, ``task_recursion(..., resolvent=...)``) on the *simulated* law of the other
m - 1 tasks' Gram matrix (its exact empirical resolvent, g and its derivatives from the
eigenvalues) instead of the recursion's g_{m-1}, matched at alpha_t = 0 the same way, beside
the package's order-2 value, both against a simulation of E|omega* - w0|^2 (Eq. 85,
Rao-Blackwell; ``scripts/spectrum_average_probe.py``'s simulator).  If the hybrid is much
closer, the recursion's levels are where the residual comes from.  The hybrid's standard
error is over five batches of the simulated Gram matrices.  It is a diagnostic, not a test of
the package's numbers.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# the matched order-2 E|omega* - w0|^2 and the simulation of it: the sibling probe's
from spectrum_average_probe import simulate as simulate_E, theory_E  # noqa: E402

#: shifts, in units of zeta_0
MULTIPLES = (0.01, 0.1, 1.0, 10.0)


def sizes_of(figure):
    from symmaml.experiments.paper import get_figure
    P = get_figure(figure).params
    return {key: P[key] for key in ("n_t", "n_v", "m", "p")}


def zeta_unit(alpha_t, sizes):
    """zeta_0 = n_v E Tr A^2 / p (A = I - alpha_t W_t / n_t; E Tr W = n_t p,
    E Tr W^2 = n_t p (n_t + p + 1))."""
    n_t, n_v, p = sizes["n_t"], sizes["n_v"], sizes["p"]
    k = alpha_t / n_t
    return n_v * (p - 2 * k * n_t * p + k * k * n_t * p * (n_t + p + 1)) / p


def gram_spectra(alpha_t, sizes, runs, rng, chunk=1000):
    """Yield the eigenvalues of F_1 .. F_{m-1} for chunks of runs: arrays (R, m - 1, p)."""
    n_t, n_v, m, p = (sizes[key] for key in ("n_t", "n_v", "m", "p"))
    I = np.eye(p)
    for start in range(0, runs, chunk):
        R = min(chunk, runs - start)
        Xt = rng.standard_normal((R, m - 1, n_t, p))
        A = I - alpha_t / n_t * (np.swapaxes(Xt, -1, -2) @ Xt)
        B = rng.standard_normal((R, m - 1, n_v, p)) @ A
        F = np.cumsum(np.swapaxes(B, -1, -2) @ B, axis=1)          # F_1 .. F_{m-1}
        yield np.linalg.eigvalsh(F)


def _rng(seed, alpha_t, stream=0):
    return np.random.default_rng(np.random.SeedSequence([seed, int(round(1e6 * (alpha_t + 10))),
                                                         stream]))


def simulate(alpha_t, zeta, sizes, runs, seed):
    """Per-run Tr (F_k + zeta)^-1 / p, k = 1 .. m - 1: mean and standard error, arrays
    (m - 1, len(zeta))."""
    p = sizes["p"]
    total = np.zeros((sizes["m"] - 1, zeta.size))
    square = np.zeros_like(total)
    for lam in gram_spectra(alpha_t, sizes, runs, _rng(seed, alpha_t)):
        g = (1.0 / (lam[..., None] + zeta)).sum(-2) / p            # (R, m - 1, Z)
        total += g.sum(0)
        square += (g * g).sum(0)
    mean = total / runs
    return mean, np.sqrt(np.maximum(square / runs - mean ** 2, 0.0) / (runs - 1))


def probe(alpha_t, sizes, runs, seed, orthogonal=True):
    from symmaml.numeric.finite_size_tasks import level_resolvents
    zeta = zeta_unit(alpha_t, sizes) * np.asarray(MULTIPLES)
    theory = level_resolvents([alpha_t], zeta, orthogonal=orthogonal, **sizes)[:, 0, :]
    mean, se = simulate(alpha_t, zeta, sizes, runs, seed)
    return zeta, theory, mean, se


class EmpiricalResolvent:
    """g(z) = mean over runs of Tr (F + z)^-1 / p, with g' and g'', from stored spectra
    (runs, p): the simulated law of F_{-1}, exactly (no interpolation)."""

    def __init__(self, lam):
        self.lam = np.asarray(lam, dtype=float).reshape(-1)
        self.runs = lam.shape[0]
        self.p = lam.shape[-1]

    def __call__(self, z):
        out = [np.zeros(np.shape(z)) for _ in range(3)]
        for start in range(0, self.lam.size, 200_000):
            d = 1.0 / (self.lam[start:start + 200_000, None, None] + z[None])
            out[0] += d.sum(0)
            out[1] -= (d * d).sum(0)
            out[2] += 2.0 * (d * d * d).sum(0)
        scale = 1.0 / (self.runs * self.p)
        return tuple(v * scale for v in out)


def hybrid(alpha_t, sizes, runs, seed, sigma, nu, orthogonal=True, batches=5):
    """E|omega* - w0|^2 from the last step on the simulated F_{-1} (matched at alpha_t = 0):
    (value, standard error over ``batches``)."""
    spectra = {}
    for a in (alpha_t, 0.0):
        spectra[a] = np.concatenate([lam[:, -1] for lam in
                                     gram_spectra(a, sizes, runs, _rng(seed, a, 1))])

    def value(sl):
        laws = {a: EmpiricalResolvent(spectra[a][sl]) for a in spectra}
        return theory_E(alpha_t, sizes=sizes, sigma=sigma, nu=nu, orthogonal=orthogonal,
                        resolvents=laws)

    parts = [value(slice(b, None, batches)) for b in range(batches)]
    return value(slice(None)), np.std(parts, ddof=1) / np.sqrt(batches)


def hybrid_table(figure, alphas, runs, seed):
    from symmaml.experiments.paper import get_figure
    sizes = sizes_of(figure)
    P = get_figure(figure).params
    sigma, nu = P["sigma"], P["nu"]
    print(f"\nFig. {figure}: E|omega* - w0|^2, {runs} simulated runs per alpha_t (and as many "
          f"Gram matrices for the hybrid), seed {seed}; relative gaps theory/simulation - 1")
    print("| alpha_t | simulated | order 2, free subordination | order 2 with step 4b | "
          "hybrid, free | hybrid with step 4b |")
    print("|---:|---:|---:|---:|---:|---:|")
    for a in alphas:
        mc, se = simulate_E(a, None, runs, _rng(seed, a, 2), sizes=sizes, sigma=sigma, nu=nu)
        cells = []
        for o in (False, True):
            th = theory_E(a, sizes=sizes, sigma=sigma, nu=nu, orthogonal=o)
            cells.append(f"{100 * (th / mc - 1):+.4f} ± {100 * se / mc:.4f} %")
        for o in (False, True):
            hy, hy_se = hybrid(a, sizes, runs, seed, sigma, nu, o)
            cells.append(f"{100 * (hy / mc - 1):+.4f} ± {100 * np.hypot(se, hy_se) / mc:.4f} %")
        print(f"| {a:+g} | {mc:.6g} ± {se:.2g} | " + " | ".join(cells) + " |", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--figure", default="3b")
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--alpha", type=float, nargs="+", default=[-1.0, 1.0])
    ap.add_argument("--hybrid", action="store_true",
                    help="also the last step on the simulated law of the other tasks")
    ap.add_argument("--free", action="store_true",
                    help="levels of the recursion with free subordination (no step 4b)")
    args = ap.parse_args(argv)
    sizes = sizes_of(args.figure)
    print(f"Fig. {args.figure} sizes {sizes}: the recursion's g_k(zeta) "
          f"({'free subordination' if args.free else 'with step 4b'}) against {args.runs} "
          f"simulated Gram matrices per alpha_t, seed {args.seed}")
    for a in args.alpha:
        zeta, th, mean, se = probe(a, sizes, args.runs, args.seed, not args.free)
        print(f"\nalpha_t = {a:+g}: relative error of g_k, % (z), at zeta = "
              + ", ".join(f"{c:g} zeta_0" for c in MULTIPLES))
        print("| k | " + " | ".join(f"{c:g} zeta_0" for c in MULTIPLES) + " |")
        print("|---:|" + "---:|" * len(MULTIPLES))
        for k in range(th.shape[0]):
            rel, z = 100 * (th[k] / mean[k] - 1), (th[k] - mean[k]) / se[k]
            cells = [f"{rel[j]:+.4f} ({z[j]:+.1f})" for j in range(zeta.size)]
            print(f"| {k + 1} | " + " | ".join(cells) + " |", flush=True)
    if args.hybrid:
        hybrid_table(args.figure, args.alpha, args.runs, args.seed)


if __name__ == "__main__":
    main()
