"""The claims registry: every printed equation of the paper we check, with its verdict.

See :mod:`symmaml.claims.base` for the comparison.  ``CLAIMS`` lists the lemma claims
(:mod:`~symmaml.claims.lemmas`) and the theorem claims (:mod:`~symmaml.claims.theorems`),
then symmaml's own statements about its finite-size theory (:mod:`~symmaml.claims.finite_size`,
equations "FS-1", ...).
"""
from __future__ import annotations

from .base import Claim, Verdict, exact_difference, verify
from .finite_size import CLAIMS as _FINITE_SIZE_CLAIMS
from .lemmas import CLAIMS as _LEMMA_CLAIMS
from .theorems import CLAIMS as _THEOREM_CLAIMS

__all__ = ["Claim", "Verdict", "CLAIMS", "verify", "verify_all", "get_claim",
           "exact_difference"]

CLAIMS: list[Claim] = _LEMMA_CLAIMS + _THEOREM_CLAIMS + _FINITE_SIZE_CLAIMS


def get_claim(equation: str) -> Claim:
    """The registered claim for the paper's equation number ``equation`` (e.g. ``"32"``,
    ``"34-35"``); ``KeyError`` naming the known ones otherwise."""
    for c in CLAIMS:
        if c.equation == equation:
            return c
    raise KeyError(f"no claim for equation {equation!r}; known: {[c.equation for c in CLAIMS]}")


def verify_all(equations=None) -> list[Verdict]:
    """Verdicts for every registered claim (or the given equation numbers)."""
    chosen = CLAIMS if equations is None else [get_claim(e) for e in equations]
    return [verify(c) for c in chosen]
