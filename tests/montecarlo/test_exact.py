"""Unit checks of the exact formulas in symmaml.montecarlo.exact."""
import math

import numpy as np
import pytest

from symmaml.montecarlo import exact

from mc_helpers import EPS, z_crit


def test_conditional_loss_reduces_to_eq64(rng):
    """Sigma = I, Sigma_w = nu^2/p I: L = sigma^2/2 (1 + a_r^2 p/n_r) + h_r/2 (nu^2 + |omega - w0|^2)."""
    p, n_r, sigma, nu, ar = 7, 5, 0.8, 0.6, 0.35
    omega, w0 = rng.standard_normal((4, p)), rng.standard_normal(p)
    got = exact.conditional_test_loss(omega, w0=w0, Sigma=np.eye(p), Sigma_w=nu**2 / p * np.eye(p),
                                      sigma=sigma, alpha_r=ar, n_r=n_r)
    h_r = (1 - ar) ** 2 + ar**2 * (p + 1) / n_r                      # Eq. 7
    want = sigma**2 / 2 * (1 + ar**2 * p / n_r) + h_r / 2 * (nu**2 + np.sum((omega - w0) ** 2, axis=-1))
    np.testing.assert_allclose(got, want, rtol=100 * EPS)


def test_kurtosis():
    assert exact.kurtosis("gaussian") == 3.0 and exact.kurtosis("rademacher") == 1.0
    assert exact.kurtosis("student_t", df=6.0) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="df > 4"):
        exact.kurtosis("student_t", df=4.0)


@pytest.mark.parametrize("x_dist", ["gaussian", "rademacher", "student_t"])
def test_fourth_moment_matrix_monte_carlo(rng, x_dist):
    p, n = 3, 200_000
    g = rng.standard_normal((p, p))
    Sigma = g @ g.T / p + 0.5 * np.eye(p)
    lam, vec = np.linalg.eigh(Sigma)
    S = (vec * np.sqrt(lam)) @ vec.T
    df = 12.0
    if x_dist == "gaussian":
        G = rng.standard_normal((n, p))
    elif x_dist == "rademacher":
        G = rng.integers(0, 2, (n, p)) * 2.0 - 1.0
    else:
        G = rng.standard_t(df, (n, p)) * math.sqrt((df - 2) / df)
    X = G @ S
    q = np.einsum("ni,ij,nj->n", X, Sigma, X)
    samples = q[:, None, None] * X[:, :, None] * X[:, None, :]
    K = exact.fourth_moment_matrix(Sigma, S, exact.kurtosis(x_dist, df))
    z = (samples.mean(0) - K) / (samples.std(0, ddof=1) / math.sqrt(n))
    assert np.all(np.abs(z) < z_crit(p * (p + 1) // 2)), z


def test_outer_error_special_cases():
    tau2, sigma = 0.3, 0.7
    # single task, under-parameterized: omega* = w + (X^T X)^-1 X^T z
    N, p = 12, 5
    got = exact.expected_outer_error_alpha0(n_v=N, m=1, p=p, sigma=sigma, tr_Sigma_w=tau2 * p)
    assert got == pytest.approx(tau2 * p + sigma**2 * p / (N - p - 1))
    # single task, over-parameterized: the projection keeps N of the p directions of dw
    N, p = 4, 15
    got = exact.expected_outer_error_alpha0(n_v=N, m=1, p=p, sigma=sigma, tr_Sigma_w=tau2 * p, delta_sq=2.0)
    assert got == pytest.approx((1 - N / p) * 2.0 + sigma**2 * N / (p - N - 1) + tau2 * N)
    assert math.isinf(exact.expected_outer_error_alpha0(n_v=2, m=3, p=7, sigma=1, tr_Sigma_w=1))


def test_test_loss_alpha_r_zero():
    kw = dict(n_v=2, m=3, p=20, sigma=0.9, tr_Sigma_w=0.25, delta_sq=0.5)
    err = exact.expected_outer_error_alpha0(**kw)
    got = exact.expected_test_loss_alpha0(n_r=7, alpha_r=0.0, **kw)
    assert got == pytest.approx(0.5 * (0.9**2 + 0.25 + err))
