"""Stein's recurrence for Wishart moments, over any commutative ring (no SymPy).

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
polynomial in the degree.

The recurrence only adds and multiplies, so it runs in any ring: with n, p the generators
of Z[n, p] (:mod:`symmaml.moments.wishart`) it gives the exact polynomials; with n, p
Python ints (:func:`coefficient_at`) it gives the exact integers at those sizes, much
faster -- which the simulator's exact conditional estimators (:mod:`symmaml.montecarlo`)
and the theory's fixed-size evaluation use.  This is the one home of the recurrence.
"""
from __future__ import annotations

import numbers
from functools import lru_cache

__all__ = ["Recurrence", "coefficient_at", "trace_moment_at", "check_size"]


def _remove_one(traces, value):
    lst = list(traces)
    lst.remove(value)
    return tuple(lst)


class Recurrence:
    """c_k(L) of the module doc with ``n``, ``p`` and ``one`` elements of one ring."""

    def __init__(self, n, p, one):
        self.n, self.p, self.one = n, p, one
        self._memo: dict = {}

    def __call__(self, k: int, traces: tuple = ()):
        """c such that E[W^k prod_{l in traces} Tr W^l] = c I_p (k, traces: ints >= 0)."""
        zero_traces = traces.count(0)
        traces = tuple(sorted(t for t in traces if t))
        return self.p ** zero_traces * self._c(k, traces) if zero_traces else self._c(k, traces)

    def _c(self, k, traces):
        key = (k, traces)
        memo = self._memo
        if key in memo:
            return memo[key]
        # iterative deepening on total degree keeps Python's stack shallow for degree ~ 40
        stack = [key]
        while stack:
            kk, tr = stack[-1]
            deps = self._deps(kk, tr)
            todo = [d for d in deps if d not in memo]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            if (kk, tr) not in memo:
                memo[(kk, tr)] = self._combine(kk, tr)
        return memo[key]

    @staticmethod
    def _deps(k, traces):
        if k == 0:
            return [(traces[0], traces[1:])] if traces else []
        out = [(k - 1, traces)]
        out += [(k - 1 - j, tuple(sorted(traces + (j,)))) for j in range(1, k)]
        out += [(k + l - 1, _remove_one(traces, l)) for l in set(traces)]
        return out

    def _combine(self, k, traces):
        memo = self._memo
        if k == 0:
            return self.p * memo[(traces[0], traces[1:])] if traces else self.one
        out = (self.n + (k - 1)) * memo[(k - 1, traces)]
        for j in range(1, k):
            out = out + memo[(k - 1 - j, tuple(sorted(traces + (j,))))]
        for l in set(traces):
            out = out + 2 * l * traces.count(l) * memo[(k + l - 1, _remove_one(traces, l))]
        return out

    def clear(self):
        """Forget the memo table."""
        self._memo.clear()


@lru_cache(maxsize=8)
def _int_recurrence(n: int, p: int) -> Recurrence:
    return Recurrence(n, p, 1)


def check_size(name, value) -> int:
    """``value`` as an int >= 1 (a matrix size), else ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def coefficient_at(k: int, traces: tuple = (), *, n: int, p: int) -> int:
    """The exact integer c_k(L) at sizes ``n``, ``p``: E[W^k prod Tr W^l] = c I_p."""
    return _int_recurrence(check_size("n", n), check_size("p", p))(
        int(k), tuple(int(t) for t in traces))


def trace_moment_at(k: int, *, n: int, p: int) -> float:
    """E[Tr W^k] / (p n^k) as a float (the normalised moment mu_k of Lemma 1, Eq. 32)."""
    return coefficient_at(k, n=n, p=p) / n ** k
