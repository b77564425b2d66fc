"""Theorems 1-3 derived from the model (floor 2), with derivatives and optima.

A theorem is an object (:mod:`~symmaml.theory.theorems`): ``theorem(1)`` (or ``"1"``) gives
a :class:`Theorem` with its regime, ``check(values)``, ``derivation()``, ``loss(**values)``
and derived quantities.  The functions below are thin calls on it:

* :func:`loss` -- the average test loss of Theorem 1, 2 or 3 (Eqs. 5, 9, 14) as a SymPy
  expression in the public symbols (Theorem 3 in the matrix symbols Sigma, Sigma_w, F);
* :func:`derivation` -- the chain of steps behind it, each citing the paper's equations;
* :func:`g_polynomials`, :func:`mu` -- Theorem 2's g_1..g_4 and Lemma 1's mu's, derived;
* :mod:`~symmaml.theory.optima` -- optimal alpha_r, alpha_t^+-, dL/d alpha_t at 0, argmins;
* :mod:`~symmaml.theory.steps` -- K-step MAML (beyond the paper): ``loss(t, steps_t=K_t,
  steps_r=K_r)`` and ``derivation(t, steps_t=..., steps_r=...)`` for Theorems 1-2, with
  ``Theorem.steps_derivative_proof`` (dL/d alpha_t(0) = K_t x the one-step value) and
  ``Theorem.steps_phase``.

This module only re-exports.
"""
from __future__ import annotations

from .common import h, h_r, h_t, mu
from .derivation import Derivation, Step
from .optima import (alpha_t_extrema, argmin_alpha_t, dloss_dalpha_t_at_zero, expand_traces,
                     optimal_alpha_r, phase)
from .regime import check_matrix, check_values
from .theorem2 import g_polynomials
from .theorem3 import H, gaussian_F, specialise
from .steps import inner_loop
from .theorems import (THEOREMS, Theorem, Theorem1, Theorem2, Theorem3, derivation, loss,
                       theorem)

__all__ = ["loss", "derivation", "g_polynomials", "mu", "h_t", "h_r", "THEOREMS",
           "alpha_t_extrema", "argmin_alpha_t", "dloss_dalpha_t_at_zero", "optimal_alpha_r",
           "phase", "specialise", "gaussian_F", "H", "check_values", "check_matrix",
           "Derivation", "Step", "expand_traces", "theorem", "Theorem", "Theorem1",
           "Theorem2", "Theorem3", "inner_loop"]
