"""symmaml.sweep.units: chunk boundaries, coordinate-keyed seeds, chunk-invariant values."""
import numpy as np
import pytest

from symmaml.montecarlo import simulate
from symmaml.sweep.units import (compute_mc, compute_theory, mc_rates, point_seed, run_bounds,
                                 run_seed, theory_units)

from .conftest import small_spec


@pytest.mark.parametrize("runs, chunk", [(2, 2), (5, 2), (12, 4), (100, 7), (7, 100)])
def test_run_bounds_cover_every_run_once_in_chunks_of_at_least_two(runs, chunk):
    b = run_bounds(runs, chunk)
    assert b[0][0] == 0 and b[-1][1] == runs
    assert all(hi0 == lo1 for (_, hi0), (lo1, _) in zip(b, b[1:]))
    assert all(hi - lo >= min(chunk, runs) for lo, hi in b)


def test_run_seed_is_the_points_spawned_child():
    assert run_seed(5, 3, 7).spawn_key == point_seed(5, 3).spawn(8)[7].spawn_key == (3, 7)
    assert run_seed(5, 3, 7).entropy == 5


@pytest.mark.parametrize("point", [0, 4])           # Theorem 1 (p > n_v m) and 2 (p < n_v m)
def test_any_run_chunking_gives_the_runs_of_one_simulate_call_bit_for_bit(point):
    s = small_spec()
    pt = s.points[point]
    rates = mc_rates(s, -1.0)
    kw = {k: pt.params[k] for k in ("n_t", "n_v", "n_r", "m", "p", "sigma", "nu", "alpha_r",
                                    "w0", "omega0", "steps_t", "steps_r")}
    ref = simulate(**kw, alpha_t=rates, runs=12, seed=point_seed(s.seed, point),
                   estimator="rao_blackwell").values
    for bounds in ([(0, 12)], [(0, 4), (4, 8), (8, 12)], [(0, 5), (5, 7), (7, 12)]):
        parts = [compute_mc(pt.params, rates, "rao_blackwell", s.seed, point, lo, hi)
                 for lo, hi in bounds]
        assert all(p["error"] == "" for p in parts)
        got = np.concatenate([p["values"] for p in parts], axis=1)
        assert np.array_equal(got, ref)


@pytest.mark.parametrize("extra, order", [({}, 1), ({}, 2), ({"steps_t": 2}, 1)])
def test_any_alpha_chunking_gives_the_theory_of_the_whole_grid_bit_for_bit(extra, order):
    s = small_spec()
    pt = s.points[0]                                   # Theorem 1: orders 1 and 2, K steps
    params = dict(pt.params, **extra)
    a = s.alpha_t
    whole = compute_theory(params, 1, order, a)
    assert whole["error"] == "" and np.all(np.isfinite(whole["loss"]))
    for size in (1, 7, 20):
        parts = [compute_theory(params, 1, order, a[i:i + size])["loss"]
                 for i in range(0, a.size, size)]
        assert np.array_equal(np.concatenate(parts), whole["loss"])


def test_theory_units_skip_impossible_points_and_refusals_come_back_as_errors():
    s = small_spec(achunk=10)
    units = theory_units(s)
    assert {u.point for u in units} == {0, 1, 4, 5}
    assert len(units) == 4 * 5 and len({u.name for u in units}) == len(units)
    bad = compute_theory(s.points[2].params, 1, 1, s.alpha_t)    # p = n_v m
    assert "Theorem 1 needs p > n_v m" in bad["error"] and np.all(np.isnan(bad["loss"]))
    res = compute_mc(s.points[2].params, [0.0, 0.1], "rao_blackwell", 0, 2, 0, 4)
    assert res["error"] and np.all(np.isnan(res["values"]))
