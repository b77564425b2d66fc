"""No silent wrong answers: exponent capacity, over=, the cost guard, k = 0, moment_table,
and arguments that are never parsed as code."""
import time

import pytest
from sympy import Identity, MatrixSymbol, Symbol, Trace, expand, prod

from symmaml.moments import (CostLimitError, MAX_DEGREE_REFERENCE, clear_caches, contraction,
                             expectation, expectation_terms, gaussian_matrix, moment_table,
                             moments_equal, symmetric_matrix, wishart_expectation, wishart_lhs,
                             wishart_moment, wishart_orders)
from symmaml.moments import api, limits, wishart, words
from symmaml.moments.parse import expand_terms

n, p = Symbol("n"), Symbol("p")


# --- packed monomials: a dimension to a high power -------------------------------------
def test_trace_power_of_a_square_matrix_is_a_chi_square_moment():
    # X n x n: Tr X^T X ~ chi^2_{n^2}, E[(chi^2_N)^k] = N (N + 2) ... (N + 2k - 2): n**64
    X = gaussian_matrix("Xsq", n, n)
    expected = prod(n ** 2 + 2 * i for i in range(32))
    assert expand(expectation(Trace(X.T * X) ** 32) - expected) == 0


@pytest.mark.parametrize("count", [63, 64, 65, 130])
def test_product_of_independent_wisharts(count):
    # independent factors: E[prod X_i^T X_i] = prod E[X_i^T X_i] = n**count I
    Xs = [gaussian_matrix(f"X_{i}") for i in range(count)]
    expr = prod((X.T * X for X in Xs), start=Identity(p))
    assert moments_equal(expectation(expr), n ** count * Identity(p))


@pytest.fixture
def six_bit_digits(monkeypatch):
    """The old 6-bit packing, with every memo table that holds packed monomials emptied."""
    clear_caches()
    monkeypatch.setattr(words, "_BASE_BITS", 6)
    yield
    monkeypatch.undo()
    clear_caches()


def test_both_sides_of_the_exponent_limit(six_bit_digits):
    Xs = [gaussian_matrix(f"X_{i}") for i in range(64)]
    fits = prod((X.T * X for X in Xs[:63]), start=Identity(p))       # n**63: the largest
    assert moments_equal(expectation_terms(fits)[1][((), ())] * Identity(p),
                         n ** 63 * Identity(p))
    with pytest.raises(ValueError, match=r"n\*\*64.*largest exponent 63"):
        expectation_terms(prod((X.T * X for X in Xs), start=Identity(p)))


# --- over= ----------------------------------------------------------------------------
def test_over_accepts_one_matrix():
    X, Y = gaussian_matrix("X"), gaussian_matrix("Y")
    expr = X.T * X * Y.T * Y
    assert expectation(expr, over=X) == expectation(expr, over=[X])
    assert moments_equal(expectation(X.T * X, over=X), n * Identity(p))


@pytest.mark.parametrize("over", ["X", 3, [MatrixSymbol("M", p, p)]])
def test_over_rejects_what_is_not_gaussian(over):
    X = gaussian_matrix("X")
    with pytest.raises((TypeError, ValueError), match="over"):
        expectation(X.T * X, over=over)


# --- the cost guard -----------------------------------------------------------------------
@pytest.mark.parametrize("k", [60, 10 ** 6])
@pytest.mark.parametrize("method", ["recurrence", "fast", "reference"])
def test_hopeless_orders_are_refused_at_once(k, method):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=rf"order k = {k} "):
        wishart_moment(k, method=method)
    assert time.perf_counter() - t0 < 10      # generous: refused before any work


def test_the_refusal_gives_the_estimate():
    with pytest.raises(ValueError, match=r"order k = 60 .*estimated cost about 2\.39e\+10"):
        wishart_moment(60)
    with pytest.raises(ValueError, match=r"order k = 1000000 .*estimated cost at least"):
        wishart_moment(10 ** 6)


def test_a_huge_matrix_power_is_refused_before_expansion():
    X = gaussian_matrix("X")
    with pytest.raises(CostLimitError, match="power"):
        expectation((X.T * X) ** (10 ** 6))
    with pytest.raises(CostLimitError, match="terms"):
        expectation((X.T * X + Identity(p)) ** 40)


def test_the_limit_is_configurable(monkeypatch):
    X = gaussian_matrix("X", cov="Sigma")
    monkeypatch.setattr(limits, "MAX_COST", 10 ** 4)
    with pytest.raises(CostLimitError, match="expr .*degree 8"):
        expectation_terms(wishart_lhs(8, (), X))
    with pytest.raises(CostLimitError, match="order k = 12"):
        wishart_moment(12)
    monkeypatch.setattr(limits, "MAX_COST", None)
    monkeypatch.setenv("SYMMAML_MAX_COST", "1e4")
    with pytest.raises(CostLimitError):
        wishart_moment(12)
    monkeypatch.setenv("SYMMAML_MAX_COST", "lots")
    with pytest.raises(ValueError, match="SYMMAML_MAX_COST"):
        wishart_moment(3)


def test_the_contraction_counts_its_states():
    # the backstop when the up-front estimate is too low
    X = gaussian_matrix("X", cov="Sigma")
    _, _, terms = expand_terms(wishart_lhs(8, (), X))
    (_, open_word, cycles), = terms
    clear_caches()
    with contraction.state_budget(5), pytest.raises(CostLimitError, match="state budget"):
        contraction.expect_word(open_word, cycles)
    clear_caches()
    with contraction.state_budget(10 ** 6):
        assert contraction.expect_word(open_word, cycles)


def test_readme_benchmarks_stay_under_the_default_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_COST", None)
    monkeypatch.delenv("SYMMAML_MAX_COST", raising=False)
    XI, XS = gaussian_matrix("X"), gaussian_matrix("X", cov="Sigma")
    cases = [wishart_lhs(12, (), XI), wishart_lhs(12, (), XS)]
    cases += [wishart_lhs(k, t, XS, scalar=True) for k, t in
              [(6, (3, 2, 1)), (4, (4, 4)), (2, (1,) * 10), (0, (3, 3, 3, 3))]]
    cases += [wishart_lhs(k, t, XI, scalar=True) for k, t in wishart_orders(12, 12)]
    for expr in cases:
        api._guard_terms(expand_terms(expr)[2], "fast")          # estimates only
    api._guard_terms(expand_terms(wishart_lhs(8, (), XI))[2], "reference")
    api._wishart_guard(24, (), "recurrence")


# --- k = 0 ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["recurrence", "fast", "reference"])
def test_order_zero_is_the_identity(method):
    assert wishart_moment(0, method=method) == 1
    assert wishart_expectation(0, method="fast" if method == "recurrence" else method) \
        == wishart_moment(0) * Identity(p)
    assert wishart_expectation(0, cov=None) == Identity(p)


# --- moment_table ---------------------------------------------------------------------------
@pytest.mark.parametrize("max_degree,sigma,method", [(4, "identity", "recurrence"),
                                                     (3, "identity", "fast"),
                                                     (3, "identity", "reference"),
                                                     (3, "general", "fast")])
def test_moment_table_rows(max_degree, sigma, method):
    rows = moment_table(max_degree, sigma, method)
    assert [(k, t) for k, t, _ in rows] == wishart_orders(max_degree)
    X = gaussian_matrix("X", cov=None if sigma == "identity" else "Sigma")
    for k, traces, m in rows:
        assert m.lhs == wishart_lhs(k, traces, X, scalar=True)
        if sigma == "identity":     # an independent algorithm: the recurrence or contraction
            other = wishart_moment(k, traces, "fast" if method == "recurrence" else "recurrence")
            assert moments_equal(m.value, other if k == 0 else other * Identity(p))
        else:
            assert moments_equal(m.value, expectation(m.lhs, method="reference"))


@pytest.mark.parametrize("args,error,match", [
    ((-1,), ValueError, "max_degree"), ((2.5,), ValueError, "max_degree"),
    (("4",), TypeError, "max_degree"), ((None,), TypeError, "max_degree"),
    ((3, "bogus"), ValueError, "sigma"), ((3, None), ValueError, "sigma"),
    ((3, "identity", "bogus"), ValueError, "method"),
    ((3, "general", "recurrence"), ValueError, "recurrence"),
    ((MAX_DEGREE_REFERENCE + 1, "identity", "reference"), ValueError, "reference"),
    ((60,), CostLimitError, "max_degree = 60"), ((10 ** 6,), CostLimitError, "max_degree"),
])
def test_moment_table_checks_everything_before_computing(monkeypatch, args, error, match):
    def nothing_may_be_computed(*a, **k):
        raise AssertionError("computed before validating")
    monkeypatch.setattr(api, "expectation_terms", nothing_may_be_computed)
    monkeypatch.setattr(wishart, "wishart_coefficient", nothing_may_be_computed)
    with pytest.raises(error, match=match):
        moment_table(*args)


def test_moment_table_of_degree_zero_is_empty():
    assert moment_table(0) == []


# --- strings are never evaluated; bad arguments name themselves --------------------------------
def test_code_in_a_string_never_runs(tmp_path):
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('x') or 3"
    calls = [lambda: expectation(code), lambda: wishart_moment(code),
             lambda: wishart_moment(2, (code,)), lambda: moments_equal(code, 3),
             lambda: gaussian_matrix("X", code), lambda: moment_table(code),
             lambda: wishart_lhs(code), lambda: expectation_terms(code)]
    for call in calls:
        with pytest.raises(TypeError):
            call()
    assert not marker.exists()


@pytest.mark.parametrize("call,match", [
    (lambda: wishart_moment(2.5), "order k"), (lambda: wishart_moment(-1), "order k"),
    (lambda: wishart_moment("3"), "order k"), (lambda: wishart_moment(2, (0,)), "trace"),
    (lambda: wishart_moment(2, (-2,)), "trace"), (lambda: wishart_moment(2, method="bogus"),
                                                  "method"),
    (lambda: wishart_expectation(2.5), "order k"), (lambda: wishart_expectation(2, (0,)), "trace"),
    (lambda: wishart_expectation(2, method="recurrence"), "method"),
    (lambda: wishart_expectation(2, cov=3), "cov"), (lambda: wishart_lhs(-1), "order k"),
    (lambda: expectation(gaussian_matrix("X").T, method="bogus"), "method"),
    (lambda: expectation(gaussian_matrix("X").T, method=None), "method"),
    (lambda: gaussian_matrix("X", "n + 1"), "rows"),
    (lambda: symmetric_matrix("S", 2.5), "size"),
])
def test_bad_arguments_name_themselves(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
