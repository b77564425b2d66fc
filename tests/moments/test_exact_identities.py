"""Exact identities that the engine must reproduce, each derived independently of it."""
import pytest
from sympy import Identity, MatrixSymbol, Symbol, Trace, expand, prod, symbols

from symmaml.moments import (difference, expectation, gaussian_matrix, moments_equal,
                             symmetric_matrix, wishart_expectation, wishart_lhs,
                             wishart_moment, wishart_orders)

n, p = Symbol("n"), Symbol("p")


def rising_even(start, count):
    """start (start + 2) ... (start + 2 count - 2): moments of chi-square variables."""
    return prod(start + 2 * i for i in range(count))


@pytest.mark.parametrize("k", range(1, 13))
def test_p_equal_1_is_a_chi_square_moment(k):
    # W = |x|^2 ~ chi^2_n when p = 1, and E[(chi^2_n)^k] = n (n + 2) ... (n + 2k - 2)
    assert expand(wishart_moment(k).subs(p, 1) - rising_even(n, k)) == 0


def test_fourth_power_of_trace_at_p_equal_1():
    assert expand(wishart_moment(0, (1, 1, 1, 1)).subs(p, 1) - n * (n + 2) * (n + 4) * (n + 6)) == 0


@pytest.mark.parametrize("k,traces", [kt for kt in wishart_orders(10) if kt[0] >= 1])
def test_n_equal_1_is_a_moment_of_the_norm(k, traces):
    # n = 1: W = x x^T, W^k = |x|^{2(k-1)} W, Tr W^l = |x|^{2l}; E[|x|^{2d} x x^T] =
    # E[|x|^{2d+2}] / p I with |x|^2 ~ chi^2_p.
    d = k + sum(traces)
    expected = rising_even(p, d) / p
    assert expand(wishart_moment(k, traces).subs(n, 1) - expected) == 0


@pytest.mark.parametrize("k,traces", [kt for kt in wishart_orders(10) if kt[0] == 0])
def test_trace_moments_are_symmetric_in_n_and_p(k, traces):
    # Tr (X^T X)^l = Tr (X X^T)^l, and X^T is a p x n Gaussian matrix
    c = wishart_moment(k, traces)
    assert expand(c - c.subs({n: p, p: n}, simultaneous=True)) == 0


def test_general_sigma_third_moment():
    S = symmetric_matrix("Sigma", p)
    expected = ((n**3 + 3*n**2 + 4*n) * S**3 + 2*(n**2 + n)*Trace(S)*S**2
                + (n*Trace(S)**2 + (n**2 + n)*Trace(S**2))*S)
    assert moments_equal(wishart_expectation(3), expected)


def test_general_sigma_w_trace_squared():
    S = symmetric_matrix("Sigma", p)
    expected = (8*n*S**3 + 4*n**2*Trace(S)*S**2 + (n**3*Trace(S)**2 + 2*n**2*Trace(S**2))*S)
    assert moments_equal(wishart_expectation(1, (1, 1)), expected)


def test_gaussian_F():
    x = gaussian_matrix("x", 1, p, cov="Sigma")
    S = x.cov
    F = expectation(Trace(x * S * x.T) * x.T * x)
    assert moments_equal(F, 2 * S**3 + S * Trace(S**2))


def test_theorem3_fourth_moment_identity_for_gaussian_rows():
    # E[Tr(Sigma X^T X A X^T X)] = Tr(A (n^2 Sigma^3 + n (F - Sigma^3))) (cf. Eq. 113),
    # with F = 2 Sigma^3 + Sigma Tr Sigma^2 for Gaussian rows; A has no symmetry.
    X = gaussian_matrix("X", cov="Sigma")
    S, A = X.cov, MatrixSymbol("A", p, p)
    F = 2 * S**3 + S * Trace(S**2)
    lhs = expectation(Trace(S * X.T * X * A * X.T * X))
    assert moments_equal(lhs, Trace(A * (n**2 * S**3 + n * (F - S**3))))


def test_nonsymmetric_insertion_keeps_its_transpose():
    # Wick by hand: E[X^T X D X^T X] = n^2 D + n D^T + n Tr(D) I for Sigma = I
    X = gaussian_matrix("X")
    D = MatrixSymbol("D", p, p)
    got = expectation(X.T * X * D * X.T * X)
    assert moments_equal(got, n**2 * D + n * D.T + n * Trace(D) * Identity(p))
    assert not moments_equal(got, n * (n + 1) * D + n * Trace(D) * Identity(p))


def test_independent_matrices_factorise_and_odd_orders_vanish():
    nt, nv = symbols("n_t n_v")
    Xt, Xv = gaussian_matrix("X_t", nt, p), gaussian_matrix("X_v", nv, p)
    D = MatrixSymbol("D", p, p)
    assert moments_equal(expectation(Xt.T * Xt * D * Xv.T * Xv), nt * nv * D)
    assert moments_equal(expectation(Xt.T * Xt * Xt.T), 0 * Xt.T)
    assert moments_equal(expectation(Xt * Xv.T), 0 * (Xt * Xv.T))


def test_expectation_commutes_with_transpose():
    X = gaussian_matrix("X", cov="Sigma")
    D = MatrixSymbol("D", p, p)
    expr = X.T * X * D * X.T * X * X.T * X
    assert moments_equal(expectation(expr.T), expectation(expr).T)


def test_linearity_over_sums_and_scalars():
    X = gaussian_matrix("X")
    a = Symbol("alpha")
    W = X.T * X
    A = Identity(p) - a / n * W          # the inner-loop matrix of Eq. 21
    got = expectation(A * A)
    expected = (1 - 2 * a + a**2 * (n + p + 1) / n) * Identity(p)
    assert moments_equal(got, expected)


def test_difference_reports_where_two_forms_differ():
    diff = difference(expectation(wishart_lhs(2)), n * (n + p) * Identity(p))
    assert len(diff) == 1 and expand(list(diff.values())[0] - n) == 0


def test_trace_canonical_form_is_cyclic_and_transpose_invariant():
    A, B, C = (MatrixSymbol(s, p, p) for s in "ABC")
    assert moments_equal(Trace(A), Trace(A.T))
    assert moments_equal(Trace(A * B * C), Trace(C * A * B))
    assert moments_equal(Trace(A * B * C), Trace(C.T * B.T * A.T))
    assert not moments_equal(Trace(A * B * C), Trace(A * C * B))
    assert not moments_equal(A * B, B * A)
