"""The order-2 theory of Theorem 2 (symmaml.numeric.finite_size_tasks): against its slow
reference, the exact alpha_t = 0 values, chunking, and bad input."""
import numpy as np
import pytest

from symmaml.inverse_wishart import underparameterized_alpha0
from symmaml.numeric import loss_function
from symmaml.numeric.finite_size_tasks import check_sizes, recursion_at_zero, task_recursion

EPS = np.finfo(float).eps


@pytest.mark.slow
def test_fast_recursion_matches_the_slow_reference():
    """Same equations, other numerics (scalar brentq, derivatives by finite differences):
    agreement to the reference's own finite-difference error (~5e-5), at three alpha_t."""
    from symmaml.numeric.finite_size_tasks_reference import task_recursion_reference
    kw = dict(n_t=3, n_v=4, m=3, p=6)
    at = np.array([0.0, 0.7, -1.3])
    fast = task_recursion(at, cheb=40, **kw)
    for i, a in enumerate(at):
        ref = task_recursion_reference(float(a), cheb=40, **kw)
        assert ref[0] == pytest.approx(fast[0][i], rel=2e-4)
        assert ref[1] == pytest.approx(fast[1][i], rel=2e-4)


@pytest.mark.parametrize("sizes,tol", [(dict(n_t=40, n_v=40, m=10, p=50), 5e-4),
                                       (dict(n_t=40, n_v=10, m=10, p=50), 2e-3)])
def test_unmatched_recursion_is_close_to_the_exact_values_at_alpha_zero(sizes, tol):
    """At A = I the recursion itself (before matching) reproduces the inverse-Wishart values
    (Figs. 6d, 6c: measured 1e-5 / 2e-4 and 5e-4 / 9e-4 for the sigma^2 / nu^2 parts)."""
    s0, tau0 = underparameterized_alpha0(sizes["n_v"], sizes["m"], sizes["p"])
    R_s, R_n = recursion_at_zero(**sizes)
    assert R_s == pytest.approx(s0, rel=tol)
    assert R_n == pytest.approx(tau0 / sizes["p"], rel=tol)


def test_order2_loss_at_alpha_zero_is_the_exact_finite_sample_loss():
    from symmaml.montecarlo.exact import expected_test_loss_alpha0
    P = dict(n_t=40, n_v=10, n_r=40, m=10, p=50, sigma=0.5, nu=0.5)
    f = loss_function(2, order=2)
    for ar in (0.0, 0.2, 0.9):
        got = float(f(alpha_t=0.0, alpha_r=ar, **P))
        want = expected_test_loss_alpha0(n_v=10, n_r=40, m=10, p=50, sigma=0.5, alpha_r=ar,
                                         tr_Sigma_w=0.25)
        assert got == pytest.approx(want, rel=1e3 * EPS)


def test_rows_do_not_depend_on_the_other_rows():
    at = np.linspace(-1.5, 1.5, 7)
    kw = dict(n_t=40, n_v=10, m=10, p=50)
    together = task_recursion(at, **kw)
    apart = [task_recursion(at[i:i + 1], **kw) for i in range(at.size)]
    for j in range(2):
        assert np.array_equal(together[j], np.concatenate([a[j] for a in apart]))


def test_loss_function_shapes_and_order1_limit():
    """Broadcasting over alpha_t, alpha_r; and the order-2 loss tends to the paper's for many
    tasks (p / (n_v m) -> 0: m = 240 at Fig. 3's other sizes, within 0.1 %)."""
    f = loss_function(2, order=2)
    P = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2)
    out = f(alpha_t=np.array([[-0.5], [0.5]]), alpha_r=np.array([0.0, 0.2, 0.4]), **P)
    assert out.shape == (2, 3) and np.all(np.isfinite(out))
    big = dict(P, m=240)
    f1 = loss_function(2)
    assert f(alpha_t=0.5, alpha_r=0.2, **big) == pytest.approx(
        f1(alpha_t=0.5, alpha_r=0.2, **big), rel=1e-3)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="n_v m > p"):
        check_sizes(5, 5, 10, 50)
    with pytest.raises(ValueError, match=r"\(m - 1\) n_v"):
        check_sizes(5, 10, 6, 55)
    with pytest.raises(ValueError, match="n_v"):
        check_sizes(5, 0, 10, 50)
    f = loss_function(2, order=2)
    P = dict(n_t=40, n_v=10, n_r=40, m=10, p=50, sigma=0.5, nu=0.5)
    with pytest.raises(ValueError, match="alpha_t"):
        f(alpha_t=np.nan, alpha_r=0.2, **P)
    with pytest.raises(ValueError, match="m must be one integer"):
        f(alpha_t=0.1, alpha_r=0.2, **dict(P, m=10.5))
    with pytest.raises(ValueError, match="delta_sq"):
        f(alpha_t=0.1, alpha_r=0.2, delta_sq=0.0, **P)


@pytest.mark.parametrize("alpha_t", [-1.0, 0.3, 1.0, 5.0])
def test_G_inverse_against_brentq_from_any_start(alpha_t):
    """The two-sided Newton bracket inverts 1 - G(omega) = q to rounding level for q over
    eight decades (up to the saturated end) and warm starts anywhere from 1e-8 to 1e8, where
    the root is, and gives NaN at or beyond 1 - G(infinity)."""
    from scipy.optimize import brentq
    from symmaml.numeric.finite_size_tasks import G_inverse
    from symmaml.numeric.spectral import wishart_quadrature
    p = 30
    lam, w = wishart_quadrature(5, p, 12)
    k = alpha_t / 5
    a = ((1 - k * lam) ** 2)[None, :]
    h_inf = 1 - (w * (a == 0)).sum(-1)[:, None] / p
    rng = np.random.default_rng(7)
    q = (h_inf[0, 0] * 10 ** rng.uniform(-8, -1e-6, 300))[None, :]
    om0 = np.where(rng.random(q.shape) < 0.7, 10 ** rng.uniform(-8, 8, q.shape), np.nan)
    got = G_inverse(q, a, w, p, om0, h_inf)[0]

    def H(om):
        return float((w * om * a[0] / (1 + om * a[0])).sum() / p)
    for qi, g in zip(q[0], got):
        want = brentq(lambda lo: H(np.exp(lo)) - qi, -80, 80, xtol=1e-15, rtol=4 * EPS)
        assert g == pytest.approx(np.exp(want), rel=1e-12)
    out = G_inverse(np.array([[h_inf[0, 0], 2.0]]), a, w, p, np.full((1, 2), np.nan), h_inf)
    assert np.all(np.isnan(out))
