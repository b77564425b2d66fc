"""The numeric layer (floor 3): SymPy expressions -> array callables, fast traces.

* :mod:`symmaml.numeric.lambdify` -- :func:`compile_expr`, :func:`derivative_function`,
  :func:`grid` (CSE + per-backend printers; no SymPy object crosses into array code);
* :mod:`symmaml.numeric.traces` -- :class:`TraceEvaluator` for Theorem 3's loss
  (Eqs. 14-16) and other expressions in traces of matrix words (:func:`expand_words`);
* :mod:`symmaml.numeric.reference` -- :func:`direct_evaluate`, the slow reference (every
  p x p product at every parameter value);
* :mod:`symmaml.numeric.losses` -- :func:`loss_function`, :func:`derived_function`,
  :func:`theorem3_evaluator` (``order=2``: the next order of the paper's expansion, matched
  at alpha_t = 0 by :mod:`symmaml.numeric.theorem3_alpha0`, with
  :func:`theorem3_effective_dimension` for its regime), :func:`phase_map`: the theorems'
  losses and derived
  quantities as checked, compiled functions (:class:`CheckedFunction` applies the theorem's
  regime check, :func:`symmaml.theory.regime.check_arrays`, on every call), and
  :func:`gaussian_F` (Gaussian F at a numeric Sigma).

Re-exported from the floors below, for convenience: the array backends
(:mod:`symmaml.backend`: :func:`get_namespace`, ...), the matrix checks
(:func:`symmaml.matrices.validate_matrices`), the canonical form of trace words
(:func:`symmaml.moments.canonical_word`).  Eq. 17's Wishart draws live in the simulator's
sampling module (:func:`symmaml.montecarlo.sampling.wishart_draw`): the flow runs
numeric sits below the simulator and never imports it.
"""
from ..backend import Namespace, available_backends, get_namespace, to_numpy
from ..matrices import validate_matrices
from ..moments import canonical_word
from .lambdify import CompiledExpr, NonFiniteError, compile_expr, derivative_function, grid
from .losses import (
    DERIVED, PARAMETERS, CheckedFunction, derived_function, gaussian_F, gaussian_F_numeric,
    loss_function, phase_map, steps_loss_function, StepsLoss, theorem3_effective_dimension,
    theorem3_evaluator,
)
from .reference import direct_evaluate
from .traces import TraceEvaluator, expand_words

__all__ = [
    "Namespace", "available_backends", "get_namespace", "to_numpy",
    "CompiledExpr", "NonFiniteError", "compile_expr", "derivative_function", "grid",
    "TraceEvaluator", "canonical_word", "direct_evaluate", "expand_words", "gaussian_F",
    "validate_matrices",
    "loss_function", "derived_function", "theorem3_evaluator",
    "theorem3_effective_dimension", "phase_map",
    "gaussian_F_numeric", "CheckedFunction", "PARAMETERS", "DERIVED",
    "steps_loss_function", "StepsLoss",
]
