"""Bad input raises ValueError naming the problem."""
import pytest
from sympy import Identity, MatrixSymbol, Rational, Symbol, Trace

from symmaml.moments import (expectation, gaussian_matrix, symmetric_matrix, wishart_moment,
                             wishart_orders)
from symmaml.moments.matrices import GaussianMatrix

n, p = Symbol("n"), Symbol("p")


@pytest.mark.parametrize("k", [-1, 1.5, 2.5, Rational(1, 2)])
def test_bad_order(k):
    with pytest.raises(ValueError, match="order k"):
        wishart_moment(k)


@pytest.mark.parametrize("k", ["two", "3", None, True])
def test_order_of_the_wrong_type(k):
    # a string is never parsed: sympify("3") would evaluate arbitrary text
    with pytest.raises(TypeError, match="order k"):
        wishart_moment(k)


@pytest.mark.parametrize("traces", [(-1,), (0,), (2, 0), (0.5,), "12", 3])
def test_bad_traces(traces):
    with pytest.raises(ValueError, match="trace"):
        wishart_moment(1, traces)


def test_trace_powers_of_the_wrong_type():
    with pytest.raises(TypeError, match="trace"):
        wishart_moment(1, ("2",))


def test_mismatched_product():
    X = gaussian_matrix("X")
    with pytest.raises(ValueError, match="mismatched product"):
        expectation(X * X)          # n x p times n x p


def test_mismatched_product_inside_a_trace():
    X, Y = gaussian_matrix("X"), gaussian_matrix("Y", Symbol("q"), p)
    with pytest.raises(ValueError, match="mismatched product"):
        expectation(Trace(X.T * Y) * Identity(p))


def test_trace_of_non_square():
    X = gaussian_matrix("X")
    with pytest.raises(ValueError, match="non-square"):
        expectation(Trace(X * X.T * X))


def test_negative_and_fractional_matrix_powers():
    X = gaussian_matrix("X")
    W = X.T * X
    from sympy import MatPow
    with pytest.raises(ValueError, match="non-negative"):
        expectation(MatPow(W, -1))
    with pytest.raises(ValueError, match="non-negative integer"):
        expectation(MatPow(W, Rational(1, 2)))


def test_bad_method_and_reference_limit():
    X = gaussian_matrix("X")
    with pytest.raises(ValueError, match="method"):
        expectation(X.T * X, method="magic")
    with pytest.raises(ValueError, match="reference algorithm"):
        expectation((X.T * X) ** 9, method="reference")


def test_bad_matrix_symbols():
    with pytest.raises(ValueError, match="square"):
        from symmaml.moments.matrices import SymmetricMatrixSymbol
        SymmetricMatrixSymbol("S", n, p)
    with pytest.raises(ValueError, match="cov"):
        GaussianMatrix("X", n, p, MatrixSymbol("M", p, p))
    with pytest.raises(ValueError, match="shape"):
        gaussian_matrix("X", n, p, cov=symmetric_matrix("S", n))
    with pytest.raises(ValueError, match="positive"):
        gaussian_matrix("X", 0, p)
    with pytest.raises(ValueError, match="max_degree"):
        wishart_orders(-2)
