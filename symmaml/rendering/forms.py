"""Readable forms of long derived expressions.

:func:`readable` (the LaTeX document, :mod:`~symmaml.rendering.document`): scalars are
grouped by sigma^2, nu^2 and |omega_0 - w_0|^2 with factored coefficients in which
h_t n_t, h_r n_r are named; big polynomial factors are grouped by powers of alpha_r,
alpha_t; matrix expressions get H_t, H_r named.  :func:`collected` (the Markdown records,
:mod:`~symmaml.rendering.records`) is the plainer form the committed records were written
with: one ``collect`` with factored coefficients, nothing named.
"""
from __future__ import annotations

from sympy import Add, Symbol, Trace, collect, expand, factor, factor_list, sympify
from sympy.matrices.expressions import MatrixExpr
from sympy.polys.polyerrors import PolynomialError

from .layout import _tex

# the document factors the same ~100 coefficients ~4000 times (``collect`` applies its
# function to every coefficient at every nested level, and the theorems share their
# coefficients): factor is deterministic in its argument, so a memo changes no output
_FACTOR_MEMO: dict = {}


def seeded_sympy_random():
    """:func:`symmaml.claims.exact.seeded_sympy_random` (imported when first used)."""
    from ..claims.exact import seeded_sympy_random as seeded
    return seeded()


def _factor(expr):
    """``factor(expr)``, memoised, with SymPy's generator seeded (a reproducible cost: see
    :func:`~symmaml.claims.exact.seeded_sympy_random`)."""
    got = _FACTOR_MEMO.get(expr)
    if got is None:
        with seeded_sympy_random():
            got = _FACTOR_MEMO[expr] = factor(expr)
    return got


# ------------------------------------------------------------------------------------------
# readable forms of long expressions


def _symbols():
    from .. import symbols
    return symbols


def _named_scalars():
    """{expanded numerator: replacement} for h_t n_t and h_r n_r (Eqs. 6-7)."""
    from ..theory import h_r, h_t
    s = _symbols()
    return {expand(h_t() * s.n_t): s.n_t * Symbol("h_t"),
            expand(h_r() * s.n_r): s.n_r * Symbol("h_r")}


def _named_matrices():
    """{H(alpha_t, n_t): H_t, H(alpha_r, n_r): H_r} (Eqs. 15-16)."""
    from sympy import MatrixSymbol
    from ..theory import H
    s = _symbols()
    return {H(s.alpha_t, s.n_t): MatrixSymbol("H_t", s.p, s.p),
            H(s.alpha_r, s.n_r): MatrixSymbol("H_r", s.p, s.p)}


def _polish_factor(f, named):
    """A factor of a coefficient: a named quantity, or a polynomial grouped by alpha's."""
    for target, name in named.items():
        if f == target:
            return name
        if f == -target:
            return -name
    s = _symbols()
    if isinstance(f, Add) and len(f.args) > 6 and f.has(s.alpha_r, s.alpha_t):
        return collect(f, [s.alpha_r, s.alpha_t], _factor)
    return f


def _factor_dict(expr):
    with seeded_sympy_random():
        coeff, factors = factor_list(expr)
    out: dict = {}
    for f, e in factors:
        out[f] = out.get(f, 0) + e
    return coeff, out


def _factored_rational(expr, named):
    """A rational function as (factored numerator) / (factored denominator), common factors
    cancelled factor by factor (cheaper than ``together``/``cancel`` on big expressions)."""
    num, den = expr.as_numer_denom()
    try:
        cn, fn = _factor_dict(num)
        cd, fd = _factor_dict(den)
    except PolynomialError:
        return factor(expr)
    for f in set(fn) & set(fd):
        common = min(fn[f], fd[f])
        fn[f] -= common
        fd[f] -= common
    out = cn / cd
    for f, e in fn.items():
        out = out * _polish_factor(f, named) ** e
    for f, e in fd.items():
        out = out / _polish_factor(f, named) ** e
    return out


_READABLE: dict = {}


def readable(expr):
    """A readable form of a long derived expression, as a SymPy expression or a list of
    terms (their sum): scalars are grouped by sigma^2, nu^2 and |omega_0 - w_0|^2 with
    factored coefficients in which h_t n_t, h_r n_r are named; matrix expressions get
    H_t, H_r named.  Short expressions are returned unchanged.  (Memoised.)"""
    expr = sympify(expr)
    key = expr
    if key in _READABLE:
        return _READABLE[key]
    out = expr
    if isinstance(expr, MatrixExpr) or expr.has(Trace):
        out = expr.xreplace(_named_matrices())
    elif len(_tex(expr)) > 250 and expr.free_symbols:
        s = _symbols()
        named = _named_scalars()
        if not isinstance(expr, Add):
            out = _factored_rational(expr, named)
            _READABLE[key] = out
            return out
        groups = collect(expand(expr), [s.sigma ** 2, s.nu ** 2, s.delta_sq], evaluate=False)
        order = [s.sigma ** 2, s.nu ** 2, s.delta_sq]
        keys = sorted(groups, key=lambda k: order.index(k) if k in order else len(order))
        out = [k * _factored_rational(groups[k], named) for k in keys]
    _READABLE[key] = out
    return out


def collected(expr):
    """A (small) scalar rational expression collected by sigma^2, nu^2, |omega_0 - w_0|^2
    (and E|d|^2) with factored coefficients, as in the records ``derivations/theoremN.md``;
    matrices, traces and expressions of over 400 operations are returned unchanged.

    Not :func:`readable`: that one also names h_t, h_r (Eqs. 6-7), cancels factor by factor
    and splits long sums into terms, which would change the committed records."""
    from ..symbols import delta_sq, nu, sigma
    from ..theory.common import E_d_sq
    if getattr(expr, "is_Matrix", False) or expr.has(Trace) or expr.count_ops() > 400:
        return expr
    return collect(expand(expr), [sigma**2, nu**2, delta_sq, E_d_sq], factor)


def _uses_names(rhs) -> set:
    items = rhs if isinstance(rhs, list) else [rhs]
    names = set()
    for it in items:
        for a in sympify(it).atoms(Symbol) | getattr(sympify(it), "free_symbols", set()):
            names.add(getattr(a, "name", ""))
    return names


def _where_named(rhs) -> str:
    """``where h_t = ..., h_r = ...`` for the named quantities used by ``rhs``."""
    from ..theory import h_r, h_t
    used = _uses_names(rhs)
    parts = []
    if "h_t" in used:
        parts.append(r"$h_t = %s$ (Eq.~6)" % _tex(h_t()))
    if "h_r" in used:
        parts.append(r"$h_r = %s$ (Eq.~7)" % _tex(h_r()))
    if "H_t" in used or "H_r" in used:
        for name, (alpha, size) in (("H_t", ("alpha_t", "n_t")), ("H_r", ("alpha_r", "n_r"))):
            if name in used:
                from ..theory import H
                s = _symbols()
                val = H(getattr(s, alpha), getattr(s, size))
                parts.append(r"$%s = %s$ (Eq.~%s)" % (_tex(Symbol(name)), _tex(val),
                                                   "15" if name == "H_t" else "16"))
    return ("where " + ", ".join(parts) + ".\n\n") if parts else ""
