"""The array-API backends reproduce NumPy to float tolerance (same host draws)."""
import numpy as np
import pytest

from symmaml.montecarlo import simulate

from mc_helpers import EPS, OVER, UNDER

BACKENDS = ["array_api_strict", "torch"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("estimator,reduce_draws", [("plain", True), ("plain", False),
                                                     ("conditional", None), ("rao_blackwell", None)])
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_backend_matches_numpy(backend, estimator, reduce_draws, sizes):
    if backend == "torch":
        pytest.importorskip("torch")
    else:
        pytest.importorskip("array_api_strict")
    kw = dict(sizes, alpha_t=[-0.3, 0.4], alpha_r=[0.2, 0.5], runs=5, seed=4, test_tasks=3, n_s=4,
              estimator=estimator, reduce_draws=reduce_draws, w0=0.1, chunk=2)
    ref = simulate(**kw)
    got = simulate(**kw, backend=backend)
    assert got.backend.startswith(backend.split("_")[0])
    np.testing.assert_allclose(got.values, ref.values, rtol=1e4 * EPS, atol=0)


def _cuda_available():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


if _cuda_available():  # collected only where a GPU exists, so CI reports no skip
    def test_torch_cuda_matches_numpy():
        kw = dict(OVER, alpha_t=0.2, alpha_r=0.2, runs=4, seed=1, test_tasks=3, n_s=4)
        np.testing.assert_allclose(simulate(**kw, backend="torch:cuda").values,
                                   simulate(**kw).values, rtol=1e-10)


def test_namespace_module_backend():
    import array_api_compat.numpy as xp
    kw = dict(OVER, alpha_t=0.2, alpha_r=0.2, runs=3, seed=1, test_tasks=3, n_s=4)
    np.testing.assert_allclose(simulate(**kw, backend=xp).values, simulate(**kw).values, rtol=1e3 * EPS)


def test_runs_without_threadpoolctl(monkeypatch):
    import sys
    kw = dict(OVER, alpha_t=0.2, alpha_r=0.2, runs=3, seed=1, test_tasks=3, n_s=4)
    want = simulate(**kw).values
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    np.testing.assert_allclose(simulate(**kw).values, want, rtol=1e3 * EPS)
