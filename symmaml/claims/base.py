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
from .exact import is_zero, seeded_sympy_random

__all__ = ["Claim", "Verdict", "verify", "exact_difference"]


def exact_difference(derived, printed):
    """``derived - printed`` reduced exactly: 0 iff they are equal.

    Matrix expressions are compared through canonical forms (traces up to cyclicity and
    transposition); scalar expressions containing traces of matrix expressions have their
    traces expanded first.  Zero is decided by :func:`~symmaml.claims.exact.is_zero`
    (exact sparse polynomial arithmetic over QQ, ~100x cheaper than ``expand`` on the big
    theorem losses); a difference not proved zero there is reduced by ``cancel`` exactly
    as before, so the reported difference of a failing claim is unchanged."""
    derived, printed = sympify(derived), sympify(printed)
    if getattr(derived, "shape", None) is not None or getattr(printed, "shape", None) is not None:
        diff = difference(derived, printed)
        diff = {k: v for k, v in ((k, _reduced(v)) for k, v in diff.items()) if v != 0}
        return to_sympy(diff, derived.shape) if diff else 0
    if derived.has(Trace) or printed.has(Trace):
        from ..theory.optima import expand_traces
        derived, printed = expand_traces(derived), expand_traces(printed)
    verdict = is_zero(derived, printed)
    if verdict is True:
        return 0
    if verdict is None:
        # undecided (opaque sub-expressions such as sqrt): the previous exact test, over
        # the product of the denominators (no gcd): zero iff the numerator expands to 0
        num, _ = (derived - printed).as_numer_denom()
        if expand(num) == 0:
            return 0
    return cancel(derived - printed)


def _reduced(coefficient):
    """A matrix claim's coefficient difference: 0 when proved zero, else ``cancel``'s form."""
    return 0 if is_zero(coefficient) is True else cancel(coefficient)


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


#: marks a side of a verdict read from the disk cache and not rebuilt yet
_LAZY = type("_Lazy", (), {"__repr__": lambda self: "<not built yet>"})()


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict.  ``derived`` and ``printed`` are the compared SymPy objects; for
    a verdict read from the disk cache they are rebuilt (by the claim) on first access."""

    claim: Claim
    status: str
    detail: str
    derived: object = field(repr=False, default=None)
    printed: object = field(repr=False, default=None)
    #: (str(printed), str(derived)) of a verdict read from the disk cache
    texts: tuple | None = field(repr=False, default=None, compare=False)

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if value is _LAZY:                      # only ``derived`` and ``printed`` hold it
            value = getattr(object.__getattribute__(self, "claim"), name)()
            object.__setattr__(self, name, value)
        return value

    @property
    def as_expected(self) -> bool:
        """Whether the status is the one established for the claim (``claim.expected``)."""
        return self.status == self.claim.expected

    def record(self) -> dict:
        """One JSON-ready record (the format of ``symmaml verify --json``)."""
        printed, derived = (self.texts if self.texts is not None
                            else (str(self.printed), str(self.derived)))
        return {
            "equation": self.claim.equation,
            "section": self.claim.section,
            "statement": self.claim.statement,
            "status": self.status,
            "expected": self.claim.expected,
            "detail": self.detail,
            "printed": printed,
            "derived": derived,
        }


_STATUSES = ("holds", "fails", "holds under condition")


@lru_cache(maxsize=None)
def verify(claim: Claim) -> Verdict:
    """Compare a claim's transcription with the derived result, exactly (memoised).

    A registered claim's verdict is also kept in the disk cache (status, detail and the two
    sides as text), keyed by the claim, SymPy's version and -- in ``disk_cached`` -- the
    hash of the package's source: an unchanged package gives the same verdict, and a
    second ``symmaml verify`` need not re-derive the theorems.  The sides of a cached
    verdict are rebuilt only when used."""
    computed = []

    def compute():
        # seeded: the derivations factor multivariate polynomials, whose cost is random
        with seeded_sympy_random():
            v = _verify(claim)
        computed.append(v)
        return {"status": v.status, "detail": v.detail, "printed": str(v.printed),
                "derived": str(v.derived)}

    if not _registered(claim):
        compute()
        return computed[0]
    import sympy
    from ..moments.cache import disk_cached
    key = f"verdict|{claim.equation}|{claim.statement}|sympy {sympy.__version__}"
    rec = disk_cached("claims", key, compute)
    if computed:
        return computed[0]
    if (not isinstance(rec, dict) or rec.get("status") not in _STATUSES
            or not all(isinstance(rec.get(k), str) for k in ("detail", "printed", "derived"))):
        compute()                                   # a foreign entry: ignore it
        return computed[0]
    return Verdict(claim, rec["status"], rec["detail"], _LAZY, _LAZY,
                   texts=(rec["printed"], rec["derived"]))


def _registered(claim: Claim) -> bool:
    from . import CLAIMS
    return any(c is claim for c in CLAIMS)


def _verify(claim: Claim) -> Verdict:
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
