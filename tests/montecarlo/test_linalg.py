"""Outer-loop solver (Eqs. 69/83): min-norm solution, conditioning warning, singular error."""
import warnings

import numpy as np
import pytest

from symmaml.montecarlo import (IllConditionedWarning, SingularOuterProblemError, outer_solve,
                                simulate)

from symmaml.montecarlo import sampling
from symmaml.backend import resolve_backend
from symmaml.montecarlo.simulate import _constants, simulate_chunk

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


@pytest.mark.parametrize("estimator", ["plain", "conditional", "rao_blackwell"])
def test_simulate_singular_is_an_error(estimator):
    """Rademacher, p = 1: X_t^T X_t = n_t exactly, so alpha_t = 1 makes B = 0 (the
    Rao-Blackwell Gram path hands the singular B^T B to the SVD, which raises)."""
    with pytest.raises(SingularOuterProblemError):
        simulate(n_t=3, n_v=2, n_r=2, m=2, p=1, sigma=1.0, nu=0.5, alpha_t=1.0, alpha_r=0.2,
                 runs=2, seed=0, x_dist="rademacher", test_tasks=2, n_s=2, estimator=estimator)


INTERPOLATION = dict(n_t=5, n_v=3, n_r=4, m=4, p=12, sigma=0.5, nu=0.5, alpha_t=[-0.5, 0.0, 0.5],
                     alpha_r=0.2)


def test_interpolation_threshold_is_refused():
    """p = n_v m: the expected test loss is infinite (existence.py), so no number is reported."""
    with pytest.raises(ValueError, match="infinite at p=12, n_v=3, m=4"):
        simulate(**INTERPOLATION, runs=40, seed=1, estimator="conditional")


@pytest.mark.parametrize("estimator", ["plain", "conditional", "rao_blackwell"])
def test_interpolation_threshold_per_run_values_are_finite(estimator):
    """Square B: each run's value is finite (possibly with a conditioning warning), never NaN."""
    d = sampling.make_design(**INTERPOLATION, estimator=estimator, test_tasks=3, n_s=4)
    be = resolve_backend("numpy")
    draws = sampling.draw_chunk(sampling.run_generators(np.random.SeedSequence(1), 40), d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        values = simulate_chunk(be, d, _constants(be, d), draws)
    assert values.shape == (40, 3, 1) and np.all(np.isfinite(values))
