"""K-step MAML: Theorems 1-3 with K_t inner steps in meta-training, K_r at test time.

Beyond the paper, which takes one step (Eqs. 21, 25).  The derivation, each step computed:

1. **The K-step map** (Eq. 21 iterated).  With y = X w + z, one full-batch gradient step on
   (1/2n)|y - X theta|^2 maps the error e = theta - w to (I - k W) e + k X^T z, k = alpha/n,
   W = X^T X.  Iterating from theta_0 = omega (:func:`inner_loop`, done symbolically)
   gives theta_K - w = P(W)(omega - w) + Q(W) k X^T z with P = (1 - kW)^K and
   Q = sum_{j<K} (1 - kW)^j, so the paper's A becomes P(W) = A^K and the noise operator
   S = k Q(W) X^T, with S S^T = N(W) = k^2 W Q(W)^2.
2. **Averages over everything but W** (task parameters, noise, X_v, the test task's X_s):
   the moment engine with *stand-ins* -- a symmetric P for A^K, a p x n matrix S for the
   noise operator -- exactly as Eqs. 59-65, 72-73 and 89-93 do for K = 1.
3. **Averages over W_t, W_r**: every stand-in word is a polynomial in one Wishart matrix,
   averaged exactly by Stein's recurrence (:mod:`symmaml.moments.polynomial`); with integer
   sizes n, p this runs on exact integers (K_t = 10 in Theorem 2: degree 40).
4. **The paper's approximations, unchanged** (Lemma 2/3 concentration, Taylor step of the
   inverse, Eqs. 75-79 and 86-87), now applied to B_i = X_v A_i^{K_t}.

K = 1 reproduces Eqs. 5 and 9 exactly (tested).  Theorem 3 (general Sigma) is derived by
:func:`derive_general` on the full K-step model for Gaussian inputs (the stand-ins do not
commute with Sigma), each of Eqs. 123 and 137-139 checked against the engine's average;
K = 1 reproduces Eq. 14 with F = F_G exactly.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Identity, MatrixSymbol, S, Symbol, Trace, ZeroMatrix, expand, sqrt

from ..arguments import MAX_STEPS, check_steps
from ..moments import (CostLimitError, GaussianMatrix, expectation, gaussian_matrix,
                       identity_coefficient, moments_equal, symmetric_matrix)
from ..moments.polynomial import W, check_cost, polynomial_expectation
from ..symbols import alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma
from .common import E_d_sq, d_vector
from .derivation import Derivation, Step, display
from .model import Sigma, Sigma_w, inner_matrix
from .regime import REGIMES

__all__ = ["check_steps", "inner_loop", "derive", "test_loss", "MAX_STEPS", "degree"]

#: the theorems whose K-step derivation uses the stand-in path (Sigma = I)
DERIVED_FOR = ("1", "2")
#: the general-Sigma theorem, derived on the full model with Gaussian inputs (derive_general)
GENERAL = ("3",)
#: the largest K of derive_general (the generic engine with a covariance: degree 2K + 1)
MAX_GENERAL_STEPS = 5
#: degree in W of the training averages per inner step: Lemma 2 (p > n_v m) needs E[A^{2K}],
#: Lemma 3 (p < n_v m) E[A^{4K}] and E[A^{2K} Tr A^{2K}]
_DEGREE_PER_STEP = {"over": 2, "under": 4}


def degree(theorem: str, steps_t: int, steps_r: int) -> int:
    """The largest degree in W of the averages behind the K-step loss: Theorem 1 needs
    E[A^{2K}] (degree 2K), Theorem 2 E[A^{4K_t}] and E[A^{2K_t} Tr A^{2K_t}] (4K_t)."""
    return max(_DEGREE_PER_STEP[REGIMES[str(theorem)]] * steps_t, 2 * steps_r)


@lru_cache(maxsize=None)
def inner_loop(K: int, k=Symbol("k")):
    """(P, Q, N) of step 1 of the module doc, by iterating one gradient step K times.

    The error e = theta - w is tracked as e = P(W)(omega - w) + Q(W) k X^T z; one step
    e -> (1 - kW) e + k X^T z maps (P, Q) -> ((1 - kW) P, (1 - kW) Q + 1)."""
    P, Q = S.One, S.Zero
    for _ in range(check_steps("steps", K)):
        P, Q = expand((1 - k * W) * P), expand((1 - k * W) * Q + 1)
    return P, Q, expand(k ** 2 * W * Q ** 2)


def _rate(alpha, n):
    return alpha / n


def _stand_ins(K, alpha, n, tag):
    """(P symbol, S symbol, {P: P(W)}, (S, N(W))) for one side (training or test)."""
    k = Symbol(f"k_{tag}")
    P, _, N = inner_loop(K, k)
    Ps = symmetric_matrix(f"P_{tag}", p)
    Ss = MatrixSymbol(f"S_{tag}", p, n)
    sub = {k: _rate(alpha, n)}
    return Ps, Ss, {Ps: P}, (Ss, N), sub


def _vec(name):
    return MatrixSymbol(name, p, 1)


def _gauss(e):
    return next(iter(e.atoms(GaussianMatrix)))


def _isotropic(name, norm_sq):
    """A p x 1 vector of squared norm ``norm_sq`` on average, isotropic: valid in place of a
    fixed vector d wherever only d^T E[f(W)] d = e(f) |d|^2 survives (Sigma = I)."""
    return sqrt(norm_sq / p) * gaussian_matrix(name, 1, p).T


@lru_cache(maxsize=None)
def test_loss(K_r: int, n_r_value=None, p_value=None):
    """E over the test task of the loss after K_r adaptation steps, as a function of
    E_d_sq = E|omega* - w0|^2 (Sigma = I; Eqs. 59-65 with A_r -> A_r^{K_r}).  Returns
    ``(expression, steps)``."""
    Pr, Sr, stand, noise, sub = _stand_ins(K_r, alpha_r, n_r, "r")
    Xs = gaussian_matrix("X_s", Symbol("n_s"), p)
    zs = sigma * gaussian_matrix("z_s", Symbol("n_s"), 1)
    zr = sigma * gaussian_matrix("z_r", n_r, 1)
    dw = nu / sqrt(p) * gaussian_matrix("g_test", 1, p).T
    d = _isotropic("g_d", E_d_sq)
    err = Pr * (dw - d) - Sr * zr                 # w' - theta' after K_r steps
    u = Xs * err + zs
    given = expectation(Trace(u.T * u) / (2 * Symbol("n_s")),
                        over=[_gauss(x) for x in (Xs, zs, zr, dw, d)])
    check_cost(2 * K_r, n_r_value is not None, f"steps_r = {K_r}")
    avg = polynomial_expectation(given, stand, noise, n=n_r_value or n_r, p=p_value or p,
                                 what=f"steps_r = {K_r}")
    avg = avg.xreplace(sub)
    steps = [Step("25^K", f"K_r = {K_r} adaptation steps (Eq. 25 iterated)",
                  _vec("theta'") - _vec("w'"),
                  Pr * (_vec("omega^*") - _vec("w'")) + Sr * MatrixSymbol("z_r", n_r, 1),
                  "exact", note=f"P_r = A_r^{K_r} = {inner_loop(K_r, Symbol('k_r'))[0]} "
                                "(W = X_r^T X_r, k_r = alpha_r/n_r), derived by iteration"),
             Step("59-65^K", "average over w', z_r, X_s, z_s given X_r (engine, stand-ins)",
                  Symbol("L_test|X_r"), given, "exact"),
             Step("59-65^K", "average over X_r (Stein recurrence on polynomials in W_r)",
                  display()["L"], avg, "exact")]
    return avg, tuple(steps)


def _training(theorem: str, K: int, n_t_value, p_value):
    """E|omega* - w0|^2 after K_t inner steps (Theorem 1: Eqs. 70-79; 2: Eqs. 83-94)."""
    Pt, St, stand, noise, sub = _stand_ins(K, alpha_t, n_t, "t")
    numeric = n_t_value is not None
    check_cost(degree(theorem, K, 1), numeric, f"steps_t = {K}")
    size = dict(n=n_t_value or n_t, p=p_value or p, what=f"steps_t = {K} (Theorem {theorem})")
    Xv = gaussian_matrix("X_v1", n_v, p)
    dw = nu / sqrt(p) * gaussian_matrix("g1", 1, p).T
    zt = sigma * gaussian_matrix("z_t1", n_t, 1)
    zv = sigma * gaussian_matrix("z_v1", n_v, 1)
    B = Xv * Pt
    dgamma = B * dw - Xv * St * zt + zv            # gamma_i - E[gamma_i | X], K steps
    Gamma = expectation(dgamma * dgamma.T, over=[_gauss(x) for x in (dw, zt, zv)])
    steps = [Step("21^K", f"K_t = {K} inner steps (Eq. 21 iterated)",
                  _vec("theta_i") - _vec("w_i"),
                  Pt * (_vec("omega") - _vec("w_i")) + St * MatrixSymbol("z_t", n_t, 1), "exact",
                  note=f"P_t = A_t^{K} = {inner_loop(K, Symbol('k_t'))[0]} (W = X_t^T X_t, "
                       "k_t = alpha_t/n_t), S_t S_t^T = k_t^2 W Q^2, derived by iteration"),
             Step("72-73^K", "Gamma_i = E_{w,z}[dgamma_i dgamma_i^T] (engine, stand-ins)",
                  Symbol("Gamma_i"), Gamma, "exact")]
    avg_v = lambda e: expectation(e, over=[_gauss(Xv)])
    return _LEMMAS[REGIMES[theorem]](B, Gamma, Xv, stand, noise, sub, size, steps, avg_v)


def _lemma2(B, Gamma, Xv, stand, noise, sub, size, steps, avg_v):
    """p > n_v m: Eqs. 75-79 with B_i = X_v A^{K_t} (Theorem 1)."""
    Xv2 = gaussian_matrix("X_v2", n_v, p)
    if not moments_equal(expectation(B * (Xv2 * symmetric_matrix("P_t2", p)).T,
                                     over=[_gauss(Xv), _gauss(Xv2)]),
                         ZeroMatrix(n_v, n_v)):
        raise AssertionError("E[B_i B_j^T] should vanish")
    c_bb = polynomial_expectation(identity_coefficient(avg_v(B * B.T)), stand, noise, **size)
    c_gamma = polynomial_expectation(identity_coefficient(avg_v(Gamma)), stand, noise, **size)
    delta = _isotropic("g_delta", delta_sq)
    c_bddb = polynomial_expectation(identity_coefficient(expectation(
        B * delta * delta.T * B.T, over=[_gauss(Xv), _gauss(delta)])), stand, noise, **size)
    c_bb, c_gamma, c_bddb = (c.xreplace(sub) for c in (c_bb, c_gamma, c_bddb))
    I = Identity(n_v * m)
    D = display()
    steps += [Step("75^K", "B B^T (Lemma 2)", D["B"] * D["B"].T, c_bb * I,
                   "approximation", "p O(xi^{-1/2})"),
              Step("76^K", "Gamma (Lemma 2)", D["Gamma"], c_gamma * I, "approximation",
                   "O(xi^{-1/2})"),
              Step("77^K", "B (omega0 - w0)(omega0 - w0)^T B^T (Lemma 2)",
                   D["B"] * D["delta"] * D["delta"].T * D["B"].T, c_bddb * I,
                   "approximation", "O(xi^{-1/2})"),
              Step("78^K", "(B B^T)^-1 by Taylor expansion", (D["B"] * D["B"].T) ** -1,
                   I / c_bb, "approximation", "O(xi^{-3/2})")]
    e_d = n_v * m * c_gamma / c_bb + delta_sq - n_v * m * c_bddb / c_bb
    steps.append(Step("79^K", "E|omega* - w0|^2", E_d_sq, e_d, "approximation",
                      "O(xi^{-3/2})"))
    return e_d, steps, {"c_BB": c_bb, "c_Gamma": c_gamma, "c_BddB": c_bddb}


def _lemma3(B, Gamma, Xv, stand, noise, sub, size, steps, avg_v):
    """p < n_v m: Eqs. 83-94 with B_i = X_v A^{K_t} (Theorem 2)."""
    c_btb = polynomial_expectation(avg_v(B.T * B), stand, noise, **size).xreplace(sub)
    over_v = avg_v(B.T * Gamma * B)
    c_bgb = polynomial_expectation(over_v, stand, noise, **size).xreplace(sub)
    Ip = Identity(p)
    D = display()
    steps += [Step("86^K", "B^T B (Lemma 3)", D["B"].T * D["B"], m * c_btb * Ip,
                   "approximation", "n_v m O((m xi)^{-1/2})"),
              Step("87^K", "(B^T B)^-1 by Taylor expansion", (D["B"].T * D["B"]) ** -1,
                   Ip / (m * c_btb), "approximation", "O((m xi)^{-1/2})"),
              Step("89-93^K", "E_{X_v}[B_i^T Gamma_i B_i] (engine, stand-ins)",
                   Symbol("E_v[B^T Gamma B]"), over_v, "exact"),
              Step("88-94^K", "B^T Gamma B (Lemma 3; Stein recurrence over W_t)",
                   D["B"].T * D["Gamma"] * D["B"], m * c_bgb * Ip, "approximation",
                   "n_v m O((m xi)^{-1/2})")]
    e_d = p * c_bgb / (m * c_btb ** 2)
    steps.append(Step("85^K", "E|omega* - w0|^2", E_d_sq, e_d, "approximation",
                      "O((m xi)^{-3/2})"))
    return e_d, steps, {"c_BtB": c_btb, "c_BGB": c_bgb}


_LEMMAS = {"over": _lemma2, "under": _lemma3}
#: (equation of the final step, its error, the assumptions) per regime
_FINAL = {"over": ("80-82^K", "O(xi^{-3/2})",
                   "p > n_v m; p, n_t = O(xi); |omega0 - w0| = O(xi^{-1/4})"),
          "under": ("9^K", "O((m xi)^{-3/2})", "p < n_v m; n_v, n_t = O(xi); m large")}


@lru_cache(maxsize=None)
def derive(theorem: str, steps_t: int = 1, steps_r: int = 1, n_t_value=None, n_r_value=None,
           p_value=None) -> Derivation:
    """The K-step derivation of Theorem ``theorem`` ("1" or "2") as a :class:`Derivation`.

    ``n_t_value``, ``n_r_value``, ``p_value``: integer sizes at which the W-averages are
    computed exactly on integers (the result then holds numbers where the sizes were);
    None keeps them symbolic.  Refuses (CostLimitError, a ValueError) a degree the engine
    cannot reach in reasonable time, with the estimate.
    """
    theorem = str(theorem)
    K_t, K_r = check_steps("steps_t", steps_t), check_steps("steps_r", steps_r)
    if theorem in GENERAL:
        return derive_general(K_t, K_r)
    if theorem not in DERIVED_FOR:
        raise ValueError(f"theorem must be one of 1, 2, 3; got {theorem!r}")
    if n_t_value is not None and p_value is None:
        raise ValueError("integer n_t needs an integer p")
    e_d, steps, extras = _training(theorem, K_t, n_t_value, p_value)
    L_test, test_steps = test_loss(K_r, n_r_value if p_value is not None else None,
                                   p_value if n_r_value is not None else None)
    loss = L_test.subs(E_d_sq, e_d)
    if p_value is not None:
        loss = loss.subs(p, p_value)
    if n_t_value is not None:
        loss = loss.subs(n_t, n_t_value)
    if n_r_value is not None:
        loss = loss.subs(n_r, n_r_value)
    eq, err, assumptions = _FINAL[REGIMES[theorem]]
    final = Step(eq, "average test loss", display()["L"], loss, "approximation", err)
    extras.update(E_d_sq=e_d, L_test=L_test, steps_t=K_t, steps_r=K_r)
    return Derivation(f"{theorem} (K_t = {K_t}, K_r = {K_r})",
                      assumptions + f"; K_t = {K_t} inner steps, K_r = {K_r} adaptation steps",
                      tuple(list(test_steps) + steps + [final]), loss, extras=extras)


@lru_cache(maxsize=None)
def _general_side(K, alpha, n, tag):
    """(H, N) = (E[A^K Sigma A^K], E Tr(S^T Sigma S)) for Gaussian rows with covariance
    Sigma, A = I - alpha/n X^T X, S = alpha/n sum_{j<K} A^j X^T (the K-step noise operator)."""
    X = gaussian_matrix(f"X_{tag}K", n, p, cov=Sigma)
    A = inner_matrix(X, alpha, n)
    Q = sum((A ** j for j in range(1, K)), Identity(p))
    Sop = alpha / n * Q * X.T
    return expectation(A ** K * Sigma * A ** K), expectation(Trace(Sop.T * Sigma * Sop))


@lru_cache(maxsize=None)
def derive_general(K_t: int, K_r: int) -> Derivation:
    """Theorem 3 (p > n_v m, omega0 = w0 = 0, general Sigma, Sigma_w) with K_t, K_r steps,
    for **Gaussian** inputs (K > 1 needs moments of x of order 2K + 2, which the engine
    computes for Gaussian rows; F does not appear).  The paper's steps (Eqs. 137-141) with
    H = E[A^K Sigma A^K] (Eqs. 15-16 for K = 1 with F = F_G) and the noise term
    E Tr(S^T Sigma S); each stated form is checked against the engine's average of the full
    K-step model (as Theorem 3's own derivation does for K = 1)."""
    K_t, K_r = check_steps("steps_t", K_t), check_steps("steps_r", K_r)
    for name, K in (("steps_t", K_t), ("steps_r", K_r)):
        if K > MAX_GENERAL_STEPS:
            raise CostLimitError(f"{name} = {K}: Theorem 3 with K steps needs Gaussian moments "
                                 f"of degree {2 * K + 1} with a general covariance; beyond "
                                 f"K = {MAX_GENERAL_STEPS} the derivation takes too long "
                                 "(minutes per average)")
    Ht, Nt = _general_side(K_t, alpha_t, n_t, "t")
    Hr, Nr = _general_side(K_r, alpha_r, n_r, "r")
    D = display()
    steps = [Step("15^K", f"H_t = E[A_t^{K_t} Sigma A_t^{K_t}] (Gaussian rows, engine)",
                  Symbol("H_t"), Ht, "exact"),
             Step("16^K", f"H_r = E[A_r^{K_r} Sigma A_r^{K_r}] (Gaussian rows, engine)",
                  Symbol("H_r"), Hr, "exact"),
             Step("noise^K", "E Tr(S^T Sigma S), S = alpha/n sum_{j<K} A^j X^T",
                  Symbol("N_t"), Nt, "exact"),
             Step("noise^K", "E Tr(S_r^T Sigma S_r)", Symbol("N_r"), Nr, "exact")]
    # the test average of the full K_r-step test task, checked against its stated form
    Xr = gaussian_matrix("X_r", n_r, p, cov=Sigma)
    Xs = gaussian_matrix("X_s", Symbol("n_s"), p, cov=Sigma)
    Ar = inner_matrix(Xr, alpha_r, n_r)
    Qr = sum((Ar ** j for j in range(1, K_r)), Identity(p))
    zr, zs = sigma * gaussian_matrix("z_r", n_r, 1), sigma * gaussian_matrix("z_s", Symbol("n_s"), 1)
    dw = gaussian_matrix("g_test", 1, p, cov=Sigma_w).T
    err = Ar ** K_r * (dw - d_vector) - alpha_r / n_r * Qr * Xr.T * zr
    u = Xs * err + zs
    avg = expectation(Trace(u.T * u) / (2 * Symbol("n_s")))
    form = (sigma ** 2 / 2 * (1 + Nr) + Trace(Sigma_w * Hr) / 2
            + Trace(Hr * d_vector * d_vector.T) / 2)
    if not moments_equal(avg, form):
        raise AssertionError("K-step test average is not of the form of Eq. 123")
    steps.append(Step("115-124^K", "average over the test task (exact)", D["L"], form, "exact",
                      note="checked against the engine's average of the full K_r-step test task"))
    # training: B_i = X_v A_t^{K_t}; Eqs. 137-139 checked on the full model
    Xt = gaussian_matrix("X_t1", n_t, p, cov=Sigma)
    Xv = gaussian_matrix("X_v1", n_v, p, cov=Sigma)
    At = inner_matrix(Xt, alpha_t, n_t)
    Qt = sum((At ** j for j in range(1, K_t)), Identity(p))
    B = Xv * At ** K_t
    w = gaussian_matrix("g1", 1, p, cov=Sigma_w).T
    zt, zv = sigma * gaussian_matrix("z_t1", n_t, 1), sigma * gaussian_matrix("z_v1", n_v, 1)
    gamma = B * w - alpha_t / n_t * Xv * Qt * Xt.T * zt + zv
    Gamma = expectation(gamma * gamma.T, over=[_gauss(x) for x in (w, zt, zv)])
    M = symmetric_matrix("M", p)
    c_gamma = Trace(Sigma_w * Ht) + sigma ** 2 * (1 + Nt)
    for got, want, eq in ((identity_coefficient(expectation(B * B.T)), Trace(Ht), "137"),
                          (identity_coefficient(expectation(Gamma)), c_gamma, "138"),
                          (identity_coefficient(expectation(B * M * B.T)), Trace(M * Ht), "139")):
        if not moments_equal(got, want):
            raise AssertionError(f"Eq. {eq} with K steps: engine average is not of the stated form")
    I = Identity(n_v * m)
    steps += [Step("137^K", "B B^T", D["B"] * D["B"].T, Trace(Ht) * I, "approximation",
                   "O(xi^{1/2})"),
              Step("138^K", "Gamma", D["Gamma"], c_gamma * I, "approximation", "O(xi^{-1/2})"),
              Step("139^K", "B H_r B^T", D["B"] * D["H_r"] * D["B"].T, Trace(Hr * Ht) * I,
                   "approximation", "O(xi^{1/2})"),
              Step("140^K", "(B B^T)^-1 by Taylor expansion", (D["B"] * D["B"].T) ** -1,
                   I / Trace(Ht), "approximation", "O(xi^{-3/2})")]
    e_h = n_v * m * Trace(Hr * Ht) * c_gamma / Trace(Ht) ** 2
    steps.append(Step("141^K", "E Tr(H_r omega* omega*^T)", Trace(D["H_r"] * D["omega"] * D["omega"].T),
                      e_h, "approximation", "O(xi^{-3/2})"))
    loss = sigma ** 2 / 2 * (1 + Nr) + Trace(Sigma_w * Hr) / 2 + e_h / 2
    steps.append(Step("14^K", "average test loss", D["L"], loss, "approximation", "O(xi^{-3/2})"))
    return Derivation(f"3 (K_t = {K_t}, K_r = {K_r})",
                      "p > n_v m; omega0 = w0 = 0; Gaussian inputs (covariance Sigma); "
                      f"K_t = {K_t} inner steps, K_r = {K_r} adaptation steps",
                      tuple(steps), loss, extras={"H_t": Ht, "H_r": Hr, "N_t": Nt, "N_r": Nr})
