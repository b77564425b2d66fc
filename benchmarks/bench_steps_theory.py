"""Benchmark of the K-step derivation (symmaml.theory.steps) against K.

    python benchmarks/bench_steps_theory.py [--quick]

(a) cold derivation time of the K-step loss, symbolic sizes, Theorems 1 and 2, each in a
    fresh process with the disk cache off (goal: Theorem 2 at K_t = 5, moments of degree
    20, under 60 s on the 2-core reference machine);
(b) the same at Fig. 2's / Fig. 3's integer sizes (exact integer moments), up to K = 10
    (Theorem 2: degree 40);
(c) baseline in one process: the stand-in path against the generic moment engine on the
    full model with explicit A^K (the reference the tests compare with), K = 1, 2: time
    of E[B^T Gamma B] (Theorem 2's hardest average) and the ratio.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

_CHILD = """
import time, sys
t0 = time.perf_counter()
from symmaml.theory import steps
t1 = time.perf_counter()
th, K, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = {}
if sizes == "int":
    kw = dict(n_t_value=30, n_r_value=20, p_value=60) if th == "1" else \\
         dict(n_t_value=5, n_r_value=10, p_value=30)
steps.derive(th, K, 1, **kw)
print(time.perf_counter() - t1)
"""


def cold(theorem, K, sizes):
    env = dict(os.environ, SYMMAML_NO_DISK_CACHE="1")
    out = subprocess.run([sys.executable, "-c", _CHILD, theorem, str(K), sizes], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=900)
    if out.returncode:
        return f"failed: {out.stderr.strip().splitlines()[-1]}"
    return f"{float(out.stdout.strip()):.2f}"


def baseline(K):
    from sympy import Identity, Rational
    from symmaml.moments import expectation, gaussian_matrix, symmetric_matrix, GaussianMatrix
    from symmaml.moments import clear_caches
    from symmaml.moments.polynomial import polynomial_expectation
    from symmaml.symbols import alpha_t, n_t, n_v, nu, p, sigma
    from symmaml.theory.model import inner_matrix
    from symmaml.theory.steps import inner_loop
    from sympy import MatrixSymbol, Symbol
    g = lambda e: next(iter(e.atoms(GaussianMatrix)))
    Xt, Xv = gaussian_matrix("X_t1", n_t, p), gaussian_matrix("X_v1", n_v, p)
    dw = nu / p ** Rational(1, 2) * gaussian_matrix("g1", 1, p).T
    zt, zv = sigma * gaussian_matrix("z_t1", n_t, 1), sigma * gaussian_matrix("z_v1", n_v, 1)
    A = inner_matrix(Xt, alpha_t, n_t)
    Q = sum((A ** j for j in range(1, K)), Identity(p))
    B = Xv * A ** K
    dg = B * dw - alpha_t / n_t * Xv * Q * Xt.T * zt + zv
    clear_caches()
    t = time.perf_counter()
    G = expectation(dg * dg.T, over=[g(dw), g(zt), g(zv)])
    expectation(B.T * G * B)
    full = time.perf_counter() - t
    clear_caches()
    t = time.perf_counter()
    k = Symbol("k_t")
    P, _, N = inner_loop(K, k)
    Ps, Ss = symmetric_matrix("P_t", p), MatrixSymbol("S_t", p, n_t)
    Bs = Xv * Ps
    dgs = Bs * dw - Xv * Ss * zt + zv
    Gs = expectation(dgs * dgs.T, over=[g(dw), g(zt), g(zv)])
    polynomial_expectation(expectation(Bs.T * Gs * Bs, over=[g(Xv)]), {Ps: P}, (Ss, N),
                           n=n_t, p=p)
    fast = time.perf_counter() - t
    return full, fast


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    Ks_sym = {"1": (1, 2, 3, 5, 8), "2": (1, 2, 3, 5)} if not a.quick else {"1": (1, 2, 5), "2": (1, 2, 5)}
    Ks_int = (1, 2, 3, 5, 10) if not a.quick else (2, 5, 10)
    print("(a) cold derivation, symbolic sizes (fresh process, no disk cache)")
    print("| theorem | K_t | max degree in W | seconds |\n|---|---:|---:|---:|")
    for th, Ks in Ks_sym.items():
        for K in Ks:
            print(f"| {th} | {K} | {(4 if th == '2' else 2) * K} | {cold(th, K, 'sym')} |", flush=True)
    print("\n(b) cold derivation at the figure's integer sizes")
    print("| theorem | K_t | max degree in W | seconds |\n|---|---:|---:|---:|")
    for th in ("1", "2"):
        for K in Ks_int:
            print(f"| {th} | {K} | {(4 if th == '2' else 2) * K} | {cold(th, K, 'int')} |", flush=True)
    print("\n(c) E[B^T Gamma B] (Theorem 2): generic engine on the full model vs stand-ins, same process")
    print("| K_t | full model (s) | stand-ins (s) | ratio |\n|---:|---:|---:|---:|")
    for K in (1, 2):
        full, fast = baseline(K)
        print(f"| {K} | {full:.2f} | {fast:.2f} | {full / fast:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
