"""SymPy scalar expressions -> vectorised array callables (floor 3, numeric layer).

The theory layer (floor 2) produces exact SymPy expressions for the average test loss,
e.g. Theorem 1's Eqs. 5-7, Theorem 2's Eqs. 8-10 and Theorem 3's Eq. 14 (after
:mod:`symmaml.numeric.traces` has reduced its traces to numbers).  This module turns
such an expression into a plain Python callable ONCE, at construction:

1. the arguments are renamed to safe identifiers and the free symbols are checked;
2. ``sympy.cse`` extracts common subexpressions (the expressions are large rational
   functions of ~10 symbols);
3. a small printer per backend prints the statements (NumPy: SymPy's ``NumPyPrinter``;
   any array-API namespace: the same printer with the ``xp.`` prefix and the standard's
   function names, e.g. ``xp.atan`` instead of ``numpy.arctan``);
4. the source is compiled with ``exec`` into a function of arrays.

The callable takes and returns arrays only -- no SymPy object crosses into array code.
Inputs broadcast against each other (e.g. ``alpha_t`` of shape ``(1000,)`` and
``alpha_r`` of shape ``(5, 1)`` give a ``(5, 1000)`` result); the result always has the
broadcast shape of all inputs, also when the expression is constant or ignores some
arguments.  Exact rationals are printed as correctly rounded float64 literals; inputs
are computed in float64 unless every array input is float32 (Python scalars follow the
arrays).  A non-finite result (a singular point such
as ``alpha_t`` where a denominator vanishes) raises :class:`NonFiniteError` (both a
``FloatingPointError`` and a ``ValueError``) naming the parameter values; the check is a
single ``all(isfinite(.))`` reduction.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Iterable, Sequence

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from ..backend import Namespace, get_namespace, to_numpy

__all__ = [
    "compile_expr", "derivative_function", "grid", "CompiledExpr", "NonFiniteError",
]

_MAX_EXACT_INT = 2 ** 53


class NonFiniteError(FloatingPointError, ValueError):
    """A compiled expression evaluated to NaN or +-inf (e.g. at a pole of Eq. 14)."""


# ----------------------------------------------------------------------------- printers

class _FloatLiteralMixin:
    """Exact numbers -> correctly rounded float64 literals (no precision loss beyond eps)."""

    def _print_Integer(self, expr):
        v = int(expr)
        if abs(v) > _MAX_EXACT_INT:
            return repr(float(v))           # int -> float conversion is correctly rounded
        return str(v)

    def _print_Rational(self, expr):
        if expr.q == 1:
            return self._print_Integer(expr)
        return repr(int(expr.p) / int(expr.q))  # int/int true division is correctly rounded

    def _print_Half(self, expr):
        return "0.5"

    def _print_Pow(self, expr, rational=False):
        exp = expr.exp
        if exp.is_Integer and exp < 0:
            base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=False)
            if exp == -1:
                return f"1/{base}"
            return f"1/{base}**{-int(exp)}"
        return super()._print_Pow(expr, rational=rational)


class _NumPyCodePrinter(_FloatLiteralMixin, NumPyPrinter):
    """SymPy's NumPy printer with float literals for exact rationals."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True,
                          "allow_unknown_functions": False})


# SymPy function name -> array API standard (2023.12) name
_ARRAY_API_FUNCTIONS = {
    "acos": "acos", "acosh": "acosh", "asin": "asin", "asinh": "asinh", "atan": "atan",
    "atan2": "atan2", "atanh": "atanh", "ceiling": "ceil", "cos": "cos", "cosh": "cosh",
    "exp": "exp", "expm1": "expm1", "floor": "floor", "hypot": "hypot", "isinf": "isinf",
    "isnan": "isnan", "log": "log", "ln": "log", "log10": "log10", "log1p": "log1p",
    "log2": "log2", "sin": "sin", "sinh": "sinh", "Sqrt": "sqrt", "tan": "tan",
    "tanh": "tanh", "sign": "sign", "logaddexp": "logaddexp",
}
_ARRAY_API_CONSTANTS = {"Exp1": "e", "Pi": "pi", "NaN": "nan", "Infinity": "inf"}


class _ArrayAPICodePrinter(_FloatLiteralMixin, NumPyPrinter):
    """Prints calls ``xp.<name>`` of the array API standard (``xp`` bound at compile time)."""

    _module = "xp"
    _kf = {k: "xp." + v for k, v in _ARRAY_API_FUNCTIONS.items()}
    _kc = {k: "xp." + v for k, v in _ARRAY_API_CONSTANTS.items()}

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True,
                          "allow_unknown_functions": False})

    def _print_EulerGamma(self, expr):
        return repr(float(expr))

    def _print_Piecewise(self, expr):
        # nested xp.where, last branch first (the standard has no select)
        pieces = list(expr.args)
        out = None
        for e, c in reversed(pieces):
            ev = self._print(e)
            if c == sympy.true:
                out = ev
                continue
            rest = out if out is not None else "math.nan"
            out = f"xp.where({self._print(c)}, {ev}, {rest})"
        return out if out is not None else "math.nan"

    def _print_Min(self, expr):
        return "functools.reduce(xp.minimum, [{}])".format(", ".join(self._print(a) for a in expr.args))

    def _print_Max(self, expr):
        return "functools.reduce(xp.maximum, [{}])".format(", ".join(self._print(a) for a in expr.args))


# ----------------------------------------------------------------------------- compile

def _as_symbol(a) -> sympy.Basic:
    if isinstance(a, str):
        return sympy.Symbol(a)
    a = sympy.sympify(a)
    if a.is_number:
        raise ValueError(f"arguments must be symbols or symbolic atoms, got the number {a}")
    return a


def _arg_name(a) -> str:
    return a.name if isinstance(a, sympy.Symbol) else str(a)


def _check_scalar(expr):
    from sympy.matrices import MatrixBase
    from sympy.matrices.expressions import MatrixExpr
    if isinstance(expr, (MatrixBase, MatrixExpr)):
        raise ValueError(
            f"compile_expr needs a scalar expression, got a matrix expression of type "
            f"{type(expr).__name__} (use symmaml.numeric.traces.TraceEvaluator for traces)")


def _generate_source(expr, arg_syms: Sequence[sympy.Symbol], printer, use_cse: bool) -> str:
    if use_cse:
        replacements, reduced = sympy.cse(
            [expr], symbols=sympy.numbered_symbols("_c"), order="none")
        final = reduced[0]
    else:
        replacements, final = [], expr
    lines = ["def _compiled({}):".format(", ".join(s.name for s in arg_syms))]
    for sym, sub in replacements:
        lines.append(f"    {sym.name} = {printer.doprint(sub)}")
    lines.append(f"    return {printer.doprint(final)}")
    return "\n".join(lines) + "\n"


class CompiledExpr:
    """A SymPy scalar expression compiled to a vectorised array function.

    Call with positional values (in ``args`` order) and/or keywords named after the
    arguments (``f(alpha_t=..., alpha_r=...)``).  Values may be Python scalars, NumPy
    arrays or arrays of the backend; they broadcast against each other.  Returns an
    array of the backend with the broadcast shape (a 0-d array for scalar inputs).

    Attributes: ``expr`` (the SymPy expression, kept for reference only), ``args``,
    ``arg_names``, ``backend`` (:class:`~symmaml.backend.Namespace`),
    ``source`` (the generated Python code), ``check_finite``.
    """

    def __init__(self, expr, args, backend: Any = "numpy", cse: bool = True,
                 check_finite: bool = True):
        expr = sympy.sympify(expr)
        _check_scalar(expr)
        args = [_as_symbol(a) for a in args]
        if len(set(args)) != len(args):
            dup = sorted({_arg_name(a) for a in args if args.count(a) > 1})
            raise ValueError(f"duplicate arguments: {dup}")
        names = [_arg_name(a) for a in args]
        if len(set(names)) != len(names):
            raise ValueError(f"two arguments share a name: {names}")
        self.backend: Namespace = get_namespace(backend)
        self.expr = expr
        self.args = tuple(args)
        self.arg_names = tuple(names)
        self.check_finite = bool(check_finite)
        safe = [sympy.Symbol(f"_a{i}") for i in range(len(args))]
        renamed = expr.xreplace(dict(zip(args, safe)))
        missing = renamed.free_symbols - set(safe)
        if missing:
            listed = sorted(str(s) for s in missing)
            raise ValueError(
                f"free symbols {listed} of the expression are not covered by args {list(names)}")
        printer = _NumPyCodePrinter() if self.backend.is_numpy else _ArrayAPICodePrinter()
        self.source = _generate_source(renamed, safe, printer, cse)
        namespace = {"math": math, "functools": functools, "numpy": np,
                     "xp": self.backend.xp, "builtins": __builtins__}
        try:
            code = compile(self.source, f"<symmaml.numeric compiled {len(self.source)} chars>", "exec")
        except (SyntaxError, RecursionError) as exc:  # pragma: no cover - printer bug
            raise ValueError(f"could not compile the generated code: {exc}") from exc
        exec(code, namespace)  # noqa: S102 - code generated from the expression by our printer
        self._fn = namespace["_compiled"]
        self._index = {n: i for i, n in enumerate(names)}

    @property
    def raw(self):
        """The generated function itself (positional arrays in ``args`` order), without the
        argument conversion, broadcasting and finiteness checks of a call: for inner loops
        that already hold float64 arrays of the backend (e.g. a root search)."""
        return self._fn

    # -- calling -----------------------------------------------------------------
    def _collect(self, values, kwargs):
        n = len(self.args)
        if len(values) > n:
            raise TypeError(f"expected at most {n} positional values {list(self.arg_names)}, got {len(values)}")
        slots = list(values) + [None] * (n - len(values))
        given = [True] * len(values) + [False] * (n - len(values))
        for k, v in kwargs.items():
            if k not in self._index:
                raise TypeError(f"unknown argument {k!r}; arguments are {list(self.arg_names)}")
            i = self._index[k]
            if given[i]:
                raise TypeError(f"argument {k!r} given twice")
            slots[i], given[i] = v, True
        if not all(given):
            missing = [self.arg_names[i] for i in range(n) if not given[i]]
            raise TypeError(f"missing values for {missing}")
        return slots

    def __call__(self, *values, **kwargs):
        ns = self.backend
        raw = self._collect(values, kwargs)
        # float32 only when every array input is float32 (Python scalars and lists are
        # "weak" and follow the arrays); anything else is computed in float64
        typed = [str(v.dtype).rsplit(".", 1)[-1] for v in raw if hasattr(v, "dtype")]
        f32 = bool(typed) and all(t == "float32" for t in typed)
        dtype = ns.xp.float32 if f32 else ns.xp.float64
        arrays = [ns.asarray(v, dtype=dtype) for v in raw]
        shape = np.broadcast_shapes(*(tuple(a.shape) for a in arrays)) if arrays else ()
        with np.errstate(all="ignore"):
            out = self._fn(*arrays)
            if not hasattr(out, "shape") or tuple(out.shape) != shape or out.dtype != dtype:
                out = ns.zeros(shape, dtype) + (out if hasattr(out, "shape") else float(out))
                if out.dtype != dtype:
                    out = ns.xp.astype(out, dtype)
        if self.check_finite and not bool(ns.xp.all(ns.xp.isfinite(out))):
            self._raise_nonfinite(out, arrays, shape)
        return out

    def _raise_nonfinite(self, out, arrays, shape):
        host = to_numpy(out)
        bad = np.argwhere(~np.isfinite(host))
        idx = tuple(bad[0]) if host.ndim else ()
        val = host[idx]
        point = []
        for name, a in zip(self.arg_names, arrays):
            b = np.broadcast_to(to_numpy(a), shape)
            point.append(f"{name}={float(b[idx])!r}")
        kind = "nan" if np.isnan(val) else "inf"
        raise NonFiniteError(
            f"expression evaluates to {kind} at {', '.join(point) or 'no arguments'}"
            f" ({len(bad)} non-finite point(s) out of {host.size}; a singular point such as "
            f"a vanishing denominator?)")

    def __repr__(self):
        return f"CompiledExpr(args={list(self.arg_names)}, backend={self.backend.name!r})"


def compile_expr(expr, args: Iterable, backend: Any = "numpy", cse: bool = True,
                 check_finite: bool = True) -> CompiledExpr:
    """Compile the SymPy scalar ``expr`` into a vectorised function of ``args``.

    Parameters
    ----------
    expr : SymPy scalar expression (e.g. the loss of Eqs. 5-7, 8-10 or 14).
    args : sequence of symbols (or names) giving the order of positional arguments;
        every free symbol of ``expr`` must be among them (else ``ValueError`` listing
        the uncovered ones).  Extra arguments are allowed (the result still broadcasts
        over them).
    backend : ``"numpy"`` (default), ``"torch"``, ``"torch:cuda"``, ``"cupy"``,
        ``"array_api_strict"`` or an array namespace module (see
        :func:`symmaml.backend.get_namespace`).
    cse : extract common subexpressions with ``sympy.cse`` first (default True).
    check_finite : raise :class:`NonFiniteError` when the result contains NaN or inf.

    Returns a :class:`CompiledExpr`; all SymPy work happens here, not at call time.
    """
    return CompiledExpr(expr, args, backend=backend, cse=cse, check_finite=check_finite)


def derivative_function(expr, wrt, args: Iterable, backend: Any = "numpy", cse: bool = True,
                        order: int = 1, check_finite: bool = True) -> CompiledExpr:
    """Compile ``d^order expr / d wrt^order`` (differentiated by SymPy at construction).

    Used e.g. for the stationarity conditions of Eq. 14 in ``alpha_t`` / ``alpha_r``.
    ``wrt`` is a symbol (or name); it normally is one of ``args``.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    wrt = _as_symbol(wrt)
    expr = sympy.sympify(expr)
    _check_scalar(expr)
    return CompiledExpr(sympy.diff(expr, wrt, order), args, backend=backend, cse=cse,
                        check_finite=check_finite)


def grid(f, /, **values) -> np.ndarray:
    """Evaluate ``f`` on the Cartesian grid of the 1-D keyword values, in keyword order.

    ``f`` is any callable with an ``arg_names`` attribute (a :class:`CompiledExpr` or a
    :class:`~symmaml.numeric.traces.TraceEvaluator`) taking its arguments as keywords.
    Every argument must be given: 1-D sequences become grid axes (in the order the
    keywords are written), scalars are held fixed.  Returns a host ``numpy.ndarray`` of
    shape ``(len(axis_1), len(axis_2), ...)``.

    >>> import sympy
    >>> a, b = sympy.symbols("a b")
    >>> grid(compile_expr(a + 10 * b, [a, b]), b=[1, 2], a=[0.5, 0.25, 0.0]).shape
    (2, 3)
    """
    names = tuple(getattr(f, "arg_names", ()))
    unknown = [k for k in values if k not in names]
    if unknown:
        raise ValueError(f"unknown grid arguments {unknown}; the function takes {list(names)}")
    missing = [k for k in names if k not in values]
    if missing:
        raise ValueError(f"grid needs a value (scalar or 1-D axis) for {missing}")
    axes = [k for k, v in values.items() if np.ndim(to_numpy(v) if hasattr(v, "shape") else v) == 1]
    nd = len(axes)
    call = {}
    for k, v in values.items():
        arr = to_numpy(v) if hasattr(v, "shape") else np.asarray(v)
        if arr.ndim > 1:
            raise ValueError(f"grid value for {k!r} must be a scalar or 1-D, got shape {arr.shape}")
        if arr.ndim == 1:
            shape = [1] * nd
            shape[axes.index(k)] = arr.shape[0]
            arr = arr.reshape(shape)
        call[k] = arr
    out = to_numpy(f(**call))
    target = tuple(np.shape(values[k])[0] if not hasattr(values[k], "shape") else values[k].shape[0]
                   for k in axes)
    if out.shape != target:
        out = np.broadcast_to(out, target).copy()
    return out
