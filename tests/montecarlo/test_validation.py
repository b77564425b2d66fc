"""Bad input -> ValueError (or ImportError for a missing backend) with a clear message."""
import sys

import numpy as np
import pytest

from symmaml.montecarlo import simulate

from mc_helpers import OVER

BASE = dict(OVER, alpha_t=0.2, alpha_r=0.2, runs=2, seed=0, test_tasks=2, n_s=3)


def call(**kw):
    args = dict(BASE)
    args.update(kw)
    return simulate(**args)


@pytest.mark.parametrize("name", ["n_t", "n_v", "n_r", "m", "p", "runs", "test_tasks", "n_s", "chunk"])
@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_sizes(name, bad):
    with pytest.raises(ValueError, match=name):
        call(**{name: bad})


@pytest.mark.parametrize("name", ["sigma", "nu"])
def test_negative_scales(name):
    with pytest.raises(ValueError, match=name):
        call(**{name: -0.1})


def test_nonfinite_rate():
    with pytest.raises(ValueError, match="alpha_t"):
        call(alpha_t=[0.1, np.nan])
    with pytest.raises(ValueError, match="alpha_r"):
        call(alpha_r=np.zeros((2, 2)))


def test_sigma_checks():
    p = BASE["p"]
    A = np.eye(p)
    A[0, 1] = 0.3
    with pytest.raises(ValueError, match="Sigma must be symmetric"):
        call(Sigma=A)
    B = np.eye(p)
    B[0, 0] = -1.0
    with pytest.raises(ValueError, match="Sigma must be positive semi-definite"):
        call(Sigma=B)
    with pytest.raises(ValueError, match=r"Sigma must have shape"):
        call(Sigma=np.eye(p + 1))
    with pytest.raises(ValueError, match="Sigma_w must be positive semi-definite"):
        call(nu=None, Sigma_w=-np.eye(p))


def test_nu_and_sigma_w():
    with pytest.raises(ValueError, match="not both"):
        call(Sigma_w=np.eye(BASE["p"]))
    with pytest.raises(ValueError, match="nu"):
        call(nu=None)


def test_vectors():
    with pytest.raises(ValueError, match="w0"):
        call(w0=np.ones(3))
    with pytest.raises(ValueError, match="omega0"):
        call(omega0=np.ones((2, 2)))


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown estimator"):
        call(estimator="bayes")
    with pytest.raises(ValueError, match="unknown backend"):
        call(backend="jax-on-mars")
    with pytest.raises(ValueError, match="unknown x_dist"):
        call(x_dist="cauchy")


def test_distribution_constraints():
    with pytest.raises(ValueError, match="df > 2"):
        call(x_dist="student_t", df=2.0)
    with pytest.raises(ValueError, match="df > 4"):
        call(x_dist="student_t", df=3.0, estimator="conditional")
    with pytest.raises(ValueError, match="reduce_draws"):
        call(reduce_draws=True, x_dist="rademacher")


def test_missing_backend(monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_strict", None)   # makes the import fail
    with pytest.raises(ImportError, match="array_api_strict"):
        call(backend="array_api_strict")


def _cuda_available():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


if not _cuda_available():  # on a GPU machine test_backends checks the CUDA path instead
    def test_cuda_unavailable():
        pytest.importorskip("torch")
        with pytest.raises(ValueError, match="CUDA is not available"):
            call(backend="torch:cuda")


# ------------------------------------------------------------------ runs = 1
def _no_work(monkeypatch):
    """Make any simulation work fail loudly, so a refusal is seen to come first."""
    def boom(*a, **k):
        raise AssertionError("work started before runs was checked")
    sim = sys.modules["symmaml.montecarlo.simulate"]
    monkeypatch.setattr(sim, "simulate_chunk", boom)
    monkeypatch.setattr(sim.sampling, "draw_chunk", boom)


@pytest.mark.parametrize("estimator", ["plain", "conditional", "rao_blackwell"])
def test_one_run_is_refused(monkeypatch, estimator):
    """A standard error needs two runs: runs = 1 would report stderr = nan."""
    from symmaml.montecarlo import reference_simulate
    _no_work(monkeypatch)
    with pytest.raises(ValueError, match=r"runs must be at least 2.*got 1"):
        call(runs=1, estimator=estimator)
    with pytest.raises(ValueError, match="runs must be at least 2"):
        reference_simulate(**dict(BASE, runs=1, estimator=estimator))


@pytest.mark.parametrize("bad", [-1, 2.5, "x"])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        call(seed=bad)
