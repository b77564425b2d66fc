"""Claims about the order-2 (finite-size) theory beyond the paper (symmaml.theory.finite_size,
symmaml.theory.finite_size_tasks, symmaml.theory.finite_size_general).

Not the paper's printed equations: statements made by symmaml about its own finite-size
theory, each with the formula it asserts typed in here (the classical finite-sample
results they refer to: the inverse-Wishart mean E (X X^T)^-1 = I/(p - N - 1) for X an
N x p standard Gaussian matrix, and the mean of a Haar projection) and checked exactly
against the derived side.
"""
from __future__ import annotations

from sympy import cancel
from sympy.core.function import AppliedUndef

from ..symbols import delta_sq, m, n_r, n_v, nu, p, sigma
from .base import Claim

__all__ = ["CLAIMS"]

_SECTION = "Beyond the paper: finite size"


def _fs():
    from ..theory import finite_size
    return finite_size


def _alpha0_error_derived():
    """E|omega* - w0|^2 of the order-2 theory at alpha_t = 0: the exact parts plus sigma^2 m T
    at the root T of its corrected deterministic equivalent (raises if not the root)."""
    return _fs().alpha0_error()


def _alpha0_error_classical():
    """The exact finite-sample E|omega* - w0|^2 at alpha_t = 0, Sigma = I (B = X_v ~ rows
    N(0, I)): (1 - N/p)|delta|^2 + sigma^2 Tr E (X X^T)^-1 + nu^2/p sum_i E Tr[X_i X_i^T
    ((X X^T)^-1)_ii], each block's Schur complement Wishart_{n_v}(p - N + n_v)."""
    N = n_v * m
    return ((1 - N / p) * delta_sq + sigma ** 2 * N / (p - N - 1)
            + nu ** 2 / p * m * n_v * (1 + (N - n_v) / (p - N - 1)))


def _alpha0_error_derived_2():
    """E|omega* - w0|^2 of the order-2 Theorem 2 at alpha_t = 0 (the matched recursion)."""
    from .. import theory
    from ..symbols import alpha_t
    e = theory.derivation(2, order=2).extras["E_d_sq"].subs(alpha_t, 0)
    if e.atoms(AppliedUndef):
        raise AssertionError("the order-2 Theorem 2 at alpha_t = 0 still holds the recursion")
    return e


def _alpha0_error_classical_2():
    """The exact finite-sample E|omega* - w0|^2 at alpha_t = 0, N = n_v m > p + 1 (Eq. 83
    with B = X_v): sigma^2 p/(N - p - 1) (Haff's identity) + tau^2 m [(1 - c) A + c F],
    tau^2 = nu^2/p, c = (N + 1)/(N - p - 1), A, F Haar-Stiefel moments."""
    N = n_v * m
    c = (N + 1) / (N - p - 1)
    A = p * n_v * (n_v + 2) / (N * (N + 2))
    F = n_v * p * (p + 2) / (N * (N + 2)) + n_v * (n_v - 1) * p * (N - p) / (N * (N - 1) * (N + 2))
    return sigma ** 2 * p / (N - p - 1) + nu ** 2 / p * m * ((1 - c) * A + c * F)


def _nu_ratio_derived():
    """The order-2 nu^2 part over the paper's (Eqs. 76-79: nu^2 N / p)."""
    N = n_v * m
    return cancel(_fs().exact_parts()[1] / (nu ** 2 * N / p))


def _delta_paper():
    """The delta part of the paper's Eq. 79 (Theorem 1 derivation, E_d_sq at nu = sigma = 0)."""
    from .. import theory
    return theory.derivation(1).extras["E_d_sq"].subs({nu: 0, sigma: 0})


def _optimal_alpha_r_derived(theorem):
    """The order-2 optimum over alpha_r (theory.optimal_alpha_r(theorem, order=2)); raises
    if its proof (convexity, 0 < alpha_r* < 1/(1 + (p+1)/n_r)) does not hold."""
    from .. import theory
    value, proof = theory.optimal_alpha_r(theorem, order=2)
    if not proof.holds:
        raise AssertionError("the order-2 optimal alpha_r's proof does not hold")
    return value


def _optimal_alpha_r_typed(theorem):
    """The vertex of Eq. 65 in alpha_r, typed in: n_r (E + nu^2) / ((n_r + p + 1)(E + nu^2)
    + p sigma^2), at the order-2 E = E|omega* - w0|^2."""
    from .. import theory
    E = theory.derivation(theorem, order=2).extras["E_d_sq"]
    return n_r * (E + nu ** 2) / ((n_r + p + 1) * (E + nu ** 2) + p * sigma ** 2)


def _orthogonal_at_identity(key):
    """Step 4b's correction ``key`` (ds or dtau) of the order-2 Theorem 2 at A = I (every
    a = 1, d = 1/(1 + omega)), where the leading-order state has g = (1 - d)/nu_2 and t =
    nu_2 (G(omega) = d = 1 - nu_2 g): the record's expression, cancelled."""
    from sympy import together
    from ..theory import finite_size_tasks as ft
    nu2, om, g0 = ft.SYMBOLS[0], ft.SYMBOLS[1], ft.SYMBOLS[4]
    t, _, s_d2, s_ad2, s_d3, s_ad3 = ft.SYMBOLS_4B
    d = 1 / (1 + om)
    e = ft.task_equations()[key].xreplace({s_d2: p * d ** 2, s_ad2: p * d ** 2,
                                           s_d3: p * d ** 3, s_ad3: p * d ** 3})
    return cancel(together(e.xreplace({g0: (1 - d) / nu2, t: nu2})))


def _projection_at_identity(which):
    """Step 3b of the order-2 Theorem 1 at A = I (every a = ell = 1, d = 1/(1 + omega)):
    delta s (``which`` = 0) or delta U (1) of the record, with the spectral sums
    G = d, G1 = -d^2, G2 = 2 d^3 (normalised by p) and U = p d, U1 = -p d^2, U2 = 2 p d^3,
    cancelled."""
    from ..theory import finite_size as fs
    om, c = fs.omega, fs.c_rank
    d = 1 / (1 + om)
    sums = (d, -d ** 2, 2 * d ** 3, p * d, -p * d ** 2, 2 * p * d ** 3)
    return cancel(fs.projection_correction(sums, om, c, reduce=cancel)[which])


def _general_E(which):
    """Theorem 3's order-2 E Tr(H_r omega* omega*^T) (``"E_h"``) or its zeroth order
    (``"E_h_order1"``), as derived."""
    from .. import theory
    return theory.derivation(3, order=2).extras[which]


def _paper_E_h():
    """Eq. 141 as the paper's Theorem 3 derivation gives it (N c y/s^2), F at its Gaussian
    value."""
    from .. import theory
    from ..theory.model import F
    step = next(st for st in theory.derivation(3).steps if st.equation == "141")
    return step.rhs.xreplace({F: theory.gaussian_F()})


def _general_isotropic_gap():
    """The order-2 Theorem 3 at Sigma = I, Sigma_w = nu^2/p I, alpha_t = 0 against the
    finite-sample value h_r E|omega* - w0|^2 (typed in below): the terms of order p^0 and
    p^-1 of the relative error, which must vanish (the series in eps = 1/p up to eps^1)."""
    from sympy import series
    from ..symbols import alpha_r
    h_r = (1 - alpha_r) ** 2 + alpha_r ** 2 * (p + 1) / n_r     # H_r = h_r I at Sigma = I
    exact = h_r * _alpha0_error_classical().subs(delta_sq, 0)
    rel, eps, _ = _fs().isotropic_relative_error(_general_E("E_h"), exact)
    return cancel(series(rel, eps, 0, 2).removeO())


CLAIMS: list[Claim] = [
    Claim("FS-1", _SECTION, "the order-2 Theorem 1 is exact at alpha_t = 0: its E|omega* - w0|^2 "
          "is the finite-sample (inverse-Wishart) value",
          derived=_alpha0_error_derived, printed=_alpha0_error_classical),
    Claim("FS-2", _SECTION, "the nu^2 part of E|omega* - w0|^2 is alpha_t-independent and "
          "(p - n_v - 1)/(p - N - 1) times the paper's (Eq. 79)",
          derived=_nu_ratio_derived,
          printed=lambda: (p - n_v - 1) / (p - m * n_v - 1)),
    Claim("FS-3", _SECTION, "the delta part (1 - N/p)|delta|^2 is exact for every alpha_t "
          "(E P = N/p I) and equals the paper's Eq. 77-79 term",
          derived=lambda: _fs().exact_parts()[0], printed=_delta_paper),
    Claim("FS-4", _SECTION, "the order-2 Theorem 2 (p < n_v m) is exact at alpha_t = 0: its "
          "E|omega* - w0|^2 is the finite-sample (inverse-Wishart) value",
          derived=_alpha0_error_derived_2, printed=_alpha0_error_classical_2),
    Claim("FS-5", _SECTION, "the order-2 Theorem 1's optimal alpha_r is n_r (E + nu^2) / "
          "((n_r + p + 1)(E + nu^2) + p sigma^2) at its E = E|omega* - w0|^2, in "
          "(0, 1/(1 + (p+1)/n_r))", derived=lambda: _optimal_alpha_r_derived(1),
          printed=lambda: _optimal_alpha_r_typed(1)),
    Claim("FS-6", _SECTION, "the order-2 Theorem 2's optimal alpha_r is n_r (E + nu^2) / "
          "((n_r + p + 1)(E + nu^2) + p sigma^2) at its E = E|omega* - w0|^2, in "
          "(0, 1/(1 + (p+1)/n_r))", derived=lambda: _optimal_alpha_r_derived(2),
          printed=lambda: _optimal_alpha_r_typed(2)),
    Claim("FS-7", _SECTION, "the orthogonal correction of free subordination (step 4b of the "
          "order-2 Theorem 2) leaves s = Tr(I + t M)^-1 unchanged at alpha_t = 0: delta s = 0 "
          "when A = I", derived=lambda: _orthogonal_at_identity("ds"), printed=lambda: 0),
    Claim("FS-8", _SECTION, "the orthogonal correction leaves E Tr(F + zeta + t A^2)^-1 (the "
          "Woodbury difference) unchanged at alpha_t = 0: delta tau = 0 when A = I",
          derived=lambda: _orthogonal_at_identity("dtau"), printed=lambda: 0),
    Claim("FS-9", _SECTION, "the orthogonal correction of free subordination for the Haar "
          "projection (step 3b of the order-2 Theorem 1) leaves s = Tr(I + T A Q A)^-1 "
          "unchanged at alpha_t = 0: delta s = 0 when A = I",
          derived=lambda: _projection_at_identity(0), printed=lambda: 0),
    Claim("FS-10", _SECTION, "step 3b leaves U = Tr A (I + T A Q A)^-1 unchanged at "
          "alpha_t = 0: delta U = 0 when A = I",
          derived=lambda: _projection_at_identity(1), printed=lambda: 0),
    Claim("FS-11", _SECTION, "the order-2 Theorem 3 (the next order of the paper's expansion "
          "of G^-1 Y G^-1) starts from the paper: its zeroth order y Q_0/s^2 is Eq. 141's "
          "N c y/s^2 (Gaussian inputs)",
          derived=lambda: _general_E("E_h_order1"), printed=_paper_E_h),
    Claim("FS-12", _SECTION, "at Sigma = I, Sigma_w = nu^2/p I and alpha_t = 0 the order-2 "
          "Theorem 3's truncation (before its alpha_t = 0 matching, which makes it exact "
          "there) agrees with the finite-sample value h_r (nu^2 N (p - n_v - 1)/(p (p - N "
          "- 1)) + sigma^2 N/(p - N - 1)) through O(1/p): its relative error is O(p^-2)",
          derived=_general_isotropic_gap, printed=lambda: 0),
]
