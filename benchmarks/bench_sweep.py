"""Cost of a sweep on Dask against the same work in this process.

    python benchmarks/bench_sweep.py [--runs 400] [--chunk 100] [--side 8]

All numbers are measured in this process, on one spec: a side x side grid over (sigma, nu)
at Fig. 2's other parameters (Theorem 1), a 301-value alpha_t grid in one theory unit per
point, and Monte Carlo (Rao-Blackwell) at alpha_t*, 0 and 0.5 with ``runs`` runs in chunks
of ``chunk`` (so 1 + runs/chunk units per point).  Measured:

* *direct*: the units' functions (:func:`symmaml.sweep.units.compute_theory`,
  :func:`~symmaml.sweep.units.compute_mc`) called in a loop -- the work itself, no store;
* *serial*: :func:`symmaml.sweep.run_sweep` in this process (store writes, reduction,
  no figure);
* *1 worker*, *2 workers*: run_sweep on a LocalCluster of 1 / 2 processes, cold (the
  cluster's start and the workers' first compile of the theory included, as one CLI call)
  and warm (a second sweep through the same cluster's address).

Reports units/s, the per-unit overhead ((sweep - direct) / units; serial: the client's
store writes), the speed-up of 2 workers over 1 and over serial, and the projected wall
time of a 100 x 100 phase diagram with 1000 runs per point on 1, 2 and 64 workers from
the measured costs: the theory and Monte Carlo work per point (scaled to 1000 runs) plus
the warm per-unit overhead, divided by the workers (perfect scaling beyond the 2 workers
this machine can measure), but never below the client's floor (it writes every unit, at
the serial run's measured cost per unit), for run chunks of ``chunk`` and of 1000.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from symmaml.sweep import parse_spec, run_sweep  # noqa: E402
from symmaml.sweep.units import (compute_mc, compute_theory, mc_rates, run_bounds,  # noqa: E402
                                 theory_units)

SPEC = """
name = "benchmark"
seed = 1
[params]
n_t = 30
n_v = 2
n_r = 20
m = 3
p = 60
alpha_r = 0.2
[grid]
sigma = {{start = 0.25, stop = 2.0, num = {side}}}
nu = {{start = 0.25, stop = 2.0, num = {side}}}
[alpha_t]
start = -2.0
stop = 1.0
num = 301
[mc]
runs = {runs}
chunk = {chunk}
alpha_t = ["optimum", 0.0, 0.5]
"""


def direct(spec):
    """The units' work in a loop: (seconds, theory seconds, MC seconds, units)."""
    t_th = t_mc = 0.0
    n = 0
    for u in theory_units(spec):
        pt = spec.points[u.point]
        t = time.perf_counter()
        loss = compute_theory(pt.params, pt.theorem, spec.order, spec.alpha_t)["loss"]
        t_th += time.perf_counter() - t
        rates = mc_rates(spec, spec.alpha_t[int(np.nanargmin(loss))])
        n += 1
        for lo, hi in run_bounds(spec.mc_runs, spec.mc_chunk):
            t = time.perf_counter()
            compute_mc(pt.params, rates, spec.estimator, spec.seed, u.point, lo, hi)
            t_mc += time.perf_counter() - t
            n += 1
    return t_th + t_mc, t_th, t_mc, n


def timed_sweep(spec, **kw):
    out = tempfile.mkdtemp(prefix="bench-sweep-")
    try:
        t = time.perf_counter()
        run = run_sweep(spec, os.path.join(out, "s"), progress=False, figure=False, **kw)
        return time.perf_counter() - t, run
    finally:
        shutil.rmtree(out, ignore_errors=True)


def cluster_run(spec, n):
    """run_sweep on a LocalCluster of ``n`` workers, cold (a new cluster per sweep, as the
    CLI does) and warm (a second sweep through the same cluster's address, its workers
    already holding the compiled theory): (cold seconds, start seconds, warm seconds)."""
    from symmaml.sweep.runner import open_executor
    t = time.perf_counter()
    ex = open_executor(None, n)
    start = time.perf_counter() - t
    try:
        cold, _ = timed_sweep(spec, scheduler=ex.cluster.scheduler_address)
        warm, _ = timed_sweep(spec, scheduler=ex.cluster.scheduler_address)
    finally:
        ex.close()
    return cold + start, start, warm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--side", type=int, default=8)
    args = ap.parse_args(argv)
    spec = parse_spec(SPEC.format(runs=args.runs, chunk=args.chunk, side=args.side))
    compute_theory(spec.points[0].params, 1, 1, spec.alpha_t)         # compile once (warm-up)
    t_dir, t_th, t_mc, units = direct(spec)
    points = len(spec.points)
    print(f"spec: {points} points x (1 theory + {len(run_bounds(args.runs, args.chunk))} MC units), "
          f"{args.runs} runs per point: {units} units")
    print(f"direct (the units' functions in a loop): {t_dir:.2f} s = {units / t_dir:.1f} units/s "
          f"(theory {1e3 * t_th / points:.2f} ms per point, Monte Carlo "
          f"{1e3 * t_mc / points:.1f} ms per point = {1e6 * t_mc / points / args.runs:.0f} us per run)")
    t_ser, run = timed_sweep(spec, workers=0)
    assert run.computed == units
    client_cost = (t_ser - t_dir) / units          # the client's store write + bookkeeping
    print(f"serial run_sweep (store + reduction): {t_ser:.2f} s = {units / t_ser:.1f} units/s; "
          f"overhead {1e3 * client_cost:.2f} ms per unit")
    res = {}
    for n in (1, 2):
        cold, start, warm = cluster_run(spec, n)
        res[n] = (cold, warm)
        print(f"LocalCluster, {n} worker(s): cold {cold:.2f} s (start {start:.2f} s, first units "
              f"compile the theory) = {units / cold:.1f} units/s; warm {warm:.2f} s = "
              f"{units / warm:.1f} units/s, overhead vs direct/{n}: "
              f"{1e3 * (warm - t_dir / n) / units:+.2f} ms per unit")
    print(f"speed-up, 2 workers over 1: cold {res[1][0] / res[2][0]:.2f}x, warm "
          f"{res[1][1] / res[2][1]:.2f}x; 2 workers (warm) over serial: {t_ser / res[2][1]:.2f}x")
    over = max((res[1][1] - t_dir) / units, 0.0)   # per unit, one warm worker
    big_points, big_runs = 100 * 100, 1000
    print(f"projection, 100 x 100 points x {big_runs} runs at this spec's per-run cost "
          f"(overhead {1e3 * over:.2f} ms per unit; the one client writes every unit at "
          f"{1e3 * client_cost:.2f} ms, a floor whatever the workers):")
    for chunk in (args.chunk, big_runs):
        n_units = big_points * (1 + len(run_bounds(big_runs, chunk)))
        work = big_points * (t_th / points + (t_mc / points) * big_runs / args.runs) \
            + n_units * over
        floor = n_units * client_cost
        parts = ", ".join(f"{w} worker{'s' if w > 1 else ''}: {max(work / w, floor) / 3600:.2f} h"
                          for w in (1, 2, 64))
        print(f"  run chunks of {chunk} ({n_units} units): {parts} (client floor "
              f"{floor / 60:.1f} min; beyond 2 workers perfect scaling is assumed)")


if __name__ == "__main__":
    main()
