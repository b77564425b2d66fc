"""Translate SymPy matrix expressions to and from the engine's words.

:func:`expand_terms` expands a (noncommutative) polynomial in matrix symbols, transposes,
traces and scalars into a list of ``(coefficient, open word, cycles)`` terms, checking
shapes and exponents.  :func:`to_sympy` builds the SymPy expression of an engine result.
"""
from __future__ import annotations

import math
import numbers

from sympy import (Add, Basic, Identity, MatAdd, MatMul, MatPow, MatrixExpr, MatrixSymbol,
                   Mul, Pow, Trace, Transpose, ZeroMatrix, sympify)
from sympy import S

from .limits import CostLimitError, max_cost
from .words import (canonical_cycle, left_dim, letter, poly_to_sympy, reverse_transpose,
                    right_dim, token)

__all__ = ["expand_terms", "to_sympy", "check_exponent", "as_expr"]


def check_exponent(k, what="exponent", minimum=0):
    """Return ``k`` as a Python int >= ``minimum`` (0 or 1).

    Strings are never parsed (``sympify("3")`` would evaluate arbitrary text): a string,
    ``None``, a bool or any other non-number raises TypeError; a number that is not an
    integer (2.5, Rational(1, 2)) or is too small raises ValueError.  Both name ``what``.
    """
    kind = "positive" if minimum == 1 else "non-negative"
    if isinstance(k, Basic):
        if not k.is_Integer:
            raise ValueError(f"{what} must be a {kind} integer, got {k!r}")
        value = int(k)
    elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
        value = int(k)      # also NumPy integers
    elif isinstance(k, numbers.Number) and not isinstance(k, bool):
        raise ValueError(f"{what} must be a {kind} integer, got {k!r}")
    else:
        raise TypeError(f"{what} must be a {kind} integer, got {type(k).__name__} {k!r}")
    if value < minimum:
        raise ValueError(f"{what} must be {kind}, got {k!r}")
    return value


def as_expr(value, what="expr"):
    """``value`` as a SymPy object without parsing text: SymPy objects pass through,
    numbers are converted, anything else (notably strings) raises TypeError naming
    ``what``."""
    if isinstance(value, Basic):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return sympify(value, strict=True)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a SymPy expression or a number, got the string "
                        f"{value!r}: strings are not parsed; build it from symbols")
    raise TypeError(f"{what} must be a SymPy expression or a number, got "
                    f"{type(value).__name__} {value!r}")


def _check_word(word, context, where=""):
    for a, b in zip(word, word[1:]):
        if right_dim(a) != left_dim(b):
            raise ValueError(
                f"mismatched product in {where}{context}: {letter(a >> 1).symbol} has "
                f"{right_dim(a)} columns but {letter(b >> 1).symbol} has {left_dim(b)} rows")


def _mul_terms(left, right):
    # a product of sums multiplies out before any moment is taken: refuse it before the
    # list exists, at about 100 cost units per term
    if len(left) * len(right) > max_cost() // 100:
        raise CostLimitError(
            f"expanding the expression gives {len(left) * len(right)} terms, more than the "
            f"cost limit allows ({max_cost() // 100}); raise SYMMAML_MAX_COST or "
            "symmaml.moments.limits.MAX_COST to allow it")
    out = []
    for c1, w1, t1 in left:
        for c2, w2, t2 in right:
            out.append((c1 * c2, w1 + w2, t1 + t2))
    return out


def _terms(expr):
    """Expand ``expr`` into [(scalar coeff, word tuple, cycles tuple)]."""
    if isinstance(expr, MatrixSymbol):
        return [(S.One, (token(expr),), ())]
    if isinstance(expr, Identity):
        return [(S.One, (), ())]
    if isinstance(expr, ZeroMatrix):
        return []
    if isinstance(expr, Transpose):
        return [(c, reverse_transpose(w), t) for c, w, t in _terms(expr.arg)]
    if isinstance(expr, (MatAdd, Add)):
        out = []
        for a in expr.args:
            out.extend(_terms(a))
        return out
    if isinstance(expr, (MatMul, Mul)):
        out = [(S.One, (), ())]
        for a in expr.args:
            out = _mul_terms(out, _terms(a))
        return out
    if isinstance(expr, (MatPow, Pow)):
        base, k = expr.args
        if not base.has(MatrixExpr):
            return [(expr, (), ())]
        k = check_exponent(k, f"exponent of {base}")
        base_terms = _terms(base) if k else []
        width = max((len(w) + sum(map(len, t)) for _, w, t in base_terms), default=0)
        if len(base_terms) > 1 and k * math.log(len(base_terms)) > math.log(max_cost() // 100):
            raise CostLimitError(
                f"expanding the power {k} of {base} gives {len(base_terms)}**{k} terms, more "
                f"than the cost limit allows ({max_cost() // 100}); raise SYMMAML_MAX_COST or "
                "symmaml.moments.limits.MAX_COST to allow it")
        if k * width > max_cost() // 100:
            raise CostLimitError(
                f"the power {k} of {base} gives words of {k * width} letters, more than the "
                f"cost limit allows ({max_cost() // 100}); raise SYMMAML_MAX_COST or "
                "symmaml.moments.limits.MAX_COST to allow it")
        out = [(S.One, (), ())]
        for _ in range(k):
            out = _mul_terms(out, base_terms)
        return out
    if isinstance(expr, Trace):
        arg = expr.arg
        if arg.shape[0] != arg.shape[1]:
            raise ValueError(f"trace of a non-square matrix {arg} of shape {arg.shape}")
        out = []
        for c, w, t in _terms(arg):
            if w:
                out.append((c, (), t + (w,)))
            else:
                out.append((c * arg.shape[0], (), t))
        return out
    if isinstance(expr, MatrixExpr):
        raise ValueError(f"unsupported matrix expression {type(expr).__name__}: {expr}")
    if isinstance(expr, Basic) and expr.has(MatrixExpr):
        raise ValueError(f"unsupported expression {type(expr).__name__} around matrices: {expr}")
    return [(as_expr(expr), (), ())]


def expand_terms(expr):
    """Expand a SymPy matrix/scalar expression into engine terms.

    Returns ``(is_matrix, shape, terms)`` with each term ``(coeff, open_word, cycles)``;
    ``open_word`` is ``None`` for scalar-valued expressions and cycles are canonical.
    """
    expr = as_expr(expr)
    is_matrix = isinstance(expr, MatrixExpr)
    shape = expr.shape if is_matrix else None
    terms = []
    for c, w, cycles in _terms(expr):
        _check_word(w, expr)
        for cyc in cycles:
            _check_word(cyc + cyc[:1], expr, "a trace in ")
        terms.append((c, w if is_matrix else None, tuple(sorted(canonical_cycle(x) for x in cycles))))
    return is_matrix, shape, terms


def _word_expr(word):
    factors = []
    for tok in word:
        sym = letter(tok >> 1).symbol
        factors.append(Transpose(sym) if tok & 1 else sym)
    if len(factors) == 1:
        return factors[0]
    # Collapse runs of one symbol into powers (Sigma*Sigma -> Sigma**2) for readability.
    out, i = [], 0
    while i < len(factors):
        j = i
        while j + 1 < len(factors) and factors[j + 1] == factors[i]:
            j += 1
        out.append(factors[i] if j == i else MatPow(factors[i], j - i + 1))
        i = j + 1
    return out[0] if len(out) == 1 else MatMul(*out)


def _name_key(word):
    return tuple((letter(t >> 1).symbol.name, t & 1) for t in word)


def _display_cycle(cyc):
    """Rotation/transposition of a cycle chosen by letter *names*, so that the printed
    form does not depend on the order in which letters were first seen in this process."""
    best = None
    for w in (cyc, reverse_transpose(cyc)):
        for i in range(len(w)):
            cand = w[i:] + w[:i]
            if best is None or _name_key(cand) < _name_key(best):
                best = cand
    return best


def to_sympy(result: dict, shape=None):
    """Build the SymPy expression of ``{(open, traces): poly}`` (``shape`` for identities)."""
    items = []
    for (open_word, traces), poly in result.items():
        coeff = poly_to_sympy(poly) if isinstance(poly, dict) else poly
        if coeff == 0:
            continue
        shown = sorted((_display_cycle(c) for c in traces), key=_name_key)
        items.append(((_name_key(open_word or ()), tuple(_name_key(c) for c in shown)),
                      coeff, open_word, shown))
    # MatAdd keeps argument order: sort by letter names so the printed form is reproducible
    items.sort(key=lambda it: it[0])
    parts = []
    for _, coeff, open_word, shown in items:
        scalar = coeff
        for cyc in shown:
            scalar = scalar * Trace(_word_expr(cyc))
        if shape is None:
            parts.append(scalar)
        else:
            mat = _word_expr(open_word) if open_word else Identity(shape[0])
            parts.append(MatMul(scalar, mat) if scalar != 1 else mat)
    if shape is None:
        return Add(*parts)
    if not parts:
        return ZeroMatrix(*shape)
    return MatAdd(*parts) if len(parts) > 1 else parts[0]
