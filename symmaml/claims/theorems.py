"""Claims from Theorems 1-3 and their proofs (Sections 5.1-5.3, 7.3-7.4), transcribed.

The derived side of each claim comes from :mod:`symmaml.theory`; the printed side is typed
in from the paper here and nowhere else.  Theorem 2's g_1..g_4 (Eqs. 95-108, missing from
the extracted text) are transcribed from the averages the proof prints in Eqs. 92 and 94,
with Lemma 1's mu's as printed (Eqs. 32-40).
"""
from __future__ import annotations

from sympy import Identity, MatrixSymbol, Rational, Symbol, Trace, cancel, expand, sqrt

from ..moments import expectation, gaussian_matrix, identity_coefficient
from ..symbols import (alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma)
from .base import Claim

__all__ = ["CLAIMS"]


# --- the paper's printed definitions -------------------------------------------------------
def _h(a, nn):                                       # Eqs. 6-7
    return (1 - a) ** 2 + a ** 2 * (p + 1) / nn


def _mu(nn):
    """Lemma 1's mu's as printed (Eqs. 32-40), at n = nn."""
    n_ = nn
    return {
        "2": (n_ + p + 1) / n_,
        "3": (n_**2 + p**2 + 3*n_*p + 3*n_ + 3*p + 4) / n_**2,
        "4": (n_**3 + p**3 + 6*n_**2*p + 6*n_*p**2 + 6*n_**2 + 6*p**2 + 17*n_*p + 21*n_
              + 21*p + 20) / n_**3,
        "11": (n_**2 * p + 2 * n_) / (p * n_**2),
        "21": n_ * (n_**2*p + n_*p**2 + n_*p + 4*n_ + 4*p + 4) / (p * n_**3),
        "12": n_ * (n_**2*p + n_*p**2 + n_*p + 4*n_ + 4*p + 4) / (p * n_**3),
        "22": n_ * (n_**3*p + n_*p**3 + 2*n_**2*p**2 + 2*n_**2*p + 2*n_*p**2 + 8*n_**2
                    + 8*p**2 + 21*n_*p + 20*n_ + 20*p + 20) / (p * n_**4),
    }


def _g_printed():
    """g_1..g_4 as they appear in Eqs. 92 and 94 (coefficients of (n_v+1) and p)."""
    mu, a = _mu(n_t), alpha_t
    return {
        "g1": 1 - 2*a*mu["2"] + a**2*mu["3"],
        "g2": 1 - 2*a*mu["11"] + a**2*mu["21"],
        "g3": 1 - 4*a + 6*a**2*mu["2"] - 4*a**3*mu["3"] + a**4*mu["4"],
        "g4": 1 - 4*a + 2*a**2*mu["2"] + 4*a**2*mu["11"] - 4*a**3*mu["21"] + a**4*mu["22"],
    }


def _eq5():
    ht, hr = _h(alpha_t, n_t), _h(alpha_r, n_r)
    return (sigma**2 / 2 * (1 + alpha_r**2 * p / n_r)
            + hr * (nu**2 / 2 * (1 + n_v * m / p) + Rational(1, 2) * (1 - n_v * m / p) * delta_sq
                    + sigma**2 * n_v * m / (2 * p) * (1 + alpha_t**2 * p / n_t) / ht))


def _eq9():
    ht, hr, g = _h(alpha_t, n_t), _h(alpha_r, n_r), _g_printed()
    return (sigma**2 / 2 * (1 + alpha_r**2 * p / n_r) + hr * nu**2 / 2
            + hr / (2 * ht**2) * p / (n_v * m)
            * (sigma**2 * (ht + alpha_t**2 / n_t * ((n_v + 1) * g["g1"] + p * g["g2"]))
               + nu**2 / p * ((n_v + 1) * g["g3"] + p * g["g4"])))


def _H_printed(a, nn):                               # Eqs. 15-16
    from ..theory.model import F, Sigma
    return Sigma * (Identity(p) - a * Sigma) ** 2 + a**2 / nn * (F - Sigma**3)


def _eq14():
    from ..theory.model import Sigma, Sigma_w
    Ht, Hr = _H_printed(alpha_t, n_t), _H_printed(alpha_r, n_r)
    return (Trace(Sigma_w * Hr) / 2 + sigma**2 / 2 * (1 + alpha_r**2 / n_r * Trace(Sigma**2))
            + n_v * m / 2 * Trace(Hr * Ht)
            * (Trace(Sigma_w * Ht) + sigma**2 * (1 + alpha_t**2 / n_t * Trace(Sigma**2)))
            / Trace(Ht) ** 2)


# --- derived sides ---------------------------------------------------------------------------
def _theory():
    from .. import theory
    return theory


def _step(theorem, eq):
    return _theory().derivation(theorem).step(eq).rhs


def _step_coef(theorem, eq):
    """The scalar c of a step whose right-hand side is c I."""
    return identity_coefficient(_step(theorem, eq))


def _task():
    from ..theory.model import training_task
    return training_task(1)


def _coef(expr, **kw):
    return identity_coefficient(expectation(expr, **kw))


# --- special comparisons ---------------------------------------------------------------------
def _compare_roots(derived, printed):
    """Eq. 8: the printed pair has the derived roots' sum and product (so it is the same
    pair of roots), and the derived minimum is the lower root, the printed '-' one."""
    from ..theory.algebra import positive_dummies
    (d_min, d_max), (p_minus, p_plus) = derived, printed
    same_sum = cancel(expand(d_min + d_max - p_minus - p_plus)) == 0
    same_prod = cancel(expand(d_min * d_max) - expand(p_minus * p_plus)) == 0
    min_is_lower = bool(positive_dummies(expand(d_max - d_min)).is_positive)
    printed_minus_lower = bool(positive_dummies(expand(p_plus - p_minus)).is_positive)
    ok = same_sum and same_prod and min_is_lower and printed_minus_lower
    detail = (f"sum of roots equal: {same_sum}; product equal: {same_prod}; derived minimum "
              f"{d_min} is the lower root: {min_is_lower}")
    return ("holds" if ok else "fails"), detail


def _compare_proof(derived, printed):
    proof = derived
    return ("holds" if proof.holds else "fails"), str(proof)


def _compare_sign(derived, printed):
    """alpha^- alpha^+ = -n_t/p < 0 and alpha^- < alpha^+, hence alpha^- < 0 < alpha^+."""
    from ..theory.algebra import is_positive, positive_dummies
    lo, hi = derived
    prod = cancel(expand(lo * hi))
    ok = is_positive(-prod) and bool(positive_dummies(expand(hi - lo)).is_positive)
    return ("holds" if ok else "fails"), (f"alpha_t^- alpha_t^+ = {prod} < 0 and alpha_t^- < "
                                          f"alpha_t^+, so alpha_t^- < 0 < alpha_t^+: {ok}")


def _wishart_scale():
    """E of the Fig. 4 draws: Sigma ~ W(I, p) = X^T X, X p x p standard."""
    X = gaussian_matrix("X_W", p, p)
    return expectation(X.T * X)


CLAIMS: list[Claim] = [
    Claim("5", "Theorem 1", "average test loss, overparameterized (Eqs. 5-7, 80-82)",
          derived=lambda: _theory().loss(1), printed=_eq5),
    Claim("6", "Theorem 1", "h_t = (1 - alpha_t)^2 + alpha_t^2 (p + 1)/n_t (= E[A_t^2])",
          derived=lambda: _theory().h_t(), printed=lambda: _h(alpha_t, n_t)),
    Claim("7", "Theorem 1", "h_r = (1 - alpha_r)^2 + alpha_r^2 (p + 1)/n_r (= E[A_r^2])",
          derived=lambda: _theory().h_r(), printed=lambda: _h(alpha_r, n_r)),
    Claim("8", "Theorem 1", "stationary points alpha_t^+- = -(n_t+1)/(2p) +- sqrt(((n_t+1)/(2p))^2"
          " + n_t/p); the minimum is alpha_t^-",
          derived=lambda: (_theory().alpha_t_extrema()["minimum"],
                           _theory().alpha_t_extrema()["maximum"]),
          printed=lambda: (-(n_t + 1) / (2 * p) - sqrt(((n_t + 1) / (2 * p)) ** 2 + n_t / p),
                           -(n_t + 1) / (2 * p) + sqrt(((n_t + 1) / (2 * p)) ** 2 + n_t / p)),
          compare=_compare_roots),
    Claim("8 (signs)", "Section 5.1", "alpha_t^+ is always positive, alpha_t^- always negative",
          derived=lambda: (_theory().alpha_t_extrema()["minimum"],
                           _theory().alpha_t_extrema()["maximum"]),
          printed=lambda: None, compare=_compare_sign),
    Claim("5 (alpha_r)", "Section 5.1", "the optimal alpha_r lies between 0 and "
          "1/(1 + (p+1)/n_r)", derived=lambda: _theory().optimal_alpha_r("1")[1],
          printed=lambda: None, compare=_compare_proof),
    Claim("9", "Theorem 2", "average test loss, underparameterized, with g_1..g_4 from Eqs. 92, 94",
          derived=lambda: _theory().loss(2), printed=_eq9),
    Claim("9 (g)", "Theorem 2", "g_1..g_4 (Eqs. 98-101, missing) equal the mu-forms of Eqs. 92, 94",
          derived=lambda: sum(v * Symbol(k) for k, v in _theory().g_polynomials().items()),
          printed=lambda: sum(v * Symbol(k) for k, v in _g_printed().items())),
    Claim("9 (alpha_r)", "Section 5.2", "the optimal alpha_r lies between 0 and "
          "1/(1 + (p+1)/n_r)", derived=lambda: _theory().optimal_alpha_r("2")[1],
          printed=lambda: None, compare=_compare_proof),
    Claim("10", "Theorem 2", "dL/d alpha_t at alpha_t = 0 equals sigma^2 p/(n_v m) >= 0",
          derived=lambda: _theory().dloss_dalpha_t_at_zero("2"),
          printed=lambda: sigma**2 * p / (n_v * m), expected="fails",
          corrected=lambda: sigma**2 * p / (n_v * m) * _h(alpha_r, n_r),
          note="the printed value misses the factor h_r; it holds only where h_r = 1 "
               "(alpha_r = 0 or alpha_r = 2 n_r/(n_r + p + 1)); the sign, hence the "
               "conclusion, is unchanged"),
    Claim("14", "Theorem 3", "average test loss with Sigma, Sigma_w, F (Eqs. 14-16)",
          derived=lambda: _theory().loss(3), printed=_eq14),
    Claim("15", "Theorem 3", "H_t = Sigma (I - alpha_t Sigma)^2 + alpha_t^2/n_t (F - Sigma^3)",
          derived=lambda: _step("3", "15"), printed=lambda: _H_printed(alpha_t, n_t)),
    Claim("16", "Theorem 3", "H_r = Sigma (I - alpha_r Sigma)^2 + alpha_r^2/n_r (F - Sigma^3)",
          derived=lambda: _step("3", "16"), printed=lambda: _H_printed(alpha_r, n_r)),
    Claim("14 (reduction)", "Section 5.3", "Theorem 3 reduces to Eqs. 5-7 when Sigma = I, "
          "Sigma_w = I nu^2/p, F = I (p+2), omega0 = 0, w0 = 0",
          derived=lambda: _theory().specialise(_theory().loss(3), Identity(p),
                                               nu**2 / p * Identity(p), (p + 2) * Identity(p)),
          printed=lambda: _eq5().subs(delta_sq, 0)),
    Claim("17", "Section 5.3 / Fig. 4", "Sigma ~ W(I, p), Sigma_w ~ nu^2/p W(I, p) are on "
          "the scale of Theorems 1-2 (E Sigma = I, E Sigma_w = nu^2/p I)",
          derived=_wishart_scale, printed=lambda: Identity(p), expected="fails",
          corrected=lambda: p * Identity(p),
          note="E[W(I, p)] = p I: both draws are p times Theorem 1's scale (losses near 1e6 at "
               "p = 60); symmaml divides both by p"),
    Claim("60", "Section 7.3", "E_{X_r, z_r} theta' = (1 - alpha_r) omega + alpha_r w'",
          derived=lambda: _theta_mean(), printed=lambda: _theta_mean_printed()),
    Claim("65", "Section 7.3", "L = sigma^2/2 (1 + alpha_r^2 p/n_r) + h_r/2 (nu^2 + "
          "E|omega* - w0|^2) (exact)",
          derived=lambda: _theory_common().test_average(False),
          printed=lambda: (sigma**2 / 2 * (1 + alpha_r**2 * p / n_r)
                           + _h(alpha_r, n_r) / 2 * (nu**2 + _theory_common().E_d_sq))),
    Claim("75", "Section 7.3.1", "B B^T / p = h_t I + O(xi^-1/2)",
          derived=lambda: _step_coef("1", "75") / p, printed=lambda: _h(alpha_t, n_t)),
    Claim("76", "Section 7.3.1", "Gamma = (nu^2 h_t + sigma^2 (1 + alpha_t^2 p/n_t)) I",
          derived=lambda: _step_coef("1", "76"),
          printed=lambda: nu**2 * _h(alpha_t, n_t) + sigma**2 * (1 + alpha_t**2 * p / n_t)),
    Claim("77", "Section 7.3.1", "B (omega0 - w0)(omega0 - w0)^T B^T = |omega0 - w0|^2 h_t I",
          derived=lambda: _step_coef("1", "77"), printed=lambda: delta_sq * _h(alpha_t, n_t)),
    Claim("79", "Section 7.3.1", "E|omega* - w0|^2 = (1 - n_v m/p)|omega0 - w0|^2 + n_v m/p "
          "(nu^2 + sigma^2 (1 + alpha_t^2 p/n_t)/h_t)",
          derived=lambda: _step("1", "79"),
          printed=lambda: ((1 - n_v * m / p) * delta_sq + n_v * m / p
                           * (nu**2 + sigma**2 * (1 + alpha_t**2 * p / n_t) / _h(alpha_t, n_t)))),
    Claim("86", "Section 7.3.2", "B^T B / (n_v m) = (1 - 2 alpha_t + alpha_t^2 mu_2) I",
          derived=lambda: _step_coef("2", "86") / (n_v * m),
          printed=lambda: 1 - 2 * alpha_t + alpha_t**2 * _mu(n_t)["2"]),
    Claim("91", "Section 7.3.2", "E_{X_v}[A X_v^T X_v A^2 X_v^T X_v A] = n_v (n_v+1) A^4 + "
          "n_v A^2 Tr A^2",
          derived=lambda: expectation(_task().A * _task().Xv.T * _task().Xv * _task().A ** 2
                                      * _task().Xv.T * _task().Xv * _task().A,
                                      over=[_task().Xv]),
          printed=lambda: (n_v * (n_v + 1) * _task().A ** 4
                           + n_v * _task().A ** 2 * Trace(_task().A ** 2))),
    Claim("92", "Section 7.3.2", "E[A X_v^T X_v A^2 X_v^T X_v A] = n_v (n_v+1)(1 - 4a + 6a^2 mu_2 "
          "- 4a^3 mu_3 + a^4 mu_4) + n_v p (1 - 4a + 2a^2 mu_2 + 4a^2 mu_11 - 4a^3 mu_21 + a^4 mu_22)",
          derived=lambda: _coef(_task().A * _task().Xv.T * _task().Xv * _task().A ** 2
                                * _task().Xv.T * _task().Xv * _task().A),
          printed=lambda: n_v * (n_v + 1) * _g_printed()["g3"] + n_v * p * _g_printed()["g4"]),
    Claim("93", "Section 7.3.2", "E_{X_v}[A X_v^T X_v W_t X_v^T X_v A] = n_v (n_v+1) A W_t A + "
          "n_v A^T A Tr W_t",
          derived=lambda: expectation(_task().A * _task().Xv.T * _task().Xv * _task().Xt.T
                                      * _task().Xt * _task().Xv.T * _task().Xv * _task().A,
                                      over=[_task().Xv]),
          printed=lambda: (n_v * (n_v + 1) * _task().A * _task().Xt.T * _task().Xt * _task().A
                           + n_v * _task().A.T * _task().A * Trace(_task().Xt.T * _task().Xt))),
    Claim("94", "Section 7.3.2", "E[A X_v^T X_v W_t X_v^T X_v A] = n_v (n_v+1) n_t (1 - 2a mu_2 + "
          "a^2 mu_3) + n_v n_t p (1 - 2a mu_11 + a^2 mu_21)",
          derived=lambda: _coef(_task().A * _task().Xv.T * _task().Xv * _task().Xt.T * _task().Xt
                                * _task().Xv.T * _task().Xv * _task().A),
          printed=lambda: (n_v * (n_v + 1) * n_t * _g_printed()["g1"]
                           + n_v * n_t * p * _g_printed()["g2"])),
    Claim("112", "Section 7.4", "E[X^T X] = n Sigma",
          derived=lambda: expectation(_gx().T * _gx()),
          printed=lambda: _gx().rows * _theory_model().Sigma),
    Claim("113", "Section 7.4", "E[Tr(Sigma X^T X A X^T X)] = Tr(A (n^2 Sigma^3 + n (F - Sigma^3))) "
          "(checked for Gaussian rows, F = 2 Sigma^3 + Sigma Tr Sigma^2)",
          derived=lambda: expectation(Trace(_theory_model().Sigma * _gx().T * _gx() * _A_mat()
                                            * _gx().T * _gx())),
          printed=lambda: Trace(_A_mat() * (_gx().rows**2 * _theory_model().Sigma**3
                                            + _gx().rows * (_FG() - _theory_model().Sigma**3)))),
]


def _theory_common():
    from ..theory import common
    return common


def _theory_model():
    from ..theory import model
    return model


def _gx():
    from ..symbols import n
    return gaussian_matrix("X", n, p, cov=_theory_model().Sigma)


def _A_mat():
    return MatrixSymbol("A", p, p)


def _FG():
    return _theory().gaussian_F()


def _theta_mean():
    from ..theory.model import inner_matrix, test_task
    T = test_task()
    omega = MatrixSymbol("omega", p, 1)
    w = MatrixSymbol("w_test", p, 1)
    theta = inner_matrix(T.Xr, alpha_r, n_r) * omega + alpha_r / n_r * T.Xr.T * (
        T.Xr * w + T.zr)
    return expectation(theta, over=[T.Xr, next(iter(T.zr.atoms(type(T.Xr))))])


def _theta_mean_printed():
    return (1 - alpha_r) * MatrixSymbol("omega", p, 1) + alpha_r * MatrixSymbol("w_test", p, 1)

