"""Derived quantities: optimal learning rates, derivatives at zero, argmins, phase statements.

* :func:`optimal_alpha_r` -- the closed-form minimiser of the loss over alpha_r (the loss is
  quadratic in alpha_r) with a positivity proof that, for Theorems 1-2, it lies in
  (0, 1/(1 + (p+1)/n_r)) (Section 5.1's statement).
* :func:`alpha_t_extrema` -- Theorem 1's stationary points alpha_t^+- (Eq. 8), and which
  one is the minimum.
* :func:`dloss_dalpha_t_at_zero` -- dL/d alpha_t at alpha_t = 0 for each theorem (Eq. 10 for
  Theorem 2).
* :func:`argmin_alpha_t` -- the minimiser over alpha_t at given parameters, by mpmath root
  finding on the derivative at a chosen precision.
* :func:`phase` -- for which parameters the optimal alpha_t is negative.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mpmath
from sympy import (Dummy, Poly, Symbol, Trace, cancel, diff, factor, factor_list, lambdify,
                   sqrt, sympify)

from ..moments import canonical_form
from ..moments.parse import to_sympy
from ..symbols import alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma  # noqa: F401
from .common import E_d_sq, test_average

__all__ = ["expand_traces", "optimal_alpha_r", "alpha_t_extrema", "dloss_dalpha_t_at_zero",
           "argmin_alpha_t", "phase", "Proof", "is_positive"]

_POSITIVE = (n_t, n_v, n_r, m, p, sigma, nu)


def expand_traces(expr):
    """Replace every Trace(matrix expression) by its expansion into traces of words, so
    that scalar symbols (alpha_t, ...) appear outside the traces and ``diff`` applies."""
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


def _positive_dummies(expr, extra=()):
    """Substitute positive dummies for the positive-by-definition symbols."""
    sub = {s: Dummy(s.name, positive=True) for s in tuple(_POSITIVE) + tuple(extra)
           if s in expr.free_symbols}
    return expr.xreplace(sub)


def is_positive(expr, extra_positive=()) -> bool:
    """Decide expr > 0 for positive sizes, sigma, nu (and ``extra_positive``).

    Factors the expression; each factor must be provably positive: by SymPy's assumptions
    with positive symbols, or, for a quadratic in one real variable with positive leading
    coefficient, by a negative discriminant (h_t and h_r are such quadratics).  ``False``
    means "not proved", not "negative".
    """
    num, den = cancel(sympify(expr)).as_numer_denom()
    for part in (num, den):
        coeff, factors = factor_list(part)
        if not _positive_dummies(sympify(coeff), extra_positive).is_positive:
            return False
        for f, _ in factors:
            if not (_positive_dummies(f, extra_positive).is_positive
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
            return bool(_positive_dummies(a, extra_positive).is_positive
                        and _positive_dummies(-disc, extra_positive).is_positive)
    return False


def _quadratic_argmin(L, var):
    """-b / 2a for L = a var^2 + b var + c (checked to be quadratic), without solving."""
    d1 = diff(L, var)
    a2 = diff(d1, var)
    if diff(a2, var).subs(var, 0) != 0 and cancel(diff(a2, var)) != 0:
        raise AssertionError(f"the loss is not quadratic in {var}")
    return -d1.subs(var, 0) / a2.subs(var, 0)


@lru_cache(maxsize=None)
def optimal_alpha_r(theorem: str):
    """Closed-form argmin over alpha_r, and (Theorems 1-2) a proof that it lies in
    (0, 1/(1 + (p+1)/n_r)).  Returns ``(value, proof or None)``.

    The loss is quadratic in alpha_r; for Theorems 1-2 only the exact test average (Eq. 65)
    depends on alpha_r, so the optimum is found there for any E|omega* - w0|^2 and the
    theorem's value is substituted."""
    if theorem == "3":
        from . import loss
        return _quadratic_argmin(expand_traces(loss("3")), alpha_r), None
    L65 = test_average(False)
    generic = cancel(_quadratic_argmin(L65, alpha_r))
    value = generic.subs(E_d_sq, _e_d(theorem))
    upper = 1 / (1 + (p + 1) / n_r)
    gap = cancel(upper - generic)
    extra = (E_d_sq,)
    curvature = cancel(diff(L65, alpha_r, 2))
    steps = (
        f"d^2L/d alpha_r^2 = {factor(curvature)} > 0 (convex, unique minimum): "
        f"{is_positive(curvature, extra)}",
        f"alpha_r* = {factor(generic)} for any E|omega* - w0|^2 = E_d_sq > 0",
        f"alpha_r* > 0: {is_positive(generic, extra)}",
        f"1/(1 + (p+1)/n_r) - alpha_r* = {factor(gap)} > 0: {is_positive(gap, extra)}",
        f"Theorem {theorem}'s E|omega* - w0|^2 is substituted for E_d_sq",
    )
    holds = (is_positive(curvature, extra) and is_positive(generic, extra)
             and is_positive(gap, extra))
    return value, Proof("0 < alpha_r* < 1/(1 + (p+1)/n_r)", steps, bool(holds))


def _e_d(theorem):
    from . import derivation
    return derivation(theorem).extras["E_d_sq"]


@lru_cache(maxsize=None)
def alpha_t_extrema():
    """Theorem 1: the stationary points of the loss in alpha_t (compare Eq. 8).

    Returns ``{"minimum": expr, "maximum": expr, "proof": Proof}``."""
    from . import loss
    dL = cancel(diff(loss("1"), alpha_t))
    num = dL.as_numer_denom()[0]
    quad = [f for f, _ in factor_list(num)[1] if Poly(f, alpha_t).degree() == 2]
    if len(quad) != 1 or Poly(num, alpha_t).degree() != 2:
        raise AssertionError(f"unexpected derivative numerator {factor(num)}")
    q = quad[0]
    a, b, c = Poly(q, alpha_t).all_coeffs()
    if not is_positive(a):
        a, b, c, q = -a, -b, -c, -q
    disc = cancel(b ** 2 - 4 * a * c)
    lower = (-b - sqrt(disc)) / (2 * a)
    upper = (-b + sqrt(disc)) / (2 * a)
    rest = cancel(dL / q)                 # dL/d alpha_t = rest * q
    if is_positive(rest):
        minimum, maximum, sign = upper, lower, "> 0"
    elif is_positive(-rest):
        minimum, maximum, sign = lower, upper, "< 0"
    else:
        raise AssertionError("could not decide the sign of dL/d alpha_t's cofactor")
    steps = (
        f"dL/d alpha_t = R q(alpha_t) with q = {factor(q)} (leading coefficient {a} > 0) "
        f"and R = {factor(rest)} {sign}",
        f"discriminant of q: {factor(disc)} > 0: {is_positive(disc)}, so two real roots "
        f"alpha_- < alpha_+",
        f"R {sign}: dL/d alpha_t changes sign {'- to +' if sign == '< 0' else '+ to -'} at "
        f"alpha_- and the other way at alpha_+, so the minimum is alpha_"
        + ("-" if sign == "< 0" else "+"),
        f"the minimum is negative: {is_positive(-minimum)} (q(0) = {c} and a > 0)",
    )
    holds = is_positive(disc) and bool(is_positive(-minimum) or is_positive(c))
    return {"minimum": minimum, "maximum": maximum,
            "proof": Proof("Theorem 1: one minimum and one maximum in alpha_t; the minimum "
                           "is negative", steps, holds)}


@lru_cache(maxsize=None)
def dloss_dalpha_t_at_zero(theorem: str):
    """dL/d alpha_t at alpha_t = 0 (exact in the theorem's expression)."""
    from . import loss
    L = loss(theorem)
    if theorem == "3":
        L = expand_traces(L)
    return factor(cancel(diff(L, alpha_t).subs(alpha_t, 0)))


def argmin_alpha_t(theorem: str, values: dict, bracket=(-3.0, 3.0), grid=601, dps=30,
                   loss_expr=None):
    """The global minimiser over alpha_t in ``bracket`` at the given parameter values.

    Scans the loss on a grid, then polishes the best interior point by solving
    dL/d alpha_t = 0 with mpmath at ``dps`` digits.  Returns an ``mpmath.mpf``.
    """
    from . import check_values, loss
    values = check_values(theorem, values)
    L = loss(theorem) if loss_expr is None else loss_expr
    L = sympify(L).subs({Symbol(str(k)) if isinstance(k, str) else k: v
                         for k, v in values.items()})
    if theorem == "3" and L.has(Trace):
        L = expand_traces(L).doit()
    free = L.free_symbols - {alpha_t}
    if free:
        raise ValueError(f"argmin needs values for {sorted(map(str, free))}")
    f = lambdify(alpha_t, L, "mpmath")
    df = lambdify(alpha_t, diff(L, alpha_t), "mpmath")
    with mpmath.workdps(dps):
        xs = [mpmath.mpf(bracket[0]) + (mpmath.mpf(bracket[1]) - bracket[0]) * i / (grid - 1)
              for i in range(grid)]
        ys = [f(x) for x in xs]
        i = min(range(grid), key=lambda k: ys[k])
        if i in (0, grid - 1):
            raise ValueError(f"the minimum over alpha_t lies at the edge of {bracket}: widen it")
        root = mpmath.findroot(df, (xs[i - 1], xs[i + 1]), solver="anderson")
        if not xs[i - 1] <= root <= xs[i + 1]:
            raise ArithmeticError("root polishing left the bracket")
        return +root


def phase(theorem: str) -> Proof:
    """When is the optimal alpha_t negative?  From the sign of dL/d alpha_t at 0.

    A positive derivative at 0 means the loss decreases for small negative alpha_t, so the
    optimum is negative (for Theorem 1 the unique minimum is the negative root of Eq. 8).
    """
    d0 = dloss_dalpha_t_at_zero(theorem)
    if theorem == "3":
        return Proof("sign of dL/d alpha_t at 0 (Theorem 3)",
                     (f"dL/d alpha_t(0) = {d0}; its sign depends on Sigma, Sigma_w, F: evaluate "
                      "it numerically (a positive value means a negative optimum nearby)",),
                     False)
    pos = is_positive(d0, (delta_sq,))
    steps = [f"dL/d alpha_t(0) = {d0}",
             f"positive for every sigma > 0 and all sizes in the regime: {pos}"]
    if theorem == "1":
        ext = alpha_t_extrema()
        steps += [f"the unique minimum is alpha_t^- = {ext['minimum']} < 0 "
                  f"({'proved' if ext['proof'].holds else 'not proved'})",
                  "sigma = 0 makes the loss independent of alpha_t"]
        return Proof("Theorem 1: the optimal alpha_t is negative whenever sigma > 0",
                     tuple(steps), pos and ext["proof"].holds)
    from . import loss
    curv0 = factor(cancel(diff(loss("2").subs(sigma, 0), alpha_t, 2).subs(alpha_t, 0)))
    curv_pos = is_positive(curv0)
    steps += ["so alpha_t = 0 is never optimal and small negative alpha_t beat every small "
              "positive one; where the global minimum lies is found numerically "
              "(argmin_alpha_t)",
              f"sigma = 0: dL/d alpha_t(0) = 0 and d^2L/d alpha_t^2(0) = {curv0} > 0: "
              f"{curv_pos}, so alpha_t = 0 is then a local minimum"]
    return Proof("Theorem 2: the loss decreases as alpha_t goes below 0 whenever sigma > 0; "
                 "at sigma = 0, alpha_t = 0 is a local minimum", tuple(steps), pos and curv_pos)

