"""The numeric layer (floor 3): SymPy expressions -> array callables, fast traces.

* :mod:`symmaml.numeric.lambdify` -- :func:`compile_expr`, :func:`derivative_function`,
  :func:`grid` (CSE + per-backend printers; no SymPy object crosses into array code);
* :mod:`symmaml.numeric.traces` -- :class:`TraceEvaluator` for Theorem 3's loss
  (Eqs. 14-16) and other expressions in traces of matrix words, with the reference
  :func:`direct_evaluate`, :func:`gaussian_F` and :func:`wishart_draw` (Eq. 17);
* :mod:`symmaml.numeric.backend` -- :func:`get_namespace` (array API namespaces).
"""
from .backend import Namespace, available_backends, get_namespace, to_numpy
from .lambdify import CompiledExpr, NonFiniteError, compile_expr, derivative_function, grid
from .traces import (
    TraceEvaluator, canonical_word, direct_evaluate, expand_words, gaussian_F, validate_matrices,
    wishart_draw,
)

__all__ = [
    "Namespace", "available_backends", "get_namespace", "to_numpy",
    "CompiledExpr", "NonFiniteError", "compile_expr", "derivative_function", "grid",
    "TraceEvaluator", "canonical_word", "direct_evaluate", "expand_words", "gaussian_F",
    "validate_matrices", "wishart_draw",
]
