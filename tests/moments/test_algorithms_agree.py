"""The two Wick algorithms (and the Sigma = I recurrence) agree at every order where both run."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import MatrixSymbol, Symbol, Trace, expand

from symmaml.moments import (expectation_terms, gaussian_matrix, symmetric_matrix,
                             wishart_lhs, wishart_moment, wishart_orders)

n, p, q = Symbol("n"), Symbol("p"), Symbol("q")


def _same(a, b):
    return expand(a - b) == 0


@pytest.mark.parametrize("k,traces", wishart_orders(5))
def test_identity_cov_three_algorithms_agree_to_degree_5(k, traces):
    rec = wishart_moment(k, traces, method="recurrence")
    assert _same(rec, wishart_moment(k, traces, method="fast"))
    assert _same(rec, wishart_moment(k, traces, method="reference"))


@pytest.mark.slow
@pytest.mark.parametrize("k,traces", wishart_orders(6, min_degree=6))
def test_identity_cov_reference_agrees_at_degree_6(k, traces):
    assert _same(wishart_moment(k, traces, method="recurrence"),
                 wishart_moment(k, traces, method="reference"))


@pytest.mark.slow
def test_reference_agrees_at_degree_7():
    assert _same(wishart_moment(7, method="fast"), wishart_moment(7, method="reference"))


@pytest.mark.parametrize("k,traces", wishart_orders(9, min_degree=6))
def test_recurrence_matches_fast_contraction_to_degree_9(k, traces):
    assert _same(wishart_moment(k, traces), wishart_moment(k, traces, method="fast"))


@pytest.mark.parametrize("k,traces", [(12, ()), (6, (3, 2, 1)), (0, (4, 4, 4)), (1, (11,)),
                                      (3, (1, 1, 1, 1, 1, 1, 1, 1, 1))])
def test_recurrence_matches_fast_contraction_at_degree_12(k, traces):
    assert _same(wishart_moment(k, traces), wishart_moment(k, traces, method="fast"))


@pytest.mark.parametrize("k,traces", wishart_orders(4))
def test_general_sigma_fast_equals_reference(k, traces):
    X = gaussian_matrix("X", cov="Sigma")
    lhs = wishart_lhs(k, traces, X, scalar=True)
    assert expectation_terms(lhs, "fast") == expectation_terms(lhs, "reference")


# --- random words: several Gaussians, covariances, non-symmetric insertions, transposes ---
X = gaussian_matrix("X", n, p, cov="Sigma")
Y = gaussian_matrix("Y", q, p)                 # independent, identity covariance, q rows
D = MatrixSymbol("D", p, p)                    # no symmetry: transposes must survive
C = symmetric_matrix("C", n)
A = MatrixSymbol("A", n, q)                    # rectangular, links the two row spaces
LETTERS = {  # space -> [(factor, next space)]
    "n": [(X, "p"), (C, "n"), (A, "q")],
    "p": [(X.T, "n"), (Y.T, "q"), (D, "p"), (D.T, "p"), (X.cov, "p")],
    "q": [(Y, "p"), (A.T, "n")],
}


@st.composite
def words(draw, start, end=None, max_len=7):
    space, factors = start, []
    length = draw(st.integers(1, max_len))
    for _ in range(length):
        f, space = draw(st.sampled_from(LETTERS[space]))
        factors.append(f)
    if end is not None and space != end:
        return None
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


@st.composite
def products(draw):
    start = draw(st.sampled_from(["n", "p", "q"]))
    open_word = draw(words(start))
    cycles = [draw(words(s, s, 5)) for s in draw(st.lists(st.sampled_from("npq"), max_size=2))]
    expr = open_word
    for c in cycles:
        if c is not None:
            expr = Trace(c) * expr
    return expr


def _gaussian_count(expr):
    from symmaml.moments.parse import expand_terms
    from symmaml.moments.words import is_gaussian_token
    _, _, terms = expand_terms(expr)
    return max(sum(is_gaussian_token(t) for w in ((o or ()),) + c for t in w)
               for _, o, c in terms)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(products())
def test_random_words_fast_equals_reference(expr):
    if _gaussian_count(expr) > 10:
        return
    assert expectation_terms(expr, "fast") == expectation_terms(expr, "reference")


def test_random_words_actually_exercise_nontrivial_moments():
    # guard against a strategy that only produces odd (zero) products
    expr = X.T * C * X * D * Y.T * Y * D.T * X.T * X
    shape, form = expectation_terms(expr, "fast")
    assert len(form) >= 2
    assert form == expectation_terms(expr, "reference")[1]
