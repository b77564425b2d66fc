"""Exact finite-sample E|omega* - w0|^2 at alpha_t = 0 (Sigma = I, Gaussian inputs).

At alpha_t = 0 the outer-loop matrix is the stacked validation input B = X_v (N = n_v m
rows, Eq. 68), so E|omega* - w0|^2 (Eq. 74 / Eq. 85) is an inverse-Wishart moment with a
closed form.  This module is its one home: the simulator checks itself against it
(:mod:`symmaml.montecarlo.exact`), and the order-2 theory of Theorem 2 is matched to it
(:mod:`symmaml.theory.finite_size_tasks`).  Plain arithmetic only, so the same functions
return floats for floats, exact rationals for ``fractions.Fraction`` and SymPy expressions
for SymPy symbols.  The result depends on Sigma_w only through tau^2 = Tr(Sigma_w)/p
(= nu^2/p in the paper), by rotation invariance of X_v.

Overparameterized, p > N + 1 (Eq. 69: P = B^+ B projects onto a uniformly random
N-dimensional subspace, E P = N/p I; W = B B^T ~ Wishart_N(p, I), E W^-1 = I/(p - N - 1)):

    E|omega* - w0|^2 = (1 - N/p) delta_sq + sigma^2 N/(p - N - 1)
                       + tau^2 N (p - n_v - 1)/(p - N - 1).

The tau^2 term is sum_i E Tr((W^-1)_ii W_ii); with S_i the Schur complement
~ Wishart_{n_v}(p - N + n_v) and W_ii = S_i + R_i, R_i ~ Wishart_{n_v}(N - n_v)
independent, it equals n_v (1 + (N - n_v)/(p - N - 1)) per block.

Underparameterized, N > p + 1 (Eq. 83, omega0 drops out; thin SVD B = U S O^T with U Haar
on the Stiefel manifold, independent of S; Haff's identity (N - p - 1) E (B^T B)^-1 = I):

    E|omega* - w0|^2 = sigma^2 p/(N - p - 1) + tau^2 m [(1 - c) A + c F],
    c = E[lambda_k/lambda_l] (k != l) = (N + 1)/(N - p - 1),
    A = E sum_k (U_i^T U_i)_kk^2 = p n_v (n_v + 2)/(N (N + 2)),
    F = E |U_i^T U_i|_F^2 = n_v p (p + 2)/(N (N + 2))
        + n_v (n_v - 1) p (N - p)/(N (N - 1) (N + 2)),

where c follows from the independence of Tr W and W/Tr W
(E[Tr W Tr W^-1] = p (N p - 2)/(N - p - 1)), A from the Beta(n_v/2, (N - n_v)/2) law of a
column's squared mass on one block, and F from the entries of a Haar random rank-p
projection.  For m = 1 this reduces to tau^2 p (omega* = w).
"""
from __future__ import annotations

__all__ = ["outer_error_alpha0", "underparameterized_alpha0"]


def underparameterized_alpha0(n_v, m, p):
    """(S_sigma, S_tau) with E|omega* - w0|^2 = sigma^2 S_sigma + tau^2 S_tau at alpha_t = 0,
    N = n_v m > p + 1 (module doc)."""
    N = n_v * m
    c = (N + 1) / (N - p - 1)
    A = p * n_v * (n_v + 2) / (N * (N + 2))
    if N == 1:      # pragma: no cover - N > p + 1 >= 2
        F = A
    else:
        F = (n_v * p * (p + 2) / (N * (N + 2))
             + n_v * (n_v - 1) * p * (N - p) / (N * (N - 1) * (N + 2)))
    return p / (N - p - 1), m * ((1 - c) * A + c * F)


def outer_error_alpha0(*, n_v, m, p, sigma, tau2, delta_sq=0):
    """Exact E|omega* - w0|^2 at alpha_t = 0 for |p - n_v m| >= 2 (module doc); ``tau2`` is
    Tr(Sigma_w)/p, ``delta_sq`` = |omega0 - w0|^2 (used only when p > N).  ValueError for
    |p - N| <= 1, where the expectation diverges."""
    N = n_v * m
    if p > N + 1:
        return ((1 - N / p) * delta_sq + sigma ** 2 * N / (p - N - 1)
                + tau2 * N * (p - n_v - 1) / (p - N - 1))
    if N > p + 1:
        s_sigma, s_tau = underparameterized_alpha0(n_v, m, p)
        return sigma ** 2 * s_sigma + tau2 * s_tau
    raise ValueError(f"E|omega* - w0|^2 is infinite for |p - n_v m| <= 1 (p = {p}, "
                     f"n_v m = {N})")
