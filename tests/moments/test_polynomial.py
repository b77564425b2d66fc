"""Averages of polynomials in one Wishart matrix (moments.polynomial) and Stein's recurrence
at integer sizes (symmaml.stein) against the engine's Wick contraction."""
import numpy as np
import pytest
from sympy import MatrixSymbol, Symbol, Trace, expand

from symmaml import stein
from symmaml.moments import (CostLimitError, expectation, gaussian_matrix, identity_coefficient,
                             symmetric_matrix, wishart_moment)
from symmaml.moments.polynomial import W, polynomial_expectation, wishart_polynomial
from symmaml.symbols import n, p

a = Symbol("a")


@pytest.mark.parametrize("k,traces", [(0, ()), (3, ()), (2, (1,)), (1, (2, 1)), (3, (2, 2))])
def test_integer_recurrence_equals_the_polynomial(k, traces):
    poly = wishart_moment(k, traces)
    for nn, pp in ((3, 5), (7, 2)):
        assert stein.coefficient_at(k, traces, n=nn, p=pp) == poly.subs({n: nn, p: pp})


def test_integer_recurrence_by_simulation():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 4, 3))
    Wm = np.einsum("rij,rik->rjk", X, X)
    W3 = Wm @ Wm @ Wm
    est = np.trace(W3, axis1=1, axis2=2) / 3
    se = est.std(ddof=1) / np.sqrt(est.size)
    assert abs(est.mean() - stein.coefficient_at(3, n=4, p=3)) < 5 * se


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_integer_sizes_are_checked(bad):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        stein.coefficient_at(2, n=bad, p=3)


def test_polynomial_average_equals_generic_engine():
    X = gaussian_matrix("X", n, p)
    Wm = X.T * X
    I = Wm ** 0
    A = (I - a * Wm)
    f = expand((1 - a * W) ** 3)
    want = identity_coefficient(expectation(A * A * A * Trace(A)))
    got = wishart_polynomial(f, (1 - a * W,))
    assert expand(got - want) == 0
    # integer sizes: the same numbers
    assert expand(wishart_polynomial(f, (1 - a * W,), n=4, p=3) - want.subs({n: 4, p: 3})) == 0


def test_stand_in_words_and_noise():
    P = symmetric_matrix("P", p)
    S = MatrixSymbol("S", p, Symbol("m_s"))
    expr = 2 * P * S * S.T * P + Trace(P * P) * P
    got = polynomial_expectation(expr, {P: 1 - a * W}, (S, a ** 2 * W))
    want = wishart_polynomial(2 * (1 - a * W) ** 2 * a ** 2 * W) + wishart_polynomial(
        1 - a * W, ((1 - a * W) ** 2,))
    assert expand(got - want) == 0
    with pytest.raises(ValueError, match="not a stand-in"):
        polynomial_expectation(symmetric_matrix("Q", p) * P, {P: 1 - a * W})


def test_cost_guard_names_the_request():
    with pytest.raises(CostLimitError, match="degree 60"):
        wishart_polynomial(W ** 60, what="steps_t = 15")
