"""The table of all moments E[W^k prod_j Tr W^{l_j}] up to a total degree (Lemma 1 and on).

:func:`moment_table` is what ``symmaml moments`` prints.  Every argument is checked, and
the cost of the whole table estimated, before the first moment is computed, so a bad
request fails in milliseconds instead of after minutes of work.
"""
from __future__ import annotations

from . import limits
from .api import (MAX_DEGREE_REFERENCE, Moment, expectation, wishart_lhs, wishart_moment,
                  wishart_orders)
from .matrices import gaussian_matrix
from .parse import check_exponent

__all__ = ["moment_table", "SIGMAS", "TABLE_METHODS"]

SIGMAS = ("identity", "general")
TABLE_METHODS = ("recurrence", "fast", "reference")
# Per-row work besides the moment itself (building the left-hand side, the canonical
# form, the SymPy result): about 3 ms, in cost units (~microseconds, see limits.py).
_ROW_OVERHEAD = 3000


def _table_cost(orders, sigma, method):
    total, exact_all = 0, True
    general = sigma == "general"
    top = max((k + sum(t) for k, t in orders), default=0)
    if method == "recurrence":
        # rows share one memo table and every state of the recurrence is itself a row:
        # the most expensive row, plus one state per further row
        cost, exact_all = limits.recurrence_cost(top)
        return cost + len(orders) * (_ROW_OVERHEAD + top ** 2), exact_all
    for k, traces in orders:
        d = k + sum(traces)
        if method == "reference":
            cost, exact = limits.reference_cost({0: (d, general)}, 2 * d), True
        else:
            cost, exact = limits.fast_cost({0: (d, general)})
        total, exact_all = total + cost + _ROW_OVERHEAD, exact_all and exact
    return total, exact_all


def moment_table(max_degree, sigma="identity", method="recurrence"):
    """Rows ``(k, traces, Moment)`` for every E[W^k prod Tr W^l], 1 <= degree <= max_degree.

    ``W = X^T X`` with X n x p and rows N(0, I) (``sigma="identity"``: coefficients are
    polynomials in n, p, Eqs. 31-40) or N(0, Sigma) (``sigma="general"``: words in the
    symbol Sigma).  ``method``: ``"recurrence"`` (Stein recurrence, Sigma = I only),
    ``"fast"`` (contraction) or ``"reference"`` (Wick pairings, degree <=
    ``MAX_DEGREE_REFERENCE``).  Rows are ordered as :func:`wishart_orders`; a row with
    k = 0 holds the scalar trace moment, the others ``E[...] = c * I`` (or the matrix for a
    general Sigma).

    Raises TypeError/ValueError naming the argument, or
    :class:`~symmaml.moments.limits.CostLimitError` with the estimate, before computing.

    >>> [(k, t, str(m.value)) for k, t, m in moment_table(1)]
    [(1, (), 'n*I'), (0, (1,), 'n*p')]
    """
    max_degree = check_exponent(max_degree, "max_degree")
    if not isinstance(sigma, str) or sigma not in SIGMAS:
        raise ValueError(f"sigma must be one of {SIGMAS}, got {sigma!r}")
    if not isinstance(method, str) or method not in TABLE_METHODS:
        raise ValueError(f"method must be one of {TABLE_METHODS}, got {method!r}")
    if method == "recurrence" and sigma != "identity":
        raise ValueError("method 'recurrence' (the Stein recurrence) needs sigma='identity'; "
                         "use method='fast' for a general Sigma")
    if method == "reference" and max_degree > MAX_DEGREE_REFERENCE:
        raise ValueError(f"max_degree = {max_degree}: the reference algorithm is refused above "
                         f"degree {MAX_DEGREE_REFERENCE}; use method='fast' or 'recurrence'")
    if max_degree > limits.MAX_PAIRS:
        raise limits.CostLimitError(f"max_degree = {max_degree}: over the engine's limit of "
                                    f"{limits.MAX_PAIRS} Gaussian pairs")
    # rows of degree d: p(d - k) for each k, i.e. P(d) = sum_{j <= d} p(j); refuse a table
    # whose mere list of rows would not fit before enumerating it
    n_rows = sum(limits.cumulative_partitions(d)[0] for d in range(1, max_degree + 1))
    limits.check_cost(n_rows * _ROW_OVERHEAD, f"max_degree = {max_degree} ({n_rows} moments)",
                      lower_bound=max_degree > 1000)
    orders = wishart_orders(max_degree)
    cost, exact = _table_cost(orders, sigma, method)
    limits.check_cost(cost, f"max_degree = {max_degree} ({len(orders)} moments, sigma "
                            f"{sigma!r}, method {method!r})", lower_bound=not exact)

    X = gaussian_matrix("X", cov=None if sigma == "identity" else "Sigma")
    rows = []
    for k, traces in orders:
        lhs = wishart_lhs(k, traces, X, scalar=True)
        if method == "recurrence":
            c = wishart_moment(k, traces)
            value = c if k == 0 else c * X.cov
        else:
            value = expectation(lhs, method=method)
        rows.append((k, traces, Moment(lhs, value)))
    return rows
