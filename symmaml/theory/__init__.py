"""Theorems 1-3 derived from the model (floor 2), with derivatives and optima.

* :func:`loss` -- the average test loss of Theorem 1, 2 or 3 as a SymPy expression in the
  public symbols (Theorem 3 in the matrix symbols Sigma, Sigma_w, F);
* :func:`derivation` -- the chain of steps behind it, each citing the paper's equations;
* :func:`g_polynomials`, :func:`mu` -- Theorem 2's g_1..g_4 and Lemma 1's mu's, derived;
* :mod:`~symmaml.theory.optima` -- optimal alpha_r, alpha_t^+-, dL/d alpha_t at 0, argmins.
"""
from __future__ import annotations

from ..symbols import alpha_r, alpha_t, n_r, n_t
from .common import h
from .derivation import Derivation, Step
from .optima import (alpha_t_extrema, argmin_alpha_t, dloss_dalpha_t_at_zero, expand_traces,
                     optimal_alpha_r, phase)
from .regime import check_matrix, check_values
from .theorem2 import g_polynomials
from .theorem3 import H, gaussian_F, specialise

__all__ = ["loss", "derivation", "g_polynomials", "mu", "h_t", "h_r", "THEOREMS",
           "alpha_t_extrema", "argmin_alpha_t", "dloss_dalpha_t_at_zero", "optimal_alpha_r",
           "phase", "specialise", "gaussian_F", "H", "check_values", "check_matrix",
           "Derivation", "Step", "expand_traces"]

THEOREMS = ("1", "2", "3")


def _theorem(theorem) -> str:
    t = str(theorem)
    if t not in THEOREMS:
        raise ValueError(f"theorem must be one of 1, 2, 3; got {theorem!r}")
    return t


def derivation(theorem) -> Derivation:
    """The derivation of Theorem ``theorem`` (1, 2 or 3), computed on first use (cached)."""
    t = _theorem(theorem)
    from . import theorem1, theorem2, theorem3
    return {"1": theorem1, "2": theorem2, "3": theorem3}[t].derive()


def loss(theorem, **values):
    """The average test loss of Theorem 1, 2 or 3 (derived), optionally at ``values``.

    ``values`` maps public symbol names (``p=60, n_v=2, ...``) to numbers or expressions;
    they are checked by :func:`~symmaml.theory.regime.check_values` (finite numbers,
    positive integer sizes; p > n_v m + 1 for Theorems 1 and 3, n_v m > p + 1 for
    Theorem 2, where the expected loss exists) and substituted.  Strings are accepted only
    as plain numbers (``"1/5"``), never evaluated.
    """
    t = _theorem(theorem)
    expr = derivation(t).result
    if not values:
        return expr
    values = check_values(t, values)
    by_name = {s.name: s for s in expr.free_symbols if hasattr(s, "name")}
    sub = {}
    for k, v in values.items():
        if k not in by_name:
            known = sorted(by_name)
            raise ValueError(f"unknown parameter {k!r} for Theorem {t}; known: {known}")
        sub[by_name[k]] = v
    return expr.subs(sub)


def h_t():
    """h_t = (1 - alpha_t)^2 + alpha_t^2 (p + 1)/n_t (Eq. 6), derived as E[A_t^2]."""
    return h(alpha_t, n_t)


def h_r():
    """h_r (Eq. 7), derived as E[A_r^2]."""
    return h(alpha_r, n_r)


def mu(k: int, l: int | None = None, n=n_t):
    """Lemma 1's mu_k = c_k / n^k and mu_{k,l} = c_{k,(l)} / (p n^{k+l}) (Eqs. 32-40)."""
    from sympy import expand
    from ..moments import wishart_moment
    from ..symbols import n as n_sym, p
    if l is None:
        return expand(wishart_moment(k).subs(n_sym, n) / n ** k)
    return expand(wishart_moment(k, (l,)).subs(n_sym, n) / (p * n ** (k + l)))
