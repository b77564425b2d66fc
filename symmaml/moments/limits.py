"""Cost guard: estimate the work of a moment before computing it, refuse what cannot finish.

Every algorithm's work is estimated up front in *cost units*, about one microsecond each
on the 2-core reference machine (the README's benchmarks):

* Stein recurrence (E[W^k prod Tr W^l], Sigma = I, total degree D): it visits one state
  per partition of each lower degree, ``P(D) = sum_{j <= D} p(j)`` states (exact for W^k),
  each an addition of polynomials with about D^2 terms: ``P(D) * D^2``.
* Fast contraction: the same count for one Gaussian letter with Sigma = I; a covariance
  Sigma multiplies it by about ``1 + d`` (d pairs of that letter: Sigma is inserted at
  every contraction, so more words survive), e.g. E[W^12] for a general Sigma is
  ``272 * 13 * 144 = 5.1e5`` units (0.6 s).  The estimate takes the most expensive letter
  of each term and sums over terms; since it is not a bound, the contraction also counts
  the states it really creates and stops at ``limit / D^2`` of them.
* Reference (Wick pairings): ``prod_i (2 d_i - 1)!!`` pairings per term, times the number
  of tokens walked per pairing.
* Expanding an expression into words: refused beyond ``limit / 100`` terms.

The limit is ``MAX_COST`` of this module when set, else the environment variable
``SYMMAML_MAX_COST``, else ``DEFAULT_MAX_COST = 10**8`` (about two minutes).  Requests above
it raise :class:`CostLimitError` (a ``ValueError``) naming the argument and the estimate.
Independently of the limit, at most ``MAX_PAIRS`` Gaussian pairs per term are accepted:
the contraction recurses once per pair.
"""
from __future__ import annotations

import os
from functools import lru_cache

__all__ = ["CostLimitError", "DEFAULT_MAX_COST", "MAX_COST", "MAX_PAIRS", "max_cost",
           "check_cost", "cumulative_partitions", "recurrence_cost", "fast_cost",
           "numeric_recurrence_cost",
           "reference_cost", "double_factorial"]

DEFAULT_MAX_COST = 10 ** 8
#: set to an int to override ``SYMMAML_MAX_COST`` in this process (None: use the environment)
MAX_COST: int | None = None
#: Gaussian pairs per term; the fast contraction recurses once per pair (Python's stack)
MAX_PAIRS = 200
#: partition numbers are computed exactly up to this degree; above, a lower bound is used
_EXACT_PARTITIONS = 1000


class CostLimitError(ValueError):
    """A requested moment's estimated (or measured) cost exceeds the configured limit."""


def max_cost() -> int:
    """The cost limit in force: ``MAX_COST``, else ``$SYMMAML_MAX_COST``, else the default."""
    if MAX_COST is not None:
        value, source = MAX_COST, "symmaml.moments.limits.MAX_COST"
    else:
        raw = os.environ.get("SYMMAML_MAX_COST", "").strip()
        if not raw:
            return DEFAULT_MAX_COST
        source = "SYMMAML_MAX_COST"
        try:
            value = int(float(raw)) if "e" in raw.lower() else int(raw)
        except (ValueError, OverflowError):
            raise ValueError(f"{source} must be a positive integer (e.g. 1e9), "
                             f"got {raw!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{source} must be a positive integer, got {value!r}")
    return value


def _fmt(x: int) -> str:
    return f"{x:.2e}" if x >= 10 ** 6 else str(x)


def check_cost(cost: int, what: str, *, lower_bound: bool = False) -> None:
    """Raise :class:`CostLimitError` when ``cost`` exceeds the limit; ``what`` names the
    argument (e.g. ``"order k = 60 (method 'recurrence')"``)."""
    limit = max_cost()
    if cost > limit:
        est = ("at least " if lower_bound else "about ") + _fmt(cost)
        raise CostLimitError(
            f"{what}: estimated cost {est} units (~microseconds) exceeds the limit "
            f"{_fmt(limit)}; raise SYMMAML_MAX_COST or symmaml.moments.limits.MAX_COST "
            "to allow it")


@lru_cache(maxsize=1)
def _partition_table() -> tuple:
    # Euler's pentagonal-number recurrence: p(j) = sum_k (-1)^(k+1) [p(j - g_k) + p(j - g_-k)]
    p = [1]
    for j in range(1, _EXACT_PARTITIONS + 1):
        total, k = 0, 1
        while True:
            g1 = k * (3 * k - 1) // 2
            if g1 > j:
                break
            sign = 1 if k % 2 else -1
            total += sign * p[j - g1]
            g2 = k * (3 * k + 1) // 2
            if g2 <= j:
                total += sign * p[j - g2]
            k += 1
        p.append(total)
    cum, acc = [], 0
    for v in p:
        acc += v
        cum.append(acc)
    return tuple(cum)


def cumulative_partitions(d: int) -> tuple[int, bool]:
    """``(sum_{j <= d} p(j), exact)``; above the table a lower bound (exact = False)."""
    table = _partition_table()
    if d <= _EXACT_PARTITIONS:
        return table[d], True
    return table[-1], False


def recurrence_cost(degree: int) -> tuple[int, bool]:
    """Estimated cost of the Stein recurrence at total degree ``degree``."""
    states, exact = cumulative_partitions(degree)
    return states * max(1, degree) ** 2, exact


def numeric_recurrence_cost(degree: int) -> tuple[int, bool]:
    """Estimated cost of the Stein recurrence at total degree ``degree`` with integer sizes:
    every state of every lower degree once (sum_j P(j) states), a few integer operations
    each (measured: degree 40, 1.5e6 states, 6 s on the reference machine)."""
    total, exact = 0, True
    for j in range(max(0, degree) + 1):
        states, ex = cumulative_partitions(j)
        total, exact = total + states, exact and ex
    return 4 * total * max(1, degree) // 10, exact


def fast_cost(letters: dict) -> tuple[int, bool]:
    """Estimated cost of one term for the contraction; ``letters`` maps each Gaussian
    letter to ``(pairs, has_covariance)``."""
    total = sum(d for d, _ in letters.values())
    worst, exact = 1, True
    for d, has_cov in letters.values():
        states, ex = cumulative_partitions(d)
        worst, exact = max(worst, states * (1 + d if has_cov else 1)), exact and ex
    return worst * max(1, total) ** 2, exact


def double_factorial(m: int) -> int:
    """m!! for odd m >= -1 (the number of perfect matchings of m + 1 items)."""
    out = 1
    while m > 1:
        out *= m
        m -= 2
    return out


def reference_cost(letters: dict, tokens: int) -> int:
    """Pairings of one term times the tokens walked per pairing (exact count)."""
    pairings = 1
    for d, _ in letters.values():
        if d > 60:    # (119)!! already exceeds any limit; avoid a huge product
            return 10 ** 100
        pairings *= double_factorial(2 * d - 1)
    return pairings * max(1, tokens)
