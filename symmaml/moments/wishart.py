"""Scalar Wishart moments for Sigma = I as exact polynomials in n and p.

E[W^k prod_j Tr W^{l_j}] = c_k(L) I_p for W = X^T X, X n x p with iid N(0, 1) entries, by
Stein's recurrence (:mod:`symmaml.stein`, its one home) run in the ring Z[n, p]; the
result has integer coefficients and is checked against both Wick algorithms in the tests.
"""
from __future__ import annotations

from sympy import ZZ, Symbol
from sympy.polys.rings import ring

from ..stein import Recurrence

__all__ = ["wishart_coefficient"]

_R, _N, _P = ring([Symbol("n"), Symbol("p")], ZZ)
_REC = Recurrence(_N, _P, _R.one)


def wishart_coefficient(k: int, traces: tuple):
    """c such that E[W^k prod Tr W^l] = c I_p (as a SymPy PolyElement in n, p).

    ``k`` and the entries of ``traces`` must already be validated non-negative ints; a
    trace of W^0 is Tr(I_p) = p.
    """
    return _REC(k, tuple(traces))


def cache_clear():
    """Empty the memo table of the Sigma = I recurrence (the c(k, traces) coefficients)."""
    _REC.clear()
