"""Seeding: same seed -> same numbers; independent of chunking; prefix property; shapes."""
import numpy as np
import pytest

from symmaml.montecarlo import simulate

from mc_helpers import EPS, OVER

BASE = dict(OVER, alpha_t=0.2, alpha_r=0.3, runs=7, test_tasks=3, n_s=4)


@pytest.mark.parametrize("estimator", ["plain", "conditional", "rao_blackwell"])
def test_same_seed_same_numbers(estimator):
    a = simulate(**BASE, seed=11, estimator=estimator)
    b = simulate(**BASE, seed=11, estimator=estimator)
    c = simulate(**BASE, seed=12, estimator=estimator)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.any(a.values == c.values)
    assert a.seed_entropy == 11


@pytest.mark.parametrize("reduce_draws", [True, False])
def test_chunk_independent(reduce_draws):
    kw = dict(BASE, seed=3, reduce_draws=reduce_draws, alpha_t=[0.0, 0.5])
    ref = simulate(**kw)
    for chunk in (1, 3, 100):
        other = simulate(**kw, chunk=chunk)
        np.testing.assert_allclose(other.values, ref.values, rtol=1e3 * EPS, atol=0)


def test_prefix_property_and_seedsequence():
    big = simulate(**dict(BASE, runs=9), seed=np.random.SeedSequence(5))
    small = simulate(**dict(BASE, runs=4), seed=5)
    np.testing.assert_allclose(small.values, big.values[:4], rtol=1e3 * EPS)


def test_seed_none_reports_entropy():
    a = simulate(**BASE, seed=None)
    b = simulate(**BASE, seed=a.seed_entropy)
    np.testing.assert_array_equal(a.values, b.values)


def test_shapes_and_summary():
    r = simulate(**dict(BASE, alpha_t=[0.1, 0.2, 0.3], alpha_r=[0.0, 0.5]), seed=1)
    assert r.values.shape == (3, 2, 7) and r.mean.shape == (3, 2) and r.stderr.shape == (3, 2)
    r = simulate(**dict(BASE, alpha_r=[0.0, 0.5]), seed=1)
    assert r.values.shape == (2, 7)
    r = simulate(**dict(BASE, alpha_t=[0.1, 0.2, 0.3]), seed=1)
    assert r.values.shape == (3, 7)
    r = simulate(**BASE, seed=1)
    assert r.values.shape == (7,) and isinstance(r.mean, float) and r.runs == 7
    assert r.stderr == pytest.approx(r.values.std(ddof=1) / np.sqrt(7))
    assert not r.interrupted and np.all(np.isfinite(r.values))


def test_sweep_uses_common_random_numbers():
    """Each alpha of a sweep reproduces the single-alpha run with the same seed."""
    sweep = simulate(**dict(BASE, alpha_t=[-0.2, 0.4], alpha_r=[0.1, 0.6]), seed=8)
    one = simulate(**dict(BASE, alpha_t=0.4, alpha_r=0.1), seed=8)
    np.testing.assert_allclose(sweep.values[1, 0], one.values, rtol=1e3 * EPS)
