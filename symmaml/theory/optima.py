"""Derived quantities: optimal learning rates, derivatives at zero, argmins, phase statements.

Each function is a thin call on the :class:`~symmaml.theory.theorems.Theorem` object of
``theorem`` (``1`` or ``"1"`` alike; the cached results are the identical object for
both):

* :func:`optimal_alpha_r` -- the closed-form minimiser of the loss over alpha_r (the loss is
  quadratic in alpha_r) with a positivity proof that, for Theorems 1-2, it lies in
  (0, 1/(1 + (p+1)/n_r)) (Section 5.1's statement);
* :func:`alpha_t_extrema` -- Theorem 1's stationary points alpha_t^+- (Eq. 8), and which
  one is the minimum;
* :func:`dloss_dalpha_t_at_zero` -- dL/d alpha_t at alpha_t = 0 for each theorem (Eq. 10 for
  Theorem 2);
* :func:`argmin_alpha_t` -- the minimiser over alpha_t at given parameters, by mpmath root
  finding on the derivative at a chosen precision;
* :func:`phase` -- for which parameters the optimal alpha_t is negative.

:func:`expand_traces`, :class:`Proof` and :func:`is_positive` live in
:mod:`symmaml.theory.algebra` and are re-exported here.
"""
from __future__ import annotations

from .algebra import Proof, positive_dummies, expand_traces, is_positive  # noqa: F401
from .theorems import _lookup

__all__ = ["expand_traces", "optimal_alpha_r", "alpha_t_extrema", "dloss_dalpha_t_at_zero",
           "argmin_alpha_t", "phase", "Proof", "is_positive"]


def optimal_alpha_r(theorem, order=1):
    """Closed-form argmin over alpha_r, and (Theorems 1-2, Eqs. 5 and 9) a proof that it
    lies in (0, 1/(1 + (p+1)/n_r)); Theorem 3 (Eq. 14) has no proof.  Returns
    ``(value, proof or None)``: :meth:`Theorem.optimal_alpha_r` (cached).  ``order=2``
    (Theorems 1-2): of the finite-size theory, in its undefined functions."""
    return _lookup(theorem).optimal_alpha_r(order)


def alpha_t_extrema(theorem=1):
    """Theorem 1: the stationary points of the loss in alpha_t (compare Eq. 8).

    Returns ``{"minimum": expr, "maximum": expr, "proof": Proof}``
    (:meth:`Theorem1.alpha_t_extrema`, cached); Theorems 2-3 have no closed form and
    raise ``ValueError``."""
    return _lookup(theorem).alpha_t_extrema()


def dloss_dalpha_t_at_zero(theorem):
    """dL/d alpha_t at alpha_t = 0, exact in the theorem's expression (Eqs. 5, 9 -- compare
    Eq. 10 -- or 14): :meth:`Theorem.dloss_dalpha_t_at_zero` (cached)."""
    return _lookup(theorem).dloss_dalpha_t_at_zero()


def argmin_alpha_t(theorem, values: dict, bracket=(-3.0, 3.0), grid=601, dps=30,
                   loss_expr=None):
    """The global minimiser over alpha_t in ``bracket`` at the given parameter values.

    Scans the loss on a grid, then polishes the best interior point by solving
    dL/d alpha_t = 0 with mpmath at ``dps`` digits (Eq. 8's alpha_t^- for Theorem 1,
    numerically for Eqs. 9 and 14).  Returns an ``mpmath.mpf``:
    :meth:`Theorem.argmin_alpha_t`.
    """
    return _lookup(theorem).argmin_alpha_t(values, bracket=bracket, grid=grid, dps=dps,
                                           loss_expr=loss_expr)


def phase(theorem) -> Proof:
    """When is the optimal alpha_t negative?  From the sign of dL/d alpha_t at 0.

    A positive derivative at 0 means the loss decreases for small negative alpha_t, so the
    optimum is negative (for Theorem 1 the unique minimum is the negative root of Eq. 8;
    for Theorem 2 the curvature at sigma = 0 is added, Eqs. 9-10; Theorem 3's sign depends
    on the matrices, Eqs. 14-16): :meth:`Theorem.phase`.
    """
    return _lookup(theorem).phase()
