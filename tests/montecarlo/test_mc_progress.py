"""tqdm progress bar and Ctrl-C handling."""
import sys

import numpy as np
import pytest

from symmaml.montecarlo import simulate

from mc_helpers import OVER

SIM = sys.modules["symmaml.montecarlo.simulate"]
KW = dict(OVER, alpha_t=0.2, alpha_r=0.2, runs=10, seed=0, test_tasks=2, n_s=3, chunk=3)


def test_interrupt_returns_finished_runs(monkeypatch):
    real = SIM.simulate_chunk
    calls = []

    def flaky(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(SIM, "simulate_chunk", flaky)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        r = simulate(**KW)
    assert r.interrupted and r.runs == 6 and r.values.shape == (6,)
    monkeypatch.setattr(SIM, "simulate_chunk", real)
    np.testing.assert_array_equal(r.values, simulate(**KW).values[:6])


def test_interrupt_before_any_chunk_propagates(monkeypatch):
    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(SIM, "simulate_chunk", boom)
    with pytest.raises(KeyboardInterrupt):
        simulate(**KW)


def test_progress_bar(capsys):
    r = simulate(**KW, progress=True)
    err = capsys.readouterr().err
    assert "10/10" in err and r.runs == 10
    simulate(**KW, progress=False)
    assert capsys.readouterr().err == ""


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
    from symmaml.montecarlo.validate import validate
    _interrupt_on_call(monkeypatch, 2)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        with pytest.raises(SimulationInterrupted, match="5 of 20 runs") as e:
            validate("2b", runs=20, seed=0)
    assert isinstance(e.value, KeyboardInterrupt)
    assert e.value.result.interrupted and e.value.result.runs == 5 and e.value.completed == ()


def test_validate_all_keeps_the_finished_figures(monkeypatch):
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.montecarlo.validate import validate_all
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
    from symmaml.montecarlo.validate import validate
    _interrupt_on_call(monkeypatch, 1)
    with pytest.raises(SimulationInterrupted, match="before any run") as e:
        validate("2a", runs=20, seed=0)
    assert e.value.result is None


def test_validate_all_interrupted_before_a_chunk(monkeypatch):
    """The same in validate_all's second figure: the finished figure is kept."""
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.montecarlo.validate import validate_all
    _interrupt_on_call(monkeypatch, 4 + 1)
    with pytest.raises(SimulationInterrupted) as e:
        validate_all(["2a", "2b"], runs=20, seed=0)
    assert [v.figure for v in e.value.completed] == ["2a"] and e.value.result is None


def test_gap_scaling_refuses_an_interrupted_simulation(monkeypatch):
    from symmaml.montecarlo import SimulationInterrupted
    from symmaml.montecarlo.validate import gap_scaling
    _interrupt_on_call(monkeypatch, 2 + 2, chunk=5)  # size 1: 2 chunks; size 2: stopped in its 2nd
    with pytest.warns(RuntimeWarning, match="interrupted"):
        with pytest.raises(SimulationInterrupted, match="p = 120 after 5 of 10") as e:
            gap_scaling(1, sizes=[1, 2], runs=10, seed=0)
    assert len(e.value.completed) == 1 and e.value.completed[0].runs == 10
