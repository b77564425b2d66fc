"""scripts/spectrum_average_probe.py (the measurement behind the README's note on Fig. 3b's
residual) and the ``rule`` argument of the task recursion it uses."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

import spectrum_average_probe as probe  # noqa: E402
from symmaml.numeric import loss_function  # noqa: E402
from symmaml.numeric.finite_size_tasks import task_recursion, wishart_quadrature  # noqa: E402

SMALL = dict(n_t=5, n_v=10, m=4, p=20)


def test_theory_value_is_the_packages_order2():
    """The script's matched E|omega* - w0|^2 is the package's: recover it from the order-2
    loss at alpha_r = 0 (Eq. 65 there: (nu^2 + E)/2 + sigma^2/2)."""
    f = loss_function(2, order=2)
    L = f(alpha_t=np.array([-1.0]), alpha_r=0.0, n_r=10, sigma=probe.SIGMA, nu=probe.NU,
          **probe.SIZES)[0]
    E = 2 * L - probe.NU ** 2 - probe.SIGMA ** 2
    assert probe.theory_E(-1.0) == pytest.approx(E, rel=1e-12)


def test_rule_is_the_default_quadrature_when_given_it():
    lam, w = wishart_quadrature(SMALL["n_t"], SMALL["p"], 12)
    a = np.array([-1.0, 0.3])
    for x, y in zip(task_recursion(a, **SMALL), task_recursion(a, rule=(lam, w), **SMALL)):
        assert np.array_equal(x, y)


def test_rule_is_checked():
    with pytest.raises(ValueError, match="rule must be nodes"):
        task_recursion(np.array([0.1]), rule=(np.ones(3), np.ones(3)), **SMALL)   # sum != p
    with pytest.raises(ValueError, match="rule must be nodes"):
        task_recursion(np.array([0.1]), rule=(-np.ones(20), np.ones(20)), **SMALL)
    with pytest.raises(ValueError, match="rule must be a pair"):
        task_recursion(np.array([0.1]), rule=3, **SMALL)


def test_models_agree_at_alpha_zero():
    """At alpha_t = 0 (A = I) the spectrum does not enter: the two theories are the same
    number, and the two simulated models estimate the same E (independent draws)."""
    rng = np.random.default_rng(3)
    lam = probe.fixed_spectrum(rng)
    assert probe.theory_E(0.0, (lam, np.ones_like(lam))) == probe.theory_E(0.0)
    m1, s1 = probe.simulate(0.0, lam, 400, rng)
    m2, s2 = probe.simulate(0.0, None, 400, rng)
    assert abs(m1 - m2) / np.hypot(s1, s2) < 4
    # and the order-2 value is exact there (the inverse-Wishart value, matched)
    assert abs(probe.theory_E(0.0) - m2) / s2 < 4
