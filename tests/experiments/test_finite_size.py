"""The order-2 theory against fixed-seed Rao-Blackwell simulations (validate(order=2))."""
import numpy as np
import pytest

from symmaml.experiments.validation import format_table, has_order2, run_validation, validate

RUNS = 2000


@pytest.mark.parametrize("figure", ["2b", "6b"])
def test_order2_agrees_and_beats_order1_tenfold(figure):
    """At Fig. 2b (n_v m / p = 0.1) and Fig. 6b (0.5, where the paper says its theory fails):
    every row within MC error (Bonferroni z*), and the order-2 gap's upper confidence bound
    |gap_2| + z* se is at least 10x below the paper's gap |gap_1|, at every alpha_t."""
    r = validate(figure, runs=RUNS, seed=11, order=2)
    assert r.order == 2 and not r.expected_inaccurate
    assert np.all(np.abs(r.z) <= r.z_crit), r.z
    gap1 = np.abs(r.mc - r.extra["theory_order1"])
    bound2 = np.abs(r.abs_gap) + r.z_crit * r.stderr
    assert np.all(gap1 >= 10 * bound2), gap1 / bound2
    assert r.ok and "order 2" in format_table(r)


def test_a_wrong_order2_theory_is_rejected():
    """The same test rejects the order-2 curve with sigma^2 off by 2 % (its power)."""
    from symmaml.experiments.validation import theory_curve
    fig = "2b"
    wrong = lambda at, ar: theory_curve(fig, at, ar, order=2, sigma=1.01)
    r = validate(fig, runs=RUNS, seed=11, theory=wrong, order=2)
    assert np.any(np.abs(r.z) > r.z_crit)


def test_order2_dispatch_and_errors():
    assert has_order2("2b") and has_order2("6b") and not has_order2("3b")
    with pytest.raises(ValueError, match="order"):
        validate("3b", runs=10, order=2)
    with pytest.raises(ValueError, match="order"):
        run_validation(["4a"], runs=10, order=2)
    run = run_validation(["2a"], runs=50, order=2)
    assert run.not_covered == () and run.results[0].order == 2
    with pytest.raises(ValueError, match="one-step"):
        run_validation(["2a"], runs=10, order=2, steps_t=2)
