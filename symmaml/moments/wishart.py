"""Scalar Wishart moments for Sigma = I by an integration-by-parts recurrence.

For X an n x p matrix of iid N(0, 1) entries and W = X^T X, rotation invariance gives
E[W^k prod_j Tr W^{l_j}] = c_k(L) I_p.  Stein's lemma, E[X_{ia} f(X)] = E[d f / d X_{ia}],
applied to W^k = X^T (X W^{k-1}) yields (derivation in derivations/moments.md)

    c_k(L) = (n + k - 1) c_{k-1}(L)
             + sum_{j=1}^{k-1} c_{k-1-j}(L + {j})
             + sum_{l in L} 2 l c_{k+l-1}(L - {l})              (k >= 1)
    c_0(L) = p c_{l_1}(L - {l_1}),   c_0({}) = 1,

where the first line comes from differentiating X, the second from the inner W factors
(dW = dX^T X + X^T dX) and the third from the traces (d Tr W^l = 2 l X W^{l-1} : dX).
Every term has total degree one less, so memoisation over (k, sorted L) makes the cost
polynomial in the degree.  The result is an exact polynomial in n and p (integer
coefficients), checked against both Wick algorithms in the tests.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import ZZ, Symbol
from sympy.polys.rings import ring

__all__ = ["wishart_coefficient"]

_R, _N, _P = ring([Symbol("n"), Symbol("p")], ZZ)


def _remove_one(traces, value):
    lst = list(traces)
    lst.remove(value)
    return tuple(lst)


@lru_cache(maxsize=None)
def _c(k: int, traces: tuple):
    if k == 0:
        if not traces:
            return _R.one
        return _P * _c(traces[0], traces[1:])
    out = (_N + (k - 1)) * _c(k - 1, traces)
    for j in range(1, k):
        out += _c(k - 1 - j, tuple(sorted(traces + (j,))))
    for l in set(traces):
        mult = traces.count(l)
        out += 2 * l * mult * _c(k + l - 1, _remove_one(traces, l))
    return out


def wishart_coefficient(k: int, traces: tuple):
    """c such that E[W^k prod Tr W^l] = c I_p (as a SymPy PolyElement in n, p).

    ``k`` and the entries of ``traces`` must already be validated non-negative ints; a
    trace of W^0 is Tr(I_p) = p.
    """
    zero_traces = traces.count(0)
    traces = tuple(sorted(t for t in traces if t))
    return _P ** zero_traces * _c(k, traces)


def cache_clear():
    """Empty the memo table of the Sigma = I recurrence (the c(k, traces) coefficients)."""
    _c.cache_clear()
