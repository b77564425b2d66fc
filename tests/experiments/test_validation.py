"""Theory (derived Theorems 1-3) vs seeded Monte Carlo at the paper's figure parameters.

Model parameters are the paper's (Figs. 2, 3, 4, 6); only the number of runs is reduced.
Tolerances (symmaml.experiments.validation):

* Monte Carlo error: |mc - theory| <= z* stderr, z* the two-sided Bonferroni threshold
  (Student t, runs - 1 dof) at family level 1e-3 over the 7 rows of a figure;
* asymptotic error of the theorem, an explicit allowance rel_allowance * |theory| with
  rel_allowance = C1 / p_eff (Theorems 1 and 3, error O(xi^{-3/2}), C1 = 2; p_eff = p
  for Sigma = I) or C2 p / (n_v m) (Theorem 2, error O((m xi)^{-3/2}), C2 = 1).

A row passes if |gap| <= z* stderr + allowance.  Fixed seeds; the "rao_blackwell"
estimator (exact given the training inputs) keeps the runs few.  Deliberately wrong
theories must fail at the same tolerance, and Figs. 6b/6c (where the paper says the
theory is inaccurate) must show a large, recorded gap.

Also: validation refuses one run and never turns an interrupted simulation into a verdict
(moved here from tests/montecarlo/test_mc_validation.py and test_mc_progress.py).
"""
import json
import math
import sys
from dataclasses import replace

import numpy as np
import pytest

from symmaml.experiments.paper import FIGURES
from symmaml.experiments.validation import (C1, C2, INACCURATE_REL, format_table, gap_scaling,
                                            theory_curve, to_records, validate)

# reduced runs per figure (the model parameters are the paper's)
RUNS = {"2a": 300, "2b": 300, "3a": 20, "3b": 20, "4a": 300, "4b": 300,
        "6a": 200, "6b": 200, "6c": 20, "6d": 20}
SEED = 20210201
HEAVY = {"3a", "3b", "6c", "6d"}           # Theorem 2 panels: N = n_v m up to 1000 rows of B


def _param(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in names]


_cache = {}


def run(name, **kw):
    """validate() with the test's runs and seed (memoised for the default theory)."""
    key = (name, tuple(sorted(kw.items()))) if "theory" not in kw else None
    if key is not None and key in _cache:
        return _cache[key]
    r = validate(name, runs=RUNS[name], seed=SEED, **kw)
    if key is not None:
        _cache[key] = r
    return r


@pytest.mark.parametrize("name", _param(["2a", "2b", "4a", "4b", "6a", "3a", "3b", "6d"]))
def test_theory_agrees_within_mc_and_asymptotic_error(name, record_property):
    r = run(name)
    print(format_table(r))
    record_property("max_abs_rel_gap", r.max_abs_rel_gap)
    assert not r.expected_inaccurate
    assert r.ok, format_table(r)
    assert np.all(np.abs(r.mc - r.theory) <= r.z_crit * r.stderr + r.rel_allowance * np.abs(r.theory))
    # the allowance is what the docstring states
    P = FIGURES[name].params
    if r.theorem == 2:
        assert r.rel_allowance == pytest.approx(C2 * P["p"] / (P["n_v"] * P["m"]))
    elif r.theorem == 1:
        assert r.rel_allowance == pytest.approx(C1 / P["p"])
    else:   # Wishart Sigma: p_eff = (Tr S)^2 / Tr S^2, about p / 2
        assert C1 / P["p"] < r.rel_allowance < 3 * C1 / P["p"]


def test_theorem1_known_bias_is_resolved():
    """At Fig. 2's parameters Theorem 1 sits about 1 % below the exact simulation: the
    estimator resolves this O(1/p^2) bias (every row beyond MC error, same sign)."""
    r = run("2b")
    assert np.all(r.z > r.z_crit)
    assert np.all((r.rel_gap > 0.002) & (r.rel_gap < 0.025))


@pytest.mark.parametrize("name", _param(["6b", "6c"]))
def test_expected_inaccurate_panels_show_a_large_gap(name, record_property):
    """Fig. 6b (p = 50 > n_v m = 25) and 6c (n_v m = 100 > p = 50): the paper says the
    theory is inaccurate; the gap is asserted large (not hidden) and recorded."""
    r = run(name)
    print(format_table(r))
    record_property("rel_gap", [float(g) for g in r.rel_gap])
    assert r.expected_inaccurate and r.inaccuracy_confirmed and r.ok
    assert set(r.verdict) == {"expected inaccurate"}
    assert np.all(np.abs(r.z) > r.z_crit)
    assert r.max_abs_rel_gap > INACCURATE_REL
    assert np.all(r.rel_gap > 0.10)          # theory underestimates the loss everywhere
    # were the panel treated as an ordinary one, it would be rejected (Theorem 1's allowance)
    if name == "6b":
        plain = validate(replace(FIGURES[name], expected_inaccurate=False), runs=RUNS[name], seed=SEED)
        assert "DISAGREE" in plain.verdict and not plain.ok


# ------------------------------------------------------------------ the tests can fail
WRONG = {
    "sigma^2 doubled": lambda fig: (lambda at, ar: theory_curve(
        fig, at, ar, sigma=math.sqrt(2) * fig.params["sigma"])),
    "alpha_t -> -alpha_t": lambda fig: (lambda at, ar: theory_curve(fig, -np.asarray(at), ar)),
    "alpha_r -> 0.9 alpha_r": lambda fig: (lambda at, ar: theory_curve(fig, at, 0.9 * np.asarray(ar))),
}
CASES = [("2b", "sigma^2 doubled"), ("4b", "sigma^2 doubled"), ("6a", "sigma^2 doubled"),
         ("2b", "alpha_t -> -alpha_t"), ("4b", "alpha_t -> -alpha_t"),
         ("2a", "alpha_r -> 0.9 alpha_r"), ("4a", "alpha_r -> 0.9 alpha_r"),
         pytest.param("3b", "sigma^2 doubled", marks=pytest.mark.slow),
         pytest.param("6d", "alpha_t -> -alpha_t", marks=pytest.mark.slow),
         pytest.param("3a", "alpha_r -> 0.9 alpha_r", marks=pytest.mark.slow)]


@pytest.mark.parametrize("name,wrong", CASES)
def test_wrong_theory_is_rejected(name, wrong):
    fig = FIGURES[name]
    r = run(name, theory=WRONG[wrong](fig))
    assert "DISAGREE" in r.verdict and not r.ok, format_table(r)


def test_estimators_agree():
    """rao_blackwell vs conditional (same seed, same training inputs) on Fig. 2b."""
    a = run("2b")
    b = validate("2b", runs=RUNS["2b"], seed=SEED, estimator="conditional")
    assert np.all(b.stderr > a.stderr)      # Rao-Blackwell has the smaller variance
    z = (a.mc - b.mc) / np.hypot(a.stderr, b.stderr)
    assert np.all(np.abs(z) <= a.z_crit)


# ------------------------------------------------------------------ gap scaling
def test_gap_scaling_theorem1_in_p():
    """p = 60k, n_t = 30k (k = 1, 2, 4), n_v m = 6: the relative gap must shrink at least
    at the theorem's rate O(p^{-3/2}); its leading correction predicts p^{-2}."""
    s = gap_scaling(1, sizes=[1, 2, 4], runs=300, seed=SEED)
    print(format_table(s))
    assert s.clearly_negative and s.consistent_with_stated
    assert -2.5 <= s.slope <= -1.5 + 2 * s.slope_err
    assert s.consistent_with(-2.0, band=0.3)


@pytest.mark.slow
def test_gap_scaling_theorem2_in_m():
    """m = 40, 80, 160 at Fig. 3's other parameters: O((m xi)^{-3/2}) bound, m^{-2} expected."""
    s = gap_scaling(2, sizes=[40, 80, 160], runs=40, seed=SEED)
    print(format_table(s))
    assert s.clearly_negative and s.consistent_with_stated
    assert -2.5 <= s.slope <= -1.5 + 2 * s.slope_err
    assert s.consistent_with(-2.0, band=0.3)


# ------------------------------------------------------------------ plumbing
def test_records_and_table():
    r = run("2a")
    rec = to_records(r)
    json.dumps(rec)
    assert rec["figure"] == "2a" and len(rec["rows"]) == 7
    assert {"alpha", "theory", "mc", "stderr", "z", "rel_gap", "verdict"} <= set(rec["rows"][0])
    t = format_table(r)
    assert t.count("\n| ") == 8 and "Fig. 2a" in t
    with pytest.raises(ValueError, match="unknown figure"):
        validate("9z", runs=2)


def test_wishart_matrices_are_seeded_and_normalised():
    S, Sw = FIGURES["4a"].matrices()
    S2, Sw2 = FIGURES["4b"].matrices()
    p, nu = FIGURES["4a"].params["p"], FIGURES["4a"].params["nu"]
    assert np.array_equal(S, S2) and np.array_equal(Sw, Sw2)
    assert np.trace(S) / p == pytest.approx(1.0, rel=0.1)          # E Sigma = I, not p I
    assert np.trace(Sw) == pytest.approx(nu ** 2, rel=0.1)         # E Sigma_w = nu^2/p I

# ------------------------------------------------------------------ runs = 1, Ctrl-C
SIM = sys.modules["symmaml.montecarlo.simulate"]


def _no_work(monkeypatch):
    """Make any simulation work fail loudly, so a refusal is seen to come first."""
    def boom(*a, **k):
        raise AssertionError("work started before runs was checked")
    monkeypatch.setattr(SIM, "simulate_chunk", boom)
    monkeypatch.setattr(SIM.sampling, "draw_chunk", boom)


def test_one_run_is_refused_by_validation(monkeypatch):
    from symmaml.experiments.validation import gap_scaling, validate, validate_all
    _no_work(monkeypatch)
    for fn, args in ((validate, ("2b",)), (validate_all, (["2a", "2b"],)), (gap_scaling, (1,))):
        with pytest.raises(ValueError, match="runs must be at least 2"):
            fn(*args, runs=1)


# ------------------------------------------------------------------ interrupted validation
def _interrupt_on_call(monkeypatch, n, chunk=5):
    """simulate_chunk raises KeyboardInterrupt on its n-th call; chunks of ``chunk`` runs."""
    real, calls = SIM.simulate_chunk, []

    def flaky(*a, **k):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(SIM, "simulate_chunk", flaky)
    monkeypatch.setattr(SIM, "default_chunk", lambda d, runs: min(chunk, runs))
    return calls


def test_validate_refuses_an_interrupted_simulation(monkeypatch):
    """One Ctrl-C in the middle: simulate returns 5 of 20 runs, validate must not turn
    them into a verdict; it re-raises, with the partial simulation attached."""
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.experiments.validation import validate
    _interrupt_on_call(monkeypatch, 2)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        with pytest.raises(SimulationInterrupted, match="5 of 20 runs") as e:
            validate("2b", runs=20, seed=0)
    assert isinstance(e.value, KeyboardInterrupt)
    assert e.value.result.interrupted and e.value.result.runs == 5 and e.value.completed == ()


def test_validate_all_keeps_the_finished_figures(monkeypatch):
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.experiments.validation import validate_all
    _interrupt_on_call(monkeypatch, 4 + 2)          # 2a takes 4 chunks, 2b is stopped in its 2nd
    with pytest.warns(RuntimeWarning, match="interrupted"):
        with pytest.raises(SimulationInterrupted, match="Fig. 2b after 1 of 2") as e:
            validate_all(["2a", "2b"], runs=20, seed=0)
    assert [v.figure for v in e.value.completed] == ["2a"] and e.value.completed[0].runs == 20
    assert e.value.result.runs == 5


def test_validate_interrupted_before_a_chunk(monkeypatch):
    """Ctrl-C before the first chunk: simulate re-raises a plain KeyboardInterrupt, which
    validate reports as SimulationInterrupted with no partial result."""
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.experiments.validation import validate
    _interrupt_on_call(monkeypatch, 1)
    with pytest.raises(SimulationInterrupted, match="before any run") as e:
        validate("2a", runs=20, seed=0)
    assert e.value.result is None


def test_validate_all_interrupted_before_a_chunk(monkeypatch):
    """The same in validate_all's second figure: the finished figure is kept."""
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.experiments.validation import validate_all
    _interrupt_on_call(monkeypatch, 4 + 1)
    with pytest.raises(SimulationInterrupted) as e:
        validate_all(["2a", "2b"], runs=20, seed=0)
    assert [v.figure for v in e.value.completed] == ["2a"] and e.value.result is None


def test_gap_scaling_refuses_an_interrupted_simulation(monkeypatch):
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.experiments.validation import gap_scaling
    _interrupt_on_call(monkeypatch, 2 + 2, chunk=5)  # size 1: 2 chunks; size 2: stopped in its 2nd
    with pytest.warns(RuntimeWarning, match="interrupted"):
        with pytest.raises(SimulationInterrupted, match="p = 120 after 5 of 10") as e:
            gap_scaling(1, sizes=[1, 2], runs=10, seed=0)
    assert len(e.value.completed) == 1 and e.value.completed[0].runs == 10
