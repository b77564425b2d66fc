"""The order-2 noise factor S and the spectral quadrature behind it (symmaml.numeric)."""
import math

import numpy as np
import pytest

from symmaml.numeric import loss_function
from symmaml.numeric.finite_size import overparameterized_noise
from symmaml.numeric.finite_size_reference import finite_size_noise_reference
from symmaml.numeric.spectral import MAX_NODES, wishart_quadrature
from symmaml.stein import coefficient_at

SIZES = [dict(n_t=30, n_v=2, m=3, p=60),      # Fig. 2
         dict(n_t=40, n_v=2, m=1, p=50),      # Fig. 6a (one task: Q = I)
         dict(n_t=40, n_v=5, m=5, p=50),      # Fig. 6b (near the threshold)
         dict(n_t=6, n_v=2, m=3, p=12)]       # n_v m / p = 1/2, n_t < p
EPS = np.finfo(float).eps


@pytest.mark.parametrize("n, p", [(30, 60), (40, 50), (5, 30), (40, 40), (50, 20)])
def test_quadrature_integrates_moments_exactly(n, p):
    lam, w = wishart_quadrature(n, p, nodes=12)
    assert w.sum() == pytest.approx(p, rel=100 * EPS)
    assert (lam[0] == 0.0 and w[0] == p - n) if p > n else lam.min() > 0
    for j in range(1, 24):                          # degree < 2K
        exact = p * coefficient_at(j, n=n, p=p)
        assert np.sum(w * lam ** j) == pytest.approx(exact, rel=1e3 * EPS)


def test_quadrature_refuses_bad_arguments():
    with pytest.raises(ValueError, match="nodes"):
        wishart_quadrature(10, 20, nodes=MAX_NODES + 1)
    with pytest.raises(ValueError, match="n must"):
        wishart_quadrature(0, 20)
    with pytest.raises(ValueError, match="p must"):
        wishart_quadrature(10, 2.5)


@pytest.mark.parametrize("sz", SIZES)
def test_exact_at_alpha_zero(sz):
    """At alpha_t = 0 the order-2 S is the inverse-Wishart mean N/(p - N - 1)."""
    N = sz["n_v"] * sz["m"]
    got = float(overparameterized_noise(0.0, **sz))
    assert got == pytest.approx(N / (sz["p"] - N - 1), rel=1e3 * EPS)


@pytest.mark.parametrize("sz", SIZES)
@pytest.mark.parametrize("alpha_t", [-1.5, -0.4, 0.3, 1.1])
def test_fast_matches_slow_reference(sz, alpha_t):
    """Free subordination: the mpmath reference to float64 rounding.  With step 3b: the
    reference's correction comes from re-solved systems and central differences (steps
    1e-5 and 1e-3, so about 1e-6 of the correction), the rest as before."""
    free = float(overparameterized_noise(alpha_t, orthogonal=False, **sz))
    assert free == pytest.approx(finite_size_noise_reference(alpha_t, **sz), rel=1e4 * EPS)
    fast = float(overparameterized_noise(alpha_t, **sz))
    slow = finite_size_noise_reference(alpha_t, orthogonal=True, **sz)
    assert fast == pytest.approx(slow, abs=1e-6 * abs(fast - free) + 1e4 * EPS * slow)
    if sz["m"] == 1 or alpha_t == 0:
        assert fast == free                   # Q = I: nothing to correct
    else:
        assert abs(fast - free) > 1e-7 * fast  # the correction is there


def test_vectorised_equals_pointwise_and_converged_in_nodes():
    sz = SIZES[0]
    a = np.linspace(-1.5, 1.5, 31)
    vec = overparameterized_noise(a, **sz)
    assert np.array_equal(vec, np.concatenate([overparameterized_noise(a[:7], **sz),
                                               overparameterized_noise(a[7:], **sz)]))
    one = np.array([float(overparameterized_noise(x, **sz)) for x in a[::10]])
    np.testing.assert_allclose(vec[::10], one, rtol=100 * EPS)
    np.testing.assert_allclose(overparameterized_noise(a, nodes=8, **sz),
                               overparameterized_noise(a, nodes=16, **sz), rtol=1e-7)
    assert overparameterized_noise(a.reshape(31, 1), **sz).shape == (31, 1)


def test_order1_is_the_large_p_limit():
    """At fixed n_v m and p/n_t, S * p h_t / N -> 1 (the paper's Eq. 78) as p grows."""
    a = np.array([-1.0, 0.5])
    errs = []
    for k in (1, 4, 16):
        p, n_t = 60 * k, 30 * k
        h = (1 - a) ** 2 + a ** 2 * (p + 1) / n_t
        S = overparameterized_noise(a, n_t=n_t, n_v=2, m=3, p=p)
        paper = 6 / (p * h) + a ** 2 * 6 / (n_t * h)
        errs.append(np.abs(S / paper - 1))
    assert np.all(errs[1] < errs[0] / 2) and np.all(errs[2] < errs[1] / 2)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="p > n_v m"):
        overparameterized_noise(0.1, n_t=30, n_v=10, m=6, p=60)
    with pytest.raises(ValueError, match="n_v must"):
        overparameterized_noise(0.1, n_t=30, n_v=2.5, m=3, p=60)
    with pytest.raises(ValueError, match="alpha_t"):
        overparameterized_noise([0.1, math.nan], n_t=30, n_v=2, m=3, p=60)
    f = loss_function(1, order=2)
    kw = dict(alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5, delta_sq=0.0)
    with pytest.raises(ValueError, match="p must be one integer"):
        f(alpha_t=0.1, **dict(kw, p=np.array([60, 70])))
    with pytest.raises(ValueError, match="missing"):
        f(alpha_t=0.1, **{k: v for k, v in kw.items() if k != "nu"})
    with pytest.raises(ValueError, match="order"):
        loss_function(1, order=3)
    with pytest.raises(ValueError, match="backend"):
        loss_function(1, backend="torch", order=2)


def test_order2_loss_at_alpha_zero_is_the_exact_finite_sample_loss():
    from symmaml.montecarlo.exact import expected_test_loss_alpha0
    f = loss_function(1, order=2)
    for P in (dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5, delta_sq=0.0),
              dict(n_t=40, n_v=5, n_r=40, m=5, p=50, sigma=0.5, nu=0.5, delta_sq=0.5)):
        for ar in (-0.2, 0.2, 1.0):
            exact = expected_test_loss_alpha0(
                n_v=P["n_v"], n_r=P["n_r"], m=P["m"], p=P["p"], sigma=P["sigma"], alpha_r=ar,
                tr_Sigma_w=P["nu"] ** 2, delta_sq=P["delta_sq"])
            assert float(f(alpha_t=0.0, alpha_r=ar, **P)) == pytest.approx(exact, rel=1e3 * EPS)


def test_loss_function_offers_the_free_subordination_theory_for_comparison():
    """loss_function(t, order=2, orthogonal=False): the same loss with the free noise
    pieces (bit for bit those of orthogonal=False); equal at alpha_t = 0, where the
    correction vanishes; bad values named."""
    a = np.array([-1.0, 0.0, 0.7])
    P1 = dict(alpha_r=0.2, n_t=40, n_v=5, n_r=40, m=5, p=50, sigma=0.5, nu=0.5, delta_sq=0.0)
    on, off = loss_function(1, order=2), loss_function(1, order=2, orthogonal=False)
    assert off.orthogonal is False and "orthogonal=False" in repr(off)
    S_free = overparameterized_noise(a, n_t=40, n_v=5, m=5, p=50, orthogonal=False)
    assert np.array_equal(off.noise(a, n_t=40, n_v=5, m=5, p=50)["S_sigma"], S_free)
    L_on, L_off = on(alpha_t=a, **P1), off(alpha_t=a, **P1)
    assert L_on[1] == L_off[1] and np.all(np.abs(L_on[[0, 2]] / L_off[[0, 2]] - 1) > 1e-6)
    P2 = dict(alpha_r=0.2, n_t=10, n_v=8, n_r=10, m=5, p=12, sigma=0.5, nu=0.5)
    on2, off2 = loss_function(2, order=2), loss_function(2, order=2, orthogonal=False)
    L_on, L_off = on2(alpha_t=a, **P2), off2(alpha_t=a, **P2)
    assert L_on[1] == pytest.approx(L_off[1], rel=1e-12)
    assert np.all(np.abs(L_on[[0, 2]] / L_off[[0, 2]] - 1) > 1e-6)
    with pytest.raises(ValueError, match="orthogonal"):
        loss_function(1, order=2, orthogonal="no")
    with pytest.raises(ValueError, match="orthogonal"):
        loss_function(1, orthogonal=False)


def test_ridders_steps_keep_the_bracket_and_converge_elementwise():
    """The root search's Ridders steps on known increasing functions (one with a pole at
    the bracket's top, like F at omega_max): every row ends within a few ulps of its root,
    inside its bracket, and a row's result does not depend on the rows solved with it."""
    from symmaml.numeric.finite_size import _ridders
    roots = np.array([0.3, -1.2, 2.0, 0.0])

    def F(x):                                   # increasing on (-5, 5), pole at 5
        return np.expm1(x - roots) + (x - roots) / (5.0 - x)
    lo, top = np.full(4, -4.0), np.full(4, 4.999)
    lo_b, top_b = lo.copy(), top.copy()
    for _ in range(16):                        # the bisections before them
        mid = 0.5 * (lo_b + top_b)
        up = F(mid) > 0
        top_b, lo_b = np.where(up, mid, top_b), np.where(up, lo_b, mid)
    x = _ridders(F, lo_b, top_b, 3)
    assert np.all((x >= lo_b) & (x <= top_b))
    np.testing.assert_allclose(x, roots, rtol=0, atol=8 * EPS)
    roots = roots[:2]
    assert np.array_equal(_ridders(F, lo_b[:2], top_b[:2], 3), x[:2])
