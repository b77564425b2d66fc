"""The numeric layer (floor 3): SymPy expressions -> array callables, fast traces.

* :mod:`symmaml.numeric.lambdify` -- :func:`compile_expr`, :func:`derivative_function`,
  :func:`grid` (CSE + per-backend printers; no SymPy object crosses into array code);
* :mod:`symmaml.numeric.traces` -- :class:`TraceEvaluator` for Theorem 3's loss
  (Eqs. 14-16) and other expressions in traces of matrix words, with the reference
  :func:`direct_evaluate`, :func:`gaussian_F` and :func:`wishart_draw` (Eq. 17);
* :mod:`symmaml.numeric.losses` -- :func:`loss_function`, :func:`derived_function`,
  :func:`theorem3_evaluator`, :func:`phase_map`: the theorems' losses and derived
  quantities as checked, compiled functions (:class:`CheckedFunction` applies the theorem's
  regime check, :func:`symmaml.theory.regime.check_arrays`, on every call);
* :mod:`symmaml.numeric.backend` -- :func:`get_namespace` (array API namespaces).
"""
from .backend import Namespace, available_backends, get_namespace, to_numpy
from .lambdify import CompiledExpr, NonFiniteError, compile_expr, derivative_function, grid
from .losses import (
    DERIVED, PARAMETERS, CheckedFunction, derived_function, gaussian_F_numeric, loss_function,
    phase_map, theorem3_evaluator,
)
from .traces import (
    TraceEvaluator, canonical_word, direct_evaluate, expand_words, gaussian_F, validate_matrices,
    wishart_draw,
)

__all__ = [
    "Namespace", "available_backends", "get_namespace", "to_numpy",
    "CompiledExpr", "NonFiniteError", "compile_expr", "derivative_function", "grid",
    "TraceEvaluator", "canonical_word", "direct_evaluate", "expand_words", "gaussian_F",
    "validate_matrices", "wishart_draw",
    "loss_function", "derived_function", "theorem3_evaluator", "phase_map",
    "gaussian_F_numeric", "CheckedFunction", "PARAMETERS", "DERIVED",
]
