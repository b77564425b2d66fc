"""What the records and the document show of each theorem, beyond its derivation.

The Theorem objects (:mod:`symmaml.theory.theorems`) do not say which of their derived
quantities carry a proof worth printing, so the rendering keeps that here, keyed by the
object's class: :func:`shown` answers for a theorem object.
"""
from __future__ import annotations

from .. import theory

__all__ = ["SHOWN", "shown", "theorems"]

#: {Theorem class: the derived quantities shown for it}: ``"optimal_alpha_r"`` (the
#: closed-form optimum's positivity proof, Eqs. 5 and 9), ``"phase"`` (when the optimal
#: alpha_t is negative, Eqs. 8-10), ``"alpha_t_extrema"`` (Eq. 8, Theorem 1 only) and
#: ``"g_polynomials"`` (g_1..g_4 of Eq. 9, Theorem 2 only).  Theorem 3 (Eqs. 14-16) has no
#: proofs: its optimum and sign depend on Sigma, Sigma_w and F.
SHOWN = {theory.Theorem1: ("optimal_alpha_r", "phase", "alpha_t_extrema"),
         theory.Theorem2: ("optimal_alpha_r", "phase", "g_polynomials"),
         theory.Theorem3: ()}


def shown(T) -> tuple:
    """The derived quantities shown for theorem object ``T`` (see :data:`SHOWN`)."""
    return SHOWN[type(T)]


def theorems() -> list:
    """The Theorem objects, in order (``theory.theorem(t)`` for t in ``theory.THEOREMS``)."""
    return [theory.theorem(t) for t in theory.THEOREMS]
