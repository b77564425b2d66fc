"""The fast exact comparison behind the claims (symmaml.claims.exact) and its fallbacks."""
from __future__ import annotations

import random

import pytest
from sympy import (Identity, Rational, apart, cancel, expand, factor, nan, oo, sqrt,
                   symbols, together, zoo)

from symmaml.claims import Claim, exact_difference, get_claim, verify
from symmaml.claims.exact import is_zero, seeded_sympy_random
from symmaml.symbols import alpha_r, alpha_t, m, n_r, n_t, n_v, nu, p, sigma  # noqa: F401

x, y, z = symbols("x y z")


def test_equal_but_differently_written_rational_functions_are_proved_equal():
    a = 1 / (x + 1) + 1 / (x - 1)
    assert is_zero(a, 2 * x / (x**2 - 1)) is True
    assert is_zero(a, together(a)) is True and is_zero(a, apart(a, x)) is True
    # equal denominators up to a constant share one factor: 1/(2x+2) = (1/2)/(x+1)
    assert is_zero(1 / (2 * x + 2), Rational(1, 2) / (x + 1)) is True
    # a factored power against its expansion, and a non-reduced fraction
    assert is_zero((x + y) ** 5 / (x - y) ** 2, expand((x + y) ** 5) / expand((x - y) ** 2))
    assert is_zero((x**2 - y**2) / (x - y), x + y) is True


def test_a_tiny_perturbation_is_proved_nonzero():
    a = (x + y) ** 6 / (x * y + 1) ** 3
    tiny = Rational(1, 10**40) * x**7 * y**3 / (z**2 + 1)
    assert is_zero(a, a + tiny) is False
    assert is_zero(a, a * (1 + Rational(1, 10**30))) is False
    assert is_zero(x / (x + 1), 1) is False


def test_opaque_subexpressions_are_never_proved_nonzero():
    # sqrt(x) is an independent generator there: equal (after sqrt(x)**2 = x) but undecided
    assert is_zero((sqrt(x) + 1) ** 2, x + 2 * sqrt(x) + 1) is None
    assert is_zero(sqrt(x) * sqrt(y), sqrt(x * y)) is None
    # ... and exact_difference falls back to SymPy for both verdicts
    assert exact_difference((sqrt(x) + 1) ** 2, x + 2 * sqrt(x) + 1) == 0
    assert exact_difference(sqrt(x) + 1, sqrt(x)) == 1
    # a proof with opaque generators is still a proof
    assert is_zero((sqrt(x) + 1) / (sqrt(x) + 1) ** 2, 1 / (sqrt(x) + 1)) is True


def test_floats_and_zero_denominators_are_left_to_sympy():
    assert is_zero(x * 0.5, x / 2) is None
    # a denominator that is the zero polynomial without SymPy noticing
    assert is_zero(1 / ((x + 1) ** 2 - x**2 - 2 * x - 1), 1) is None
    assert is_zero(zoo, 1) is None


def _random_rational(rng, depth=3):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([x, y, z, Rational(rng.randint(-4, 4), rng.randint(1, 3))])
    a, b = _random_rational(rng, depth - 1), _random_rational(rng, depth - 1)
    op = rng.choice("+-*/^")
    if op == "/":
        return a / b if b != 0 else a
    if op == "^":
        return a ** rng.randint(-2, 3) if a != 0 else a
    return {"+": a + b, "-": a - b, "*": a * b}[op]


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_cancel_on_random_rational_functions(seed):
    rng = random.Random(seed)
    checked = 0
    for _ in range(40):
        a = _random_rational(rng)
        if a.has(zoo, nan, oo):
            continue
        for b in (together(a), factor(a), a + x * Rational(1, 10**12),
                  _random_rational(rng)):
            truth = cancel(a - b) == 0
            got = is_zero(a, b)
            assert got in (truth, None), (a, b)
            if got is not None:
                checked += 1
    assert checked > 100


def test_theorem_losses_are_decided_by_the_fast_path():
    for eq in ("5", "9", "14 (reduction)", "9 (g)", "79"):
        c = get_claim(eq)
        assert is_zero(c.derived(), c.printed()) is True, eq


def test_a_perturbed_theorem_loss_is_proved_different():
    """Eq. 9 (Theorem 2's loss) plus 10^-30 alpha_t^7 sigma^2 / (n_t^3 (m + 1)): the fast
    comparison must not round the term away (nothing is evaluated numerically)."""
    from symmaml.claims.theorems import _eq9
    tiny = Rational(1, 10**30) * alpha_t**7 * sigma**2 / (n_t**3 * (m + 1))
    derived = get_claim("9").derived()
    assert is_zero(derived, _eq9()) is True
    assert is_zero(derived, _eq9() + tiny) is False
    assert is_zero(derived + tiny, _eq9() + tiny) is True


def test_a_perturbed_claim_fails_with_exactly_the_perturbation():
    """Eq. 5 (Theorem 1's loss) perturbed: verify reports it failing, with the difference."""
    from symmaml.claims.theorems import _eq5
    tiny = Rational(1, 10**30) * alpha_r**3 * nu**2 / (n_r**2 * (n_v + m))
    wrong = Claim("5*", "test", "Eq. 5 perturbed by a tiny term",
                  derived=lambda: get_claim("5").derived(), printed=lambda: _eq5() + tiny)
    v = verify(wrong)
    assert v.status == "fails" and not v.as_expected
    assert cancel(exact_difference(v.derived, v.printed) + tiny) == 0


def test_a_perturbed_matrix_claim_fails():
    wrong = Claim("33*", "test", "E[(X^T X)^3] with a tiny extra multiple of I",
                  derived=get_claim("33").derived,
                  printed=lambda: get_claim("33").printed() + Rational(1, 10**20) * n_v
                  / (p + 1) * Identity(p))
    v = verify(wrong)
    assert v.status == "fails" and "I" in v.detail


def test_the_failing_claims_keep_their_established_details():
    assert verify(get_claim("10")).detail == (
        "derived - printed = (alpha_r**2*n_r*p*sigma**2 + alpha_r**2*p**2*sigma**2 + "
        "alpha_r**2*p*sigma**2 - 2*alpha_r*n_r*p*sigma**2)/(m*n_r*n_v); corrected form "
        "(holds exactly): p*sigma**2*(alpha_r**2*(p + 1)/n_r + (1 - alpha_r)**2)/(m*n_v)")
    assert verify(get_claim("17")).detail == (
        "derived - printed = (p - 1)*I; corrected form (holds exactly): p*I")


def test_seeded_sympy_random_restores_the_generator():
    from sympy.core.random import rng
    before = rng.getstate()
    with seeded_sympy_random(3):
        first = rng.random()
    assert rng.getstate() == before
    with seeded_sympy_random(3):
        assert rng.random() == first
    # and factorisations, whose cost depends on the draws, give the same factors
    poly = expand((x * y + n_r * z + 1) * (x - alpha_r * y + nu) * (n_t + x * z))
    with seeded_sympy_random(0):
        seeded = factor(poly)
    assert seeded == factor(poly)
