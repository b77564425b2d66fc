"""Fast moment algorithm: memoised one-pair Wick contraction.

Wick/Isserlis (equivalently Stein's lemma, E[x f(x)] = Sigma E[grad f]) lets us contract the
*first* Gaussian entry of a product with each partner in turn, leaving a product with two
fewer Gaussian letters.  Contracting X_{ia} with X_{jb} gives delta_{ij} Sigma_{ab}: the row
indices are glued and the column indices are joined through Sigma.  In word form that is a
rewrite of at most two words (open word and/or traces) into at most two words, e.g.

    P X^T Q X R   ->   P Sigma R * Tr(Q)          (Q a word over the rows)
    P X Q X^T R   ->   P R * Tr(Q Sigma)          (Q a word over the columns)
    P X Q X R     ->   P Q^T Sigma R

and the analogous splice when the partner sits in another trace.  Each intermediate state
(open word, traces still holding Gaussian letters) is reduced to a canonical form and
memoised, so the many pairings that lead to the same state are evaluated once.  For
E[W^k prod Tr W^l] with Sigma = I the number of states grows like the number of partitions of
the degree, against (2d - 1)!! pairings for brute force.

The rules are checked against the brute-force pairing of :mod:`symmaml.moments.reference`.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache

from .limits import CostLimitError
from .words import (canonical_cycle, dim_monomial, is_gaussian_token, letter,
                    reverse_transpose)

__all__ = ["expect_word", "clear_cache", "state_budget"]

# New states the current request may still create (None: unlimited).  The cost guard's
# up-front estimate is not a bound, so the contraction counts what it really does.
_guard = threading.local()


@contextmanager
def state_budget(states: int | None, what: str = "this expectation"):
    """Allow at most ``states`` new memoised states inside the block, else
    :class:`~symmaml.moments.limits.CostLimitError`."""
    previous = getattr(_guard, "left", None), getattr(_guard, "what", None)
    _guard.left, _guard.what = states, what
    try:
        yield
    finally:
        _guard.left, _guard.what = previous


def _first_gaussian(word):
    for i, tok in enumerate(word):
        if is_gaussian_token(tok):
            return i
    return -1


def _splice(a_t, b_t, P, Q, R, S, same):
    """Result of contracting A (at the end of P) with B, Q being the word between them.

    ``same``: B lies in the same word (Q runs from A to B); otherwise Q is the rest of B's
    trace read from just after B round to just before it.  Returns (main word, extra cycle
    or None, which space the extra cycle lives on: 'row'/'col').
    """
    if same:
        if a_t == 0 and b_t == 0:
            return P + reverse_transpose(Q) + S + R, None, None
        if a_t == 0 and b_t == 1:
            return P + R, Q + S, "col"
        if a_t == 1 and b_t == 0:
            return P + S + R, Q, "row"
        return P + S + reverse_transpose(Q) + R, None, None
    if a_t == 0 and b_t == 0:
        return P + reverse_transpose(Q) + S + R, None, None
    if a_t == 0 and b_t == 1:
        return P + Q + S + R, None, None
    if a_t == 1 and b_t == 0:
        return P + S + Q + R, None, None
    return P + S + reverse_transpose(Q) + R, None, None


def _add_into(acc, sub, mono, dcycles):
    for (open_word, traces), poly in sub.items():
        key = (open_word, tuple(sorted(traces + dcycles)) if dcycles else traces)
        dst = acc.get(key)
        if dst is None:
            dst = acc[key] = {}
        for mon, c in poly.items():
            mon += mono
            v = dst.get(mon, 0) + c
            if v:
                dst[mon] = v
            else:
                dst.pop(mon, None)
        if not dst:
            del acc[key]


@lru_cache(maxsize=None)
def _expect(open_word, rcycles):
    """E[open_word * prod Tr(rcycles)] as {(open, det. traces): packed poly}.

    ``open_word`` is a tuple (or None for a scalar); ``rcycles`` a sorted tuple of canonical
    cycles each holding at least one Gaussian token.
    """
    i = -1 if open_word is None else _first_gaussian(open_word)
    if i < 0 and not rcycles:
        return {(open_word, ()): {0: 1}}
    left = getattr(_guard, "left", None)
    if left is not None:
        if left <= 0:
            raise CostLimitError(
                f"{_guard.what}: the contraction exceeded its state budget (the cost limit "
                "divided by the squared degree); raise SYMMAML_MAX_COST or "
                "symmaml.moments.limits.MAX_COST to allow it")
        _guard.left = left - 1
    if i >= 0:
        U, others, u_cycle = open_word, rcycles, False
    else:
        cyc = rcycles[0]
        j0 = _first_gaussian(cyc)
        U, others, u_cycle, i = cyc[j0:] + cyc[:j0], rcycles[1:], True, 0
    A = U[i]
    lid = A >> 1
    let = letter(lid)
    S = () if let.cov < 0 else (2 * let.cov,)
    space_dim = {"row": let.rows, "col": let.cols}
    a_left = let.cols if A & 1 else let.rows
    P, rest = U[:i], U[i + 1:]

    acc: dict = {}

    def emit(main, extra, extra_space, other_cycles):
        mono = 0
        dcycles = []
        rnew = list(other_cycles)
        pieces = []
        if extra is not None:
            pieces.append((extra, space_dim[extra_space]))
        if u_cycle:
            pieces.append((main, a_left))
            new_open = open_word
        else:
            new_open = main
        for word, dim in pieces:
            if not word:
                mono += dim_monomial(dim)
            elif _first_gaussian(word) >= 0:
                rnew.append(canonical_cycle(word))
            else:
                dcycles.append(canonical_cycle(word))
        sub = _expect(new_open, tuple(sorted(rnew)))
        _add_into(acc, sub, mono, tuple(dcycles))

    # partner in the same word
    for j in range(len(rest)):
        if rest[j] >> 1 == lid:
            main, extra, space = _splice(A & 1, rest[j] & 1, P, rest[:j], rest[j + 1:], S, True)
            emit(main, extra, space, others)
    # partner in another trace
    for c, V in enumerate(others):
        remaining = others[:c] + others[c + 1:]
        for j, tok in enumerate(V):
            if tok >> 1 == lid:
                Q = V[j + 1:] + V[:j]
                main, _, _ = _splice(A & 1, tok & 1, P, Q, rest, S, False)
                emit(main, None, None, remaining)
    return acc


def expect_word(open_word, cycles):
    """Expectation of one product term (fast algorithm); cycles need not be canonical."""
    rc, dc = [], []
    for cyc in cycles:
        (rc if _first_gaussian(cyc) >= 0 else dc).append(canonical_cycle(cyc))
    counts: dict = {}
    for word in ([open_word] if open_word else []) + rc:
        for tok in word:
            if is_gaussian_token(tok):
                counts[tok >> 1] = counts.get(tok >> 1, 0) + 1
    if any(c % 2 for c in counts.values()):
        return {}
    sub = _expect(open_word, tuple(sorted(rc)))
    if not dc:
        return sub
    acc: dict = {}
    _add_into(acc, sub, 0, tuple(dc))
    return acc


def clear_cache():
    """Forget memoised states (for cold-start benchmarks)."""
    _expect.cache_clear()
