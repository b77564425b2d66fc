"""The figure across the interpolation threshold (symmaml.experiments.threshold)."""
import numpy as np
import pytest

from symmaml.experiments.threshold import (ThresholdPoint, render_threshold_figure,
                                           sign_changes, threshold_data, threshold_figure,
                                           threshold_table)


def _pt(ratio, a1, a2, ci):
    z = np.zeros(3)
    return ThresholdPoint(m=1, ratio=ratio, theorem=1, alpha1=a1, alpha2=a2, alpha=z,
                          mc_mean=z + 1, mc_se=z + 0.01, theory1=z + 1, theory2=z + 1,
                          mc_argmin=0.5 * (ci[0] + ci[1]), ci95=ci, runs=10, seed=0)


def test_regime_and_sizes_of_each_point():
    f1, f2 = threshold_figure(9), threshold_figure(12)
    assert (f1.theorem, f2.theorem) == (1, 2)
    assert f1.params["n_v"] * f1.params["m"] == 45 and f2.params["m"] == 12
    assert f1.params["p"] == 50 and f1.w0 == 0.1 and f1.fixed == 0.2


def test_sign_changes_count_the_simulation_only_where_decided():
    pts = [_pt(0.5, -1.0, -1.2, (-1.3, -1.1)), _pt(2.0, -0.5, 0.2, (-0.1, 0.3)),
           _pt(5.0, 0.4, 0.3, (0.1, 0.5))]
    ch = sign_changes(pts)
    assert ch["paper"] == [(2.0, 5.0)] and ch["order 2"] == [(0.5, 2.0)]
    assert ch["simulation"] == [(0.5, 5.0)]            # the undecided middle point is skipped
    assert "between 2 and 5" in threshold_table(pts)
    assert sign_changes(pts[:1]) == {"paper": [], "order 2": [], "simulation": []}


@pytest.mark.slow
def test_points_on_both_sides_and_the_figure(disk_cache):
    """Two points, one per regime, at a small budget: both theories have an interior argmin,
    order 2 is closer to the simulation than the paper near the threshold, and the
    figure draws."""
    pts = threshold_data(runs=60, seed=3, ms=(7, 14), points=5)
    assert [p.theorem for p in pts] == [1, 2]
    for p in pts:
        assert p.alpha1 is not None and p.alpha2 is not None
        assert p.alpha.shape == p.mc_mean.shape == p.theory2.shape == (5,)
        assert p.gap2 < p.gap1
    again = threshold_data(runs=60, seed=3, ms=(7, 14), points=5)    # read back
    assert np.array_equal(again[1].mc_mean, pts[1].mc_mean)
    render_threshold_figure(pts)
