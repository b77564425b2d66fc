"""Pieces shared by the theorems: the exact test-task average and the h functions.

* :func:`test_average` -- Eqs. 59-65 (Sigma = I) and Eqs. 115-124 (general Sigma), exact:
  the average of the test loss (Eq. 23) over the test task given omega*.
* :func:`h` -- h = E[(I - alpha/n X^T X)^2] / I = (1 - alpha)^2 + alpha^2 (p + 1)/n
  (Eqs. 6-7), computed by the moment engine; :func:`h_t`, :func:`h_r` at the inner and
  outer rates;
* :func:`mu` -- Lemma 1's mu_k and mu_{k,l} (Eqs. 32-40), from the Wishart moments;
* :func:`optimal_alpha_r_generic` -- the argmin of Eq. 65 over alpha_r for any
  E|omega* - w0|^2, with the proof that it lies in (0, 1/(1 + (p+1)/n_r)): Theorems 1-2 at
  order 1 and at order 2 substitute their own E|omega* - w0|^2.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import MatrixSymbol, Symbol, Trace, cancel, diff, expand, factor

from ..moments import (expectation, gaussian_matrix, identity_coefficient, replace_traces,
                       wishart_moment)
from ..symbols import alpha_r, alpha_t, n as n_sym, n_r, n_t, p
from .algebra import is_positive, quadratic_argmin
from .model import inner_matrix, test_task

__all__ = ["test_average", "h", "h_t", "h_r", "mu", "d_vector", "E_d_sq",
           "optimal_alpha_r_generic"]

#: omega* - w0 (a p x 1 matrix held fixed while averaging over the test task)
d_vector = MatrixSymbol("d", p, 1)
#: E|omega* - w0|^2, the quantity each theorem's training analysis supplies
E_d_sq = Symbol("E_d_sq")


@lru_cache(maxsize=None)
def h(alpha, n):
    """h(alpha, n) = E[A^2] / I_p with A = I - alpha/n X^T X, X n x p, Sigma = I."""
    X = gaussian_matrix("X_h", n, p)
    A = inner_matrix(X, alpha, n)
    return expand(identity_coefficient(expectation(A * A)))


@lru_cache(maxsize=None)
def test_average(general=False):
    """E over (X_r, z_r, w', X_s, z_s) of the test loss given omega* (exact).

    Returns the expression in ``d`` (general Sigma) or, for Sigma = I, in E_d_sq after
    replacing |d|^2 (only the norm of d survives; checked).
    """
    avg = expectation(test_task(general).loss(d_vector))
    if general:
        return avg
    out = replace_traces(avg, {Trace(d_vector.T * d_vector): E_d_sq})
    if out.has(d_vector):
        raise AssertionError("Sigma = I test average depends on d beyond |d|^2")
    return expand(out)


def h_t():
    """h_t = (1 - alpha_t)^2 + alpha_t^2 (p + 1)/n_t (Eq. 6), derived as E[A_t^2]."""
    return h(alpha_t, n_t)


def h_r():
    """h_r (Eq. 7), derived as E[A_r^2]."""
    return h(alpha_r, n_r)


def mu(k: int, l: int | None = None, n=n_t):
    """Lemma 1's mu_k = c_k / n^k and mu_{k,l} = c_{k,(l)} / (p n^{k+l}) (Eqs. 32-40)."""
    if l is None:
        return expand(wishart_moment(k).subs(n_sym, n) / n ** k)
    return expand(wishart_moment(k, (l,)).subs(n_sym, n) / (p * n ** (k + l)))


@lru_cache(maxsize=None)
def optimal_alpha_r_generic():
    """The argmin over alpha_r of the exact test average (Eq. 65, Sigma = I) as a function of
    E|omega* - w0|^2 = ``E_d_sq``, and its proof: ``(value, steps, holds)``.

    Only Eq. 65 depends on alpha_r, and it is quadratic there, so the optimum is -b/2a for
    any E_d_sq; the proof shows the curvature is positive and 0 < alpha_r* <
    1/(1 + (p+1)/n_r) for every E_d_sq > 0 (Section 5.1's statement)."""
    L65 = test_average(False)
    generic = cancel(quadratic_argmin(L65, alpha_r))
    upper = 1 / (1 + (p + 1) / n_r)
    gap = cancel(upper - generic)
    extra = (E_d_sq,)
    curvature = cancel(diff(L65, alpha_r, 2))
    checks = (is_positive(curvature, extra), is_positive(generic, extra),
              is_positive(gap, extra))
    steps = (
        f"d^2L/d alpha_r^2 = {factor(curvature)} > 0 (convex, unique minimum): {checks[0]}",
        f"alpha_r* = {factor(generic)} for any E|omega* - w0|^2 = E_d_sq > 0",
        f"alpha_r* > 0: {checks[1]}",
        f"1/(1 + (p+1)/n_r) - alpha_r* = {factor(gap)} > 0: {checks[2]}",
    )
    return generic, steps, bool(all(checks))
