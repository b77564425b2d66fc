"""Fuzzing the moment engine's public API.

Valid random inputs (words of degree <= 4 in one or two Gaussian matrices, transposes,
traces, deterministic symmetric matrices) give finite exact results on which the two Wick
algorithms agree; invalid inputs raise ValueError or TypeError whose message names the
argument -- never another exception type, never a long computation.
"""
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sympy import S, Identity, MatrixExpr, MatrixSymbol, Rational, Symbol, Trace

from symmaml.moments import (expectation, expectation_terms, gaussian_matrix, moment_table,
                             symmetric_matrix, wishart_expectation, wishart_lhs,
                             wishart_moment)

n, p, q = Symbol("n"), Symbol("p"), Symbol("q")
FUZZ = dict(deadline=5000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

X = gaussian_matrix("X", n, p, cov="Sigma")
Y = gaussian_matrix("Y", q, p)
C = symmetric_matrix("C", n)
B = symmetric_matrix("B", q)
LETTERS = {  # row space -> [(factor, column space, Gaussian letter or None)]
    "n": [(X, "p", "X"), (C, "n", None)],
    "p": [(X.T, "n", "X"), (Y.T, "q", "Y"), (X.cov, "p", None)],
    "q": [(Y, "p", "Y"), (B, "q", None)],
}
_NON_FINITE = (S.NaN, S.ComplexInfinity, S.Infinity, S.NegativeInfinity)


@st.composite
def word(draw, start, closed=False, max_len=6):
    """A product that starts in row space ``start`` (and ends there if ``closed``) and the
    Gaussian letters in it."""
    space, factors, gaussian = start, [], []
    for _ in range(draw(st.integers(1, max_len))):
        f, space, g = draw(st.sampled_from(LETTERS[space]))
        factors.append(f)
        gaussian += [g] if g else []
    assume(not closed or space == start)
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out, gaussian


@st.composite
def products(draw):
    """coeff * open word * prod Tr(cycles) with at most 4 Gaussian pairs (mostly of an
    even count per matrix: odd ones average to zero, a few are kept)."""
    start = draw(st.sampled_from("npq"))
    expr, gaussian = draw(word(start))
    for space in draw(st.lists(st.sampled_from("npq"), max_size=2)):
        cyc, g = draw(word(space, closed=True, max_len=4))
        expr, gaussian = Trace(cyc) * expr, gaussian + g
    assume(len(gaussian) <= 8)
    odd = any(gaussian.count(name) % 2 for name in "XY")
    assume(not odd or draw(st.integers(0, 4)) == 0)
    coeff = Rational(draw(st.sampled_from([-3, -1, 1, 2])), draw(st.integers(1, 3)))
    if draw(st.booleans()):
        expr = Trace(expr) if expr.shape[0] == expr.shape[1] else expr
    return coeff * expr


def _finite(value):
    return not any(value.has(x) for x in _NON_FINITE)


@settings(max_examples=150, **FUZZ)
@given(products())
def test_random_products_are_finite_and_both_algorithms_agree(expr):
    value = expectation(expr)
    assert _finite(value)
    if isinstance(expr, MatrixExpr):
        assert isinstance(value, MatrixExpr) and value.shape == expr.shape
    else:
        assert not isinstance(value, MatrixExpr)
    assert expectation_terms(expr, "fast") == expectation_terms(expr, "reference")


@st.composite
def orders(draw, max_degree=5):
    k = draw(st.integers(0, max_degree))
    traces = draw(st.lists(st.integers(1, max_degree), max_size=3))
    assume(k + sum(traces) <= max_degree)
    return k, tuple(traces)


@settings(max_examples=40, **FUZZ)
@given(orders())
def test_random_wishart_moments_agree_across_methods(order):
    k, traces = order
    c = wishart_moment(k, traces)
    assert _finite(c) and c.free_symbols <= {n, p}
    for method in ("fast", "reference"):
        assert (wishart_moment(k, traces, method=method) - c).expand() == 0
    general = wishart_expectation(k, traces)
    assert _finite(general)


# --- invalid input: ValueError/TypeError naming the argument ------------------------------
def _raises_naming(call, name):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert name in str(info.value), str(info.value)


not_an_order = st.one_of(
    st.text(max_size=5), st.none(), st.booleans(), st.integers(max_value=-1),
    st.floats().filter(lambda x: x != int(x) if x == x and abs(x) != float("inf") else True),
    st.fractions().filter(lambda f: f.denominator != 1), st.complex_numbers(max_magnitude=5),
    st.lists(st.integers(0, 3), max_size=2), st.just(object()), st.just(Symbol("k")),
    st.just(Rational(1, 2)),
)


@settings(max_examples=60, **FUZZ)
@given(not_an_order)
def test_bad_orders_are_named(k):
    _raises_naming(lambda: wishart_moment(k), "order k")
    _raises_naming(lambda: wishart_lhs(k), "order k")
    _raises_naming(lambda: wishart_expectation(k), "order k")


@settings(max_examples=20, **FUZZ)
@given(st.integers(61, 10 ** 12), st.sampled_from(["recurrence", "fast", "reference"]))
def test_hopeless_orders_are_refused_with_their_name(k, method):
    _raises_naming(lambda: wishart_moment(k, method=method), "order k")


bad_traces = st.one_of(
    st.lists(st.one_of(st.integers(max_value=0), st.text(max_size=2), st.none(),
                       st.floats(0.1, 3.9).filter(lambda x: x != int(x))), min_size=1,
             max_size=3),
    st.text(max_size=3), st.integers(), st.none(),
)


@settings(max_examples=60, **FUZZ)
@given(bad_traces)
def test_bad_traces_are_named(traces):
    _raises_naming(lambda: wishart_moment(1, traces), "trace")


@settings(max_examples=40, **FUZZ)
@given(st.one_of(st.text(max_size=8), st.none(), st.integers(), st.lists(st.text(), max_size=2)))
def test_bad_methods_are_named(method):
    assume(method not in ("fast", "reference", "recurrence"))
    _raises_naming(lambda: wishart_moment(2, method=method), "method")
    _raises_naming(lambda: expectation(X.T * X, method=method), "method")
    _raises_naming(lambda: moment_table(2, method=method), "method")


@settings(max_examples=40, **FUZZ)
@given(st.one_of(st.text(max_size=12), st.binary(max_size=4), st.none(), st.just(object()),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.integers(),
                                                                      max_size=1)))
def test_non_expressions_are_named(expr):
    _raises_naming(lambda: expectation(expr), "expr")


@settings(max_examples=30, **FUZZ)
@given(st.one_of(st.text(max_size=4), st.integers(), st.none(),
                 st.just(MatrixSymbol("M", p, p)), st.just([C]), st.just(Identity(p))))
def test_bad_over_is_named(over):
    assume(over is not None)
    _raises_naming(lambda: expectation(X.T * X, over=over), "over")


@settings(max_examples=40, **FUZZ)
@given(st.one_of(st.integers(max_value=0), st.text(max_size=6).filter(lambda s: not s.isidentifier()),
                 st.floats(allow_nan=True).filter(lambda x: x != int(x) if x == x
                                                 and abs(x) != float("inf") else True),
                 st.just(Fraction(1, 2)), st.just(object())))
def test_bad_dimensions_are_named(dim):      # (None is the default: n rows, p columns)
    _raises_naming(lambda: gaussian_matrix("Z", dim, p), "rows")
    _raises_naming(lambda: gaussian_matrix("Z", n, dim), "cols")
    _raises_naming(lambda: symmetric_matrix("Z", dim), "size")
