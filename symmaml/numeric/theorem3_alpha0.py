"""Theorem 3 at alpha_t = 0 for a general Sigma: E Tr(H omega* omega*^T) by the corrected
deterministic equivalent (the value Theorem 3's order 2 is matched to).

At alpha_t = 0 (A = I) the N = n_v m validation rows are independent N(0, Sigma), so in
Sigma's eigenbasis (eigenvalues lambda_j) X = Z Lambda^1/2 with Z an N x p standard Gaussian
matrix whose columns u_j are independent: G = X X^T = sum_j lambda_j u_j u_j^T.  With H
commuting with Sigma (H_r is a polynomial in Sigma; here H = Sigma, the loss's term at
alpha_r = 0), Y = X H X^T = sum_j ell_j u_j u_j^T, ell_j = lambda_j h_j, and the noise
gamma_i = X_i delta_i + z_i gives

    E Tr(H omega* omega*^T) = sigma^2 S + (1 - rho) W_d + rho W_f,     rho = (n_v - 1)/(N - 1)

with A = G^-1 Y G^-1, J = X Sigma_w X^T, S = E Tr A, W_f = E Tr(A J), W_d = E sum_r A_rr J_rr
(the rows of one task share delta_i: by the exchangeability of the rows the within-task
off-diagonal pairs are the fraction rho of all off-diagonal pairs; exact).  Flipping the
sign of one column u_j leaves G, Y, A unchanged, so only w_j = lambda_j (Sigma_w)_jj (the
diagonal of Sigma_w in Sigma's eigenbasis) enters J (exact).  Then:

* T(mu) = E Tr(Z diag(mu) Z^T)^-1 from the corrected deterministic equivalent of Theorem 1's
  step 2 (:mod:`symmaml.numeric.finite_size`, step 2) with n = N rows and M = diag(lambda):
  N = sum_j mu_j T/(1 + mu_j T) - T_2 sum_j mu_j^2/(1 + mu_j T)^3, T_2 = T / sum_j mu_j/(1 + mu_j T)^2
  (residual O(p^-2) relative; exact when M is a multiple of I);
* S = -D_ell T, the derivative of T along mu -> mu + theta ell (exact identity);
* W_f = -D_ell sum_j w_j g(mu_j), g(mu) = T/(1 + mu T) - T_2 mu/(1 + mu T)^3, the cDE's
  E Tr[(Z M Z^T)^-1 Z K Z^T] = sum_j K_jj g(mu_j) (exact identity for the derivative);
* W_d = (E[Tr A Tr J] + 2 W_f)/(N + 2): averaging over a Haar rotation of the rows
  (the law of Z is invariant under Z -> O Z), E_O sum_r (O A O^T)_rr (O J O^T)_rr =
  (Tr A Tr J + 2 Tr A J)/(N + 2) (exact);
* E[Tr A Tr J] = N (sum_j w_j) S + 2 d/deps S(mu (1 + eps w), ell (1 + eps w)): Gaussian
  integration by parts in the variance of each column, E[f |u_j|^2] = N E f + 2 d/ds_j E f
  (exact).

So the only approximation is the cDE itself.  At Sigma = I, Sigma_w = nu^2/p I it is exact:
the inverse-Wishart value h (nu^2 N (p - n_v - 1)/(p (p - N - 1)) + sigma^2 N/(p - N - 1))
(tested).  The slow reference :func:`alpha0_omega_term_reference` takes every derivative by
central differences of re-solved roots.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

__all__ = ["alpha0_omega_term", "alpha0_coefficients", "alpha0_omega_term_reference",
           "cde_root"]


def _check(Sigma, Sigma_w, n_v, m, sigma):
    S = np.asarray(Sigma, dtype=float)
    Sw = np.asarray(Sigma_w, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1] or Sw.shape != S.shape:
        raise ValueError(f"Sigma, Sigma_w: square matrices of one size, got {S.shape}, {Sw.shape}")
    if not (np.all(np.isfinite(S)) and np.all(np.isfinite(Sw))):
        raise ValueError("Sigma, Sigma_w: every entry must be finite")
    for name, v in (("n_v", n_v), ("m", m)):
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError(f"{name}: a positive integer, got {v!r}")
    p, N = S.shape[0], int(n_v) * int(m)
    if p <= N + 1:
        raise ValueError(f"n_v, m: need p > N + 1 = n_v m + 1 (p = {p}, N = {N})")
    if sigma is not None:
        sigma = np.asarray(sigma, dtype=float)
        if not np.all(np.isfinite(sigma)):
            raise ValueError("sigma: must be finite")
    lam, V = np.linalg.eigh((S + S.T) / 2)
    if lam[0] <= 0:
        raise ValueError("Sigma: must be positive definite (a zero eigenvalue leaves the "
                         "deterministic equivalent undefined)")
    w = lam * np.einsum("ij,ik,kj->j", V, (Sw + Sw.T) / 2, V)
    return lam, w, p, int(n_v), N, sigma


def cde_root(mu, n):
    """(T, T_2) of the corrected deterministic equivalent with ``n`` rows and spectrum
    ``mu`` (module doc): F(T) is increasing from -n at T = 0 to (p - 1) - n as T -> inf
    (for mu > 0), so the root is bracketed once p > n + 1."""
    mu = np.asarray(mu, dtype=float)

    def F(T):
        d = 1.0 + mu * T
        T2 = T / np.sum(mu / d ** 2)
        return np.sum(mu * T / d) - T2 * np.sum(mu ** 2 / d ** 3) - n

    hi = 1.0 / mu.min()
    while F(hi) <= 0:
        hi *= 4.0
    T = brentq(F, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    d = 1.0 + mu * T
    return T, T / np.sum(mu / d ** 2)


def _gradient(mu, n):
    """(T, T_2, dT/dmu_j, dT_2/dmu_j (total)) by implicit differentiation of the cDE."""
    T, T2 = cde_root(mu, n)
    a = 1.0 + mu * T
    D2 = np.sum(mu / a ** 2)
    B3 = np.sum(mu ** 2 / a ** 3)
    # partial derivatives at fixed T (T_2 = T / D2 moves with mu through D2)
    dD2_dmu = 1.0 / a ** 2 - 2.0 * mu * T / a ** 3
    dT2_dmu = -T * dD2_dmu / D2 ** 2
    dB3_dmu = 2.0 * mu / a ** 3 - 3.0 * mu ** 2 * T / a ** 4
    dF_dmu = T / a ** 2 - dT2_dmu * B3 - T2 * dB3_dmu
    # and in T at fixed mu
    dT2_dT = 1.0 / D2 + 2.0 * T * B3 / D2 ** 2
    dF_dT = D2 - dT2_dT * B3 + 3.0 * T2 * np.sum(mu ** 3 / a ** 4)
    dT = -dF_dmu / dF_dT
    return T, T2, dT, dT2_dmu + dT2_dT * dT


def _parts(mu, ell, w, n):
    """(S, W_f, dT/dmu) at spectrum mu, directions ell (for Y) and weights w (for J)."""
    T, T2, dT, dT2 = _gradient(mu, n)
    a = 1.0 + mu * T
    S = -np.dot(ell, dT)
    # W_f = -D_ell sum_k w_k g(mu_k; T, T_2): explicit mu-dependence, then through T and T_2
    dg_dmu = -T ** 2 / a ** 2 - T2 * (1.0 / a ** 3 - 3.0 * mu * T / a ** 4)
    dg_dT = 1.0 / a ** 2 + 3.0 * T2 * mu ** 2 / a ** 4
    dg_dT2 = -mu / a ** 3
    Wf = -(np.dot(w * dg_dmu, ell) + np.dot(w, dg_dT) * np.dot(ell, dT)
           + np.dot(w, dg_dT2) * np.dot(ell, dT2))
    return S, Wf, dT


def _dS_scaled(mu, ell, w, n, dT):
    """d/deps S(mu (1 + eps w), ell (1 + eps w)) at 0: S is linear in ell, so this is
    -D_{ell w} T - D_{mu w} (D_ell T), ``dT`` the gradient dT/dmu at mu; the second
    derivative by a Richardson-extrapolated central difference of the analytic gradient
    (error O(h^4), about 1e-12 relative)."""
    first = -np.dot(ell * w, dT)
    v = mu * w
    h = 1e-3 / max(np.max(np.abs(w)), 1e-300)

    def cd(step):
        gp = np.dot(ell, _gradient(mu + step * v, n)[2])
        gm = np.dot(ell, _gradient(mu - step * v, n)[2])
        return (gp - gm) / (2 * step)

    second = (4 * cd(h / 2) - cd(h)) / 3
    return first - second


def _combine(S, Wf, dS, w, n_v, N):
    """(S, (1 - rho) W_d + rho W_f): the sigma^2 coefficient and the Sigma_w part."""
    Wd = (N * np.sum(w) * S + 2.0 * dS + 2.0 * Wf) / (N + 2)
    rho = (n_v - 1) / (N - 1) if N > 1 else 0.0      # one row: no pairs (and W_d = W_f)
    return S, (1.0 - rho) * Wd + rho * Wf


def alpha0_coefficients(Sigma, Sigma_w, n_v, m, H=None):
    """(a, b) with E Tr(H omega* omega*^T) = sigma^2 a + b at alpha_t = 0 (module doc): a = S,
    b the Sigma_w part.  ``H`` = Sigma by default (the loss's term at alpha_r = 0; a matrix
    commuting with Sigma otherwise)."""
    lam, w, p, n_v, N, _ = _check(Sigma, Sigma_w, n_v, m, None)
    h = lam if H is None else _eigen_of(H, Sigma, lam)
    ell = lam * h
    S, Wf, dT = _parts(lam, ell, w, N)
    return _combine(S, Wf, _dS_scaled(lam, ell, w, N, dT), w, n_v, N)


def alpha0_omega_term(Sigma, Sigma_w, n_v, m, sigma, H=None):
    """E Tr(H omega* omega*^T) at alpha_t = 0 (:func:`alpha0_coefficients`); ``sigma`` may
    be an array (the result broadcasts)."""
    sigma = _check(Sigma, Sigma_w, n_v, m, sigma)[-1]
    a, b = alpha0_coefficients(Sigma, Sigma_w, n_v, m, H)
    return sigma ** 2 * a + b


def _eigen_of(H, Sigma, lam):
    """The eigenvalues of H in Sigma's eigenbasis; H must commute with Sigma."""
    H = np.asarray(H, dtype=float)
    _, V = np.linalg.eigh((np.asarray(Sigma, float) + np.asarray(Sigma, float).T) / 2)
    D = V.T @ H @ V
    off = D - np.diag(np.diag(D))
    if np.max(np.abs(off)) > 1e-8 * max(np.max(np.abs(D)), 1e-300):
        raise ValueError("H: must commute with Sigma (H_r is a polynomial in Sigma)")
    return np.diag(D)


def alpha0_omega_term_reference(Sigma, Sigma_w, n_v, m, sigma, H=None, h=1e-4):
    """The slow reference: every derivative a central difference of re-solved cDE roots."""
    lam, w, p, n_v, N, sigma = _check(Sigma, Sigma_w, n_v, m, sigma)
    hh = lam if H is None else _eigen_of(H, Sigma, lam)
    ell = lam * hh

    def T(mu):
        return cde_root(mu, N)[0]

    def trKg(mu):
        T_, T2 = cde_root(mu, N)
        a = 1.0 + mu * T_
        return np.sum(w * (T_ / a - T2 * mu / a ** 3))

    def S_at(mu, l):
        return -(T(mu + h * l) - T(mu - h * l)) / (2 * h)

    S = S_at(lam, ell)
    Wf = -(trKg(lam + h * ell) - trKg(lam - h * ell)) / (2 * h)
    e = 1e-3 / max(np.max(np.abs(w)), 1e-300)      # w = 0 (Sigma_w = 0): dS is 0 anyway
    dS = (S_at(lam * (1 + e * w), ell * (1 + e * w))
          - S_at(lam * (1 - e * w), ell * (1 - e * w))) / (2 * e)
    a, b = _combine(S, Wf, dS, w, n_v, N)
    return sigma ** 2 * a + b
