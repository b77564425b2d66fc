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
