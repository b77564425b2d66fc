"""Claim and verdict objects, and the exact comparison behind every verdict.

This package is the only place where formulas are *typed in* from the paper (Bernacchia,
ICLR 2021, arXiv 2102.00940).  Each :class:`Claim` pairs a transcription with a builder for
the quantity the package derives; :func:`verify` compares the two exactly.  A claim that
does not hold is reported with the difference, never silently corrected.

Statuses: ``"holds"``, ``"fails"`` (with the difference and, where known, the corrected
form), ``"holds under condition"`` (with the condition).  ``expected`` records the verdict
we established, so that a change is caught by ``symmaml verify`` and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from sympy import Trace, cancel, expand, sympify

from ..moments import difference
from ..moments.parse import to_sympy

__all__ = ["Claim", "Verdict", "verify", "exact_difference"]


def exact_difference(derived, printed):
    """``derived - printed`` reduced exactly: 0 iff they are equal.

    Matrix expressions are compared through canonical forms (traces up to cyclicity and
    transposition); scalar expressions containing traces of matrix expressions have their
    traces expanded first; rational functions are put over a common denominator
    (``cancel``)."""
    derived, printed = sympify(derived), sympify(printed)
    if getattr(derived, "shape", None) is not None or getattr(printed, "shape", None) is not None:
        diff = difference(derived, printed)
        diff = {k: v for k, v in ((k, cancel(v)) for k, v in diff.items()) if v != 0}
        return to_sympy(diff, derived.shape) if diff else 0
    if derived.has(Trace) or printed.has(Trace):
        from ..theory.optima import expand_traces
        derived, printed = expand_traces(derived), expand_traces(printed)
    # over the product of the denominators (no gcd): zero iff the numerator expands to 0
    num, _ = (derived - printed).as_numer_denom()
    if expand(num) == 0:
        return 0
    return cancel(derived - printed)


@dataclass(frozen=True)
class Claim:
    """A printed equation of the paper.

    ``derived`` builds the package's result, ``printed`` the transcription; both are SymPy
    expressions (scalars or matrix expressions) compared exactly.
    """

    equation: str
    section: str
    statement: str
    derived: Callable[[], object]
    printed: Callable[[], object]
    expected: str = "holds"
    condition: str | None = None
    note: str = ""
    corrected: Callable[[], object] | None = None
    compare: Callable[[object, object], tuple] | None = None


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    status: str
    detail: str
    derived: object = field(repr=False, default=None)
    printed: object = field(repr=False, default=None)

    @property
    def as_expected(self) -> bool:
        return self.status == self.claim.expected

    def record(self) -> dict:
        """One JSON-ready record (the format of ``symmaml verify --json``)."""
        return {
            "equation": self.claim.equation,
            "section": self.claim.section,
            "statement": self.claim.statement,
            "status": self.status,
            "expected": self.claim.expected,
            "detail": self.detail,
            "printed": str(self.printed),
            "derived": str(self.derived),
        }


@lru_cache(maxsize=None)
def verify(claim: Claim) -> Verdict:
    """Compare a claim's transcription with the derived result, exactly (memoised)."""
    derived, printed = claim.derived(), claim.printed()
    if claim.compare is not None:
        status, detail = claim.compare(derived, printed)
        return Verdict(claim, status, detail, derived, printed)
    if getattr(derived, "shape", None) != getattr(printed, "shape", None):
        return Verdict(claim, "fails", f"shapes differ: derived {getattr(derived, 'shape', ())}"
                       f" vs printed {getattr(printed, 'shape', ())}", derived, printed)
    delta = exact_difference(derived, printed)
    if delta == 0:
        detail = "exact: derived - printed reduces to 0"
        if claim.condition:
            return Verdict(claim, "holds under condition", f"{detail}, if {claim.condition}",
                           derived, printed)
        return Verdict(claim, "holds", detail, derived, printed)
    detail = f"derived - printed = {delta}"
    if claim.corrected is not None:
        fixed = claim.corrected()
        if exact_difference(derived, fixed) != 0:
            raise AssertionError(f"Eq. {claim.equation}: the corrected form does not hold")
        detail += f"; corrected form (holds exactly): {fixed}"
    return Verdict(claim, "fails", detail, derived, printed)
