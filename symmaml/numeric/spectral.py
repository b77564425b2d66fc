"""The expected spectral measure of a finite Wishart matrix, as a Gauss quadrature rule.

The finite-size theory (:mod:`symmaml.numeric.finite_size`) needs averages over the
eigenvalues lambda_k of the inner-loop matrix W_t = X_t^T X_t (X_t an n x p matrix of
iid N(0, 1) entries) of functions that are not polynomials, such as
sum_k 1 / (1 + omega (1 - k lambda_k)^2).  Such a sum equals the integral of the function
against the *expected spectral measure* mu = E sum_k delta_{lambda_k} (total mass p), at the
exact sizes n, p -- not the Marchenko-Pastur limit, whose O(1/p) error is of the same order
as the corrections being computed.

mu is represented by a quadrature rule built from its exact moments
E Tr W^j = p c_j (Stein's recurrence at integer sizes, :func:`symmaml.stein.coefficient_at`):

* for p > n, W has exactly p - n zero eigenvalues: an atom of mass p - n at 0;
* the rest of mu (mass min(n, p), support in (0, inf)) gets a K-point Gauss rule from its
  first 2K moments: the Jacobi matrix from the modified Chebyshev algorithm (Gautschi,
  "Orthogonal polynomials", Sec. 2.1.7) in exact rational arithmetic (the moment problem is
  ill-conditioned in floating point), then its eigenvalues (nodes) and first eigenvector
  components (weights).

The rule integrates every polynomial of degree < 2K exactly and converges geometrically
for functions analytic near the support (the integrands here have complex poles only).
Built once per (n, p, K) and cached; nothing SymPy.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..stein import check_size, coefficient_at

__all__ = ["wishart_quadrature", "DEFAULT_NODES", "MAX_NODES"]

#: Gauss nodes of the default rule (moments up to degree 2K - 1 = 23)
DEFAULT_NODES = 12
#: largest rule offered (Stein's recurrence at degree 2K - 1; degree 47 takes ~10 s)
MAX_NODES = 24


def _jacobi(moments):
    """Recurrence coefficients (a_j, b_j) of the monic orthogonal polynomials of the measure
    with the given exact moments (Chebyshev's algorithm, exact Fractions)."""
    K = len(moments) // 2
    sigma_prev = [Fraction(0)] * (2 * K)
    sigma = [Fraction(mu) for mu in moments]
    a = [sigma[1] / sigma[0]]
    b = [sigma[0]]
    for k in range(1, K):
        new = [Fraction(0)] * (2 * K)
        for l in range(k, 2 * K - k):
            new[l] = sigma[l + 1] - a[k - 1] * sigma[l] - b[k - 1] * sigma_prev[l]
        if new[k] <= 0:
            raise ArithmeticError("moment sequence is not positive definite")
        a.append(new[k + 1] / new[k] - sigma[k] / sigma[k - 1])
        b.append(new[k] / sigma[k - 1])
        sigma_prev, sigma = sigma, new
    return a, b


@lru_cache(maxsize=64)
def _rule(n: int, p: int, K: int):
    scale = Fraction(n)                    # moments of W / n keep the numbers moderate
    mass = min(n, p)
    moments = [Fraction(mass)] + [Fraction(p * coefficient_at(j, n=n, p=p)) / scale ** j
                                  for j in range(1, 2 * K)]
    a, b = _jacobi(moments[:2 * K])
    J = np.diag([float(x) for x in a])
    off = [float(x) ** 0.5 for x in b[1:]]
    J += np.diag(off, 1) + np.diag(off, -1)
    nodes, vecs = np.linalg.eigh(J)
    weights = float(mass) * vecs[0] ** 2
    nodes = np.clip(nodes, 0.0, None) * n
    if p > n:
        nodes = np.concatenate([[0.0], nodes])
        weights = np.concatenate([[float(p - n)], weights])
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


def wishart_quadrature(n: int, p: int, nodes: int = DEFAULT_NODES):
    """(lambda, w): a quadrature rule for the expected spectral measure of W = X^T X, X an
    ``n`` x ``p`` matrix of iid N(0, 1) entries: sum_j w_j f(lambda_j) ~ E sum_k f(lambda_k).

    ``sum(w) == p``; for p > n the first node is the exact atom 0 of mass p - n.  The rule is
    exact for polynomials of degree < 2 ``nodes`` (module doc).  Read-only arrays, cached.
    """
    K = check_size("nodes", nodes)
    if K > MAX_NODES:
        raise ValueError(f"nodes must be at most {MAX_NODES}, got {nodes!r}")
    return _rule(check_size("n", n), check_size("p", p), K)
