"""Slow reference evaluation of expressions in traces of matrices: every p x p product, per point.

The truth that the fast :class:`symmaml.numeric.traces.TraceEvaluator` is tested against
(as :mod:`symmaml.moments.reference` is for the moment engine and
:mod:`symmaml.montecarlo.reference` for the simulator): :func:`direct_evaluate` substitutes
the numeric matrices into the SymPy expression and evaluates it node by node at each
parameter value, forming every matrix product (no eigenbasis, no word expansion, no
compilation).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import sympy
from sympy import Trace
from sympy.matrices.expressions import (
    Identity, MatAdd, MatMul, MatPow, MatrixExpr, MatrixSymbol, Transpose, ZeroMatrix,
)

from ..matrices import resolve_matrices, square_matrices

__all__ = ["direct_evaluate"]


def direct_evaluate(expr, matrices: Mapping, scalars_values: Mapping) -> Any:
    """Reference evaluation: substitute the numeric matrices, form every p x p product.

    ``scalars_values`` maps scalar symbols (or names) to numbers or arrays; arrays
    broadcast and the expression is evaluated once per element (each evaluation computes
    all matrix products, memoising repeated subexpressions within that one point).
    The matrices' dimension symbols are set to their size.  Returns a float, or an
    ndarray of the broadcast shape.
    """
    expr = sympy.sympify(expr)
    msyms = sorted(expr.atoms(MatrixSymbol), key=lambda s: s.name)
    arrays, p = square_matrices(resolve_matrices(msyms, matrices))
    dims = {dim: p for s in msyms for dim in s.shape if isinstance(dim, sympy.Symbol)}
    named = {}
    for k, v in scalars_values.items():
        named[k if isinstance(k, str) else k.name] = v
    free = {s for s in expr.free_symbols if not isinstance(s, MatrixSymbol) and s not in dims}
    missing = sorted(s.name for s in free if s.name not in named)
    if missing:
        raise ValueError(f"no value given for the scalar symbol(s) {missing}")
    keys = sorted(named)
    vals = np.broadcast_arrays(*[np.asarray(named[k], dtype=np.float64) for k in keys]) if keys else []
    shape = vals[0].shape if keys else ()
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        point = {k: float(v[idx]) for k, v in zip(keys, vals)}
        out[idx] = _direct_point(expr, arrays, point, dims, p)
    return float(out) if out.ndim == 0 else out


def _direct_point(expr, arrays, point, dims, p):
    memo: dict = {}

    def ev(node):
        if node in memo:
            return memo[node]
        res = _ev(node)
        memo[node] = res
        return res

    def _ev(node):
        if isinstance(node, MatrixSymbol):
            return arrays[node]
        if isinstance(node, Identity):
            return np.eye(p)
        if isinstance(node, ZeroMatrix):
            return np.zeros((p, p))
        if isinstance(node, MatAdd):
            return sum(ev(a) for a in node.args)
        if isinstance(node, MatMul):
            scalar, mat = 1.0, None
            for a in node.args:
                if isinstance(a, MatrixExpr):
                    m = ev(a)
                    mat = m if mat is None else mat @ m
                else:
                    scalar *= ev(a)
            return scalar * mat
        if isinstance(node, MatPow):
            base, k = node.args
            return np.linalg.matrix_power(ev(base), int(k))
        if isinstance(node, Transpose):
            return ev(node.arg).T
        if isinstance(node, Trace):
            return float(np.trace(ev(node.arg)))
        if isinstance(node, MatrixExpr):
            raise ValueError(f"direct_evaluate: unsupported matrix expression {type(node).__name__}")
        if node.is_Number:
            return float(node)
        if isinstance(node, sympy.Symbol):
            if node in dims:
                return float(dims[node])
            return point[node.name]
        if node.is_Add:
            return sum(ev(a) for a in node.args)
        if node.is_Mul:
            r = 1.0
            for a in node.args:
                r *= ev(a)
            return r
        if node.is_Pow:
            base, e = ev(node.args[0]), ev(node.args[1])
            if base == 0 and e < 0:
                return np.inf
            return base ** e
        if node.is_NumberSymbol:
            return float(node)
        fn = getattr(np, type(node).__name__, None)
        if fn is not None and len(node.args) == 1:
            return float(fn(ev(node.args[0])))
        raise ValueError(f"direct_evaluate: unsupported expression {type(node).__name__} ({node})")

    return ev(expr)
