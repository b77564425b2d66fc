"""Fast NumPy / array-API functions of the derived losses and derived quantities.

Everything here is compiled once from the SymPy results of :mod:`symmaml.theory`
(floor 2); the returned callables take and return arrays only.

* :func:`loss_function` -- the average test loss of Theorem 1 or 2 as a vectorised function
  of its named parameters (``alpha_t``, ``alpha_r``, ``n_t``, ..., ``delta_sq``);
* :func:`derived_function` -- dL/d alpha_t, dL/d alpha_r, the optimal alpha_r, dL/d alpha_t
  at 0, Theorem 1's alpha_t^+-, h_t, h_r;
* :func:`theorem3_evaluator` -- Theorem 3's loss for given Sigma, Sigma_w, F by working in
  Sigma's eigenbasis once (:class:`~symmaml.numeric.traces.TraceEvaluator`);
* :func:`gaussian_F_numeric` -- the engine's Gaussian F evaluated at a numeric Sigma;
  :func:`gaussian_F` the same, shape-checked and symmetrised.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
from sympy import diff

from .. import theory
from ..backend import to_numpy
from ..moments import canonical_form, word_symbols
from ..moments.words import poly_to_sympy
from ..symbols import alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma
from ..theory.regime import check_arrays
from .lambdify import compile_expr
from .traces import TraceEvaluator

__all__ = ["PARAMETERS", "loss_function", "derived_function", "DERIVED", "theorem3_evaluator",
           "theorem3_effective_dimension", "gaussian_F_numeric", "gaussian_F", "phase_map",
           "CheckedFunction", "StepsLoss", "steps_loss_function"]

#: argument order of every compiled function of Theorems 1-2
PARAMETERS = (alpha_t, alpha_r, n_t, n_v, n_r, m, p, sigma, nu, delta_sq)
_T3_SCALARS = (alpha_t, alpha_r, n_t, n_v, n_r, m, sigma)

DERIVED = ("loss", "dloss_dalpha_t", "dloss_dalpha_r", "optimal_alpha_r",
           "dloss_dalpha_t_at_zero", "alpha_t_minimum", "alpha_t_maximum", "h_t", "h_r")


def _expr(theorem: str, name: str):
    t = str(theorem)
    if name == "loss":
        return theory.loss(t)
    if name == "dloss_dalpha_t":
        return diff(theory.loss(t), alpha_t)
    if name == "dloss_dalpha_r":
        return diff(theory.loss(t), alpha_r)
    if name == "optimal_alpha_r":
        return theory.optimal_alpha_r(t)[0]
    if name == "dloss_dalpha_t_at_zero":
        return theory.dloss_dalpha_t_at_zero(t)
    if name in ("alpha_t_minimum", "alpha_t_maximum"):
        try:
            ext = theory.theorem(t).alpha_t_extrema()
        except ValueError:
            raise ValueError("alpha_t^+- are closed-form for Theorem 1 only; use "
                             "symmaml.theory.argmin_alpha_t for Theorems 2-3") from None
        return ext["minimum" if name.endswith("minimum") else "maximum"]
    if name == "h_t":
        return theory.h_t()
    if name == "h_r":
        return theory.h_r()
    raise ValueError(f"unknown derived quantity {name!r}; known: {DERIVED}")


class CheckedFunction:
    """A compiled function of a theorem that checks its arguments before evaluating.

    The theorem's rules (:func:`symmaml.theory.regime.check_arrays`: finite values,
    positive integer sizes, the theorem's regime and p > n_v m + 1 or n_v m > p + 1 where
    the expected loss exists) are applied to every call, so the numbers path refuses what
    :func:`symmaml.theory.loss` refuses.  ``fixed`` holds parameters fixed at construction
    (Theorem 3's p, the matrices' size).  Everything else (``arg_names``, ``source``,
    ``expr``, ...) is the wrapped function's.
    """

    def __init__(self, fn, theorem, fixed=None):
        self._fn = fn
        self.theorem = str(theorem)
        self._fixed = dict(fixed or {})
        self.arg_names = tuple(fn.arg_names)

    def _check(self, values, kwargs):
        named = dict(zip(self.arg_names, values))
        named.update({k: v for k, v in kwargs.items() if k in self.arg_names})
        # host copies of the sizes, noise levels and alpha_t (the existence of the loss
        # can depend on its sign); a non-finite alpha_r is caught by the wrapped
        # function's finiteness check on its result
        check_arrays(self.theorem, {**self._fixed, **{
            k: to_numpy(v) if hasattr(v, "shape") else np.asarray(v)
            for k, v in named.items() if k != "alpha_r"}})

    def __call__(self, *values, **kwargs):
        self._check(values, kwargs)
        return self._fn(*values, **kwargs)

    def derivative(self, wrt, order: int = 1) -> "CheckedFunction":
        """The wrapped function's derivative, checked the same way."""
        return CheckedFunction(self._fn.derivative(wrt, order), self.theorem, self._fixed)

    def __getattr__(self, name):
        if name.startswith("__") or name == "_fn":
            raise AttributeError(name)
        return getattr(self._fn, name)

    def __repr__(self):
        return f"CheckedFunction(Theorem {self.theorem}, {self._fn!r})"


@lru_cache(maxsize=None)
def derived_function(theorem, name: str, backend="numpy") -> CheckedFunction:
    """A compiled derived quantity of Theorem 1 or 2, a function of :data:`PARAMETERS`.

    Call it with keywords (``f(alpha_t=np.linspace(-1, 1, 1000), alpha_r=0.2, n_t=30,
    ...)``); unused parameters may be given or not (they broadcast).  Theorem 3 depends
    on matrices: use :func:`theorem3_evaluator`.
    """
    t = str(theorem)
    try:
        scalar = not isinstance(theory.theorem(t), theory.Theorem3)
    except ValueError:
        scalar = False
    if not scalar:              # Theorem 3's loss needs numeric Sigma, Sigma_w, F
        raise ValueError("derived_function covers Theorems 1 and 2; for Theorem 3 use "
                         "theorem3_evaluator (it needs Sigma, Sigma_w, F)")
    expr = _expr(t, name)
    args = [s for s in PARAMETERS if s in expr.free_symbols]
    return CheckedFunction(compile_expr(expr, args, backend=backend), t)


def loss_function(theorem, backend="numpy", order: int = 1, orthogonal: bool = True):
    """The average test loss of Theorem 1 or 2 as a vectorised function (see
    :func:`derived_function`).

    ``order=2``: the finite-size theory (``theory.loss(theorem, order=2)``, Theorems 1-2;
    Theorem 3's is :func:`theorem3_evaluator` with ``order=2``), which is not closed-form:
    a :class:`~symmaml.numeric.finite_size.FiniteSizeLoss` (NumPy; sizes must be single
    integers); ``orthogonal=False`` gives it without the
    orthogonal correction of free subordination (to compare; order 2 only)."""
    from ..theory.finite_size import check_order
    if check_order(order) == 2:
        if str(theorem) == "3":
            raise ValueError("theorem: Theorem 3's order 2 needs Sigma, Sigma_w: use "
                             "theorem3_evaluator(Sigma, Sigma_w, order=2)")
        if backend != "numpy":
            raise ValueError(f"backend: the order-2 loss is evaluated with NumPy only, got "
                             f"{backend!r}")
        from .finite_size import check_orthogonal, finite_size_loss
        # checked before the cached constructor: an unhashable value must be named too
        return finite_size_loss(str(theorem), orthogonal=check_orthogonal(orthogonal))
    if orthogonal is not True:
        raise ValueError("orthogonal: only the order-2 theory has an orthogonal correction "
                         "(order=2)")
    return derived_function(theorem, "loss", backend)


def theorem3_evaluator(Sigma, Sigma_w, F="gaussian", backend="numpy", steps_t=1, steps_r=1,
                       order: int = 1, **kw) -> CheckedFunction:
    """Theorem 3's loss (Eq. 14) at numeric Sigma, Sigma_w (and F; ``"gaussian"`` for
    the Gaussian value), as a function of alpha_t, alpha_r, n_t, n_v, n_r, m, sigma.

    Works in Sigma's eigenbasis (one eigendecomposition); the matrices are checked
    (symmetric; Sigma, Sigma_w positive semi-definite), and every call checks the scalars
    and the regime with p = Sigma's size (a :class:`CheckedFunction` around the
    :class:`~symmaml.numeric.traces.TraceEvaluator`).

    ``steps_t``, ``steps_r`` > 1: the K-step loss of Theorem 3 for Gaussian inputs
    (:func:`symmaml.theory.steps.derive_general`), where F does not appear (``F`` must then
    be ``"gaussian"``).

    ``order=2``: the next order of the paper's expansion
    (:mod:`symmaml.theory.finite_size_general`; Gaussian inputs, so ``F`` must be
    ``"gaussian"``; one step only), matched at alpha_t = 0: its factor rho_0 comes from the
    corrected deterministic equivalent (:mod:`symmaml.numeric.theorem3_alpha0`) per call,
    for one n_v and one m (``.match(n_v, m, sigma)`` returns it)."""
    from ..theory.finite_size import check_order
    from ..theory.model import F as F_sym, Sigma as S_sym, Sigma_w as Sw_sym
    from ..theory.steps import check_steps
    Sigma = np.asarray(Sigma, dtype=float)
    K = (check_steps("steps_t", steps_t), check_steps("steps_r", steps_r))
    order = check_order(order)
    if order == 2 and K != (1, 1):
        raise ValueError("order=2 is derived for one-step MAML only (steps_t = steps_r = 1)")
    if K != (1, 1) or order == 2:
        if not (isinstance(F, str) and F == "gaussian"):
            what = "the K-step Theorem 3" if order == 1 else "Theorem 3 at order 2"
            raise ValueError(f"F: {what} is derived for Gaussian inputs only; "
                             "pass F='gaussian'")
        mats = {S_sym: Sigma, Sw_sym: np.asarray(Sigma_w, float)}
        if order == 2:
            return CheckedFunction(_MatchedTheorem3(Sigma, Sigma_w, backend, **kw), "3",
                                   fixed={"p": np.asarray(float(Sigma.shape[0]))})
        ev = TraceEvaluator(theory.loss(3, *K, order=order), mats,
                            scalars=_T3_SCALARS, basis=S_sym, backend=backend,
                            psd=(S_sym, Sw_sym), **kw)
        return CheckedFunction(ev, "3", fixed={"p": np.asarray(float(ev.p))})
    if isinstance(F, str):
        if F != "gaussian":
            raise ValueError(f"F must be a matrix or 'gaussian', got {F!r}")
        F = gaussian_F_numeric(Sigma)
    ev = TraceEvaluator(theory.loss(3), {S_sym: Sigma, Sw_sym: np.asarray(Sigma_w, float),
                                         F_sym: np.asarray(F, float)},
                        scalars=_T3_SCALARS, basis=S_sym, backend=backend,
                        psd=(S_sym, Sw_sym), **kw)
    return CheckedFunction(ev, "3", fixed={"p": np.asarray(float(ev.p))})


class _MatchedTheorem3:
    """Theorem 3's order-2 loss at numeric Sigma, Sigma_w: the compiled loss of
    :func:`symmaml.theory.finite_size_general.derive` with its matching factor
    rho_0 = E_0 / E^(2)_0 supplied per call -- E_0 from the corrected deterministic equivalent
    at alpha_t = 0 (:func:`symmaml.numeric.theorem3_alpha0.alpha0_omega_term`), E^(2)_0 the
    compiled truncation at alpha_t = alpha_r = 0.  rho_0 depends on n_v, m (one size each:
    one cDE root per size) and sigma (it broadcasts), not on alpha_t, alpha_r, n_t, n_r."""

    def __init__(self, Sigma, Sigma_w, backend="numpy", **kw):
        from ..theory import finite_size_general as fg
        from ..theory.model import Sigma as S_sym, Sigma_w as Sw_sym
        self._S, self._Sw = np.asarray(Sigma, float), np.asarray(Sigma_w, float)
        mats = {S_sym: self._S, Sw_sym: self._Sw}
        d = fg.derive()
        self._inner = TraceEvaluator(d.result, mats, scalars=_T3_SCALARS + (fg.MATCH,),
                                     basis=S_sym, backend=backend, psd=(S_sym, Sw_sym), **kw)
        # the truncation at alpha_t = alpha_r = 0, host-side: rho_0 is a host number
        self._at00 = TraceEvaluator(d.extras["E_h_at_00"], mats, scalars=(n_v, m, sigma),
                                    basis=S_sym, backend="numpy", psd=(S_sym, Sw_sym))
        self.arg_names = tuple(a for a in self._inner.arg_names if a != str(fg.MATCH))
        self._cache = {}

    def match(self, n_v, m, sigma):
        """rho_0 at sizes n_v, m (integers) and noise ``sigma`` (array or number)."""
        from .theorem3_alpha0 import alpha0_coefficients
        sizes = []
        for name, v in (("n_v", n_v), ("m", m)):
            a = np.asarray(to_numpy(v) if hasattr(v, "shape") else v)
            if a.size != 1:
                raise ValueError(f"{name}: Theorem 3's order 2 takes one size per call (its "
                                 "alpha_t = 0 matching solves one root per size)")
            x = float(a.reshape(()))
            if not (np.isfinite(x) and x == int(x) and x >= 1):
                raise ValueError(f"{name}: a positive integer, got {x!r}")
            sizes.append(int(x))
        sig = np.asarray(to_numpy(sigma) if hasattr(sigma, "shape") else sigma, float)
        key = tuple(sizes)
        if key not in self._cache:
            # both E_0 and E^(2)_0 are sigma^2 a + b; the compiled truncation gives its a, b
            # from two evaluations
            a0, b0 = alpha0_coefficients(self._S, self._Sw, *sizes)
            e2 = [float(self._at00(n_v=sizes[0], m=sizes[1], sigma=s)) for s in (0.0, 1.0)]
            self._cache[key] = (b0, a0, e2[0], e2[1] - e2[0])
        b0, a0, b2, a2 = self._cache[key]
        num, den = sig ** 2 * a0 + b0, sig ** 2 * a2 + b2
        # no noise and no task spread (sigma = 0, Sigma_w = 0): the term rho_0 multiplies is
        # zero, and so is its alpha_t = 0 value; any rho_0 gives the loss, 1 keeps it finite
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den == 0, 1.0, num / np.where(den == 0, 1.0, den))

    def _call(self, fn, values, kwargs):
        named = dict(zip(self.arg_names, values))
        named.update(kwargs)
        missing = [k for k in ("n_v", "m", "sigma") if k not in named]
        if missing:
            raise ValueError(f"{', '.join(missing)}: needed for the alpha_t = 0 matching")
        rho = self.match(named["n_v"], named["m"], named["sigma"])
        return fn(**named, rho_0=rho)

    def __call__(self, *values, **kwargs):
        return self._call(self._inner, values, kwargs)

    def derivative(self, wrt, order: int = 1):
        """d^order L / d wrt^order for wrt = alpha_t or alpha_r (rho_0 depends on neither)."""
        if str(wrt) not in ("alpha_t", "alpha_r"):
            raise ValueError(f"wrt: Theorem 3's order 2 is differentiated in alpha_t or "
                             f"alpha_r only (its matching factor depends on the others), "
                             f"got {wrt!r}")
        out = _MatchedTheorem3.__new__(_MatchedTheorem3)
        out.__dict__.update(self.__dict__)
        out._inner = self._inner.derivative(wrt, order)
        return out

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)


def theorem3_effective_dimension(Sigma, backend="numpy"):
    """p_eff(alpha_t, n_t) = (Tr H_t)^2 / E Tr (A Sigma A)^2 at numeric Sigma (Gaussian
    inputs; :func:`symmaml.theory.finite_size_general.effective_dimension`): where
    n_v m / p_eff >= ``REGIME_RATIO`` (1/2) the order-2 Theorem 3 is outside its regime."""
    from ..theory.finite_size_general import effective_dimension
    from ..theory.model import Sigma as S_sym
    ev = TraceEvaluator(effective_dimension(), {S_sym: np.asarray(Sigma, dtype=float)},
                        scalars=(alpha_t, n_t), basis=S_sym, backend=backend, psd=(S_sym,))
    return CheckedFunction(ev, "3")


@lru_cache(maxsize=1)
def _gaussian_F_terms():
    """The engine's F_G = E[(x^T Sigma x) x x^T] as [(coeff, Sigma power, trace powers)]."""
    terms = []
    for (open_word, traces), coeff in canonical_form(theory.gaussian_F()).items():
        names = {sym.name for w in (open_word,) + traces for sym in word_symbols(w)}
        if names - {"Sigma"}:
            raise AssertionError(f"unexpected letters {names} in F")
        c = float(poly_to_sympy(coeff) if isinstance(coeff, dict) else coeff)
        terms.append((c, len(open_word), tuple(len(w) for w in traces)))
    return tuple(terms)


def gaussian_F_numeric(Sigma) -> np.ndarray:
    """F for Gaussian rows at a numeric Sigma, evaluated from the engine's result."""
    S = np.asarray(Sigma, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"Sigma must be a square matrix, got shape {S.shape}")
    out = np.zeros_like(S)
    for c, k, trace_powers in _gaussian_F_terms():
        scalar = c
        for j in trace_powers:
            scalar *= np.trace(np.linalg.matrix_power(S, j))
        out += scalar * np.linalg.matrix_power(S, k)
    return out


def gaussian_F(S) -> np.ndarray:
    """F = E[(x^T S x) x x^T] for Gaussian x ~ N(0, S) (Eq. 111), at a numeric ``S``.

    Evaluates the moment engine's result (:func:`symmaml.theory.gaussian_F`, which is
    2 S^3 + S Tr S^2); the result is symmetrised to remove rounding asymmetry.
    """
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"gaussian_F: S must be square 2-D, got shape {S.shape}")
    F = gaussian_F_numeric(S)
    return 0.5 * (F + F.T)


def phase_map(theorem, alpha_t=None, **params):
    """The grid argmin over alpha_t of Theorem 1's or 2's loss at every point of a grid of
    parameters: the numeric phase diagram of "where is the optimal alpha_t negative".

    ``params`` are the other parameters, scalars or 1-D arrays (each array is an axis, in
    keyword order); every parameter of the loss must be given, and unknown names are
    refused.  The theorem's regime is checked at every grid point.  Returns
    ``(argmin, alpha_t_grid)`` with ``argmin`` of the grid shape; an argmin at an end of
    ``alpha_t`` means the grid is too narrow there, and is warned about.
    """
    f = loss_function(theorem)
    names = [n for n in f.arg_names if n != "alpha_t"]
    unknown = sorted(set(params) - set(f.arg_names))
    if unknown or "alpha_t" in params:
        raise ValueError(f"phase_map: unknown parameter(s) {unknown or ['alpha_t']} for "
                         f"Theorem {theorem}; give alpha_t as the grid and values for {names}")
    missing = [n for n in names if n not in params]
    if missing:
        raise ValueError(f"phase_map needs values for {missing}")
    a = np.linspace(-3.0, 3.0, 1201) if alpha_t is None else np.asarray(alpha_t, float)
    if a.ndim != 1 or a.size < 3 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
        raise ValueError("alpha_t must be an increasing, finite 1-D grid of at least 3 values")
    for name, v in params.items():
        if np.ndim(v) > 1:
            raise ValueError(f"{name} must be a scalar or a 1-D axis, got shape {np.shape(v)}")
    axes = [np.asarray(v, float) for v in params.values() if np.ndim(v) == 1]
    shape = tuple(len(v) for v in axes)
    kw, k = {}, 0
    for name, v in params.items():
        if np.ndim(v) == 1:
            sh = [1] * (len(shape) + 1)
            sh[k + 1] = len(v)
            kw[name] = np.asarray(v, float).reshape(sh)
            k += 1
        else:
            kw[name] = v
    vals = f(alpha_t=a.reshape((-1,) + (1,) * len(shape)), **{n: kw[n] for n in names})
    vals = np.broadcast_to(vals, (len(a),) + shape)
    idx = np.argmin(vals, axis=0)
    edge = (idx == 0) | (idx == len(a) - 1)
    if np.any(edge):
        warnings.warn(f"phase_map: at {int(np.sum(edge))} of {edge.size} grid point(s) the "
                      f"minimum over alpha_t lies at the edge of [{a[0]}, {a[-1]}]: widen "
                      "the alpha_t grid", RuntimeWarning, stacklevel=2)
    return a[idx], a


class StepsLoss:
    """The K-step loss of Theorem 1 or 2 at fixed sizes and parameters, as a function of
    (alpha_t, alpha_r) (:func:`steps_loss_function`).

    The loss is a rational function of the rates with exact rational coefficients; with K
    steps its polynomials have degree up to 4K and alternating coefficients that cancel
    catastrophically in float64 (K = 10: more than 16 digits), so it is evaluated with
    mpmath at ``dps`` digits (default 40 + 4K) and rounded once.  Every call applies the
    theorem's rules (:func:`~symmaml.theory.regime.check_arrays`) and the K-step stability
    rule (:func:`~symmaml.theory.regime.check_steps_values`); a non-finite value raises.
    """

    def __init__(self, theorem, steps_t, steps_r, fixed, dps=None):
        import mpmath
        from sympy import lambdify
        from ..symbols import alpha_r, alpha_t
        from ..theory import loss
        self.theorem, self.steps_t, self.steps_r = str(theorem), steps_t, steps_r
        self.fixed = dict(fixed)
        self.expr = loss(theorem, steps_t, steps_r, **self.fixed)
        extra = self.expr.free_symbols - {alpha_t, alpha_r}
        if extra:
            raise ValueError(f"steps_loss_function needs values for {sorted(map(str, extra))}")
        self.dps = int(dps if dps is not None else 40 + 4 * max(steps_t, steps_r))
        self._f = lambdify((alpha_t, alpha_r), self.expr, "mpmath")
        self._mp = mpmath

    def __call__(self, alpha_t, alpha_r):
        from ..theory.regime import check_steps_values
        at, ar = np.broadcast_arrays(np.asarray(alpha_t, dtype=float), np.asarray(alpha_r, dtype=float))
        check_arrays(self.theorem, {**{k: np.asarray(float(v)) for k, v in self.fixed.items()},
                                    "alpha_t": at})
        check_steps_values({**self.fixed, "alpha_t": at, "alpha_r": ar}, self.steps_t,
                           self.steps_r, stacklevel=3)
        out = np.empty(at.shape)
        mp = self._mp
        with mp.workdps(self.dps):
            for idx in np.ndindex(at.shape):
                out[idx] = float(self._f(mp.mpf(float(at[idx])), mp.mpf(float(ar[idx]))))
        if not np.all(np.isfinite(out)):
            raise ValueError(f"the K-step loss is not finite at some alpha_t, alpha_r "
                             f"(steps_t = {self.steps_t}, steps_r = {self.steps_r})")
        return out if out.ndim else float(out)

    def __repr__(self):
        return (f"StepsLoss(Theorem {self.theorem}, steps_t={self.steps_t}, "
                f"steps_r={self.steps_r}, {self.fixed})")


@lru_cache(maxsize=64)
def _steps_loss_cached(theorem, steps_t, steps_r, fixed_items):
    return StepsLoss(theorem, steps_t, steps_r, dict(fixed_items))


def steps_loss_function(theorem, steps_t=1, steps_r=1, **fixed) -> StepsLoss:
    """The average test loss of Theorem ``theorem`` (1 or 2) with ``steps_t`` = K_t and
    ``steps_r`` = K_r inner steps at the fixed parameters ``fixed`` (all of n_t, n_v, n_r,
    m, p, sigma, nu and, for Theorem 1, delta_sq), as a vectorised function of
    (alpha_t, alpha_r): :class:`StepsLoss` (cached by its arguments).  The Wishart averages
    are computed exactly at the given integer sizes (:meth:`symmaml.theory.Theorem.loss`)."""
    from ..theory.steps import check_steps
    K_t, K_r = check_steps("steps_t", steps_t), check_steps("steps_r", steps_r)
    items = tuple(sorted((str(k), v) for k, v in fixed.items()))
    return _steps_loss_cached(str(theorem), K_t, K_r, items)
