"""Order-2 (finite-size) theory, overparameterized regime: the noise factor S, vectorised.

The derivation is recorded in :mod:`symmaml.theory.finite_size` (``derivations/
finite_size.md``); this module evaluates its one non-closed-form piece,

    S = E Tr[(B B^T)^-1 Gamma_sigma],   Gamma_sigma = blockdiag(I + k^2 X_v^i W_t^i X_v^i^T),

with k = alpha_t / n_t, the sigma^2 coefficient of E|omega* - w0|^2 (Eqs. 70-74).

1. *Block inversion (exact).*  The i-th diagonal block of (B B^T)^-1 is (B_i Q_i B_i^T)^-1,
   Q_i the projection orthogonal to the rows of the other tasks: a uniformly random
   projection of rank r = p - N + n_v, independent of task i (the law of B is invariant
   under B -> B O), so S = m E Tr[(X M X^T)^-1 (I + k X K X^T)], M = A Q A,
   K = I - A, X = X_v^i (n_v x p), A = I - k W_t.
2. *X average: corrected deterministic equivalent.*  In M's eigenbasis X M X^T =
   sum_j mu_j u_j u_j^T with u_j iid N(0, I_{n_v}); Sherman-Morrison and the second-order
   expansion of u_j^T (.)^-1 u_j around its mean give, with T = E Tr(X M X^T)^-1 and
   T_2 = T / sum_j mu_j / (1 + mu_j T)^2,

       n_v = sum_j mu_j T / (1 + mu_j T) - T_2 sum_j mu_j^2 / (1 + mu_j T)^3,
       E Tr[(X M X^T)^-1 X K X^T] = Tr K g(M),  g(mu) = T / (1 + mu T) - T_2 mu / (1 + mu T)^3

   (off-diagonal entries of K in M's eigenbasis drop out exactly: u_j -> -u_j).  The
   truncation leaves O(p^-2) relative; at alpha_t = 0 it is exact (T = n_v/(p - N - 1),
   the inverse-Wishart mean).
3. *Q average: free subordination.*  E_Q (I + T A Q A)^-1 = (I + omega A^2)^-1 with
   omega = T (1 - (1 - c) / G(omega)), c = r/p, G(omega) = Tr (I + omega A^2)^-1 / p
   (Biane's subordination for the free product with a projection), plus its O(1/p)
   correction for a Haar *orthogonal* Q (step 3b, ``orthogonal=True``, the default:
   :func:`symmaml.theory.finite_size.projection_correction`; s -> s + ds in the cDE and
   T u -> T (u + du) in the traces).  Then every spectral sum
   over M is a sum over A's eigenvalues, written as a function of omega (T = omega / (1 -
   (1 - c)/G) is explicit), and the cDE of step 2 becomes one equation in omega.
4. *A average: the exact expected spectral measure* of W_t at the sizes n_t, p
   (:func:`symmaml.numeric.spectral.wishart_quadrature`).

The equations are built symbolically in :func:`symmaml.theory.finite_size.noise_equations`
and compiled here; the spectral sums are NumPy sums over the quadrature nodes, vectorised over
alpha_t (float64): T-derivatives by the chain rule in omega, the root by bisection in log
omega then Ridders' steps inside the bracket (fixed numbers of both, so the cost does not
depend on the data, and elementwise, so a row does not depend on the others).  The slow
reference (mpmath, derivatives by mpmath.diff, roots by findroot) is
:func:`symmaml.numeric.finite_size_reference.finite_size_noise_reference`.
"""
from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np

from ..stein import check_size
from ..symbols import n_v as n_v_sym, p as p_sym
from .lambdify import compile_expr
from .finite_size_tasks import (G_inverse, check_sizes as check_task_sizes, recursion_at_zero,
                                 task_recursion)
from .spectral import DEFAULT_NODES, wishart_quadrature

__all__ = ["overparameterized_noise", "FiniteSizeLoss", "InterpolatedLoss",
           "finite_size_loss", "BISECTIONS", "RIDDERS_STEPS", "check_order2_sizes",
           "check_orthogonal"]

#: halvings of the bracket in log omega (it spans e^60) before Ridders' steps
BISECTIONS = 16
#: Ridders' steps (two evaluations each) from the bisected bracket: float64 resolution
#: (1e-15 against the mpmath reference; Illinois steps crawled from such a bracket, because
#: F has a pole at omega_max, and needed 24 bisections and 8 steps for 1e-14)
RIDDERS_STEPS = 3


def _weights(omega, a, w):
    """w d, w a d^2, w a^2 d^3 with d = 1/(1 + omega a): the terms of the spectral sums."""
    d = 1.0 / (1.0 + omega[:, None] * a)
    ad = a * d
    w1 = w * d
    w2 = w1 * ad
    return w1, w2, w2 * ad


def _sums(omega, a, ell, w, p):
    """The spectral sums :data:`symmaml.theory.finite_size.SUMS` at ``omega`` (shape (A,)),
    nodes along the last axis of ``a``, ``ell`` (shape (A, K)) with weights ``w``."""
    w1, w2, w3 = _weights(omega, a, w)
    # row sums, not BLAS products: a row's result must not depend on how many rows there
    # are (same bits whatever the chunking of alpha_t)
    return ((w1.sum(-1) / p, -w2.sum(-1) / p, 2.0 * w3.sum(-1) / p),
            ((w1 * ell).sum(-1), -(w2 * ell).sum(-1), 2.0 * (w3 * ell).sum(-1)))


def _sums_G(omega, a, w, p):
    """The G sums of :func:`_sums` alone (the same operations, so the same bits)."""
    w1, w2, w3 = _weights(omega, a, w)
    return w1.sum(-1) / p, -w2.sum(-1) / p, 2.0 * w3.sum(-1) / p


@lru_cache(maxsize=None)
def _compiled(orthogonal=True):
    """The equations of :func:`symmaml.theory.finite_size.noise_equations`, compiled once
    per ``orthogonal``: a function of (omega, c, n_v, p, G, G1, G2, U, U1, U2) per output."""
    from ..theory import finite_size as fs
    args = (fs.omega, fs.c_rank, n_v_sym, p_sym) + tuple(fs.SUMS)
    eqs = fs.noise_equations(orthogonal)
    return {name: compile_expr(expr, args, check_finite=False) for name, expr in eqs.items()}


def _evaluate(names, omega, a, ell, w, p, n_v, c, orthogonal=True):
    if names == ("F",):
        # F involves the G sums only: skip the U sums inside the root search
        G, G1, G2 = _sums_G(omega, a, w, p)
        U = U1 = U2 = G
    else:
        (G, G1, G2), (U, U1, U2) = _sums(omega, a, ell, w, p)
    fns = _compiled(orthogonal)
    # the raw compiled functions: every input is already float64 here, and the wrapper's
    # conversions cost more than the arithmetic inside the root search
    c, n_v, p = float(c), float(n_v), float(p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return [np.broadcast_to(np.asarray(fns[nm].raw(omega, c, n_v, p, G, G1, G2, U, U1, U2),
                                           dtype=float), omega.shape)
                for nm in names]


def check_orthogonal(orthogonal) -> bool:
    """``orthogonal`` as a bool (the order-2 theory with or without its orthogonal
    correction); ValueError naming it for anything but True or False."""
    if not isinstance(orthogonal, (bool, np.bool_)):
        raise ValueError(f"orthogonal must be True or False, got {orthogonal!r}")
    return bool(orthogonal)


def _ridders(F_at, lo, top, steps):
    """Ridders' method on brackets (lo, top) with F(lo) <= 0 < F(top), elementwise: each step
    evaluates F at the midpoint and at the exponential-fit point, and keeps the narrowest
    sub-bracket with the sign change (so it never leaves the bracket, and converges
    quadratically once F is smooth across it); returns the end with the smaller |F|."""
    f_lo, f_top = F_at(lo), F_at(top)
    for _ in range(steps):
        mid = 0.5 * (lo + top)
        f_mid = F_at(mid)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = mid - (mid - lo) * f_mid / np.sqrt(f_mid * f_mid - f_lo * f_top)
        new = np.where(np.isfinite(new) & (new > lo) & (new < top), new, mid)
        f_new = F_at(new)
        right = new > mid
        p1, q1 = np.where(right, mid, new), np.where(right, f_mid, f_new)
        p2, q2 = np.where(right, new, mid), np.where(right, f_new, f_mid)
        pos1, pos2 = q1 > 0, q2 > 0
        lo, f_lo, top, f_top = (np.where(pos1, lo, np.where(pos2, p1, p2)),
                                np.where(pos1, f_lo, np.where(pos2, q1, q2)),
                                np.where(pos1, p1, np.where(pos2, p2, top)),
                                np.where(pos1, q1, np.where(pos2, q2, f_top)))
    return np.where(np.abs(f_lo) < np.abs(f_top), lo, top)


def _bisect_log(above, log_top, steps):
    """Bisect in log omega on (log_top - 60, log_top) where ``above(log omega)`` (elementwise)
    switches from False to True; returns the final (lo, top) with above False / True."""
    lo, top = log_top - 60.0, log_top
    for _ in range(steps):
        mid = 0.5 * (lo + top)
        up = above(mid)
        top = np.where(up, mid, top)
        lo = np.where(up, lo, mid)
    return lo, top


def _check_sizes(n_t, n_v, m, p):
    for name, v in (("n_t", n_t), ("n_v", n_v), ("m", m), ("p", p)):
        check_size(name, v)
    if not p > n_v * m + 1:
        raise ValueError(f"the overparameterized finite-size theory needs p > n_v m + 1 "
                         f"(E (B B^T)^-1 exists); got p = {p}, n_v m = {n_v * m}")


def overparameterized_noise(alpha_t, *, n_t: int, n_v: int, m: int, p: int,
                            nodes: int = DEFAULT_NODES, orthogonal: bool = True) -> np.ndarray:
    """S(alpha_t) = E Tr[(B B^T)^-1 Gamma_sigma] at order 2 (module doc), for p > n_v m + 1.

    ``alpha_t``: array-like (any shape); returns float64 of the same shape.  Raises
    ValueError naming the argument for bad sizes, non-finite rates, or where the bracket of
    the subordination equation cannot be found."""
    _check_sizes(n_t, n_v, m, p)
    at = np.asarray(alpha_t, dtype=float)
    if not np.all(np.isfinite(at)):
        raise ValueError("alpha_t must be finite")
    shape = at.shape
    at = at.reshape(-1)
    lam, w = wishart_quadrature(n_t, p, nodes)
    N = n_v * m
    c = (p - N + n_v) / p
    # one task: Q = I, nothing is rotated (step 3b is zero there; skip its rounding)
    orthogonal = bool(orthogonal) and c < 1.0
    k = at / n_t
    ell = 1.0 - k[:, None] * lam
    a = ell * ell
    if c < 1.0:
        # omega_max: G(omega_max) = 1 - c, where T -> infinity (1 - G = c, inverted by the
        # two-sided Newton bracket of the task recursion), then just inside: G > 1 - c
        h_inf = 1.0 - (w * (a == 0)).sum(-1)[:, None] / p
        root = G_inverse(np.full((len(at), 1), c), a, w, p, np.full((len(at), 1), np.nan),
                          h_inf)[:, 0]
        if not np.all(np.isfinite(root)):
            raise ValueError("alpha_t: no bracket for the subordination equation (the "
                             "inner-loop matrix is nearly singular on too large a subspace)")
        omega_max = root * (1.0 - 1e-8)
    else:
        # one task (c = 1): Q = I, T = omega; grow the bracket until F > 0
        omega_max = np.ones_like(at)
        for _ in range(200):
            (F,) = _evaluate(("F",), omega_max, a, ell, w, p, n_v, c, orthogonal)
            if np.all(F > 0):
                break
            omega_max = np.where(F > 0, omega_max, omega_max * 4.0)
        else:
            raise ValueError("alpha_t: no bracket for the corrected deterministic equivalent")
    def F_at(log_om):
        return _evaluate(("F",), np.exp(log_om), a, ell, w, p, n_v, c, orthogonal)[0]

    lo, top = _bisect_log(lambda x: F_at(x) > 0, np.log(omega_max), BISECTIONS)
    omega = np.exp(_ridders(F_at, lo, top, RIDDERS_STEPS))
    T, tr_g, tr_Ag = _evaluate(("T", "trace_g", "trace_Ag"), omega, a, ell, w, p, n_v, c,
                               orthogonal)
    S = m * (T + k * (tr_g - tr_Ag))
    if not np.all(np.isfinite(S)):
        raise ValueError("alpha_t: the finite-size noise factor is not finite here")
    return S.reshape(shape)


class FiniteSizeLoss:
    """The order-2 average test loss of a theorem (``theory.loss(t, order=2)``) as a function.

    Call with keywords ``alpha_t``, ``alpha_r`` (arrays, broadcast), the sizes ``n_t``,
    ``n_v``, ``n_r``, ``m``, ``p`` (integers: the spectral quadrature is built at them), and
    ``sigma``, ``nu``, ``delta_sq`` (Theorem 1 only).  The closed-form part of the
    derivation's result is compiled; its undefined functions of (alpha_t, n_t, n_v, m, p)
    are evaluated numerically, once per distinct alpha_t: Theorem 1's S_sigma by
    :func:`overparameterized_noise`, Theorem 2's R_sigma, R_nu (at alpha_t and at 0, where
    the result is matched) by :func:`symmaml.numeric.finite_size_tasks.task_recursion`.  The
    theorem's regime rules (:func:`symmaml.theory.regime.check_arrays`) are applied on every
    call.

    ``orthogonal`` (default True): the O(1/p) correction of free subordination for a Haar
    orthogonal rotation (Theorem 1's step 3b, Theorem 2's step 4b); False evaluates the
    free-subordination theory, to compare the two.
    """

    SIZES = ("n_t", "n_v", "n_r", "m", "p")

    def __init__(self, theorem, nodes: int = DEFAULT_NODES, orthogonal: bool = True):
        from sympy import Symbol
        from sympy.core.function import AppliedUndef
        from ..theory import finite_size as fs
        from ..symbols import alpha_t
        self.theorem = str(theorem)
        self.nodes = nodes
        self.orthogonal = check_orthogonal(orthogonal)
        d = fs.derive(self.theorem)
        names = {}
        for app in d.result.atoms(AppliedUndef):
            at0 = app.args[0] != alpha_t
            names[app] = Symbol(app.func.__name__ + ("_0" if at0 else ""))
        self._names = names
        self.expr = d.result.subs(names)
        self.functions = tuple(sorted(str(v) for v in names.values()))
        self._derived: dict = {}
        self._interpolants: dict = {}
        free = {x.name for x in self.expr.free_symbols}
        self.ARGS = ("alpha_t", "alpha_r", "n_t", "n_v", "n_r", "m", "p", "sigma", "nu") + \
            (("delta_sq",) if "delta_sq" in free else ())
        syms = {x.name: x for x in self.expr.free_symbols}
        args = [syms.get(a, Symbol(a)) for a in self.ARGS + self.functions]
        self._fn = compile_expr(self.expr, args)

    def noise(self, alpha_t, **sizes) -> dict:
        """The undefined functions at ``alpha_t`` (1-D array) for the given n_t, n_v, m, p:
        a dict name -> array (``R_sigma_0`` etc.: at alpha_t = 0)."""
        return _NOISE[self.theorem](alpha_t, self.nodes, self.orthogonal,
                                    **{k: sizes[k] for k in ("n_t", "n_v", "m", "p")})

    def __call__(self, **values):
        from ..theory.regime import check_arrays
        missing = [a for a in self.ARGS if a not in values]
        unknown = [k for k in values if k not in self.ARGS]
        if missing or unknown:
            raise ValueError(f"order-2 loss of Theorem {self.theorem}: missing {missing}, "
                             f"unknown {unknown}; arguments: {list(self.ARGS)}")
        sizes = self._sizes(values)
        check_arrays(self.theorem, {k: np.asarray(v) for k, v in values.items()
                                    if k != "alpha_r"})
        return self._fn(*(values[a] for a in self.ARGS),
                        *self._functions_at(values["alpha_t"], sizes))

    def _functions_at(self, alpha_t, sizes) -> list:
        """The undefined functions at ``alpha_t`` (any shape), in :attr:`functions` order,
        each evaluated once per distinct alpha_t."""
        at = np.asarray(alpha_t, dtype=float)
        uniq, inv = np.unique(at.reshape(-1), return_inverse=True)
        fns = self.noise(uniq, **sizes)
        return [fns[name][inv].reshape(at.shape) for name in self.functions]

    def _compiled(self, key):
        """Compiled expressions derived from the loss, built on first use: ``"alpha_r*"``
        (the closed-form optimum over alpha_r) and ``"d/alpha_t"`` (the partial derivatives
        of the loss in alpha_t and in each undefined function of alpha_t)."""
        if key not in self._derived:
            from sympy import Symbol, diff
            from ..theory.optima import optimal_alpha_r
            syms = {x.name: x for x in self.expr.free_symbols}
            args = [syms.get(a, Symbol(a)) for a in self.ARGS + self.functions]
            if key == "alpha_r*":
                value = optimal_alpha_r(self.theorem, order=2)[0].subs(self._names)
                self._derived[key] = compile_expr(value, [a for a in args
                                                          if str(a) != "alpha_r"])
            else:
                moving = tuple(f for f in self.functions if not f.endswith("_0"))
                at = syms.get("alpha_t", args[self.ARGS.index("alpha_t")])
                parts = [diff(self.expr, at)] + [diff(self.expr, syms[f]) for f in moving]
                self._derived[key] = (moving, [compile_expr(e, args) for e in parts])
        return self._derived[key]

    def optimal_alpha_r(self, **values):
        """The order-2 loss's minimiser over alpha_r at the given alpha_t (array), sizes,
        sigma, nu (delta_sq for Theorem 1): the closed form of
        ``theory.optimal_alpha_r(theorem, order=2)`` (the argmin of Eq. 65, quadratic in
        alpha_r) at the evaluated undefined functions.  ValueError if the order-2
        E|omega* - w0|^2 is not positive there (the closed form's proof needs it)."""
        from ..theory.regime import check_arrays
        args = tuple(a for a in self.ARGS if a != "alpha_r")
        missing = [a for a in args if a not in values]
        unknown = [k for k in values if k not in args]
        if missing or unknown:
            raise ValueError(f"optimal alpha_r of the order-2 Theorem {self.theorem}: missing "
                             f"{missing}, unknown {unknown}; arguments: {list(args)}")
        sizes = self._sizes(values)
        check_arrays(self.theorem, {k: np.asarray(v) for k, v in values.items()})
        out = np.asarray(self._compiled("alpha_r*")(
            *(values[a] for a in args), *self._functions_at(values["alpha_t"], sizes)))
        upper = 1.0 / (1.0 + (sizes["p"] + 1.0) / sizes["n_r"])
        if not np.all((out > 0) & (out < upper)):
            raise ValueError("alpha_t: the order-2 E|omega* - w0|^2 is not positive here, so "
                             "its optimal alpha_r is not in (0, 1/(1 + (p+1)/n_r))")
        return out

    def argmin_alpha_t(self, alpha_t, *, tol: float = 1e-7, **values):
        """The minimiser over alpha_t in the interval ``alpha_t = (lo, hi)`` at scalar values
        of the other arguments (sizes, alpha_r, sigma, nu, delta_sq): ``(alpha, loss)``, with
        ``alpha`` None where the minimum over the interval lies at one of its ends.  Uses the
        interpolated loss (:meth:`interpolated`, built once per sizes, interval and ``tol``
        and kept): :meth:`InterpolatedLoss.argmin_alpha_t`."""
        sizes = {k: values.pop(k) for k in self.SIZES if k in values}
        missing = [k for k in self.SIZES if k not in sizes]
        if missing:
            raise ValueError(f"argmin_alpha_t of the order-2 Theorem {self.theorem}: sizes "
                             f"missing {missing}; sizes: {list(self.SIZES)}")
        try:
            interval = tuple(float(x) for x in alpha_t)
        except (TypeError, ValueError):
            raise ValueError(f"alpha_t must be an interval (lo, hi), got {alpha_t!r}") from None
        key = (tuple(sorted(self._sizes(sizes).items())), interval, tol)
        if key not in self._interpolants:
            if len(self._interpolants) >= 16:
                self._interpolants.pop(next(iter(self._interpolants)))
            self._interpolants[key] = self.interpolated(alpha_t, tol=tol, **sizes)
        return self._interpolants[key].argmin_alpha_t(**values)

    def _sizes(self, values) -> dict:
        sizes = {}
        for k in self.SIZES:
            v = np.asarray(values[k])
            if v.ndim or not float(v).is_integer():
                raise ValueError(f"{k} must be one integer (the order-2 theory's spectral "
                                 f"quadrature is built at it), got {values[k]!r}")
            sizes[k] = int(v)
        return sizes

    def interpolated(self, alpha_t, *, tol: float = 1e-7, max_nodes: int = 257,
                     **sizes) -> "InterpolatedLoss":
        """This loss on an interval of alpha_t at fixed sizes, for many evaluations: the
        undefined functions are interpolated once by an adaptive Chebyshev series
        (:func:`symmaml.numeric.interpolant.chebyshev_fit`; error below ``tol`` relative,
        estimated from the coefficients, else ValueError) and the closed-form part is
        compiled as before.

        ``alpha_t``: the interval ``(lo, hi)``; ``sizes``: n_t, n_v, n_r, m, p.  Returns an
        :class:`InterpolatedLoss`, called like this object without the sizes (alpha_t in the
        interval only)."""
        from .interpolant import chebyshev_fit
        missing = [k for k in self.SIZES if k not in sizes]
        unknown = [k for k in sizes if k not in self.SIZES]
        if missing or unknown:
            raise ValueError(f"interpolated order-2 loss of Theorem {self.theorem}: sizes "
                             f"missing {missing}, unknown {unknown}; sizes: {list(self.SIZES)}")
        try:
            lo, hi = (float(x) for x in alpha_t)
        except (TypeError, ValueError):
            raise ValueError(f"alpha_t must be an interval (lo, hi), got {alpha_t!r}") from None
        sizes = self._sizes(sizes)
        from ..theory.regime import check_arrays
        check_arrays(self.theorem, {**{k: np.asarray(v) for k, v in sizes.items()},
                                    "alpha_t": np.array([lo, hi])})
        series = chebyshev_fit(lambda a: self.noise(a, **sizes), lo, hi, tol=tol,
                               max_nodes=max_nodes, name="alpha_t")
        return InterpolatedLoss(self, sizes, series)

    def __repr__(self):
        free = "" if self.orthogonal else ", orthogonal=False"
        return f"FiniteSizeLoss(Theorem {self.theorem}, order=2{free})"


class InterpolatedLoss:
    """An order-2 loss at fixed sizes on an interval of alpha_t, its undefined functions
    interpolated (:meth:`FiniteSizeLoss.interpolated`).  Call with keywords alpha_t (inside
    ``interval``), alpha_r, sigma, nu (and delta_sq for Theorem 1); the regime rules are
    applied as by the loss itself.  ``nodes``: the evaluations of the undefined functions it
    cost; ``error``: their estimated relative interpolation errors."""

    def __init__(self, loss: FiniteSizeLoss, sizes: dict, series):
        self.loss, self.sizes, self.series = loss, dict(sizes), series
        self.theorem = loss.theorem
        self.ARGS = tuple(a for a in loss.ARGS if a not in loss.SIZES)
        self.interval = (series.lo, series.hi)
        self.nodes = series.nodes
        self.error = series.error

    def __call__(self, **values):
        return self.loss._fn(*self._arguments(values))

    def _arguments(self, values) -> list:
        """The loss's compiled arguments at ``values`` (checked): the keywords, the fixed
        sizes and the interpolated undefined functions."""
        self._check(values)
        fns = self.series(np.asarray(values["alpha_t"], dtype=float), name="alpha_t")
        full = {**values, **self.sizes}
        return [full[a] for a in self.loss.ARGS] + [fns[name] for name in self.loss.functions]

    def derivative(self, **values):
        """dL/d alpha_t at the same keywords as a call: the compiled partial derivatives of
        the loss (in alpha_t and in each undefined function of alpha_t) combined with the
        derivatives of the interpolating series (:meth:`ChebyshevSeries.derivative`; its
        estimated error is ``derivative_error``)."""
        args = self._arguments(values)
        dfns = self._dseries(np.asarray(values["alpha_t"], dtype=float), name="alpha_t")
        moving, parts = self.loss._compiled("d/alpha_t")
        out = parts[0](*args)
        for name, part in zip(moving, parts[1:]):
            out = out + part(*args) * dfns[name]
        return out

    @cached_property
    def _dseries(self):
        """The undefined functions' derivatives in alpha_t (series, built on first use)."""
        return self.series.derivative()

    @property
    def derivative_error(self) -> dict:
        """Estimated relative errors of the undefined functions' derivatives."""
        return self._dseries.error

    def argmin_alpha_t(self, grid: int = 2049, **values):
        """The minimiser over alpha_t in ``interval`` at scalar values of alpha_r, sigma,
        nu (delta_sq): ``(alpha, loss)``, ``loss`` evaluated directly (not interpolated);
        ``alpha`` is None where the minimum over the interval lies at one of its ends.

        The interpolated loss is scanned on ``grid`` points, then dL/d alpha_t
        (:meth:`derivative`) is solved between the best point's neighbours (Brent); if it
        does not change sign there, the bounded scalar minimisation of the interpolated
        loss is used.  Measured: within 6e-8 of the direct loss's stationary point at
        Figs. 2b, 3b, 6a-6d (tol 1e-7)."""
        from scipy.optimize import brentq, minimize_scalar
        if "alpha_t" in values:
            raise ValueError("argmin_alpha_t: alpha_t is the variable; give the other "
                             f"arguments only ({[a for a in self.ARGS if a != 'alpha_t']})")
        for k, v in values.items():
            if np.ndim(v):
                raise ValueError(f"{k} must be a scalar here, got an array of shape "
                                 f"{np.shape(v)}")
        lo, hi = self.interval
        g = np.linspace(lo, hi, int(grid))
        vals = np.asarray(self(alpha_t=g, **values), dtype=float)
        i = int(np.argmin(vals))

        def direct(a):             # the loss itself (not interpolated) at the answer
            return float(np.asarray(self.loss(alpha_t=np.array([a]), **values,
                                              **self.sizes)).reshape(-1)[0])

        if i in (0, g.size - 1):
            return None, direct(g[i])

        def dL(a):
            return float(self.derivative(alpha_t=np.array(a), **values))

        a, b = g[i - 1], g[i + 1]
        fa, fb = dL(a), dL(b)
        if fa < 0 < fb:
            x = brentq(dL, a, b, xtol=1e-14, rtol=4 * np.finfo(float).eps)
        else:
            x = minimize_scalar(lambda t: float(self(alpha_t=np.array(t), **values)),
                                bounds=(a, b), method="bounded",
                                options={"xatol": 1e-12}).x
        return float(x), direct(float(x))

    def _check(self, values):
        missing = [a for a in self.ARGS if a not in values]
        unknown = [k for k in values if k not in self.ARGS]
        if missing or unknown:
            raise ValueError(f"interpolated order-2 loss of Theorem {self.theorem}: missing "
                             f"{missing}, unknown {unknown}; arguments: {list(self.ARGS)} "
                             f"(sizes fixed at {self.sizes})")
        from ..theory.regime import check_arrays
        check_arrays(self.theorem, {**{k: np.asarray(v) for k, v in values.items()
                                       if k != "alpha_r"},
                                    **{k: np.asarray(v) for k, v in self.sizes.items()}})

    def __repr__(self):
        lo, hi = self.interval
        return (f"InterpolatedLoss(Theorem {self.theorem}, order=2, alpha_t in [{lo:g}, "
                f"{hi:g}], {self.nodes} nodes, error {max(self.error.values()):.1e})")


def _noise_overparameterized(alpha_t, nodes, orthogonal, **sizes):
    return {"S_sigma": overparameterized_noise(alpha_t, nodes=nodes, orthogonal=orthogonal,
                                               **sizes)}


#: values of the task recursion already computed, keyed by (sizes, nodes, alpha_t): a
#: figure, its optimum and its validation table evaluate the same alpha_t (each row is
#: computed independently of the others, so a remembered value equals a fresh one bit
#: for bit); bounded, oldest entries dropped first
_RECURSION_MEMO: dict = {}
_MEMO_SIZE = 20000


def _recursion(alpha_t, nodes, sizes, orthogonal=True):
    key = (tuple(sorted(sizes.items())), nodes, orthogonal)
    todo = np.array([a for a in alpha_t if (key, float(a)) not in _RECURSION_MEMO])
    if todo.size:
        R_s, R_n = task_recursion(todo, nodes=nodes, orthogonal=orthogonal, **sizes)
        for a, s, n in zip(todo, R_s, R_n):
            _RECURSION_MEMO[(key, float(a))] = (float(s), float(n))
        while len(_RECURSION_MEMO) > _MEMO_SIZE:
            _RECURSION_MEMO.pop(next(iter(_RECURSION_MEMO)))
    vals = np.array([_RECURSION_MEMO[(key, float(a))] for a in alpha_t]).reshape(-1, 2)
    return vals[:, 0], vals[:, 1]


def _noise_underparameterized(alpha_t, nodes, orthogonal, **sizes):
    # (at alpha_t = 0 the correction vanishes identically, so R(0) is the same either way)
    R_s, R_n = _recursion(np.asarray(alpha_t, dtype=float).reshape(-1), nodes, sizes,
                          orthogonal)
    z_s, z_n = recursion_at_zero(nodes=nodes, **sizes)
    one = np.ones_like(R_s)
    return {"R_sigma": R_s, "R_nu": R_n, "R_sigma_0": z_s * one, "R_nu_0": z_n * one}


#: per theorem, the evaluator of its derivation's undefined functions
_NOISE = {"1": _noise_overparameterized, "2": _noise_underparameterized}
#: per theorem, the sizes its order-2 theory accepts (ValueError naming them otherwise)
_SIZES = {"1": _check_sizes, "2": check_task_sizes}


def check_order2_sizes(theorem, *, n_t, n_v, m, p) -> None:
    """ValueError (naming the sizes) where Theorem ``theorem``'s order-2 theory is not
    defined at these sizes (Theorem 1: p > n_v m + 1; Theorem 2: n_v m > p + 1 and
    (m - 1) n_v > p + 1), before any evaluation."""
    _SIZES[str(theorem)](n_t, n_v, m, p)


@lru_cache(maxsize=None)
def finite_size_loss(theorem, nodes: int = DEFAULT_NODES,
                     orthogonal: bool = True) -> FiniteSizeLoss:
    """The order-2 loss of Theorem ``theorem`` (cached): see :class:`FiniteSizeLoss`."""
    return FiniteSizeLoss(theorem, nodes, orthogonal)
