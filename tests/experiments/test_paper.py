"""The registry of the paper's figures (symmaml.experiments.paper) is the one source of
their parameters, grids, titles and run counts, and builds its expensive objects once."""
import numpy as np
import pytest

from symmaml.experiments import figures, paper, validation
from symmaml.experiments.paper import FIGURES, exact_params, get_figure


def test_one_source_of_run_counts():
    """validate, figures and report use the same default (Fig. 3b used to differ:
    200 runs in validate, 1000 in figures)."""
    assert figures.DEFAULT_RUNS is paper.DEFAULT_RUNS and figures.PAPER_RUNS is paper.PAPER_RUNS
    assert figures.FIGURE_NAMES == paper.FIGURE_NAMES == tuple(FIGURES)
    assert validation.FIGURES is FIGURES
    for name, fig in FIGURES.items():
        assert figures._runs(name, None, False, False) == fig.runs == paper.DEFAULT_RUNS[name]
        assert figures._runs(name, None, False, True) == fig.paper_runs
        assert figures._runs(name, None, True, False) == fig.quick_runs == paper.QUICK_RUNS
        assert fig.title.startswith(f"Fig. {name}: Theorem {fig.theorem}")
        assert fig.runs >= fig.paper_runs
    assert FIGURES["3b"].runs == 1000


def test_lookup():
    assert get_figure("Fig.2b") is get_figure("fig2b") is get_figure("2b") is FIGURES["2b"]
    assert get_figure(FIGURES["4a"]) is FIGURES["4a"]
    with pytest.raises(ValueError, match="unknown figure"):
        get_figure("5")


def test_exact_params_for_sympy():
    assert exact_params("2b") == dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1, nu="1/2",
                                      alpha_r="1/5")
    assert exact_params("3a") == dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma="1/5",
                                      nu="1/5", alpha_t="1/5")


def test_wishart_draws_are_cached_copies():
    S, Sw = FIGURES["4a"].matrices()
    S2, Sw2 = FIGURES["4b"].matrices()
    assert S is not S2 and np.array_equal(S, S2) and np.array_equal(Sw, Sw2)
    S[0, 0] += 1.0                      # a caller's change does not reach the cache
    assert np.array_equal(FIGURES["4a"].matrices()[0], S2)
    assert FIGURES["2a"].matrices() == (None, None)
    with pytest.raises(ValueError, match="no Wishart"):
        FIGURES["2a"].theorem3_evaluator()


def test_theorem3_evaluator_built_once(monkeypatch):
    """figure_data("4b") used to build the Theorem-3 evaluator 3-5 times; now once per
    parameter set and order (the paper's and the order-2 curve), shared by theory_curve,
    the curve and the optimum."""
    import symmaml.numeric.losses as losses
    built = []
    real = losses.theorem3_evaluator

    def counting(*a, **k):
        built.append(1)
        return real(*a, **k)

    monkeypatch.setattr(losses, "theorem3_evaluator", counting)
    paper._theorem3_evaluator.cache_clear()
    try:
        d = figures.figure_data("4b", runs=4, points=3, curve_points=5)
        figures.figure_data("4a", runs=4, points=3, curve_points=5)
        validation.rel_allowance("4b")
    finally:
        paper._theorem3_evaluator.cache_clear()
    assert len(built) == 2
    assert FIGURES["4b"].theorem3_evaluator() is FIGURES["4a"].theorem3_evaluator()
    np.testing.assert_array_equal(
        d.theory, validation.theory_curve("4b", d.alpha, FIGURES["4b"].fixed))
