"""Benchmark of the numeric layer: Theorem 3's loss (Eqs. 14-16) over 1000 alpha_t values.

    python benchmarks/bench_numeric.py [--quick] [--values 1000] [--seed 0]

Set-up follows Fig. 4 / Eq. 17: Sigma ~ W(I, p)/p, Sigma_w ~ nu^2/p W(I, p)/p (Wishart
draws normalised by their p degrees of freedom), F = 2 Sigma^3 + Sigma Tr Sigma^2 (the
Gaussian value), nu = 0.5, n_t = 30, n_v = 2, n_r = 20, m = 3, sigma = 1, alpha_r = 0.2,
alpha_t = linspace(-1, 1, 1000).  The expression is the derived Theorem 3 loss,
symmaml.theory.loss(3).  All numbers are measured in this process:

(a) TraceEvaluator: one-time set-up (split into symbolic expansion, validation, eigh,
    basis change, traces, compilation) and the time of one vectorised evaluation at the
    1000 values, at p = 60, 500 and 4000 (4000 only without --quick);
(b) the direct evaluation (every p x p product per alpha_t value, symmaml.numeric.
    direct_evaluate) at p = 60 and 500 on a subset of the values, extrapolated per value,
    and the speed-up ratios (evaluation only, and set-up + evaluation) against it, with
    the largest relative difference between the two on the subset.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from symmaml.montecarlo.sampling import wishart_draw  # noqa: E402
from symmaml.numeric import TraceEvaluator, direct_evaluate, gaussian_F  # noqa: E402
from symmaml.symbols import alpha_r, alpha_t, m, n_r, n_t, n_v, sigma  # noqa: E402

from symmaml import theory  # noqa: E402
from symmaml.theory.model import F, Sigma as S, Sigma_w as Sw  # noqa: E402

SCALARS = (alpha_t, alpha_r, n_t, n_v, n_r, m, sigma)
FIXED = dict(alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=3, sigma=1.0)
NU = 0.5


def theorem3_loss():
    """Eq. 14 as derived by the theory layer (H_t, H_r of Eqs. 15-16 unexpanded)."""
    return theory.loss(3)


def draw(pp, seed):
    rng = np.random.default_rng(seed)
    Sn = wishart_draw(pp, rng=rng)
    Swn = wishart_draw(pp, scale=NU ** 2 / pp, rng=rng)
    return {S: Sn, Sw: Swn, F: gaussian_F(Sn)}


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="p = 60, 500 only, fewer direct values (< 30 s)")
    ap.add_argument("--values", type=int, default=1000, help="number of alpha_t values (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for set-up and baseline alike (default 1: on a shared 2-core "
                         "machine multi-threaded OpenBLAS spins and eigh gets 5-50x slower; 0 = no limit)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits
    if args.threads > 0:
        threadpool_limits(limits=args.threads, user_api="blas")

    sizes = [60, 500] if args.quick else [60, 500, 4000]
    n_direct = {60: 20 if args.quick else 100, 500: 3 if args.quick else 10, 4000: 1}
    at = np.linspace(-1.0, 1.0, args.values)
    expr = theorem3_loss()
    print(f"Theorem 3 (Eq. 14) at {args.values} alpha_t in [-1, 1]; nu={NU}, {FIXED}; seed {args.seed}")
    print(f"machine: {os.cpu_count()} CPU(s); numpy {np.__version__}; "
          f"BLAS threads: {args.threads if args.threads > 0 else 'unlimited'}\n")

    rows = []
    for pp in sizes:
        t0 = time.perf_counter()
        mats = draw(pp, args.seed)
        t_draw = time.perf_counter() - t0
        t0 = time.perf_counter()
        ev = TraceEvaluator(expr, mats, scalars=SCALARS, basis=S, psd=[S, Sw])
        t_setup = time.perf_counter() - t0
        eval_best, eval_med, fast = best_of(lambda: ev(alpha_t=at, **FIXED), 5 if pp > 500 else 20)
        row = dict(p=pp, draw=t_draw, setup=t_setup, tim=ev.timings, traces=ev.n_traces,
                   eval=eval_best, eval_med=eval_med, argmin=float(at[np.argmin(fast)]),
                   lmin=float(np.min(fast)))
        if pp in (60, 500) or (pp == 4000 and not args.quick):
            k = n_direct[pp]
            idx = np.linspace(0, args.values - 1, k).round().astype(int)
            t0 = time.perf_counter()
            ref = direct_evaluate(expr, mats, dict(alpha_t=at[idx], **FIXED))
            t_dir = time.perf_counter() - t0
            row.update(direct_n=k, direct_per_value=t_dir / k,
                       maxrel=float(np.max(np.abs(fast[idx] / ref - 1))))
        rows.append(row)
        print(f"p={pp}: done (set-up {t_setup:.3f} s)", flush=True)

    print("\n(a) TraceEvaluator, one-time set-up and evaluation at all alpha_t values")
    print("| p | draw S, Sw, F (s) | set-up total (s) | symbolic | validate+PSD | eigh | basis change | traces | compile | distinct traces | eval of 1000 values (ms, best / median) | per value (us) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["tim"]
        other = r["setup"] - sum(t[k] for k in ("symbolic", "eigh", "transform", "traces", "compile"))
        print(f"| {r['p']} | {r['draw']:.3f} | {r['setup']:.3f} | {t['symbolic']:.3f} | {other:.3f} | "
              f"{t['eigh']:.3f} | {t['transform']:.3f} | {t['traces']:.3f} | {t['compile']:.3f} | "
              f"{r['traces']} | {1e3 * r['eval']:.3f} / {1e3 * r['eval_med']:.3f} | "
              f"{1e6 * r['eval'] / args.values:.3f} |")

    print("\n(b) direct p x p evaluation (baseline, same run), extrapolated to all values")
    print("| p | direct values timed | direct per value (ms) | direct, all values (s, extrap.) | speed-up, evaluation only | speed-up incl. set-up | max rel. diff |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "direct_n" not in r:
            continue
        per_fast = r["eval"] / args.values
        total_direct = r["direct_per_value"] * args.values
        print(f"| {r['p']} | {r['direct_n']} | {1e3 * r['direct_per_value']:.2f} | {total_direct:.2f} | "
              f"{r['direct_per_value'] / per_fast:,.0f}x | {total_direct / (r['setup'] + r['eval']):,.1f}x | "
              f"{r['maxrel']:.1e} |")

    print("\nargmin over alpha_t (loss at the minimum): "
          + ", ".join(f"p={r['p']}: {r['argmin']:+.3f} ({r['lmin']:.4f})" for r in rows))
    big = [r for r in rows if r["p"] == 4000]
    if big:
        r = big[0]
        ok = r["eval"] < 1.0
        print(f"goal p=4000, {args.values} values in < 1 s after set-up: {1e3 * r['eval']:.2f} ms "
              f"({'met' if ok else 'NOT met'}); set-up {r['setup']:.1f} s of which eigh {r['tim']['eigh']:.1f} s")


if __name__ == "__main__":
    main()
