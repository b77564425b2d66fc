"""Order 2 for Theorem 2: a finite-size theory of the underparameterized regime (p < n_v m).

The paper replaces B^T B and B^T Gamma B by their means (Eqs. 86-88, Lemma 3); here the same
quantity, E|omega* - w0|^2 = E Tr[F^-2 B^T Gamma B] with F = B^T B (Eq. 85), is computed at
the given sizes by a task-by-task random-matrix recursion.  Writing B_i = X_i A_i (X_i the
n_v x p validation inputs of task i, A_i = I - k W_i, W_i = X_t^(i)T X_t^(i), k = alpha_t/n_t)
and Gamma_i for block i of Eqs. 72-73:

1. *Pieces (exact).*  B_i^T Gamma_i B_i = sigma^2 [F_i + k A_i X_i^T X_i (I - A_i) X_i^T
   X_i A_i] + nu^2/p F_i^2 (F_i = B_i^T B_i, k^2 X_i W_i X_i^T = k X_i (I - A_i) X_i^T), so
   E|omega* - w0|^2 = sigma^2 S_sigma + nu^2 S_nu with S_sigma = E Tr F^-1 + ... .
2. *Leave one task out (exact).*  With R_lambda = (F_{-1} + lambda)^-1 the other m - 1 tasks'
   resolvent and M_lambda = A R_lambda A, Woodbury gives, for any n_v x n_v block C,
   Tr[F^-2 B_1^T C B_1] = d/dlambda Tr[C (I + X M_lambda X^T)^-1] at lambda = 0, so by
   exchangeability S = m d/dlambda E Tr[C (I + X M_lambda X^T)^-1] |_0 with
   C in {I, k X (I - A) X^T, X A^2 X^T / p}.
3. *X average: the shifted corrected deterministic equivalent* (the finite-size step of
   Theorem 1's order 2, with the shift I): in M's eigenbasis X M X^T = sum_j mu_j u_j u_j^T,
   u_j ~ N(0, I_{n_v}); Sherman-Morrison and the second-order expansion of each quadratic
   form around its mean give, for t = E Tr(I + X M X^T)^-1, s(x) = Tr(I + x M)^-1 and
   t_2 = t / (1 - s'(t)) (= E Tr(I + X M X^T)^-2 to first order),

       n_v = t + p - s(t) - t_2 s''(t)/2,                                   (cDE)
       E Tr[X K X^T (I + X M X^T)^-1] = t u + t_2 (u' + t u''/2),  u(x) = Tr K (I + x M)^-1,

   residual O(p^-2) relative.
4. *R average: free multiplicative subordination* (A and R are independent and R is
   rotation invariant): E_R (I + x A R A)^-1 = (I + omega A^2)^-1, with
   G(omega) = Tr (I + omega A^2)^-1 / p,  1 - nu_2 g(lambda + nu_2) = G(omega),
   x = omega nu_2 G/(1 - G),  g(zeta) = E Tr (F_{-1} + zeta)^-1 / p.  The pair (omega, nu_2)
   is Biane's pair of subordination functions; equations are solved in nu_2 (one
   parameter), omega following from G.  For C = X K(A) X^T, u(x) = p G_K(omega) with the
   spectral sum G_K = Tr K (I + omega A^2)^-1.
4b. *Its O(1/p) orthogonal correction* (:func:`orthogonal_correction`).  Free subordination
   is the limit of a *unitary* rotation; for the real (orthogonal) one, the Schwinger-Dyson
   identity of the Haar measure on O(p) has an extra O(1/p) term (the transposed half of
   the generator), which shifts s(x) = Tr(I + x M)^-1 by ds, u by du and E Tr(F + zeta +
   x A^2)^-1 by dtau; they enter the cDE (s -> s + ds), the K-traces (t u -> t (u + du))
   and the Woodbury difference (-dtau).  Both vanish at alpha_t = 0 (A = I).  Without it
   the last step alone is +0.3 ... +0.6 % off E|omega* - w0|^2 at Fig. 6c (on the
   simulated law of F_{-1}) and the levels drift by -0.2 ... -0.6 %
   (``scripts/recursion_level_probe.py``).
5. *The law of F_{-1}: the task recursion.*  Adding task k to F_{k-1} changes the resolvent
   by the Woodbury difference (exact)
       Tr (F_k + zeta)^-1 = Tr (F_{k-1} + zeta)^-1 - Tr[(I + B R B^T)^-1 B R^2 B^T],
   whose average is the K-trace of step 3 with u(x) = p [g_{k-1}(zeta) - g_{k-1}(zeta +
   nu_2)] / x (the resolvent identity for K = A R^2 A).  Starting from g_0 = 1/zeta, m - 1
   steps give g_{m-1}; each uses steps 3-4 at the previous level.
6. *A average: the exact expected spectrum* of W_t at the sizes n_t, p (the Gauss rule of
   :mod:`symmaml.numeric.spectral`), as in Theorem 1's order 2.
7. *Matching at alpha_t = 0.*  Steps 3-5 are not exact at A = I (the task recursion then
   reproduces the inverse-Wishart values to 2e-6, 1e-5 and 5e-4 relative at Figs. 3, 6d and
   6c).  The order-2 pieces are the recursion's values R_sigma, R_nu rescaled by the exact
   alpha_t = 0 values (:mod:`symmaml.inverse_wishart`): S = S(0)_exact R(alpha_t)/R(0).  So
   the order-2 Theorem 2 is exact at alpha_t = 0 by construction, and elsewhere differs from
   the unmatched recursion by that relative amount.

``theory.loss(2, order=2)`` is Eq. 65 at this E|omega* - w0|^2, with the recursion's
values as undefined functions ``R_sigma``, ``R_nu`` of (alpha_t, n_t, n_v, m, p);
``symmaml.numeric.loss_function(2, order=2)`` evaluates it
(:mod:`symmaml.numeric.finite_size_tasks`).  The equations of steps 3-5 are
:func:`subordinated_cde`, :func:`trace_h` and :func:`woodbury_difference`: plain arithmetic,
so the same functions give the SymPy record (:func:`task_equations`) and the NumPy
evaluation.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Function, Integer, Symbol, cancel, symbols

from ..inverse_wishart import underparameterized_alpha0
from ..symbols import alpha_t, m, n_t, n_v, nu, p, sigma
from .algebra import Proof
from .common import E_d_sq, test_average
from .derivation import Derivation, Step, display

__all__ = ["R_sigma", "R_nu", "alpha0_values", "subordinated_cde", "trace_h", "woodbury_difference",
           "orthogonal_correction", "orthogonal_trace", "orthogonal_steps", "SYMBOLS_4B",
           "named_definitions",
           "spectral_derivatives", "task_equations", "derive", "alpha0_proof", "SYMBOLS"]

#: the task recursion's sigma^2 and nu^2 coefficients (not closed-form; numeric layer)
R_sigma = Function("R_sigma")
R_nu = Function("R_nu")

#: symbols of the record: nu_2, omega, G's omega-derivatives, g and its derivatives at
#: zeta + nu_2, g at zeta, a spectral sum u and its omega-derivatives
SYMBOLS = symbols("nu_2 omega G_omega G_omegaomega g g' g'' g_zeta u u_omega u_omegaomega")
#: step 4b's further symbols: the point t, the shift zeta and the sums sum w d^2,
#: sum w a d^2, sum w d^3, sum w a d^3 over A^2's spectrum (d = 1/(1 + omega a))
SYMBOLS_4B = symbols("t zeta Sigma_d2 Sigma_ad2 Sigma_d3 Sigma_ad3")


def subordinated_cde(nu2, omega, G_w, G_ww, g0, g1, g2, p, n_v):
    """The shifted cDE (module doc, step 3) under the subordination of step 4, as functions
    of the parameter nu_2: ``x`` (= t), its nu_2-derivatives, omega's nu_2-derivatives,
    ``t2`` and the residual ``F`` (zero at the solution).

    ``omega`` solves G(omega) = 1 - nu_2 g0 and ``G_w, G_ww`` are G's omega-derivatives
    there; ``g0, g1, g2``: g and its first two derivatives at zeta + nu_2.  1 - G is used as
    nu_2 g0 (no cancellation for small nu_2).  Plain arithmetic (SymPy or NumPy inputs)."""
    q = nu2 * g0                                 # 1 - G, G = 1 - nu_2 g(zeta + nu_2)
    G = 1 - q
    G_n = -(g0 + nu2 * g1)
    G_nn = -(2 * g1 + nu2 * g2)
    om_n = G_n / G_w
    om_nn = (G_nn - G_ww * om_n ** 2) / G_w
    r, r_n = G / q, G_n / q ** 2                 # r = G / (1 - G)
    r_nn = G_nn / q ** 2 + 2 * G_n ** 2 / q ** 3
    x = omega * nu2 * r
    x_n = om_n * nu2 * r + omega * r + omega * nu2 * r_n
    x_nn = (om_nn * nu2 * r + 2 * om_n * r + 2 * om_n * nu2 * r_n + 2 * omega * r_n
            + omega * nu2 * r_nn)
    s_x = p * G_n / x_n                          # s = p G, derivatives in x
    s_xx = p * (G_nn * x_n - G_n * x_nn) / x_n ** 3
    t2 = x / (1 - s_x)
    return {"x": x, "x_n": x_n, "x_nn": x_nn, "om_n": om_n, "om_nn": om_nn, "t2": t2,
            "F": x + p * q - t2 * s_xx / 2 - n_v}


def trace_h(state, u, u_n, u_nn):
    """E Tr[X K X^T (I + X M X^T)^-1] = t u + t_2 (u' + t u''/2) (step 3), given u(x) =
    Tr K (I + x M)^-1 and its nu_2-derivatives ``u_n``, ``u_nn``."""
    x, x_n, x_nn = state["x"], state["x_n"], state["x_nn"]
    u_x = u_n / x_n
    u_xx = (u_nn * x_n - u_n * x_nn) / x_n ** 3
    return x * u + state["t2"] * (u_x + x * u_xx / 2)


def spectral_derivatives(state, u, u_w, u_ww):
    """(u, u_n, u_nn) for a spectral sum u(omega) = Tr K (I + omega A^2)^-1 given its
    omega-derivatives (chain rule through omega(nu_2))."""
    om_n, om_nn = state["om_n"], state["om_nn"]
    return u, u_w * om_n, u_ww * om_n ** 2 + u_w * om_nn


def woodbury_difference(state, nu2, g_zeta, g0, g1, g2, p):
    """E Tr[(I + B R B^T)^-1 B R^2 B^T] (step 5): the K-trace of step 3 with
    u = p (g(zeta) - g(zeta + nu_2)) / x."""
    x, x_n, x_nn = state["x"], state["x_n"], state["x_nn"]
    num, num_n, num_nn = p * (g_zeta - g0), -p * g1, -p * g2
    u = num / x
    u_n = (num_n * x - num * x_n) / x ** 2
    u_nn = (num_nn / x - 2 * num_n * x_n / x ** 2 - num * x_nn / x ** 2
            + 2 * num * x_n ** 2 / x ** 3)
    return trace_h(state, u, u_n, u_nn)


def orthogonal_correction(x, omega, zeta, nu2, g0, g1, g2, sums, p, name=None):
    """Step 4b: the O(1/p) correction to free subordination for a Haar *orthogonal* relative
    rotation (real matrices), at the leading-order solution of step 4.

    In additive form, (I + x A R A)^-1 = I - x A G A with G = (F + D)^-1, D = zeta + x A^2
    and F = R^-1 - zeta rotated by a Haar orthogonal O relative to A.  Left invariance of
    the Haar measure (d/dt E Phi(e^{tX} O) = 0 for antisymmetric X = E_ab - E_ba, summed
    over b) gives the exact identity

        E[G Tr(HG)] - E[GH Tr G] = E[G D G - G^2 D],       H = O F O^T,

    whose right side comes from the transposed half of X and is absent for unitary O.
    Dropping the covariances (O(p^-2) relative) gives E G = (D + Omega)^-1 + (1/tau)
    (D + Omega)^-3 (Omega_eps + Omega_z D), Omega = E Tr HG / tau, tau = E Tr G, where
    Omega_eps, Omega_z are Omega's derivatives under D -> (1 + eps) D and D -> D - z at
    leading order (E G D G and E G^2 by differentiation); the same identity with the roles
    of D and F exchanged corrects the other side, and Omega + Omega~ = p/tau closes the
    system.  Linearised about the free solution (Omega = x/omega - zeta, Omega~ = zeta +
    nu_2, tau = p g0) this returns ``ds`` (s = Tr(I + x A R A)^-1 = tau (Omega + zeta)),
    ``dtau`` (E Tr G) and the pieces of the correction of a spectral sum u = Tr K (I + x A R
    A)^-1, :func:`orthogonal_trace`.  ``sums`` = (sum w d^2, sum w a d^2, sum w d^3,
    sum w a d^3) over A^2's spectrum (a, w), d = 1/(1 + omega a); ``g0, g1, g2``: g and its
    derivatives at zeta + nu_2.  Both sides' corrections vanish identically when D or F is
    a multiple of I (alpha_t = 0; no other task yet).  Plain arithmetic.

    ``name``: None, or a function (key, value) -> value used for each intermediate (the
    record passes one that returns a symbol and keeps the definition: the equations as
    (subexpressions, main), :func:`orthogonal_steps`)."""
    if name is None:
        def name(key, value):
            return value
    s_d2, s_ad2, s_d3, s_ad3 = sums
    r = name("r", omega / x)                     # 1/(D + Omega) = r d
    S2, S3 = name("S_2", r ** 2 * s_d2), name("S_3", r ** 3 * s_d3)
    S2D = name("S_2D", r ** 2 * (zeta * s_d2 + x * s_ad2))
    S3D = name("S_3D", r ** 3 * (zeta * s_d3 + x * s_ad3))
    tau = name("tau", p * g0)
    Omt = zeta + nu2
    T2, T3 = name("T_2", -p * g1), name("T_3", p * g2 / 2)
    T2F = name("T_2F", p * (g0 + Omt * g1))      # sum f/(f + Omt)^2 over F's spectrum
    T3F = name("T_3F", -p * (g1 + Omt * g2 / 2))  # sum f/(f + Omt)^3
    kappa = name("kappa", p / tau ** 2 - 1 / S2 - 1 / T2)
    Om_z = name("Omega_z", 1 + 1 / (kappa * S2))
    Omt_z = name("Omegatilde_z", 1 / (kappa * T2))
    Om_e = name("Omega_epsilon", -S2D / S2 * Om_z)
    c1 = name("c_1", Om_z * (S3D - S2D * S3 / S2) / tau)
    c2 = name("c_2", (1 + Omt_z) * (T3F - T2F * T3 / T2) / tau)
    dtau = name("delta_tau", -(c1 / S2 + c2 / T2) / kappa)
    dOm = name("delta_Omega", (c1 - dtau) / S2)
    return {"ds": tau * dOm + dtau / r, "dtau": dtau, "dOm": dOm, "r": r, "tau": tau,
            "Om_e": Om_e, "Om_z": Om_z}


def orthogonal_trace(corr, x, zeta, s_kad2, s_kad3, s_ka2d3):
    """The correction of u = Tr K (I + x A R A)^-1 for K = K(A) (step 4b):
    x [dOmega r^2 sum w K a d^2 - r^3/tau sum w K a (Omega_eps + Omega_z D) d^3],
    D = zeta + x a, given the sums sum w K a d^2, sum w K a d^3, sum w K a^2 d^3."""
    r, tau = corr["r"], corr["tau"]
    return x * (corr["dOm"] * r ** 2 * s_kad2
                - r ** 3 / tau * ((corr["Om_e"] + corr["Om_z"] * zeta) * s_kad3
                                  + corr["Om_z"] * x * s_ka2d3))


def named_definitions(build, rename=None) -> tuple:
    """Run ``build(name)`` with a naming hook that turns each intermediate (key, value) into
    the symbol ``key`` (or ``rename[key]``) and keeps its definition: the (symbol,
    definition) pairs in order -- a computation as (subexpressions, main), for the record."""
    rename = rename or {}
    defs = []

    def name(key, value):
        sym = Symbol(rename.get(key, key))
        defs.append((sym, value))
        return sym
    build(name)
    return tuple(defs)


@lru_cache(maxsize=None)
def orthogonal_steps():
    """Step 4b as (subexpressions, main): a tuple of (symbol, definition) pairs, each in
    :data:`SYMBOLS`, :data:`SYMBOLS_4B`, p and the symbols defined before it, ending with
    delta_s -- the same arithmetic as :func:`orthogonal_correction` (which builds it),
    for the record and the LaTeX document."""
    nu2, om, g0, g1, g2 = SYMBOLS[0], SYMBOLS[1], SYMBOLS[4], SYMBOLS[5], SYMBOLS[6]
    t, zeta, *sums = SYMBOLS_4B

    def build(name):
        corr = orthogonal_correction(t, om, zeta, nu2, g0, g1, g2, sums, p, name=name)
        name("delta_s", corr["ds"])
    return named_definitions(build)


@lru_cache(maxsize=None)
def task_equations():
    """The equations of steps 3-5 as SymPy expressions in :data:`SYMBOLS`, p and n_v, and
    step 4b's corrections ``ds``, ``dtau`` (also in :data:`SYMBOLS_4B`):
    ``{"x": ..., "F": ..., "t2": ..., "trace": ..., "woodbury": ..., "ds": ..., "dtau": ...}``
    (the record; the cDE's residual and the Woodbury difference are used with -ds, -dtau)."""
    nu2, om, G_w, G_ww, g0, g1, g2, gz, u, u_w, u_ww = SYMBOLS
    st = subordinated_cde(nu2, om, G_w, G_ww, g0, g1, g2, p, n_v)
    t, zeta, *sums = SYMBOLS_4B
    corr = orthogonal_correction(t, om, zeta, nu2, g0, g1, g2, sums, p)
    return {"x": st["x"], "F": st["F"], "t2": st["t2"],
            "trace": trace_h(st, *spectral_derivatives(st, u, u_w, u_ww)),
            "woodbury": woodbury_difference(st, nu2, gz, g0, g1, g2, p),
            "ds": corr["ds"], "dtau": corr["dtau"]}


def alpha0_values(n_v_, m_, p_):
    """(S_sigma, S_nu) at alpha_t = 0, exact (:mod:`symmaml.inverse_wishart`; tau^2 = nu^2/p,
    so S_nu = S_tau / p); floats for int sizes, SymPy expressions for symbols."""
    s_sigma, s_tau = underparameterized_alpha0(n_v_, m_, p_)
    return s_sigma, s_tau / p_


def _alpha0():
    s_sigma, s_nu = alpha0_values(n_v, m, p)
    return cancel(s_sigma), cancel(s_nu)


def _args(at):
    return (at, n_t, n_v, m, p)


@lru_cache(maxsize=None)
def derive() -> Derivation:
    """The order-2 derivation of Theorem 2's loss (module doc)."""
    D = display()
    L65 = test_average(False)
    s0, n0 = _alpha0()
    S_sig = s0 * R_sigma(*_args(alpha_t)) / R_sigma(*_args(Integer(0)))
    S_nu = n0 * R_nu(*_args(alpha_t)) / R_nu(*_args(Integer(0)))
    noise = Symbol(r"\mathbb{E}\,\mathrm{Tr}[(B^T B)^{-2} B^T \Gamma B]")
    pieces = Symbol(r"\sigma^2 S_\sigma + \nu^2 S_\nu")
    woodbury = Symbol(r"m\,\partial_\lambda \mathbb{E}\,\mathrm{Tr}[C (I + X M_\lambda X^T)^{-1}]"
                      r"\big|_{\lambda = 0}")
    steps = [
        Step("59-65", "average over the test task (exact)", D["L"], L65, "exact"),
        Step("83-85", "E_{w,z}|omega* - w0|^2 given the inputs (exact)", E_d_sq, noise,
             "exact", note="omega* = (B^T B)^-1 B^T gamma; Gamma of Eqs. 72-73"),
        Step("89", "B_i^T Gamma_i B_i in three pieces (exact)", noise, pieces, "exact",
             note="S_sigma = E Tr F^-1 + k E Tr[F^-2 sum A X^T X (I - A) X^T X A], "
                  "S_nu = E Tr[F^-2 sum F_i^2]/p, F = B^T B"),
        Step("86-88", "leave one task out: Woodbury and exchangeability (exact)", pieces,
             woodbury, "exact",
             note="M_lambda = A (F_{-1} + lambda)^-1 A; C in {I, k X (I - A) X^T, X A^2 X^T/p}"),
        Step("86-88", "X average: shifted corrected deterministic equivalent",
             woodbury, woodbury, "approximation", "O(p^-2) relative",
             note="n_v = t + p - s(t) - t_2 s''(t)/2; symmaml.theory.finite_size_tasks."
                  "task_equations"),
        Step("87", "R average: free multiplicative subordination with its O(1/p) correction "
             "for a Haar orthogonal rotation; law of F_{-1} by the task recursion (Woodbury "
             "differences); A average: exact spectrum of W_t",
             woodbury, R_sigma(*_args(alpha_t)), "approximation",
             "O(p^-2) relative per task step",
             note="the correction from the Schwinger-Dyson identity on O(p), covariances "
                  "dropped (symmaml.theory.finite_size_tasks.orthogonal_correction); "
                  "evaluated by symmaml.numeric.finite_size_tasks"),
        Step("85", "matched at alpha_t = 0 to the exact inverse-Wishart values", E_d_sq,
             sigma ** 2 * S_sig + nu ** 2 * S_nu, "approximation",
             "exact at alpha_t = 0; O(p^-2) relative elsewhere",
             note="R(0) is the recursion at A = I; S(0) from symmaml.inverse_wishart"),
    ]
    e_d = sigma ** 2 * S_sig + nu ** 2 * S_nu
    loss = L65.subs(E_d_sq, e_d)
    steps.append(Step("9", "average test loss at order 2", D["L"], loss, "approximation",
                      "exact at alpha_t = 0; O(p^-2) relative elsewhere"))
    return Derivation("2 (order 2)", "p < n_v m - 1, (m - 1) n_v > p + 1, Sigma = I; "
                      "finite sizes", tuple(steps), loss,
                      extras={"E_d_sq": e_d, "order": 2,
                              "functions": (R_sigma, R_nu), "alpha0": (s0, n0)})


@lru_cache(maxsize=None)
def alpha0_proof() -> Proof:
    """Proof that at alpha_t = 0 the order-2 E|omega* - w0|^2 of Theorem 2 is the exact
    finite-sample value (by the matching of step 7)."""
    d = derive()
    at0 = d.extras["E_d_sq"].subs(alpha_t, 0)
    s0, n0 = d.extras["alpha0"]
    diff = cancel(at0 - (sigma ** 2 * s0 + nu ** 2 * n0))
    steps = (f"at alpha_t = 0 the matched pieces reduce to S_sigma = {s0}, S_nu = {n0}",
             "these are the inverse-Wishart values of symmaml.inverse_wishart "
             f"(sigma^2 p/(N - p - 1) + tau^2 m[(1 - c)A + cF], tau^2 = nu^2/p): difference "
             f"{diff}")
    return Proof("order-2 Theorem 2 is exact at alpha_t = 0", steps, diff == 0)
