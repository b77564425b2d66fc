"""Benchmark of the Monte Carlo layer against a straightforward per-run Python loop.

    python benchmarks/bench_montecarlo.py [--quick] [--backend numpy]

All numbers are measured in this process, on Fig. 2's parameters (n_t=30, n_v=2,
n_r=20, m=3, p=60, sigma=1, nu=0.5, omega0=w0=0, alpha_r=0.2, 100 test tasks of 50
points):

(a) throughput of the vectorised "plain" estimator vs the loop (goal >= 5x);
(b) efficiency of the "conditional" (and "rao_blackwell") estimator vs the loop's
    plain estimator, ratio of (time per run x variance per run) (goal >= 100x), and
    the per-run variance ratios of the vectorised estimators (same seed);
(c) Fig. 2b's full curve: 31 alpha_t in linspace(-1.5, 1.5, 31) x 1000 runs, plain
    estimator, common random numbers (goal < 60 s).  The caption gives no axis range;
    this one spans Eq. 8's argmin alpha_t^- = -1.01 and argmax +0.49;
(d) random variates per run of each estimator and variates/second, against NumPy's
    raw ``rng.standard_normal`` rate measured here;
(e) Fig. 3b's Rao-Blackwell sweep (Theorem 2: n_t=5, n_v=25, n_r=10, m=40, p=30,
    sigma=nu=0.2, alpha_r=0.2, 21 alpha_t in linspace(-1, 1, 21) x 1000 runs, as
    ``symmaml figures`` draws it): the p x p Gram path against the SVD of the stacked
    1000 x 30 matrix B it replaced (``rao_blackwell.METHOD = "svd"``), same draws, same
    process; speed-up (goal >= 5x) and the largest relative difference of the values.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from symmaml.montecarlo import rao_blackwell, simulate  # noqa: E402
from symmaml.backend import blas_threads  # noqa: E402

FIG2 = dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5, alpha_r=0.2)
FIG3 = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2, alpha_r=0.2)
ALPHA_T = 0.2


def loop_plain(*, n_t, n_v, n_r, m, p, sigma, nu, alpha_t, alpha_r, runs, seed,
               test_tasks=100, n_s=50):
    """The paper's protocol (Section 7.1), one run and one task at a time (baseline)."""
    rng = np.random.default_rng(seed)
    I = np.eye(p)
    w0 = omega0 = np.zeros(p)
    out = np.empty(runs)
    for run in range(runs):
        B_blocks, g_blocks = [], []
        for _ in range(m):
            w = w0 + nu / math.sqrt(p) * rng.standard_normal(p)           # Eq. 30
            Xt, Xv = rng.standard_normal((n_t, p)), rng.standard_normal((n_v, p))
            yt = Xt @ w + sigma * rng.standard_normal(n_t)                 # Eq. 18
            yv = Xv @ w + sigma * rng.standard_normal(n_v)                 # Eq. 19
            A = I - alpha_t / n_t * Xt.T @ Xt                               # Eq. 21
            B_blocks.append(Xv @ A)                                         # Eq. 68
            g_blocks.append(yv - alpha_t / n_t * Xv @ Xt.T @ yt)            # Eq. 67
        B, gamma = np.vstack(B_blocks), np.concatenate(g_blocks)
        omega = omega0 + np.linalg.lstsq(B, gamma - B @ omega0, rcond=None)[0]   # Eq. 69
        losses = np.empty(test_tasks)
        for k in range(test_tasks):
            w_new = w0 + nu / math.sqrt(p) * rng.standard_normal(p)
            Xr = rng.standard_normal((n_r, p))
            yr = Xr @ w_new + sigma * rng.standard_normal(n_r)
            theta = omega - alpha_r / n_r * Xr.T @ (Xr @ omega - yr)       # Eq. 25
            Xs = rng.standard_normal((n_s, p))
            ys = Xs @ w_new + sigma * rng.standard_normal(n_s)
            losses[k] = 0.5 / n_s * np.sum((ys - Xs @ theta) ** 2)         # Eq. 23
        out[run] = losses.mean()
    return out


def loop_draws_per_run(*, n_t, n_v, n_r, m, p, test_tasks=100, n_s=50, **_):
    return m * (p + (n_t + n_v) * (p + 1)) + test_tasks * (p + (n_r + n_s) * (p + 1))


def timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t


def fig3b_rows(runs):
    """(e): Fig. 3b's Rao-Blackwell sweep, Gram path vs the SVD path, same draws."""
    alphas = np.round(np.linspace(-1.0, 1.0, 21), 10) + 0.0
    kw = dict(FIG3, alpha_t=alphas, runs=runs, seed=4, estimator="rao_blackwell")
    simulate(**dict(kw, runs=10))                                   # warm-up
    saved = rao_blackwell.METHOD
    try:
        rao_blackwell.METHOD = "svd"
        old, t_old = timed(simulate, **kw)
    finally:
        rao_blackwell.METHOD = saved
    new, t_new = timed(simulate, **kw)
    rel = float(np.max(np.abs(new.values - old.values) / np.abs(old.values)))
    same = float(np.mean(new.values == old.values))
    ratio = t_old / t_new
    return [
        (f"(e) Fig. 3b RB sweep, 21 alpha_t x {runs} runs: SVD", f"{t_old:.2f} s", "the path it replaced"),
        ("    Gram (p x p) path", f"{t_new:.2f} s",
         f"{ratio:.1f}x, goal >= 5x " + ("OK" if ratio >= 5 else "MISSED")),
        ("    Gram vs SVD values", f"{rel:.1e}", f"max relative difference; {100 * same:.0f} % bit-equal"),
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run counts (< 30 s)")
    ap.add_argument("--backend", default="numpy")
    args = ap.parse_args(argv)
    q = args.quick
    loop_runs = 100 if q else 400
    vec_runs = 3000 if q else 20000
    curve_runs = 1000
    be = args.backend
    rows = []

    # warm-up (imports, BLAS threads)
    simulate(**FIG2, alpha_t=ALPHA_T, runs=20, seed=0, backend=be)
    simulate(**FIG2, alpha_t=ALPHA_T, runs=20, seed=0, backend=be, estimator="conditional")

    print("running ...", file=sys.stderr)
    with blas_threads(1):   # same BLAS setting as the simulator (fair on a loaded machine)
        loop_vals, t_loop = timed(loop_plain, **FIG2, alpha_t=ALPHA_T, runs=loop_runs, seed=1)
    tpr_loop = t_loop / loop_runs
    var_loop = loop_vals.var(ddof=1)

    plain, t_plain = timed(simulate, **FIG2, alpha_t=ALPHA_T, runs=vec_runs, seed=2, backend=be)
    cond, t_cond = timed(simulate, **FIG2, alpha_t=ALPHA_T, runs=vec_runs, seed=2, backend=be,
                         estimator="conditional")
    rb, t_rb = timed(simulate, **FIG2, alpha_t=ALPHA_T, runs=vec_runs, seed=2, backend=be,
                     estimator="rao_blackwell")
    tpr_plain, tpr_cond, tpr_rb = t_plain / vec_runs, t_cond / vec_runs, t_rb / vec_runs

    rows.append(("loop plain: time/run", f"{tpr_loop * 1e3:.3f} ms",
                 f"{loop_runs} runs, mean {loop_vals.mean():.4f}"
                 f" +- {loop_vals.std(ddof=1) / math.sqrt(loop_runs):.4f}"))
    rows.append(("vectorised plain: time/run", f"{tpr_plain * 1e3:.4f} ms",
                 f"{vec_runs} runs, mean {plain.mean:.4f} +- {plain.stderr:.4f}"))
    rows.append(("vectorised conditional: time/run", f"{tpr_cond * 1e3:.4f} ms",
                 f"{vec_runs} runs, mean {cond.mean:.4f} +- {cond.stderr:.4f}"))
    rows.append(("vectorised rao_blackwell: time/run", f"{tpr_rb * 1e3:.4f} ms",
                 f"{vec_runs} runs, mean {rb.mean:.4f} +- {rb.stderr:.4f}"))
    ratio_a = tpr_loop / tpr_plain
    rows.append(("(a) plain throughput vs loop", f"{ratio_a:.1f}x",
                 "goal >= 5x " + ("OK" if ratio_a >= 5 else "MISSED")))
    var_ratio = plain.variance / cond.variance
    rows.append(("per-run variance plain / conditional", f"{var_ratio:.3f}",
                 f"plain {plain.variance:.5f}, conditional {cond.variance:.5f} (same omega*)"))
    eff_b = (tpr_loop * var_loop) / (tpr_cond * cond.variance)
    rows.append(("(b) conditional efficiency vs loop", f"{eff_b:.0f}x",
                 "(time x variance), goal >= 100x " + ("OK" if eff_b >= 100 else "MISSED")))
    rows.append(("per-run variance conditional / rao_blackwell", f"{cond.variance / rb.variance:.1f}",
                 f"rao_blackwell {rb.variance:.3g} (same training inputs)"))
    eff_rb = (tpr_loop * var_loop) / (tpr_rb * rb.variance)
    rows.append(("(b') rao_blackwell efficiency vs loop", f"{eff_rb:.0f}x",
                 "(time x variance), goal >= 100x " + ("OK" if eff_rb >= 100 else "MISSED")))
    eff_plain = (tpr_loop * var_loop) / (tpr_plain * plain.variance)
    rows.append(("    plain efficiency vs loop", f"{eff_plain:.0f}x", "(time x variance)"))

    alphas = np.linspace(-1.5, 1.5, 31)   # spans Theorem 1's minimum alpha_t^- = -1.01
    curve, t_curve = timed(simulate, **FIG2, alpha_t=alphas, runs=curve_runs, seed=3, backend=be)
    best = alphas[int(np.argmin(curve.mean))]
    extra = ("" if curve_runs == 1000
             else f" (x{1000 / curve_runs:.2f} -> {t_curve * 1000 / curve_runs:.1f} s at 1000 runs)")
    rows.append(("(c) Fig. 2b curve: 31 alpha_t x %d runs" % curve_runs, f"{t_curve:.2f} s",
                 "goal < 60 s " + ("OK" if t_curve * 1000 / curve_runs < 60 else "MISSED") + extra
                 + f"; argmin on the grid alpha_t = {best:.2f}"))
    loop_curve_est = tpr_loop * 1000 * 31
    rows.append(("    loop estimate for the same curve", f"{loop_curve_est:.0f} s", "31 x 1000 x loop time/run"))

    rng = np.random.default_rng(0)
    n_raw = 20_000_000 if not q else 5_000_000
    _, t_raw = timed(rng.standard_normal, n_raw)
    raw_rate = n_raw / t_raw
    rows.append(("(d) raw rng.standard_normal", f"{raw_rate / 1e6:.1f} M/s", "NumPy PCG64, same process"))
    d_loop = loop_draws_per_run(**FIG2)
    rows.append(("    loop: variates/run", f"{d_loop}", f"{d_loop * loop_runs / t_loop / 1e6:.1f} M/s "
                 f"= {d_loop * loop_runs / t_loop / raw_rate:.2f} of raw"))
    for name, res, t in (("plain", plain, t_plain), ("conditional", cond, t_cond),
                         ("rao_blackwell", rb, t_rb)):
        dpr = res.draws_per_run
        tot = sum(dpr.values())
        desc = ", ".join(f"{v} {k}" for k, v in dpr.items() if v)
        rows.append((f"    {name}: variates/run", f"{tot}", f"{desc}; {tot * vec_runs / t / 1e6:.1f} M/s "
                     f"= {tot * vec_runs / t / raw_rate:.2f} of raw; {d_loop / tot:.0f}x fewer than loop"))
    dpr_full = simulate(**FIG2, alpha_t=ALPHA_T, runs=2, seed=0, reduce_draws=False).draws_per_run
    rows.append(("    plain without identities", f"{sum(dpr_full.values())}", "variates/run (reduce_draws=False)"))

    rows += fig3b_rows(200 if q else 1000)

    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"Monte Carlo benchmark (backend={be}, {'quick' if q else 'full'}), Fig. 2 parameters, alpha_t={ALPHA_T}")
    print("-" * (w1 + w2 + 60))
    for a, b, c in rows:
        print(f"{a:<{w1}}  {b:>{w2}}  {c}")
    return rows


if __name__ == "__main__":
    main()
