"""Benchmark of the moment engine against the brute-force Wick reference (same process).

    python benchmarks/bench_moments.py [--quick]

Prints one table.  Goals (issue 2): every moment of total degree <= 4 in < 1 s from a cold
start; every E[W^k prod Tr W^l] of degree <= 8 in < 5 s; E[W^12] and degree-12 trace mixtures
in < 60 s; the speed-up over the reference at degree 7.  The disk cache is switched off.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ["SYMMAML_NO_DISK_CACHE"] = "1"

COLD = r"""
import time, os
t0 = time.perf_counter()
from symmaml.moments import (expectation, gaussian_matrix, lemma1_table, wishart_lhs,
                             wishart_moment, wishart_orders)
X = gaussian_matrix("X", cov="Sigma")
for k, t in wishart_orders(4):
    wishart_moment(k, t)
    expectation(wishart_lhs(k, t, X, scalar=True))
lemma1_table()
print(time.perf_counter() - t0)
"""


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the degree-12 general-Sigma row")
    args = ap.parse_args(argv)

    from symmaml.moments import (clear_caches, expectation, gaussian_matrix, moments_equal,
                                 wishart_lhs,
                                 wishart_moment, wishart_orders)
    rows = []

    env = dict(os.environ, SYMMAML_NO_DISK_CACHE="1")
    cold = float(subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                                check=True, env=env).stdout.strip())
    rows.append(("all degree <= 4 (Sigma = I and general Sigma, + Lemma 1), cold process",
                 f"{cold:.2f} s", "< 1 s"))

    XI = gaussian_matrix("X")
    XS = gaussian_matrix("X", cov="Sigma")

    def all_orders(max_deg, X, min_deg=1):
        for k, t in wishart_orders(max_deg, min_deg):
            expectation(wishart_lhs(k, t, X, scalar=True))

    for label, X in (("Sigma = I", XI), ("general Sigma", XS)):
        clear_caches()
        dt, _ = timed(lambda: all_orders(8, X))
        rows.append((f"all {len(wishart_orders(8))} moments of degree <= 8, {label}, contraction",
                     f"{dt:.2f} s", "< 5 s"))
    clear_caches()
    dt, _ = timed(lambda: [wishart_moment(k, t) for k, t in wishart_orders(8)])
    rows.append(("all degree <= 8, Sigma = I, Stein recurrence", f"{dt:.3f} s", "< 5 s"))

    deg12 = wishart_orders(12, 12)
    clear_caches()
    dt, _ = timed(lambda: expectation(wishart_lhs(12, (), XI)))
    rows.append(("E[W^12], Sigma = I, contraction", f"{dt:.2f} s", "< 60 s"))
    clear_caches()
    dt, _ = timed(lambda: all_orders(12, XI, 12))
    rows.append((f"all {len(deg12)} degree-12 mixtures, Sigma = I, contraction", f"{dt:.2f} s",
                 "< 60 s"))
    if not args.quick:
        clear_caches()
        dt, _ = timed(lambda: expectation(wishart_lhs(12, (), XS)))
        rows.append(("E[W^12], general Sigma, contraction", f"{dt:.2f} s", "< 60 s"))
        mixtures = [(6, (3, 2, 1)), (4, (4, 4)), (2, (1, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
                    (0, (3, 3, 3, 3))]
        clear_caches()
        dt, _ = timed(lambda: [expectation(wishart_lhs(k, t, XS, scalar=True))
                               for k, t in mixtures])
        rows.append((f"{len(mixtures)} degree-12 mixtures, general Sigma, contraction",
                     f"{dt:.2f} s", "< 60 s"))

    # speed-up over the brute-force reference at degree 7, same process
    for label, X in (("Sigma = I", XI), ("general Sigma", XS)):
        lhs = wishart_lhs(7, (), X)
        clear_caches()
        t_ref, ref = timed(lambda: expectation(lhs, method="reference"))
        clear_caches()
        t_fast, fast = timed(lambda: expectation(lhs, method="fast"))
        assert moments_equal(ref, fast)
        rows.append((f"E[W^7], {label}: reference {t_ref:.2f} s / contraction {t_fast:.4f} s",
                     f"{t_ref / t_fast:.0f}x", "speed-up"))
    clear_caches()
    t_ref, _ = timed(lambda: wishart_moment(7, method="reference"))
    clear_caches()
    t_rec, _ = timed(lambda: wishart_moment(7))
    rows.append((f"c_7, Sigma = I: reference {t_ref:.2f} s / recurrence {t_rec * 1e3:.2f} ms",
                 f"{t_ref / t_rec:.0f}x", "speed-up"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'result':>10}  goal")
    for name, val, goal in rows:
        print(f"{name:<{width}}  {val:>10}  {goal}")


if __name__ == "__main__":
    main()
