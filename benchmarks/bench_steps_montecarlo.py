"""Cost of K-step MAML in the Monte Carlo layer: vectorised simulator vs the per-run loop.

    python benchmarks/bench_steps_montecarlo.py [--quick] [--backend numpy]

All numbers are measured in this process.  For K = K_t = K_r in 1, 2, 3, 5, 10
(``simulate(..., steps_t=K, steps_r=K)``), the time per run of the vectorised simulator
and of :func:`symmaml.montecarlo.reference_simulate` (the per-run Python loop that performs
the K gradient steps literally, same draws), and their ratio, for the estimators
"rao_blackwell" and "plain" (100 test tasks of 50 points, reduce_draws=False in both, so
both consume the same draws; the reduced-draw identities are for one test step only), at

* Fig. 2's parameters: n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1, nu=0.5, alpha_r=0.2,
  alpha_t=-0.5 (p > n_v m: SVD path);
* Fig. 3's parameters: n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2, alpha_r=0.2,
  alpha_t=0.2 (p < n_v m; the rao_blackwell Gram path at K = 1, the SVD path for K > 1).
  The brief fixes no alpha_t for Fig. 3; 0.2 keeps B well conditioned up to K = 10
  (at alpha_t = -0.5, |1 - alpha_t lambda|^10 ~ 1e8 makes B ill-conditioned).

The first call of each configuration is a warm-up (for K_r > 1 it also evaluates the exact
Wishart moments E[W^j], j <= 2K, once per process).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from symmaml.backend import blas_threads  # noqa: E402
from symmaml.montecarlo import reference_simulate, simulate  # noqa: E402

FIG2 = dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5, alpha_r=0.2, alpha_t=-0.5)
FIG3 = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2, alpha_r=0.2, alpha_t=0.2)
KS = (1, 2, 3, 5, 10)
ESTIMATORS = ("rao_blackwell", "plain")


def timed(fn, **kw):
    t = time.perf_counter()
    out = fn(**kw)
    return out, time.perf_counter() - t


def bench(params, estimator, K, *, vec_runs, loop_runs, backend):
    kw = dict(params, estimator=estimator, steps_t=K, steps_r=K, seed=7)
    if estimator == "plain":
        kw.update(test_tasks=100, n_s=50)
    vkw = dict(kw, backend=backend, reduce_draws=False if estimator == "plain" else None)
    simulate(**dict(vkw, runs=4))                                    # warm-up
    vec, t_vec = timed(simulate, **dict(vkw, runs=vec_runs))
    with blas_threads(1):   # the simulator's default host BLAS setting (fair comparison)
        ref, t_loop = timed(reference_simulate, **dict(kw, runs=loop_runs))
    n = min(loop_runs, vec_runs)
    # same seed: the first runs of the vectorised result are the loop's runs
    rel = float(np.max(np.abs(vec.values[:n] / ref.values[:n] - 1)))
    return t_vec / vec_runs, t_loop / loop_runs, rel, vec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run counts (about a minute)")
    ap.add_argument("--backend", default="numpy")
    args = ap.parse_args(argv)
    q = args.quick
    vec_runs = 200 if q else 2000
    loop_runs = 6 if q else 40
    rows = []
    print("running ...", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # ill-conditioning / infinite-variance notes
        for fig, params in (("Fig. 2", FIG2), ("Fig. 3", FIG3)):
            for est in ESTIMATORS:
                for K in KS:
                    tv, tl, rel, res = bench(params, est, K, vec_runs=vec_runs,
                                             loop_runs=loop_runs, backend=args.backend)
                    rows.append((fig, est, K, tv * 1e3, tl * 1e3, tl / tv, rel, res.mean, res.stderr))
    print(f"K-step MAML Monte Carlo benchmark (backend={args.backend}, "
          f"{'quick' if q else 'full'}; {vec_runs} vectorised runs, {loop_runs} loop runs; "
          "K = steps_t = steps_r)")
    head = (f"{'figure':<7} {'estimator':<13} {'K':>3} {'vec ms/run':>11} {'loop ms/run':>12} "
            f"{'loop/vec':>9} {'max rel diff':>13}  mean +- stderr (vectorised)")
    print(head)
    print("-" * len(head))
    for fig, est, K, tv, tl, ratio, rel, mean, se in rows:
        print(f"{fig:<7} {est:<13} {K:>3} {tv:>11.4f} {tl:>12.3f} {ratio:>8.1f}x {rel:>13.1e}"
              f"  {mean:.4f} +- {se:.4f}")
    return rows


if __name__ == "__main__":
    main()
