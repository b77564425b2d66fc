"""Exact finite-sample results used to validate the Monte Carlo simulator.

Pure numeric functions (NumPy / array-API only, no SymPy).  Two groups:

1. :func:`conditional_loss_coefficients` / :func:`conditional_test_loss` --
   the *exact* expectation of the test loss (Eq. 23) over the test task
   (w', X_r, z_r, X_s, z_s) given the meta-parameter omega*.  This is the
   finite-sample, general-covariance version of Eqs. 59-64 (Sigma = I) and of
   Eqs. 115-123 (general Sigma, Section 7.4).  It is what the "conditional"
   estimator of :func:`symmaml.montecarlo.simulate` averages.

2. :func:`expected_outer_error_alpha0` / :func:`expected_test_loss_alpha0` --
   at alpha_t = 0 the outer loop of Eqs. 66-69 / 83 is ordinary min-norm
   (p > N) or least-squares (p < N) regression on N = n_v m Gaussian points
   whose "noise" is z_v plus the task term X_v^(i) (w^(i) - w0), which differs
   per task block.  E|omega* - w0|^2 then has a closed form (derivation in the
   docstring of :func:`expected_outer_error_alpha0`), valid for Sigma = I and
   any task covariance Sigma_w.

Derivation of the conditional expectation
-----------------------------------------
Let e = omega* - w', d = theta' - w' = (I - a X_r^T X_r) e + a X_r^T z_r with
a = alpha_r / n_r (Eq. 25).  Rows of X_r, X_s have covariance Sigma, and the
fourth-moment matrix K = E[x x^T Sigma x x^T].  Then

* E_{X_s, z_s} (1 / 2 n_s) |X_s d - z_s|^2 = (d^T Sigma d + sigma^2) / 2,
* E_{z_r} adds a^2 sigma^2 Tr(X_r Sigma X_r^T) -> alpha_r^2 sigma^2 Tr(Sigma^2) / n_r,
* E_{X_r}[(I - a X^T X) Sigma (I - a X^T X)] = H_r with
  E[X^T X Sigma X^T X] = n(n-1) Sigma^3 + n K, i.e.
  H_r = Sigma - 2 alpha_r Sigma^2 + alpha_r^2 ((n_r - 1) Sigma^3 + K) / n_r,
* E_{w'} e^T H_r e = c^T H_r c + Tr(H_r Sigma_w) with c = omega* - w0,

so  L(omega*) = 1/2 [sigma^2 (1 + alpha_r^2 Tr(Sigma^2) / n_r) + c^T H_r c + Tr(H_r Sigma_w)].

For Gaussian x, K = 2 Sigma^3 + Sigma Tr(Sigma^2) (the paper's F - Sigma^3 + Sigma^3,
Eq. 111), so H_r is the paper's H_r of Eq. 16 / 124, and with Sigma = I,
Sigma_w = nu^2/p I it reduces to Eq. 64: H_r = h_r (Eq. 7).  For x = S g with
S the symmetric square root of Sigma and g with i.i.d. unit-variance entries
of kurtosis kappa = E g^4 (Rademacher: 1, standardised Student-t with df
degrees of freedom: 3 (df - 2) / (df - 4)),
K = 2 Sigma^3 + Tr(Sigma^2) Sigma + (kappa - 3) S diag(Sigma^2) S.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..stein import coefficient_at
from ..inverse_wishart import outer_error_alpha0

__all__ = [
    "kurtosis",
    "fourth_moment_matrix",
    "conditional_loss_coefficients",
    "conditional_test_loss",
    "expected_outer_error_alpha0",
    "expected_test_loss_alpha0",
    "steps_test_coefficients",
]


def kurtosis(x_dist: str, df: float = 5.0) -> float:
    """E g^4 for one standardised input entry (g has mean 0 and variance 1)."""
    if x_dist == "gaussian":
        return 3.0
    if x_dist == "rademacher":
        return 1.0
    if x_dist == "student_t":
        if not df > 4:
            raise ValueError(
                f"the Student-t fourth moment needs df > 4 (got df={df}); the "
                "conditional estimator is undefined for heavier tails"
            )
        return 3.0 * (df - 2.0) / (df - 4.0)
    raise ValueError(f"unknown x_dist {x_dist!r}")


def fourth_moment_matrix(Sigma, sqrt_Sigma, kappa: float):
    """K = E[x x^T Sigma x x^T] for x = S g, S = ``sqrt_Sigma`` symmetric (see module doc).

    ``Sigma`` and ``sqrt_Sigma`` are NumPy (p, p) arrays.
    """
    Sigma = np.asarray(Sigma, dtype=float)
    S2 = Sigma @ Sigma
    K = 2.0 * S2 @ Sigma + np.trace(S2) * Sigma
    if kappa != 3.0:
        S = np.asarray(sqrt_Sigma, dtype=float)
        K = K + (kappa - 3.0) * (S * np.diag(S2)) @ S
    return K


def conditional_loss_coefficients(Sigma, Sigma_w, sqrt_Sigma, *, sigma: float, n_r: int,
                                  x_dist: str = "gaussian", df: float = 5.0):
    """Matrices and scalars that make the conditional loss a polynomial in alpha_r.

    Returns ``(Sigma, Sigma2, Q, consts)`` with H_r(alpha_r) = Sigma - 2 alpha_r Sigma2
    + alpha_r^2 Q and ``consts = (c0, c1, c2)`` such that
    sigma^2 (1 + alpha_r^2 Tr(Sigma^2)/n_r) + Tr(H_r Sigma_w) = c0 + c1 alpha_r + c2 alpha_r^2.
    All NumPy float64.
    """
    Sigma = np.asarray(Sigma, dtype=float)
    Sigma_w = np.asarray(Sigma_w, dtype=float)
    Sigma2 = Sigma @ Sigma
    K = fourth_moment_matrix(Sigma, sqrt_Sigma, kurtosis(x_dist, df))
    Q = ((n_r - 1) * Sigma2 @ Sigma + K) / n_r
    c0 = sigma**2 + float(np.sum(Sigma * Sigma_w))
    c1 = -2.0 * float(np.sum(Sigma2 * Sigma_w))
    c2 = sigma**2 * float(np.trace(Sigma2)) / n_r + float(np.sum(Q * Sigma_w))
    return Sigma, Sigma2, Q, (c0, c1, c2)


def conditional_test_loss(omega, *, w0, Sigma, Sigma_w, sigma: float, alpha_r: float, n_r: int,
                          x_dist: str = "gaussian", df: float = 5.0, sqrt_Sigma=None):
    """Exact E[test loss | omega*] (module docstring), NumPy, omega of shape (..., p)."""
    omega = np.asarray(omega, dtype=float)
    Sigma = np.asarray(Sigma, dtype=float)
    if sqrt_Sigma is None:
        lam, vec = np.linalg.eigh(Sigma)
        sqrt_Sigma = (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T
    S1, S2, Q, (c0, c1, c2) = conditional_loss_coefficients(
        Sigma, Sigma_w, sqrt_Sigma, sigma=sigma, n_r=n_r, x_dist=x_dist, df=df)
    H = S1 - 2 * alpha_r * S2 + alpha_r**2 * Q
    c = omega - np.asarray(w0, dtype=float)
    quad = np.einsum("...i,ij,...j->...", c, H, c)
    return 0.5 * (c0 + c1 * alpha_r + c2 * alpha_r**2 + quad)


def expected_outer_error_alpha0(*, n_v: int, m: int, p: int, sigma: float, tr_Sigma_w: float,
                                delta_sq: float = 0.0) -> float:
    """Exact E|omega* - w0|^2 at alpha_t = 0 for Sigma = I (Gaussian inputs); ``inf`` where
    |p - n_v m| <= 1 (the expectation diverges).

    With alpha_t = 0, B = X_v (stacked, N = n_v m rows, Eq. 68) and
    gamma - B w0 = xi with xi_i = X_v^(i) dw_i + z_v^(i), Cov(xi | B) = Gamma
    (Eqs. 72-73 at alpha_t = 0); the closed forms for p > N + 1 and N > p + 1, and their
    derivation, are in :mod:`symmaml.inverse_wishart` (their one home).  By rotation
    invariance of X_v the answer only depends on Sigma_w through tau^2 = Tr(Sigma_w)/p.
    ``delta_sq`` = |omega0 - w0|^2 (only used when p > N).
    """
    if abs(p - n_v * m) <= 1:
        return math.inf
    return float(outer_error_alpha0(n_v=n_v, m=m, p=p, sigma=sigma, tau2=tr_Sigma_w / p,
                                    delta_sq=delta_sq))


def expected_test_loss_alpha0(*, n_v: int, n_r: int, m: int, p: int, sigma: float, alpha_r: float,
                              tr_Sigma_w: float, delta_sq: float = 0.0) -> float:
    """Exact average test loss (Eq. 27) at alpha_t = 0, Sigma = I, Gaussian x.

    From the conditional loss (module doc) with Sigma = I: H_r = h_r I (Eq. 7) and
    L = sigma^2 / 2 (1 + alpha_r^2 p / n_r) + h_r / 2 (Tr Sigma_w + E|omega* - w0|^2),
    the finite-sample form of Eq. 64.
    """
    h_r = (1 - alpha_r) ** 2 + alpha_r**2 * (p + 1) / n_r
    err = expected_outer_error_alpha0(n_v=n_v, m=m, p=p, sigma=sigma, tr_Sigma_w=tr_Sigma_w,
                                      delta_sq=delta_sq)
    return 0.5 * sigma**2 * (1 + alpha_r**2 * p / n_r) + 0.5 * h_r * (tr_Sigma_w + err)


def _poly_mul(a, b):
    """Product of two polynomials given as coefficient lists (lowest degree first)."""
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def steps_test_coefficients(*, p: int, n_r: int, alpha_r: float, steps: int):
    """Exact (h_K, t_K) of the K-step test-task average for Sigma = I, Gaussian x.

    K = ``steps`` adaptation steps theta <- theta - a X_r^T (X_r theta - y_r), a = alpha_r / n_r,
    from omega* on a test task y_r = X_r w' + z_r give (sum_{j<K} A^j a X_r^T X_r = I - A^K)

        theta' - w' = A^K (omega* - w') + S z_r,   A = I - a W,  W = X_r^T X_r,
        S = a sum_{j<K} A^j X_r^T,

    so (module doc, Sigma = I) E[loss | omega*] = 1/2 [sigma^2 (1 + t_K) + h_K (Tr Sigma_w
    + |omega* - w0|^2)] with

        h_K = E[A^2K] / I = sum_j binom(2K, j) (-a)^j c_j,
        t_K = E Tr(S^T S) = a^2 E Tr(W (sum_{j<K} A^j)^2) = a^2 p sum_j q_j c_j,

    where E[W^j] = c_j I_p (exact integers, :func:`symmaml.stein.coefficient_at`) and
    W (sum_{j<K} (1 - a W)^j)^2 = sum_j q_j W^j.  For K = 1: h_1 = (1 - alpha_r)^2
    + alpha_r^2 (p + 1) / n_r (Eq. 7) and t_1 = alpha_r^2 p / n_r, as in
    :func:`conditional_loss_coefficients`.  Evaluated in exact rational arithmetic (the
    float value of ``alpha_r`` is taken exactly), so the alternating binomial sums do not
    cancel catastrophically; ValueError naming steps_r / alpha_r where the result overflows
    a float.
    """
    K = int(steps)
    a = Fraction(float(alpha_r)) / int(n_r)
    c = [coefficient_at(j, n=n_r, p=p) for j in range(2 * K + 1)]
    one_minus = [Fraction(1), -a]                                    # 1 - a W
    powers = [[Fraction(1)]]
    for _ in range(2 * K):
        powers.append(_poly_mul(powers[-1], one_minus))
    h = sum(coef * c[j] for j, coef in enumerate(powers[2 * K]))
    geo = [Fraction(0)] * K                                          # sum_{j<K} (1 - a W)^j
    for j in range(K):
        for i, coef in enumerate(powers[j]):
            geo[i] += coef
    q = [Fraction(0)] + _poly_mul(geo, geo)                          # W geo(W)^2
    t = a * a * p * sum(coef * c[j] for j, coef in enumerate(q))
    try:
        return float(h), float(t)
    except OverflowError:
        raise ValueError(f"steps_r={K} at alpha_r={alpha_r}: the exact test-task average "
                         "overflows a float (the adaptation loop diverges, |1 - alpha_r "
                         "lambda| > 1 for eigenvalues lambda of X_r^T X_r / n_r)") from None
