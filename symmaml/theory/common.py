"""Pieces shared by the theorems: the exact test-task average and the h functions.

* :func:`test_average` -- Eqs. 59-65 (Sigma = I) and Eqs. 115-124 (general Sigma), exact:
  the average of the test loss (Eq. 23) over the test task given omega*.
* :func:`h` -- h = E[(I - alpha/n X^T X)^2] / I = (1 - alpha)^2 + alpha^2 (p + 1)/n
  (Eqs. 6-7), computed by the moment engine.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import MatrixSymbol, Symbol, Trace, expand

from ..moments import expectation, gaussian_matrix, identity_coefficient, replace_traces
from ..symbols import p
from .model import inner_matrix, test_task

__all__ = ["test_average", "h", "d_vector", "E_d_sq"]

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
