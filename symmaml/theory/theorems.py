"""A theorem is an object: Theorems 1-3 of the paper as :class:`Theorem` instances.

In the style of :mod:`sympy.stats`: a public factory, :func:`theorem`, and classes whose
methods give everything derived from one theorem::

    >>> T = theorem(2)
    >>> T is theorem("2"), T.number, T.regime
    (True, 2, 'under')
    >>> print(T)
    Theorem 2 (underparameterized, Eqs. 9-10, 86-94)
    >>> T.check(dict(p=30, n_v=25, m=40))
    {'p': 30, 'n_v': 25, 'm': 40}

    and ``T.loss()`` (Eq. 9), ``T.derivation().steps`` (Eqs. 59-65 ... 86-94),
    ``T.dloss_dalpha_t_at_zero()``, ``T.optimal_alpha_r()``, ``T.phase()``,
    ``T.argmin_alpha_t(values)``; with K-step MAML (beyond the paper)
    ``T.loss(steps_t=K_t, steps_r=K_r)``, ``T.derivation(steps_t, steps_r)``,
    ``T.steps_derivative_proof()``, ``T.steps_phase(K_t)``, ``T.argmin_alpha_r(values,
    steps_r=K)`` (:mod:`symmaml.theory.steps`).

* :class:`Theorem1` -- overparameterized, Sigma = I (Eqs. 5-8), with the closed-form
  stationary points in alpha_t (Eq. 8, :meth:`Theorem1.alpha_t_extrema`);
* :class:`Theorem2` -- underparameterized, Sigma = I (Eqs. 9-10, 86-94), whose phase
  statement adds the curvature at sigma = 0;
* :class:`Theorem3` -- overparameterized, general Sigma, Sigma_w, F (Eqs. 14-16), whose
  traces are expanded (:meth:`Theorem3.expand_traces`) before differentiating.

The regime rules (which parameter values a theorem accepts) live only in
:mod:`symmaml.theory.regime`; :meth:`Theorem.check` delegates to it.  The module-level
:func:`loss` and :func:`derivation` are thin calls on the objects.
"""
from __future__ import annotations

from functools import lru_cache

import mpmath
from sympy import Poly, Symbol, Trace, cancel, diff, factor, factor_list, lambdify, sqrt, sympify

from ..symbols import alpha_r, alpha_t, delta_sq, sigma
from . import finite_size as _finite_size, regime as _regime, steps as _steps
from . import theorem1 as _theorem1, theorem2 as _theorem2, theorem3 as _theorem3
from .algebra import Proof, expand_traces, is_positive, quadratic_argmin
from .common import E_d_sq, optimal_alpha_r_generic
from .derivation import Derivation
from .regime import REGIMES, check_values

__all__ = ["theorem", "Theorem", "Theorem1", "Theorem2", "Theorem3", "THEOREMS", "loss",
           "derivation"]

#: the theorems' keys, as the public functions accept them (ints 1-3 are accepted too)
THEOREMS = ("1", "2", "3")


class Theorem:
    """One of the paper's Theorems 1-3: its regime, loss, derivation and derived quantities.

    Instances are values: two instances of the same class are equal and hash alike, so the
    cached methods (:meth:`dloss_dalpha_t_at_zero`, :meth:`optimal_alpha_r`, ...) return the
    identical object whichever instance or spelling (``theorem(3)``, ``theorem("3")``) is
    used.  Get them with :func:`theorem`.
    """

    #: the theorem's number (1, 2 or 3) and its key ("1", "2", "3")
    number: int
    key: str
    #: the paper's equations stating the theorem
    equations: str
    _module = None          # the module whose ``derive()`` derives it

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash((Theorem, self.key))

    def __repr__(self):
        return f"theorem({self.number})"

    def __str__(self):
        return f"Theorem {self.number} ({self.regime}parameterized, Eqs. {self.equations})"

    @property
    def regime(self) -> str:
        """``"over"`` (p > n_v m) or ``"under"`` (p < n_v m), from :data:`regime.REGIMES`."""
        return REGIMES[self.key]

    def check(self, values: dict) -> dict:
        """Raise if ``values`` are outside the theorem's regime or not valid parameter
        values; return them as SymPy objects (:func:`symmaml.theory.regime.check_values`,
        the one home of the rules)."""
        return check_values(self.key, values)

    def derivation(self, steps_t=1, steps_r=1, order=1) -> Derivation:
        """The derivation of the theorem, computed on first use (cached), each step citing
        the paper's equations (Theorem 1: Eqs. 59-82; 2: Eqs. 59-94; 3: Eqs. 111-141).

        ``steps_t``, ``steps_r``: inner gradient steps in meta-training (Eq. 21 iterated)
        and at test time (Eq. 25 iterated); 1 is the paper.  K > 1 is derived for Theorems
        1 and 2 (:mod:`symmaml.theory.steps`), whose steps cite the extended equations as
        ``"21^K"``, ``"79^K"``, ...

        ``order=2``: the finite-size theory beyond the paper (Theorems 1, 2 and 3;
        :mod:`symmaml.theory.finite_size`, :mod:`symmaml.theory.finite_size_tasks`,
        :mod:`symmaml.theory.finite_size_general`), whose steps cite the equations they
        replace or extend.
        """
        K_t, K_r = _steps.check_steps("steps_t", steps_t), _steps.check_steps("steps_r", steps_r)
        if _finite_size.check_order(order) == 2:
            if (K_t, K_r) != (1, 1):
                raise ValueError("order=2 is derived for one-step MAML only (steps_t = "
                                 "steps_r = 1)")
            return _finite_size.derive(self.key)
        if (K_t, K_r) == (1, 1):
            return self._module.derive()
        return _steps.derive(self.key, K_t, K_r)

    def loss(self, steps_t=1, steps_r=1, order=1, **values):
        """The average test loss (Eq. 5, Eq. 9 or Eq. 14, derived), optionally at ``values``.

        ``values`` maps public symbol names (``p=60, n_v=2, ...``) to numbers or expressions;
        they are checked by :meth:`check` and substituted.  Strings are accepted only as
        plain numbers (``"1/5"``), never evaluated.

        ``steps_t`` = K_t, ``steps_r`` = K_r inner gradient steps (1 = the paper; K > 1 for
        Theorems 1-2, :mod:`symmaml.theory.steps`).  With K > 1 and integer sizes among
        ``values`` (``n_t`` and ``p``; ``n_r`` and ``p``), the averages over the Wishart
        matrices are computed exactly at those sizes, which reaches far higher K than the
        symbolic derivation (Theorem 2 at K_t = 10: moments of degree 40).  Where the K-step
        loop stops being meaningful: :func:`~symmaml.theory.regime.check_steps_values`.

        ``order=2`` (Theorems 1, 2): the finite-size theory, Eq. 65 at an E|omega* - w0|^2
        with undefined functions of (alpha_t, n_t, n_v, m, p) -- Theorem 1
        (:mod:`symmaml.theory.finite_size`): exact delta and nu^2 parts and the sigma^2
        factor ``S_sigma``; Theorem 2 (:mod:`symmaml.theory.finite_size_tasks`): the task
        recursion's ``R_sigma``, ``R_nu``, matched at alpha_t = 0.  Not closed-form;
        :func:`symmaml.numeric.loss_function` with ``order=2`` evaluates it.  Theorem 3
        (:mod:`symmaml.theory.finite_size_general`): Eq. 14 with its last term carried to
        the next order of the paper's expansion, matched at alpha_t = 0 -- closed form in
        traces of Sigma, Sigma_w and the matching factor ``rho_0`` (Gaussian inputs),
        evaluated by ``symmaml.numeric.theorem3_evaluator(..., order=2)``, which computes
        rho_0 from the corrected deterministic equivalent at alpha_t = 0.
        """
        K_t, K_r = _steps.check_steps("steps_t", steps_t), _steps.check_steps("steps_r", steps_r)
        order = _finite_size.check_order(order)
        values = self.check(values) if values else {}
        if order == 2:
            expr = self.derivation(K_t, K_r, order=2).result
        elif (K_t, K_r) == (1, 1):
            expr = self.derivation().result
        else:
            _regime.check_steps_values({str(k): v for k, v in values.items()
                                        if getattr(v, "is_number", False)}, K_t, K_r)
            ints = {str(k): int(v) for k, v in values.items()
                    if str(k) in ("n_t", "n_r", "p") and getattr(v, "is_Integer", False)}
            pv = ints.get("p")
            expr = _steps.derive(self.key, K_t, K_r,
                                 ints.get("n_t") if pv else None,
                                 ints.get("n_r") if pv else None, pv).result
        if not values:
            return expr
        by_name = {s.name: s for s in expr.free_symbols if hasattr(s, "name")}
        if (K_t, K_r) != (1, 1):        # sizes already used by the integer-size derivation
            by_name.update({name: Symbol(name) for name in ("n_t", "n_r", "p")})
        sub = {}
        for k, v in values.items():
            if k not in by_name:
                known = sorted(by_name)
                raise ValueError(f"unknown parameter {k!r} for Theorem {self.key}; "
                                 f"known: {known}")
            sub[by_name[k]] = v
        return expr.subs(sub)

    def expand_traces(self, expr):
        """``expr`` with its scalar symbols outside every trace, ready for ``diff``.

        Theorems 1-2 have no traces (Eqs. 5, 9): ``expr`` is returned unchanged;
        :class:`Theorem3` overrides this."""
        return expr

    def _evaluable(self, L):
        """``L`` at numeric values in a form mpmath can evaluate (Theorems 1-2: as is)."""
        return L

    @lru_cache(maxsize=None)
    def dloss_dalpha_t_at_zero(self, steps_t=1, steps_r=1):
        """dL/d alpha_t at alpha_t = 0, exact in the theorem's expression (Eq. 10 for
        Theorem 2, which misses the factor h_r).

        For K_t, K_r steps (Theorems 1-2) it is K_t times the one-step value with the test
        side's dL/dE|omega* - w0|^2 at K_r (proved for every K: :func:`steps_derivative_proof`)."""
        K_t, K_r = _steps.check_steps("steps_t", steps_t), _steps.check_steps("steps_r", steps_r)
        if (K_t, K_r) == (1, 1):
            L = self.expand_traces(self.loss())
            return factor(cancel(diff(L, alpha_t).subs(alpha_t, 0)))
        L_test = _steps.test_loss(K_r)[0]
        e_d = self.derivation().extras["E_d_sq"]
        return factor(cancel(K_t * diff(L_test, E_d_sq) * diff(e_d, alpha_t).subs(alpha_t, 0)))

    def steps_derivative_proof(self, max_steps=8, steps_r=1) -> Proof:
        """Proof that dL/d alpha_t(0) at K_t steps is exactly K_t times the one-step value.

        For every K: A^K = (1 - k W)^K = 1 - K k W + O(k^2) and the noise operator
        S S^T = k^2 W Q^2 = O(k^2) (checked on :func:`steps.inner_loop` for K <= max_steps),
        so every W-average of the derivation at (K, alpha_t) equals the one-step average at
        K alpha_t up to O(alpha_t^2), and at alpha_t = 0 (A = I) they coincide; hence
        L_K(alpha_t) = L_1(K alpha_t) + O(alpha_t^2).  The identity is then confirmed by
        differentiating the derived K-step loss directly for K_t = 2 ... max_steps."""
        k = Symbol("k")
        lines, ok = [], True
        for K in range(1, max_steps + 1):
            P, _, N = _steps.inner_loop(K, k)
            lin = Poly(P, k).all_coeffs()[::-1][:2]
            nlow = [Poly(N, k).coeff_monomial(k ** j) for j in (0, 1)]
            good = (lin[0] == 1 and cancel(lin[1] + K * _steps.W) == 0
                    and all(c == 0 for c in nlow))
            ok &= bool(good)
        lines.append(f"A^K = 1 - K k W + O(k^2) and S S^T = O(k^2) for K = 1..{max_steps}: {ok}")
        # the one-step loss of the same derivation (for Theorem 3: Gaussian inputs, no F)
        L1 = self.expand_traces(_steps.derive(self.key, 1, steps_r).result)
        base = diff(L1, alpha_t).subs(alpha_t, 0)
        for K in range(2, max_steps + 1):
            L = self.expand_traces(self.loss(K, steps_r))
            direct = diff(L, alpha_t).subs(alpha_t, 0)
            same = cancel(self.expand_traces(direct - K * base)) == 0
            ok &= bool(same)
            lines.append(f"K_t = {K}: d/d alpha_t of the derived K-step loss at 0 equals "
                         f"{K} x the one-step value: {same}")
        return Proof(f"Theorem {self.key}: dL/d alpha_t(0) at K_t steps = K_t x its one-step "
                     f"value (K_r = {steps_r})", tuple(lines), bool(ok))

    def optimal_alpha_r(self, order=1):
        """The closed-form argmin over alpha_r: ``(value, proof or None)``; ``order=2``: of
        the finite-size theory (Theorems 1-2)."""
        raise NotImplementedError

    def alpha_t_extrema(self):
        """Closed-form stationary points in alpha_t: only Theorem 1 has them (Eq. 8)."""
        raise ValueError(f"alpha_t_extrema is Theorem 1's closed form (Eq. 8); Theorem "
                         f"{self.number} has none: use argmin_alpha_t({self.number}, values)")

    def phase(self) -> Proof:
        """When is the optimal alpha_t negative?  From the sign of dL/d alpha_t at 0."""
        raise NotImplementedError

    def argmin_alpha_t(self, values: dict, bracket=(-3.0, 3.0), grid=601, dps=30,
                       loss_expr=None, steps_t=1, steps_r=1):
        """The global minimiser over alpha_t in ``bracket`` at the given parameter values.

        Scans the loss (or ``loss_expr``; with ``steps_t``/``steps_r`` the K-step loss) on a
        grid, then polishes the best interior point by solving dL/d alpha_t = 0 with mpmath
        at ``dps`` digits (the negative optimum of Eq. 8, of Eq. 9 at Fig. 3's parameters,
        or of Eq. 14).  Returns an ``mpmath.mpf``.
        """
        return self._argmin(alpha_t, values, bracket, grid, dps, loss_expr, steps_t, steps_r)

    def argmin_alpha_r(self, values: dict, bracket=(-3.0, 3.0), grid=601, dps=30,
                       steps_t=1, steps_r=1):
        """The minimiser over alpha_r at the given values, numerically (mpmath): with
        K_r > 1 the loss is a polynomial of degree 2 K_r in alpha_r with no closed-form
        argmin (for K_r = 1 it equals :meth:`optimal_alpha_r`)."""
        return self._argmin(alpha_r, values, bracket, grid, dps, None, steps_t, steps_r)

    def _argmin(self, var, values, bracket, grid, dps, loss_expr, steps_t, steps_r):
        values = self.check(values)
        if loss_expr is None:
            L = self.loss(steps_t, steps_r, **{str(k): v for k, v in values.items()})
        else:
            L = sympify(loss_expr).subs({Symbol(str(k)) if isinstance(k, str) else k: v
                                         for k, v in values.items()})
        L = self._evaluable(L)
        free = L.free_symbols - {var}
        if free:
            raise ValueError(f"argmin needs values for {sorted(map(str, free))}")
        f = lambdify(var, L, "mpmath")
        df = lambdify(var, diff(L, var), "mpmath")
        with mpmath.workdps(dps):
            xs = [mpmath.mpf(bracket[0]) + (mpmath.mpf(bracket[1]) - bracket[0]) * i
                  / (grid - 1) for i in range(grid)]
            ys = [f(x) for x in xs]
            i = min(range(grid), key=lambda k: ys[k])
            if i in (0, grid - 1):
                raise ValueError(f"the minimum over {var} lies at the edge of {bracket}: "
                                 "widen it")
            root = mpmath.findroot(df, (xs[i - 1], xs[i + 1]), solver="anderson")
            if not xs[i - 1] <= root <= xs[i + 1]:
                raise ArithmeticError("root polishing left the bracket")
            return +root


class IsotropicTheorem(Theorem):
    """Theorems 1-2: Sigma = I, Sigma_w = nu^2/p I; the loss is the exact test average
    (Eq. 65) at the theorem's E|omega* - w0|^2 (Eq. 79 or Eq. 85)."""

    @lru_cache(maxsize=None)
    def optimal_alpha_r(self, order=1):
        """Closed-form argmin over alpha_r and a proof that it lies in (0, 1/(1 + (p+1)/n_r))
        (Section 5.1).  Returns ``(value, proof)``.

        The loss is quadratic in alpha_r; only the exact test average (Eq. 65) depends on
        alpha_r, so the optimum is found there for any E|omega* - w0|^2 and the theorem's
        value (Eq. 79 or Eq. 85) is substituted.  ``order=2``: the finite-size theory's
        E|omega* - w0|^2 (undefined functions of alpha_t and the sizes: evaluated by
        ``symmaml.numeric.loss_function(theorem, order=2).optimal_alpha_r``); the proof
        holds for it wherever that value is positive, which the numeric layer checks."""
        generic, steps, holds = optimal_alpha_r_generic()
        order = _finite_size.check_order(order)
        value = generic.subs(E_d_sq, self.derivation(order=order).extras["E_d_sq"])
        which = "the order-2" if order == 2 else f"Theorem {self.key}'s"
        steps = steps + (f"{which} E|omega* - w0|^2 is substituted for E_d_sq",)
        return value, Proof("0 < alpha_r* < 1/(1 + (p+1)/n_r)", steps, bool(holds))

    def steps_phase(self, steps_t: int, steps_r: int = 1) -> Proof:
        """The phase statement with K_t, K_r steps (Theorems 1-2): dL/d alpha_t(0) is K_t
        times the one-step value with the test side's factor h_r at K_r steps
        (:meth:`steps_derivative_proof`), so its sign -- positive whenever sigma > 0 -- does
        not depend on K: alpha_t = 0 is never optimal and small negative alpha_t beat every
        small positive one.  Where the global minimum lies is numerical
        (:meth:`argmin_alpha_t` with ``steps_t``); it can move to the positive side."""
        K_t, K_r = _steps.check_steps("steps_t", steps_t), _steps.check_steps("steps_r", steps_r)
        d1 = self.dloss_dalpha_t_at_zero(1, 1)
        dk = self.dloss_dalpha_t_at_zero(K_t, K_r)
        pos1 = is_positive(d1, (delta_sq,))
        h_k = cancel(2 * diff(_steps.test_loss(K_r)[0], E_d_sq))
        steps = (f"dL/d alpha_t(0) at K_t = {K_t}, K_r = {K_r}: {dk}",
                 "= K_t h_r^(K_r) / h_r^(1) x the one-step value, with h_r^(K) = "
                 "E[Tr A_r^(2K)]/p > 0 (a mean of even powers of a symmetric matrix)",
                 f"the one-step value {d1} is positive for every sigma > 0: {pos1}",
                 "so alpha_t = 0 is never optimal and the loss decreases as alpha_t goes "
                 "below 0, for every K; the global minimum is found numerically "
                 "(argmin_alpha_t(values, steps_t=K)) and may lie at positive alpha_t",
                 f"h_r^({K_r}) = {h_k}")
        return Proof(f"Theorem {self.key}, K_t = {K_t}, K_r = {K_r}: dL/d alpha_t(0) > 0 "
                     "whenever sigma > 0", steps, bool(pos1))

    def _phase_steps(self):
        """dL/d alpha_t(0) and whether it is positive for every sigma > 0."""
        d0 = self.dloss_dalpha_t_at_zero()
        pos = is_positive(d0, (delta_sq,))
        return [f"dL/d alpha_t(0) = {d0}",
                f"positive for every sigma > 0 and all sizes in the regime: {pos}"], pos


class Theorem1(IsotropicTheorem):
    """Theorem 1: overparameterized (p > n_v m), Sigma = I; loss Eq. 5 with h_t, h_r
    (Eqs. 6-7), optimal alpha_t the negative root alpha_t^- of Eq. 8."""

    number, key, equations = 1, "1", "5-8"
    _module = _theorem1

    @lru_cache(maxsize=None)
    def alpha_t_extrema(self):
        """The stationary points of the loss (Eq. 5) in alpha_t (compare Eq. 8).

        Returns ``{"minimum": expr, "maximum": expr, "proof": Proof}``."""
        dL = cancel(diff(self.loss(), alpha_t))
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
            f"R {sign}: dL/d alpha_t changes sign {'- to +' if sign == '< 0' else '+ to -'} "
            f"at alpha_- and the other way at alpha_+, so the minimum is alpha_"
            + ("-" if sign == "< 0" else "+"),
            f"the minimum is negative: {is_positive(-minimum)} (q(0) = {c} and a > 0)",
        )
        holds = is_positive(disc) and bool(is_positive(-minimum) or is_positive(c))
        return {"minimum": minimum, "maximum": maximum,
                "proof": Proof("Theorem 1: one minimum and one maximum in alpha_t; the "
                               "minimum is negative", steps, holds)}

    def phase(self) -> Proof:
        """The optimal alpha_t is negative whenever sigma > 0: dL/d alpha_t(0) > 0 and the
        unique minimum is the negative root alpha_t^- of Eq. 8."""
        steps, pos = self._phase_steps()
        ext = self.alpha_t_extrema()
        steps += [f"the unique minimum is alpha_t^- = {ext['minimum']} < 0 "
                  f"({'proved' if ext['proof'].holds else 'not proved'})",
                  "sigma = 0 makes the loss independent of alpha_t"]
        return Proof("Theorem 1: the optimal alpha_t is negative whenever sigma > 0",
                     tuple(steps), pos and ext["proof"].holds)


class Theorem2(IsotropicTheorem):
    """Theorem 2: underparameterized (p < n_v m), Sigma = I; loss Eq. 9 with g_1..g_4
    (derived through Eqs. 86-94), dL/d alpha_t at 0 of Eq. 10."""

    number, key, equations = 2, "2", "9-10, 86-94"
    _module = _theorem2

    def phase(self) -> Proof:
        """The loss (Eq. 9) decreases as alpha_t goes below 0 whenever sigma > 0 (Eq. 10's
        sign), and at sigma = 0, alpha_t = 0 is a local minimum (positive curvature)."""
        steps, pos = self._phase_steps()
        curv0 = factor(cancel(diff(self.loss().subs(sigma, 0), alpha_t, 2).subs(alpha_t, 0)))
        curv_pos = is_positive(curv0)
        steps += ["so alpha_t = 0 is never optimal and small negative alpha_t beat every small "
                  "positive one; where the global minimum lies is found numerically "
                  "(argmin_alpha_t)",
                  f"sigma = 0: dL/d alpha_t(0) = 0 and d^2L/d alpha_t^2(0) = {curv0} > 0: "
                  f"{curv_pos}, so alpha_t = 0 is then a local minimum"]
        return Proof("Theorem 2: the loss decreases as alpha_t goes below 0 whenever "
                     "sigma > 0; at sigma = 0, alpha_t = 0 is a local minimum", tuple(steps),
                     pos and curv_pos)


class Theorem3(Theorem):
    """Theorem 3: overparameterized (p > n_v m), general Sigma, Sigma_w and fourth-moment
    matrix F, omega0 = w0 = 0; loss Eq. 14 with H_t, H_r (Eqs. 15-16)."""

    number, key, equations = 3, "3", "14-16"
    _module = _theorem3

    def expand_traces(self, expr):
        """Eq. 14's traces of matrix words expanded, so that alpha_t and alpha_r (inside
        H_t, H_r, Eqs. 15-16) stand outside them (:func:`algebra.expand_traces`)."""
        return expand_traces(expr)

    def _evaluable(self, L):
        """Traces of explicit matrices expanded and evaluated (``doit``)."""
        return expand_traces(L).doit() if L.has(Trace) else L

    @lru_cache(maxsize=None)
    def dloss_dalpha_t_at_zero(self, steps_t=1, steps_r=1):
        """dL/d alpha_t at alpha_t = 0 of Eq. 14 (traces expanded); with K steps, of the
        K-step loss (Gaussian inputs, :func:`~symmaml.theory.steps.derive_general`),
        differentiated directly."""
        L = self.expand_traces(self.loss(steps_t, steps_r))
        return factor(cancel(expand_traces(diff(L, alpha_t).subs(alpha_t, 0))))

    @lru_cache(maxsize=None)
    def optimal_alpha_r(self, order=1):
        """Closed-form argmin of Eq. 14 over alpha_r (it is quadratic there): ``(value,
        None)``; no positivity proof, the optimum depends on Sigma, Sigma_w, F.  ``order=2``
        (:mod:`~symmaml.theory.finite_size_general`): the loss is still quadratic in alpha_r
        (linear in H_r), so its argmin is closed-form too, in Sigma and Sigma_w."""
        order = _finite_size.check_order(order)
        return quadratic_argmin(self.expand_traces(self.loss(order=order)), alpha_r), None

    def steps_phase(self, steps_t: int, steps_r: int = 1) -> Proof:
        """With K steps (Gaussian inputs): dL/d alpha_t(0) is K_t times the one-step value
        (:meth:`steps_derivative_proof`), so its sign -- which depends on Sigma, Sigma_w --
        is the one-step sign for every K_t: stated, not proved."""
        d0 = self.dloss_dalpha_t_at_zero(steps_t, steps_r)
        return Proof(f"sign of dL/d alpha_t at 0 (Theorem 3, K_t = {steps_t}, K_r = {steps_r})",
                     (f"dL/d alpha_t(0) = {d0}",
                      "= K_t x the one-step value of the same (Gaussian) derivation; its sign "
                      "depends on Sigma, Sigma_w: evaluate it numerically"), False)

    def phase(self) -> Proof:
        """The sign of dL/d alpha_t at 0 depends on Sigma, Sigma_w, F: stated, not proved."""
        d0 = self.dloss_dalpha_t_at_zero()
        return Proof("sign of dL/d alpha_t at 0 (Theorem 3)",
                     (f"dL/d alpha_t(0) = {d0}; its sign depends on Sigma, Sigma_w, F: "
                      "evaluate it numerically (a positive value means a negative optimum "
                      "nearby)",), False)


_INSTANCES = {T.key: T() for T in (Theorem1, Theorem2, Theorem3)}


def _lookup(t) -> Theorem:
    """The shared instance for ``t`` (1, "1", ..., or a :class:`Theorem`)."""
    if isinstance(t, Theorem):
        return _INSTANCES[t.key]
    key = None if isinstance(t, bool) else str(t)
    if key not in _INSTANCES:
        raise ValueError(f"theorem must be one of 1, 2, 3; got {t!r}")
    return _INSTANCES[key]


def theorem(theorem) -> Theorem:
    """The :class:`Theorem` object of Theorem 1 (Eqs. 5-8), 2 (Eqs. 9-10, 86-94) or 3
    (Eqs. 14-16); ``theorem`` may be ``1`` or ``"1"`` alike (or a :class:`Theorem`), and the
    same object is returned for each spelling.  Anything else raises ``ValueError`` naming
    ``theorem``."""
    return _lookup(theorem)


def derivation(theorem, steps_t=1, steps_r=1, order=1) -> Derivation:
    """The derivation of Theorem ``theorem`` (1, 2 or 3), computed on first use (cached):
    the chain of Eqs. 59-82, 59-94 or 111-141 ending in Eq. 5, 9 or 14; with
    ``steps_t``/``steps_r`` > 1 the K-step chain (:mod:`symmaml.theory.steps`).  A thin call
    on :meth:`Theorem.derivation`; ``order=2``: the finite-size theory (Theorems 1-3)."""
    return _lookup(theorem).derivation(steps_t, steps_r, order)


def loss(theorem, steps_t=1, steps_r=1, order=1, **values):
    """The average test loss of Theorem 1 (Eq. 5), 2 (Eq. 9) or 3 (Eq. 14), derived,
    optionally at ``values``; a thin call on :meth:`Theorem.loss`.

    ``values`` maps public symbol names (``p=60, n_v=2, ...``) to numbers or expressions;
    they are checked by :func:`~symmaml.theory.regime.check_values` (finite numbers,
    positive integer sizes; p > n_v m + 1 for Theorems 1 and 3, n_v m > p + 1 for
    Theorem 2, where the expected loss exists) and substituted.  Strings are accepted only
    as plain numbers (``"1/5"``), never evaluated.  ``steps_t`` = K_t and ``steps_r`` = K_r
    inner gradient steps (1 = the paper; :meth:`Theorem.loss`).  ``order=2``: the
    finite-size theory beyond the paper (Theorems 1-2, :mod:`symmaml.theory.finite_size`;
    not closed-form, evaluated by ``symmaml.numeric.loss_function(theorem, order=2)``;
    Theorem 3, :mod:`symmaml.theory.finite_size_general`: closed form in traces, evaluated
    by ``symmaml.numeric.theorem3_evaluator(Sigma, Sigma_w, order=2)``).
    """
    return _lookup(theorem).loss(steps_t, steps_r, order, **values)
