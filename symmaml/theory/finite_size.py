"""Order 2: a finite-size theory beyond the paper's asymptotics (overparameterized, Sigma = I).

This module is the entry point of ``order=2`` (:func:`derive`, :data:`DERIVED_FOR`) and holds
Theorem 1's order 2; Theorem 2's (p < n_v m) is :mod:`symmaml.theory.finite_size_tasks`,
Theorem 3's (general Sigma, the next order of the paper's own expansion, matched at
alpha_t = 0) is
:mod:`symmaml.theory.finite_size_general`.

The paper's Theorem 1 replaces B B^T, Gamma and B dd^T B^T by their means and (B B^T)^-1 by
the inverse of the mean (Eqs. 75-78).  Here the same quantity, E|omega* - w0|^2 (Eq. 74),
is split into three parts; two are computed *exactly* for every alpha_t, the third by a
deterministic equivalent that keeps the first finite-size correction:

    E|omega* - w0|^2 = |delta|^2 - E delta^T P delta + nu^2/p E Tr[blk(B B^T) (B B^T)^-1]
                       + sigma^2 E Tr[Gamma_sigma (B B^T)^-1]                    (Eq. 74)

1. ``E P = (N/p) I`` exactly (P the projection onto B's row space; the law of B is
   invariant under B -> B O for orthogonal O, since X_v O ~ X_v and O^T W_t O ~ W_t), so
   E delta^T P delta = N |delta|^2 / p -- what Eq. 77 gives, now exact.
2. The nu^2 part does not depend on alpha_t: block i contributes
   Tr[B_i B_i^T (B_i Q_i B_i^T)^-1] (block inversion, Q_i the projection orthogonal to the
   other tasks' rows), which depends only on the row space of B_i relative to Q_i, and Q_i
   is a Haar projection independent of task i; so it equals its alpha_t = 0 value, where the
   Schur complement is Wishart_{n_v}(p - N + n_v): N (p - n_v - 1) / (p - N - 1).  The paper
   (Eq. 76 with 78) has N.
3. The sigma^2 part, S = E Tr[Gamma_sigma (B B^T)^-1], is not closed-form: block inversion
   (exact), a corrected deterministic equivalent for the X_v average, free subordination for
   the Haar projection Q_i with its O(1/p) correction for a real, orthogonal rotation
   (step 3b, :func:`projection_correction`: Theorem 2's step 4b in the limit of a
   projection), and the exact expected spectrum of W_t (module doc of
   :mod:`symmaml.numeric.finite_size`, where it is evaluated).  Its equations are built here,
   as SymPy expressions in the spectral sums (:func:`noise_equations`), and compiled there.
   Step 3b raises S by 0.5 ... 2 % at p = 12 (n_v m = 6) and by at most 0.02 % at Fig. 2's
   sizes; it is checked against the Haar average itself in
   ``tests/numeric/test_orthogonal_correction.py``.

So ``theory.loss(1, order=2)`` is Eq. 65 at this E|omega* - w0|^2, with S an undefined
function ``S_sigma(alpha_t, n_t, n_v, m, p)``; ``symmaml.numeric.loss_function(1, order=2)``
evaluates it.  At alpha_t = 0 the whole result is exact (:func:`alpha0_proof`: the
equations reduce to the inverse-Wishart mean N/(p - N - 1)).
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Function, Identity, Symbol, Trace, cancel, series, symbols, together

from ..symbols import alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma
from .algebra import Proof
from .common import E_d_sq, test_average
from . import finite_size_general as _general, finite_size_tasks as _tasks
from .derivation import Derivation, Step, display
from .theorem3 import specialise

__all__ = ["ORDERS", "check_order", "S_sigma", "derive", "noise_equations", "SUMS",
           "projection_correction", "projection_steps",
           "omega", "c_rank", "alpha0_proof", "alpha0_error", "exact_parts",
           "general_limit_proof",
           "isotropic_relative_error"]

#: the orders offered: 1 = the paper's theorems, 2 = the finite-size theory (this module)
ORDERS = (1, 2)
#: theorems with an order-2 theory (filled below: Theorem 1 here, Theorem 2 in
#: :mod:`symmaml.theory.finite_size_tasks`, Theorem 3 in
#: :mod:`symmaml.theory.finite_size_general`)
DERIVED_FOR: tuple = ()

#: the sigma^2 coefficient of E|omega* - w0|^2 at order 2 (not closed-form; numeric layer)
S_sigma = Function("S_sigma")
#: the subordination parameter and the rank fraction c = (p - N + n_v)/p of Q_i
omega = Symbol("omega", positive=True)
c_rank = Symbol("c", positive=True)
#: spectral sums over the eigenvalues lambda of W_t, with a = (1 - k lambda)^2,
#: ell = 1 - k lambda, k = alpha_t/n_t:  G = sum 1/(1 + omega a)/p and its omega-derivatives
#: G1, G2; U = sum ell/(1 + omega a) and U1, U2
SUMS = symbols("G G1 G2 U U1 U2")


# display-only symbols of the derivation's steps (their names are LaTeX)
_DPD = Symbol(r"\mathbb{E}\,\delta^T P \delta")
_BLK = Symbol(r"\mathbb{E}\,\mathrm{Tr}[\mathrm{blk}(B B^T)(B B^T)^{-1}]")
_NOISE = Symbol(r"\mathbb{E}\,\mathrm{Tr}[\Gamma_\sigma (B B^T)^{-1}]")
_DPD_REST = Symbol(r"|\delta|^2 - \delta^T P \delta + \frac{\nu^2}{p}\mathrm{Tr}[\mathrm{blk}"
                   r"(B B^T)(B B^T)^{-1}] + \sigma^2 \mathrm{Tr}[\Gamma_\sigma (B B^T)^{-1}]")


def check_order(order) -> int:
    """``order`` as an int in :data:`ORDERS`; ValueError naming ``order`` otherwise."""
    if isinstance(order, bool) or order not in ORDERS:
        raise ValueError(f"order must be 1 (the paper) or 2 (finite-size theory), got {order!r}")
    return int(order)


def projection_correction(sums, w, c, reduce=lambda e: e, name=None, p=p):
    """Step 3b: the O(1/p) orthogonal correction of free subordination for the Haar
    projection Q of rank c p: ``(ds, dU)``, the shifts of s = Tr(I + T A Q A)^-1 and of
    U = Tr A (I + T A Q A)^-1 at the free solution omega.

    It is Theorem 2's step 4b (:func:`symmaml.theory.finite_size_tasks.orthogonal_correction`)
    in the limit where the rotated matrix is a projection: R = (F + zeta)^-1 = Q with
    zeta = 0 and F's eigenvalues 1 (c p of them) and infinity, so g(z) = c / (1 + z); Biane's
    other subordination function follows from 1 - nu_2 g(nu_2) = G(omega), and the spectral
    sums the correction needs are written in :data:`SUMS` (d = 1/(1 + omega a):
    sum w d^2 = p (G + omega G1), sum w a d^2 = -p G1, sum w a d^3 = -p (G1 + omega G2/2),
    sum w d^3 = p (G + 2 omega G1 + omega^2 G2/2); for K = A, sum w ell a d^2 = -U1,
    sum w ell a d^3 = -U1 - omega U2/2, sum w ell a^2 d^3 = U2/2).  Both vanish at A = I
    (D = T A^2 a multiple of I) and for one task (c = 1, Q = I).

    ``reduce`` is applied to every intermediate; ``name``: None, or a function (key, value)
    -> value for each intermediate (the record's hook, :func:`projection_steps`); ``p``: the
    dimension (the symbol by default; a number for plain numeric use).  Plain arithmetic."""
    if name is None:
        def name(key, value):
            return reduce(value)
    G, G1, G2, U, U1, U2 = sums
    T = name("T", w / (1 - (1 - c) / G))
    nu2 = name("nu_2", (1 - G) / (G - (1 - c)))
    g0 = name("g", c / (1 + nu2))
    g1, g2 = name("g'", -g0 / (1 + nu2)), name("g''", 2 * g0 / (1 + nu2) ** 2)
    four = (name("Sigma_d2", p * (G + w * G1)), name("Sigma_ad2", -p * G1),
            name("Sigma_d3", p * (G + 2 * w * G1 + w ** 2 * G2 / 2)),
            name("Sigma_ad3", -p * (G1 + w * G2 / 2)))
    corr = _tasks.orthogonal_correction(T, w, 0, nu2, g0, g1, g2, four, p, name=name)
    ds = name("delta_s", corr["ds"])
    dU = name("delta_U", _tasks.orthogonal_trace(corr, T, 0, -U1, -U1 - w * U2 / 2, U2 / 2))
    return ds, dU


#: Theorem 2's names of step 4b that Theorem 1's record already uses (T_2 is tau2 there)
_RENAME = {"T_2": "Theta_2", "T_3": "Theta_3", "T_2F": "Theta_2F", "T_3F": "Theta_3F"}


@lru_cache(maxsize=None)
def projection_steps():
    """Step 3b as (subexpressions, main): (symbol, definition) pairs, each in omega, c, p,
    :data:`SUMS` and the symbols defined before it, ending with delta_s and delta_U -- the
    arithmetic of :func:`projection_correction` (which builds it), for the record."""
    return _tasks.named_definitions(
        lambda name: projection_correction(SUMS, omega, c_rank, name=name), _RENAME)


def _equations(sums, w, c, reduce=lambda e: e, orthogonal=True, correction=None):
    """The order-2 equations (see :func:`noise_equations`) at given spectral sums; ``reduce``
    is applied to every intermediate (``cancel`` keeps the exact A = I case small);
    ``correction``: step 3b's (ds, dU) as given (the record's symbols) instead of built."""
    G, G1, G2, U, U1, U2 = sums
    r = reduce
    D = r(1 - (1 - c) / G)
    D1 = r((1 - c) * G1 / G ** 2)
    D2 = r((1 - c) * (G2 * G - 2 * G1 ** 2) / G ** 3)
    T = r(w / D)
    T1 = r((D - w * D1) / D ** 2)
    T11 = r(-w * D2 / D ** 2 - 2 * (D - w * D1) * D1 / D ** 3)

    def d_dT(f1, f11):
        return r(f1 / T1), r((f11 * T1 - f1 * T11) / T1 ** 3)

    s_T, s_TT = d_dT(p * G1, p * G2)
    U_T, U_TT = d_dT(U1, U2)
    # step 3b: s -> s + ds in the cDE and T u -> T (u + du) in the traces (the corrections
    # of s's and u's T-derivatives are O(p^-2), as in Theorem 2's step 4b)
    if correction is not None:
        ds, dU = correction
    else:
        ds, dU = projection_correction(sums, w, c, reduce) if orthogonal else (0, 0)
    S1, S2, S3 = r(p - p * G - ds), r(-s_T), r(s_TT / 2)
    tau2 = r(T / S2)
    return {"F": r(S1 - S3 * tau2 - n_v), "T": T, "tau2": tau2,
            "trace_g": r(T * (p * G + ds) + tau2 * (s_T + T / 2 * s_TT)),
            "trace_Ag": r(T * (U + dU) + tau2 * (U_T + T / 2 * U_TT))}


@lru_cache(maxsize=None)
def noise_equations(orthogonal: bool = True, named: bool = False):
    """The order-2 equations for S as SymPy expressions in omega, c, n_v, p and the spectral
    sums :data:`SUMS`: ``{"F": ..., "T": ..., "tau2": ..., "trace_g": ..., "trace_Ag": ...}``.

    * subordination: T = omega / (1 - (1 - c)/G) (E_Q Tr(I + T A Q A)^-1 = p G(omega));
    * s(T) = p G, derivatives in T by the chain rule through omega;
    * corrected deterministic equivalent with n_v rows: F = S1 - S3 tau2 - n_v = 0, with
      S1 = p - s, S2 = -ds/dT, S3 = d^2 s/dT^2 / 2, tau2 = T / S2;
    * Tr f(A) g(M) = T u + tau2 (du/dT + T/2 d^2u/dT^2) for u = s (f = 1), u = U (f = A);
    * ``orthogonal`` (the default): step 3b, s -> s + ds in the cDE and T u -> T (u + du)
      in the traces (:func:`projection_correction`); False: free subordination alone;
      ``named``: with ds, dU as the symbols delta_s, delta_U (:func:`projection_steps`
      defines them), as the record shows them.
    """
    if named and orthogonal:
        return _equations(SUMS, omega, c_rank, correction=symbols("delta_s delta_U"))
    return _equations(SUMS, omega, c_rank, orthogonal=bool(orthogonal))


def exact_parts():
    """(delta part, nu^2 part) of E|omega* - w0|^2, exact for every alpha_t (module doc)."""
    N = n_v * m
    return delta_sq * (1 - N / p), nu ** 2 * N * (p - n_v - 1) / (p * (p - N - 1))


def derive(theorem: str = "1") -> Derivation:
    """The order-2 derivation of Theorem ``theorem``'s loss (:data:`DERIVED_FOR`)."""
    key = str(theorem)
    if key not in _DERIVERS:
        raise ValueError(f"order=2 is derived for Theorems {', '.join(DERIVED_FOR)} only; "
                         f"got theorem {theorem!r}")
    return _DERIVERS[key]()


@lru_cache(maxsize=None)
def _derive_overparameterized() -> Derivation:
    """Theorem 1 at order 2 (module doc)."""
    D = display()
    N = n_v * m
    L65 = test_average(False)
    S = S_sigma(alpha_t, n_t, n_v, m, p)
    d_part, nu_part = exact_parts()
    steps = [
        Step("59-65", "average over the test task (exact)", D["L"], L65, "exact"),
        Step("70-74", "E_{w,z}|omega* - w0|^2 given the inputs (exact)", E_d_sq,
             _DPD_REST, "exact",
             note="Gamma = nu^2/p blk(B_i B_i^T) + sigma^2 Gamma_sigma, "
                  "Gamma_sigma = blk(I + alpha_t^2/n_t^2 X_v W_t X_v^T) (Eqs. 72-73)"),
        Step("77", "E delta^T P delta: E P = N/p I by rotation invariance (exact)",
             _DPD, N * delta_sq / p, "exact"),
        Step("76", "nu^2 part: alpha_t-independent, its alpha_t = 0 value (exact)",
             _BLK, N * (p - n_v - 1) / (p - N - 1), "exact",
             note="block inversion; Tr[B_i B_i^T (B_i Q_i B_i^T)^-1] depends only on the row "
                  "space of B_i relative to the Haar projection Q_i"),
        Step("78", "sigma^2 part: block inversion (exact), corrected deterministic "
             "equivalent, free subordination with its O(1/p) correction for a Haar "
             "orthogonal projection, exact spectrum of W_t",
             _NOISE, S, "approximation",
             "O(p^-2) relative from the deterministic equivalent and the subordination; "
             "exact at alpha_t = 0",
             note="evaluated by symmaml.numeric.finite_size; equations: "
                  "symmaml.theory.finite_size.noise_equations, step 3b: "
                  "projection_correction"),
    ]
    e_d = d_part + nu_part + sigma ** 2 * S
    steps.append(Step("79", "E|omega* - w0|^2 at order 2", E_d_sq, e_d, "approximation",
                      "sigma^2 O(p^-2) relative"))
    loss = L65.subs(E_d_sq, e_d)
    steps.append(Step("80-82", "average test loss at order 2", D["L"], loss, "approximation",
                      "sigma^2 O(p^-2) relative"))
    return Derivation("1 (order 2)", "p > n_v m + 1, Sigma = I; finite sizes", tuple(steps),
                      loss, extras={"E_d_sq": e_d, "S_sigma": S, "order": 2,
                                    "functions": (S_sigma,)})


_DERIVERS = {"1": _derive_overparameterized, "2": _tasks.derive, "3": _general.derive}
DERIVED_FOR = tuple(_DERIVERS)


@lru_cache(maxsize=None)
def _alpha0_root():
    """The equations of :func:`noise_equations` at A = I, evaluated exactly at the
    inverse-Wishart root T = n_v/(p - N - 1): (omega, T back, F there, S = m T, holds)."""
    N = n_v * m
    c_val = cancel((p - N + n_v) / p)
    T_exact = n_v / (p - N - 1)
    # at A = I, G = 1/(1 + omega) and T(omega) = omega / (c - (1 - c) omega) is inverted by
    # omega = c T / (1 + (1 - c) T): evaluate the equations there, exactly
    w = cancel(c_val * T_exact / (1 + (1 - c_val) * T_exact))
    d = 1 / (1 + w)
    at_identity = [cancel(x) for x in (d, -d ** 2, 2 * d ** 3, p * d, -p * d ** 2, 2 * p * d ** 3)]
    eqs = _equations(at_identity, w, c_val, reduce=cancel)
    T_back = eqs["T"]
    F0 = eqs["F"]
    S0 = cancel(m * T_back)
    return w, T_back, F0, S0, cancel(T_back - T_exact) == 0 and F0 == 0


@lru_cache(maxsize=None)
def alpha0_proof() -> Proof:
    """Proof that at alpha_t = 0 the order-2 E|omega* - w0|^2 is the exact finite-sample
    value (inverse-Wishart mean): at A = I the equations of :func:`noise_equations` have
    the root T = n_v/(p - N - 1), so S = m T = N/(p - N - 1)."""
    w, T_back, F0, S0, holds = _alpha0_root()
    steps = (f"at A = I: G = 1/(1 + omega); omega = c T/(1 + (1 - c) T) = {w} gives "
             f"T = {T_back}",
             f"the corrected deterministic equivalent there: F = {F0}",
             f"S = m T = {S0} = N/(p - N - 1), the inverse-Wishart mean "
             "E Tr (X_v X_v^T)^-1 (the D-term vanishes with alpha_t); the nu^2 and delta parts "
             "are exact for every alpha_t")
    return Proof("order-2 Theorem 1 is exact at alpha_t = 0", steps, bool(holds))


def alpha0_error():
    """E|omega* - w0|^2 of the order-2 Theorem 1 at alpha_t = 0: the exact parts plus
    sigma^2 S at the root of its equations (:func:`alpha0_proof`; AssertionError if that
    root does not hold)."""
    *_, S0, holds = _alpha0_root()
    if not holds:
        raise AssertionError("the order-2 equations at A = I do not have the stated root")
    d, nu_part = exact_parts()
    return d + nu_part + sigma ** 2 * S0


def isotropic_relative_error(e_h, exact=None):
    """``(rel, eps, exact)``: Theorem 3's E Tr(H_r omega* omega*^T) ``e_h`` at Sigma = I,
    Sigma_w = nu^2/p I, alpha_t = 0 over the finite-sample value ``exact`` there, minus 1,
    in eps = 1/p (cancelled).  ``exact`` defaults to the derived one: H_r = h_r I, so it is
    h_r E|omega* - w0|^2 at delta = 0, which Theorem 1's order 2 gives exactly at
    alpha_t = 0 (:func:`alpha0_error`)."""
    eye = Identity(p)
    e = specialise(e_h.subs(alpha_t, 0), Sigma_value=eye, Sigma_w_value=nu ** 2 / p * eye)
    if exact is None:
        h_r = cancel(specialise(Trace(_general.gaussian_H(alpha_r, n_r)), Sigma_value=eye) / p)
        exact = h_r * alpha0_error().subs(delta_sq, 0)
    eps = Symbol("eps", positive=True)
    return cancel(together(e / exact - 1).subs(p, 1 / eps)), eps, exact


@lru_cache(maxsize=None)
def general_limit_proof() -> Proof:
    """Proof that Theorem 3's order 2, at Sigma = I, Sigma_w = nu^2/p I and alpha_t = 0,
    agrees with the finite-sample value through O(1/p) (relative error O(p^-2)), where the
    paper's Eq. 141 is off at O(1/p)."""
    d = _general.derive()
    rel2, eps, exact = isotropic_relative_error(d.extras["E_h"])
    rel1, _, _ = isotropic_relative_error(d.extras["E_h_order1"])
    lead2 = cancel(series(rel2, eps, 0, 3).removeO())
    lead1 = cancel(series(rel1, eps, 0, 2).removeO())
    # lead2 through eps^2: its eps^0 and eps^1 terms must vanish, lead1's must not
    holds = lead2.subs(eps, 0) == 0 and cancel(lead2 / eps).subs(eps, 0) == 0 and lead1 != 0
    steps = (f"at Sigma = I, Sigma_w = nu^2/p I, alpha_t = 0 the finite-sample value is "
             f"E Tr(H_r omega* omega*^T) = {exact} (H_r = h_r I; the nu^2 and sigma^2 parts "
             "of Theorem 1's exact E|omega* - w0|^2)",
             f"order 2 over it, minus 1, in eps = 1/p: {lead2} + O(eps^3)",
             f"the paper's Eq. 141 over it, minus 1: {lead1} + O(eps^2)")
    return Proof("order-2 Theorem 3 is exact through O(1/p) at Sigma = I, alpha_t = 0",
                 steps, bool(holds))
