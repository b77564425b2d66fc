"""symmaml.sweep.results: the per-point reduction (argmin, signs at 3 s.e., allowance) on
rows built by hand, and its independence of the order in which units arrived."""
import math

import numpy as np
import pytest

from symmaml.sweep.results import SIGN_Z, grid_argmin, reduce_points

from .conftest import small_spec


def _rows(spec, point, loss_fn, mc_fn):
    """Theory rows (loss_fn(alpha)) and MC rows (mc_fn(rate, run)) of one point."""
    a = spec.alpha_t
    th = dict(point=np.full(a.size, point), alpha_index=np.arange(a.size), alpha_t=a,
              loss=np.array([loss_fn(x) for x in a]), error=[""] * a.size, note=[""] * a.size)
    j = grid_argmin(a, th["loss"])
    rates = [a[j], 0.0, 0.25]
    R = spec.mc_runs
    mc = dict(point=np.full(3 * R, point), run=np.tile(np.arange(R), 3),
              rate_index=np.repeat(np.arange(3), R), alpha_t=np.repeat(rates, R),
              loss=np.array([mc_fn(r, i) for r in rates for i in range(R)]),
              error=[""] * (3 * R), note=[""] * (3 * R), rate_label=["x"] * (3 * R))
    return th, mc


def _one(spec, loss_fn, mc_fn, point=0):
    th, mc = _rows(spec, point, loss_fn, mc_fn)
    return reduce_points(spec, th, mc)[point]


def test_grid_argmin_first_on_ties_none_when_flat_or_nan():
    a = np.array([-1.0, 0.0, 1.0])
    assert grid_argmin(a, [2.0, 1.0, 1.0]) == 1
    assert grid_argmin(a, [np.nan, 3.0, 1.0]) == 2
    assert grid_argmin(a, [1.0, 1.0, 1.0]) is None and grid_argmin(a, [np.nan] * 3) is None


def test_signs_at_three_standard_errors():
    s = small_spec()
    noise = lambda r, i: 0.01 * math.sin(7.0 * i + 1.0)             # run-to-run spread
    # L(alpha) = (alpha + 1)^2 in theory and simulation: the negative optimum is confirmed
    r = _one(s, lambda x: (x + 1) ** 2, lambda a, i: (a + 1) ** 2 + noise(a, i))
    assert (r["alpha_t_star"], r["sign"], r["mc_sign"], r["mc_contradicts"]) == (-1.0, -1, -1, False)
    assert r["allowance_exceeded"] is False
    # a curve 1e-6 deep: below 3 s.e. of the paired difference -> undecided
    r = _one(s, lambda x: (x + 1) ** 2, lambda a, i: 1 + 1e-6 * a + noise(0, i) * (1 + a))
    assert r["mc_sign"] == 0
    d = r["mc"][0]
    assert abs(d["diff_vs_zero"]) < SIGN_Z * d["diff_stderr"]
    # the simulation finds 0 better than the theory's optimum, and alpha = 0.25 better still
    r = _one(s, lambda x: (x + 1) ** 2, lambda a, i: (a - 0.3) ** 2 + noise(a, i))
    assert (r["mc_sign"], r["mc_contradicts"], r["allowance_exceeded"]) == (1, True, True)


def test_flat_loss_has_no_optimum():
    s = small_spec()
    th, _ = _rows(s, 0, lambda x: (x + 1) ** 2, lambda a, i: 0.0)
    th["loss"] = np.zeros_like(th["loss"])
    r = reduce_points(s, th, {})[0]
    assert r["status"] == "flat" and r["alpha_t_star"] is None and r["sign"] is None


def test_the_order_in_which_units_arrived_does_not_matter():
    s = small_spec()
    th, mc = _rows(s, 0, lambda x: (x + 1) ** 2, lambda a, i: (a + 1) ** 2 + 0.01 * (i % 5))
    ref = reduce_points(s, th, mc)
    rng = np.random.default_rng(0)
    for rows in (th, mc):
        perm = rng.permutation(len(rows["point"]))
        for k in list(rows):
            v = rows[k]
            rows[k] = v[perm] if isinstance(v, np.ndarray) else [v[i] for i in perm]
    assert reduce_points(s, th, mc) == ref
    assert [r["status"] for r in ref] == ["ok", "incomplete", "impossible", "impossible",
                                          "incomplete", "incomplete"]
