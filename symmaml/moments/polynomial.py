"""Averages over one Wishart matrix of polynomials in it (Sigma = I): the fast path of K-step MAML.

After K inner steps every training-input quantity of the model is a polynomial in the
Wishart matrix W = X^T X (A^K = (I - alpha/n W)^K, Sigma_j A^j, ...; Section 7.1 iterated).
Averages over the other Gaussian matrices (task parameters, noise, X_v) are computed by the
engine with *stand-in* symbols for those polynomials (a symmetric P for A^K, a p x n matrix
S whose only appearance is S S^T for the noise operator); this module then averages the
result over W:

* :func:`wishart_polynomial` -- E[f(W) prod_j Tr g_j(W)] = c I_p for polynomials f, g_j in
  a scalar stand-in ``W``, from the Stein recurrence's c_k(L) (:mod:`symmaml.stein`), with
  symbolic sizes (exact polynomials in n, p) or integer sizes (exact numbers, much faster);
* :func:`polynomial_expectation` -- the same for a matrix expression in the stand-ins (the
  engine's output), word by word: a product of stand-ins is the product of their
  polynomials (they commute, all being functions of one W), a trace a trace factor.

Every request is costed before it runs (:mod:`symmaml.moments.limits`).
"""
from __future__ import annotations

from functools import lru_cache
from itertools import product

from sympy import (Add, Identity, MatAdd, MatMul, MatPow, Mul, Pow, QQ, S, Symbol, Trace,
                   Transpose, expand, sympify)
from sympy.polys.rings import ring

from .. import stein
from . import limits, wishart
from ..symbols import n as _n, p as _p

__all__ = ["W", "wishart_polynomial", "polynomial_expectation", "check_cost"]

#: the scalar stand-in for the Wishart matrix in the polynomials f, g
W = Symbol("W")


def _size(name, value, default):
    """A symbolic size (the public symbol) or a positive int."""
    if value is None:
        return default
    value = sympify(value)
    if value.is_Symbol:
        return value
    if not (value.is_Integer and value > 0):
        raise ValueError(f"{name} must be a positive integer or a symbol, got {value}")
    return int(value)


def check_cost(degree: int, numeric: bool, what: str) -> None:
    """Refuse an average of total degree ``degree`` in W whose estimated cost is too high.

    Symbolic sizes: the recurrence over Z[n, p] (:func:`limits.recurrence_cost`); integer
    sizes: the same states with integer arithmetic (:func:`limits.numeric_recurrence_cost`).
    """
    cost, exact = (limits.numeric_recurrence_cost(degree) if numeric
                   else limits.recurrence_cost(degree))
    limits.check_cost(cost, f"{what} (moments of W of degree {degree}, "
                      f"{'integer' if numeric else 'symbolic'} sizes)", lower_bound=not exact)


def _ring(exprs, sizes):
    """A polynomial ring over QQ in W, the coefficients' symbols and the symbolic sizes."""
    syms = set().union(*[e.free_symbols for e in exprs]) - {W} - set(sizes)
    gens = [W] + sorted(syms, key=str) + list(sizes)
    return ring(gens, QQ)[0]


def wishart_polynomial(f, traces=(), *, n=None, p=None, what="f"):
    """c with E[f(W) prod_j Tr g_j(W)] = c I_p, W = X^T X, X n x p with iid N(0, 1) entries.

    ``f`` and the ``traces`` g_j are SymPy polynomials in :data:`W` whose coefficients may
    hold other symbols (learning rates); ``n``, ``p`` default to the public symbols and may
    be positive ints (exact numbers then).  Exact: the c_k(L) of Stein's recurrence; the
    arithmetic runs in a polynomial ring over QQ and the result is returned expanded.
    """
    n, p = _size("n", n, _n), _size("p", p, _p)
    numeric = isinstance(n, int) and isinstance(p, int)
    sizes = () if numeric else (n, p)
    exprs = [sympify(f)] + [sympify(g) for g in traces]
    R = _ring(exprs, sizes)
    polys = [R.from_expr(e) for e in exprs]
    def by_degree(poly):
        out: dict = {}
        for mono, c in poly.terms():
            key = mono[1:]
            out.setdefault(mono[0], R.zero)
            out[mono[0]] += R({(0,) + key: c})
        return list(out.items())
    fs, gs = by_degree(polys[0]), [by_degree(g) for g in polys[1:]]
    degree = max(d for d, _ in fs) + sum(max(d for d, _ in g) for g in gs)
    check_cost(degree, numeric, what)
    acc: dict = {}
    for combo in product(fs, *gs):
        key = (combo[0][0], tuple(sorted(d for d, _ in combo[1:])))
        c = combo[0][1]
        for _, g in combo[1:]:
            c = c * g
        acc[key] = acc[key] + c if key in acc else c
    if numeric:
        total = R.zero
        for (k, tr), c in acc.items():
            total += c * stein.coefficient_at(k, tr, n=n, p=p)
        return total.as_expr()
    # symbolic sizes: one product per distinct moment, left unexpanded -- expanding the
    # degree-4K polynomials in (alpha, n, p) costs far more than it saves
    return Add(*[c.as_expr() * _moment_expr(k, tr, n, p) for (k, tr), c in acc.items()])


@lru_cache(maxsize=None)
def _moment_expr(k, traces, n, p):
    expr = wishart.wishart_coefficient(k, traces).as_expr()
    return expr.xreplace({Symbol("n"): n, Symbol("p"): p}) if (n, p) != (_n, _p) else expr


def _word(factors, stand_ins, noise):
    """The polynomial of a product of stand-in matrices (module doc)."""
    toks = []
    for f in factors:
        if isinstance(f, MatPow) and f.exp.is_Integer and f.exp > 0:
            toks += [f.base] * int(f.exp)
        elif isinstance(f, Identity):
            continue
        else:
            toks.append(f)
    out, i = S.One, 0
    while i < len(toks):
        t = toks[i]
        if t in stand_ins:
            out *= stand_ins[t]
            i += 1
        elif noise is not None and t == noise[0] and i + 1 < len(toks) and toks[i + 1] == Transpose(noise[0]):
            out *= noise[1]
            i += 2
        else:
            raise ValueError(f"{t} is not a stand-in for a polynomial in W (in {factors})")
    return out


def _split_term(term):
    """(scalar coefficient, matrix factors) of one term of a matrix or scalar expression."""
    if isinstance(term, MatMul):
        sc = [a for a in term.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in term.args if getattr(a, "is_Matrix", False)]
        return Mul(*sc), mats
    if getattr(term, "is_Matrix", False):
        return S.One, [term]
    return term, None


def polynomial_expectation(expr, stand_ins: dict, noise=None, *, n=None, p=None, what="expr"):
    """E over W of ``expr``, a matrix (p x p) or scalar expression in stand-ins: returns c
    with E[expr] = c I_p (matrix) or the scalar E[expr].

    ``stand_ins`` maps symmetric p x p matrix symbols to polynomials in :data:`W`;
    ``noise = (S, N)``: a p x n_t matrix symbol that appears only as S S^T, with
    S S^T = N(W).  Traces of stand-in words become trace factors.
    """
    expr = expand(expr)
    terms = expr.args if isinstance(expr, (MatAdd,)) or (not getattr(expr, "is_Matrix", False)
                                                         and expr.is_Add) else (expr,)
    total = S.Zero
    for term in terms:
        coeff, mats = _split_term(term)
        main = _word(mats, stand_ins, noise) if mats is not None else S.One
        for part in Add.make_args(expand(coeff)):
            rest, trs = S.One, []
            for fac in Mul.make_args(part):
                base, e = (fac.base, fac.exp) if isinstance(fac, Pow) else (fac, 1)
                if isinstance(base, Trace):
                    inner = base.arg
                    factors = list(inner.args) if isinstance(inner, MatMul) else [inner]
                    trs += [_word(factors, stand_ins, noise)] * int(e)
                else:
                    rest *= fac
            total += rest * wishart_polynomial(main, tuple(trs), n=n, p=p, what=what)
    return total
