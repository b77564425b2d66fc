"""Algebra shared by the theorems' derived quantities: traces, positivity proofs, quadratics.

* :func:`expand_traces` -- Theorem 3's traces of matrix words expanded so that the scalar
  learning rates stand outside them (needed to differentiate Eq. 14 in alpha_t, alpha_r);
* :class:`Proof` -- a claim with the checkable steps that establish it;
* :func:`is_positive` -- a sign decision for rational expressions in the positive sizes,
  sigma, nu (the proofs of Section 5.1's statements and of Eq. 8's minimum);
* :func:`quadratic_argmin` -- -b / 2a of a loss checked to be quadratic in one variable
  (the loss is quadratic in alpha_r: Eqs. 5, 9, 14).
"""
from __future__ import annotations

from dataclasses import dataclass

from sympy import Dummy, Poly, Trace, cancel, diff, factor_list, sympify

from ..moments import canonical_form
from ..moments.parse import to_sympy
from ..symbols import alpha_r, alpha_t, m, n_r, n_t, n_v, nu, p, sigma

__all__ = ["expand_traces", "Proof", "is_positive", "positive_dummies", "quadratic_argmin", "POSITIVE"]

#: the symbols positive by definition (sizes, noise and task spread)
POSITIVE = (n_t, n_v, n_r, m, p, sigma, nu)


def expand_traces(expr):
    """Replace every Trace(matrix expression) by its expansion into traces of words, so
    that scalar symbols (alpha_t, ...) appear outside the traces and ``diff`` applies
    (Theorem 3, Eqs. 14-16)."""
    expr = sympify(expr)
    mapping = {t: to_sympy({((), k[1]): v for k, v in canonical_form(t).items()}, None)
               for t in expr.atoms(Trace)}
    return expr.xreplace(mapping)


@dataclass(frozen=True)
class Proof:
    """A claim and the steps that establish it (each a checkable statement)."""

    claim: str
    steps: tuple
    holds: bool

    def __str__(self):
        return "\n".join([f"{self.claim}: {'proved' if self.holds else 'NOT proved'}"]
                         + [f"  - {s}" for s in self.steps])


def positive_dummies(expr, extra=()):
    """Substitute positive dummies for the positive-by-definition symbols."""
    sub = {s: Dummy(s.name, positive=True) for s in tuple(POSITIVE) + tuple(extra)
           if s in expr.free_symbols}
    return expr.xreplace(sub)


def is_positive(expr, extra_positive=()) -> bool:
    """Decide expr > 0 for positive sizes, sigma, nu (and ``extra_positive``).

    Factors the expression; each factor must be provably positive: by SymPy's assumptions
    with positive symbols, or, for a quadratic in one real variable with positive leading
    coefficient, by a negative discriminant (h_t and h_r, Eqs. 6-7, are such quadratics).
    ``False`` means "not proved", not "negative".
    """
    num, den = cancel(sympify(expr)).as_numer_denom()
    for part in (num, den):
        coeff, factors = factor_list(part)
        if not positive_dummies(sympify(coeff), extra_positive).is_positive:
            return False
        for f, _ in factors:
            if not (positive_dummies(f, extra_positive).is_positive
                    or _quadratic_positive(f, extra_positive)):
                return False
    return True


def _quadratic_positive(f, extra_positive=()) -> bool:
    for var in (alpha_t, alpha_r):
        if var in f.free_symbols:
            P = Poly(f, var)
            if P.degree() != 2:
                return False
            a, b, c = P.all_coeffs()
            disc = cancel(b ** 2 - 4 * a * c)
            return bool(positive_dummies(a, extra_positive).is_positive
                        and positive_dummies(-disc, extra_positive).is_positive)
    return False


def quadratic_argmin(L, var):
    """-b / 2a for L = a var^2 + b var + c (checked to be quadratic), without solving."""
    d1 = diff(L, var)
    a2 = diff(d1, var)
    if diff(a2, var).subs(var, 0) != 0 and cancel(diff(a2, var)) != 0:
        raise AssertionError(f"the loss is not quadratic in {var}")
    return -d1.subs(var, 0) / a2.subs(var, 0)
