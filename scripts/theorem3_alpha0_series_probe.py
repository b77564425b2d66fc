"""Why Theorem 3's expansion cannot be carried further, even at alpha_t = 0 where it is cheap.

    python scripts/theorem3_alpha0_series_probe.py [--runs 20000] [--seed 2026]

At alpha_t = 0 (A = I) the N = n_v m validation rows are independent N(0, Sigma) and the
expansion of ``symmaml.theory.finite_size_general`` (G = s (I + D), Y = y (I + E')) can be
carried to any order n in D, E' with the moment engine in seconds, because no training
inputs are left to average.  Summing the geometric series of (I + D)^-1 and keeping the
terms of total degree <= n:

    (I + D)^-1 (I + E') (I + D)^-1  ~  (n + 1) (I - G/s)^n
                                       + (1/y) sum_{a + b <= n - 1} (I - G/s)^a Y (I - G/s)^b

(n = 2 is the order-2 theory at alpha_t = 0; n = 4 adds every term of relative size
p_eff^-2).  The moments E gamma^T G^k gamma, E gamma^T G^j Y G^l gamma are exact: the
sigma^2 part on the whole N x p matrix X, the Sigma_w part on task 1's block with
X^T X = X_1^T X_1 + R^T R (task 1's rows and the other tasks' rows, independent).

The script prints (1) at Sigma = I (p = 60, N = 6, Fig. 2's sizes) the order-n values
against the exact inverse-Wishart value, and Monte Carlo partial sums of the Neumann series
E Tr sum_k (I - G/p)^k / p against N/(p - N - 1): the series is asymptotic (G/p has
eigenvalues up to about (1 + sqrt(N/p))^2, so I - G/p reaches -0.73 and beyond), the
truncation errors shrink to n = 4 and grow after; (2) at Fig. 4's Wishart Sigma,
alpha_t = 0, the order-n values of E Tr(H_r omega* omega*^T) against the value the
simulation implies (2 L_MC minus the exact rest of Eq. 14).  A diagnostic, not a theory:
the README's "Theorem 3 at order 2" quotes it.
"""
from __future__ import annotations

import argparse
import os
import sys
from functools import lru_cache
from itertools import product

import numpy as np
from sympy import Integer, Symbol, Trace, binomial

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from symmaml.moments import expectation, gaussian_matrix, symmetric_matrix  # noqa: E402
from symmaml.symbols import alpha_r, m, n_r, n_t, n_v, p, sigma  # noqa: E402
from symmaml.theory.finite_size_general import gaussian_H  # noqa: E402
from symmaml.theory.model import Sigma, Sigma_w  # noqa: E402

#: the highest order computed (n = 6: averages of degree 14 in X_v, about 7 s cold)
MAX_ORDER = 6
#: H_r inside the engine's averages (substituted after; symmetric, commutes with nothing
#: the engine needs to know about)
_M = symmetric_matrix("M0", p)


#: the engine takes symbols as dimensions: N = n_v m rows in all, r = (m - 1) n_v in R
_N, _r = Symbol("N_a0"), Symbol("r_a0")
_SIZES = {_N: n_v * m, _r: (m - 1) * n_v}


def _rows():
    """X (all N = n_v m rows), X_1 (task 1) and R (the other m - 1 tasks), rows N(0, Sigma)."""
    return (gaussian_matrix("X_a0", _N, p, cov=Sigma),
            gaussian_matrix("X_a1", n_v, p, cov=Sigma),
            gaussian_matrix("R_a0", _r, p, cov=Sigma))


def _power_words(k, X1, R):
    """(X^T X)^k with X^T X = X_1^T X_1 + R^T R, as the 2^k words (non-commutative)."""
    parts = (X1.T * X1, R.T * R)
    words = []
    for choice in product(parts, repeat=k):
        w = choice[0]
        for f in choice[1:]:
            w = w * f
        words.append(w)
    return words


@lru_cache(maxsize=None)
def _moment(k: int, j: int | None = None) -> object:
    """E gamma^T G^k gamma (``j`` None) or E gamma^T G^k Y G^j gamma, at alpha_t = 0, with
    H_r as the stand-in M0: the sigma^2 part on the whole X, the Sigma_w part on task 1's
    block times m (module doc)."""
    X, X1, R = _rows()
    if j is None:
        if k == 0:
            noise = sigma ** 2 * n_v * m              # E Tr I_N
            blocks = [X1 * Sigma_w * X1.T]
        else:
            noise = sigma ** 2 * expectation(Trace(_prod([X.T * X] * k)))
            # block 11 of G^k = X_1 (X^T X)^(k-1) X_1^T
            blocks = [X1 * Sigma_w * X1.T * X1 * X1.T] if k == 1 else [
                X1 * Sigma_w * X1.T * X1 * w * X1.T for w in _power_words(k - 1, X1, R)]
    else:
        noise = sigma ** 2 * expectation(Trace(_prod([X.T * X] * (k + j + 1)) * _M))
        left = _power_words(k, X1, R) if k else [None]
        right = _power_words(j, X1, R) if j else [None]
        blocks = []
        for a in left:
            for b in right:
                mid = _M if a is None else a * _M
                mid = mid if b is None else mid * b
                blocks.append(X1 * Sigma_w * X1.T * X1 * mid * X1.T)
    delta = m * sum(expectation(Trace(b)) for b in blocks)
    return (noise + delta).xreplace(_SIZES)


def _prod(factors):
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


@lru_cache(maxsize=None)
def moments(order: int) -> dict:
    """The moments the expansion of ``order`` needs, H_r as the stand-in M0:
    ``{("G", k): E gamma^T G^k gamma, ("GYG", j, l): E gamma^T G^j Y G^l gamma}`` (j <= l,
    the other order being its transpose)."""
    out = {("G", k): _moment(k) for k in range(order + 1)}
    for j in range(order):
        for l in range(j, order - j):
            out[("GYG", j, l)] = _moment(j, l)
    return out


def _check(order):
    if isinstance(order, bool) or not isinstance(order, (int, Integer)) or not (
            0 <= int(order) <= MAX_ORDER):
        raise ValueError(f"order: an integer from 0 to {MAX_ORDER}, got {order!r}")
    return int(order)


@lru_cache(maxsize=None)
def e_h(order: int = 4):
    """E Tr(H_r omega* omega*^T) at alpha_t = 0 to ``order`` in D, E' (module doc): order 2
    is :mod:`~symmaml.theory.finite_size_general`'s value at alpha_t = 0, order 4 the next
    order; the successive differences are the coefficients of t^k in the series of
    (I + t D)^-1 (I + t E') (I + t D)^-1.  Closed form in Sigma, Sigma_w and H_r (Gaussian
    inputs)."""
    n = _check(order)
    Q = moments(n)
    Hr = gaussian_H(alpha_r, n_r)
    s, y = Trace(Sigma), Trace(Hr * Sigma)

    def gq(k):                       # E gamma^T (I - G/s)^k gamma
        return sum(binomial(k, i) * (-1) ** i * Q[("G", i)] / s ** i for i in range(k + 1))

    def yq(a, b):                    # E gamma^T (I - G/s)^a Y (I - G/s)^b gamma
        tot = 0
        for i in range(a + 1):
            for l in range(b + 1):
                key = ("GYG",) + tuple(sorted((i, l)))
                tot += (binomial(a, i) * binomial(b, l) * (-1) ** (i + l) * Q[key]
                        / s ** (i + l))
        return tot

    inner = (n + 1) * gq(n) + sum(yq(a, b) for a in range(n) for b in range(n - a)) / y
    return (y / s ** 2 * inner).xreplace({_M: Hr})


def _evaluate(expr, S, Sw, **values):
    from symmaml.numeric.traces import TraceEvaluator
    ev = TraceEvaluator(expr, {Sigma: S, Sigma_w: Sw}, scalars=(alpha_r, n_t, n_v, n_r, m, sigma),
                        basis=Sigma)
    return float(ev(**values))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args(argv)
    from symmaml.experiments.paper import get_figure
    from symmaml.experiments.validation import validate
    fig = get_figure("4b")
    P = dict(fig.params)
    vals = dict(alpha_r=fig.fixed, n_t=P["n_t"], n_v=P["n_v"], n_r=P["n_r"], m=P["m"],
                sigma=P["sigma"])
    N, pp, nu = P["n_v"] * P["m"], P["p"], P["nu"]
    orders = (2, 4, 6)
    # (1) Sigma = I: the exact value h_r (nu^2 N (p - n_v - 1)/(p (p - N - 1)) + sigma^2 N/(p - N - 1))
    ar = vals["alpha_r"]
    h_r = (1 - ar) ** 2 + ar ** 2 / P["n_r"] * (pp + 1)
    exact = h_r * (nu ** 2 * N * (pp - P["n_v"] - 1) / (pp * (pp - N - 1))
                   + P["sigma"] ** 2 * N / (pp - N - 1))
    print(f"Sigma = I, p = {pp}, N = {N}, alpha_t = 0: exact E Tr(H_r w w^T) = {exact:.6f}")
    for n in orders:
        v = _evaluate(e_h(n), np.eye(pp), nu ** 2 / pp * np.eye(pp), **vals)
        print(f"  order {n}: {v:.6f} (gap {100 * (exact / v - 1):+.3f} %)")
    rng = np.random.default_rng(a.seed)
    sums, chunk = np.zeros(8), 1000
    for _ in range(a.runs // chunk):
        X = rng.standard_normal((chunk, N, pp))
        u = 1 - np.linalg.eigvalsh(X @ X.transpose(0, 2, 1)) / pp
        sums += [(u ** k).sum() for k in range(8)]
    partial = np.cumsum(sums / (a.runs // chunk * chunk)) / pp
    target = N / (pp - N - 1)
    print(f"  Neumann partial sums of E Tr G^-1 (MC, {a.runs} draws) against N/(p - N - 1) "
          f"= {target:.6f}, gaps: " + ", ".join(f"n={k}: {100 * (target / v - 1):+.2f} %"
                                            for k, v in enumerate(partial)))
    # (2) Fig. 4's Sigma at alpha_t = 0 against the simulation
    S, Sw = fig.matrices()
    v = validate(fig, runs=a.runs, seed=a.seed, alphas=[0.0])
    S2 = S @ S
    Hr = S @ (np.eye(pp) - ar * S) @ (np.eye(pp) - ar * S) + ar ** 2 / P["n_r"] * (
        np.trace(S2) * S + S2 @ S)                       # Gaussian F - Sigma^3
    rest = P["sigma"] ** 2 * (1 + ar ** 2 * np.trace(S2) / P["n_r"]) + np.trace(Sw @ Hr)
    mc, se = float(v.mc[0]), float(v.stderr[0])
    implied = 2 * mc - rest
    print(f"Fig. 4's Sigma, alpha_t = 0: E Tr(H_r w w^T) implied by the simulation "
          f"{implied:.6f} +- {2 * se:.6f} ({a.runs} runs, seed {a.seed})")
    for n in orders:
        t = _evaluate(e_h(n), S, Sw, **vals)
        print(f"  order {n}: {t:.6f} ({100 * (implied / t - 1):+.3f} % from the simulation, "
              f"s.e. {100 * 2 * se / t:.3f} %)")
    # resummation of the same exact coefficients: Pade approximants of the series in t at t = 1
    from scipy.interpolate import pade
    for label, (SS, SSw, ref) in {"Sigma = I (against the exact value)": (
            np.eye(pp), nu ** 2 / pp * np.eye(pp), exact),
            "Fig. 4's Sigma (against the simulation)": (S, Sw, implied)}.items():
        partial = np.array([_evaluate(e_h(n), SS, SSw, **vals) for n in range(MAX_ORDER + 1)])
        c = np.diff(np.concatenate([[0.0], partial]))
        cells = []
        for L, M in ((1, 1), (2, 2), (3, 2), (2, 3), (3, 3), (4, 2)):
            num, den = pade(c[:L + M + 1], M)
            v = num(1.0) / den(1.0)
            cells.append(f"[{L}/{M}] {100 * (ref / v - 1):+.3f} %")
        print(f"  Pade at t = 1, {label}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
