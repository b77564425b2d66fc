"""Outer-loop solver (Eqs. 69/83): min-norm solution, conditioning warning, singular error."""
import warnings

import numpy as np
import pytest

from symmaml.montecarlo import (IllConditionedWarning, SingularOuterProblemError, outer_solve,
                                simulate)

from mc_helpers import EPS


@pytest.mark.parametrize("N,p", [(4, 9), (9, 4), (6, 6)])
def test_matches_pinv(rng, N, p):
    B = rng.standard_normal((5, N, p))
    r = rng.standard_normal((5, N))
    got = outer_solve(B, r)
    want = np.einsum("bpn,bn->bp", np.linalg.pinv(B), r)
    cond = np.linalg.cond(B).max()
    np.testing.assert_allclose(got, want, rtol=0, atol=100 * cond * EPS * np.abs(want).max())


def test_min_norm_closest_to_omega0(rng):
    """omega0 + B^+(gamma - B omega0) solves B omega = gamma and is the solution closest to omega0."""
    B, gamma, omega0 = rng.standard_normal((3, 8)), rng.standard_normal(3), rng.standard_normal(8)
    omega = omega0 + outer_solve(B, gamma - B @ omega0)
    np.testing.assert_allclose(B @ omega, gamma, atol=1e3 * EPS)
    null = np.linalg.svd(B)[2][3:]          # null-space basis
    np.testing.assert_allclose(null @ (omega - omega0), 0.0, atol=1e3 * EPS)   # no null-space move


def test_singular_raises(rng):
    B = rng.standard_normal((2, 4, 6))
    B[1, 3] = B[1, 2]                      # rank-deficient rows
    with pytest.raises(SingularOuterProblemError, match="singular"):
        outer_solve(B, rng.standard_normal((2, 4)))
    with pytest.raises(ValueError):        # it is also a ValueError / LinAlgError
        outer_solve(np.zeros((3, 2)), np.ones(3))


def test_ill_conditioned_warns(rng):
    U, _, Vt = np.linalg.svd(rng.standard_normal((5, 5)))
    B = U @ np.diag([1, 1, 1, 1, 1e-9]) @ Vt
    with pytest.warns(IllConditionedWarning, match="ill-conditioned"):
        x = outer_solve(B, rng.standard_normal(5))
    assert np.all(np.isfinite(x))


def test_simulate_singular_is_an_error():
    """Rademacher, p = 1: X_t^T X_t = n_t exactly, so alpha_t = 1 makes B = 0."""
    with pytest.raises(SingularOuterProblemError):
        simulate(n_t=3, n_v=2, n_r=2, m=2, p=1, sigma=1.0, nu=0.5, alpha_t=1.0, alpha_r=0.2,
                 runs=2, seed=0, x_dist="rademacher", test_tasks=2, n_s=2)


def test_interpolation_threshold_is_finite():
    """p = n_v m (square B): finite values, possibly with a conditioning warning, never NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        r = simulate(n_t=5, n_v=3, n_r=4, m=4, p=12, sigma=0.5, nu=0.5, alpha_t=[-0.5, 0.0, 0.5],
                     alpha_r=0.2, runs=40, seed=1, estimator="conditional")
    assert np.all(np.isfinite(r.values))
