"""K-step MAML in the simulator: steps_t (meta-training) and steps_r (test-time adaptation).

The vectorised simulator is checked against the per-run loop of reference.py (which performs
the K gradient steps literally), against the exact alpha_t = 0 results, and its exact
test-task average for K_r > 1 against the plain estimator on the same draws.
"""
import numpy as np
import pytest

from symmaml.montecarlo import expected_test_loss_alpha0, reference_simulate, simulate
from symmaml.montecarlo.exact import conditional_loss_coefficients, steps_test_coefficients
from symmaml.montecarlo.sampling import MAX_EXACT_STEPS_R, make_design

from mc_helpers import EPS, OVER, UNDER, paired_z

ESTIMATORS = ["plain", "conditional", "rao_blackwell"]
STEPS = [(2, 1), (1, 2), (3, 2)]
# p > n_v m and p < n_v m (the latter takes the Gram path of rao_blackwell for steps_t = 1)
SMALL = {"over": dict(n_t=6, n_v=2, m=2, p=8, n_r=5, sigma=0.5),
         "under": dict(n_t=6, n_v=5, m=3, p=4, n_r=5, sigma=0.5)}


def _spd(p, seed, scale=1.0):
    g = np.random.default_rng(seed).standard_normal((p, p))
    return scale * (g @ g.T / p + 0.5 * np.eye(p))


def _rd(estimator):
    return False if estimator == "plain" else None


# ----------------------------------------------------------------------------- vs reference
@pytest.mark.parametrize("steps", STEPS, ids=lambda s: f"K{s[0]}{s[1]}")
@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("size", sorted(SMALL))
def test_matches_reference(size, estimator, steps):
    kt, kr = steps
    kw = dict(SMALL[size], nu=0.5, alpha_t=[-0.3, 0.0, 0.25], alpha_r=[0.1, 0.6], runs=3, seed=3,
              estimator=estimator, steps_t=kt, steps_r=kr, test_tasks=3, n_s=4, w0=0.1,
              omega0=-0.2)
    ref = reference_simulate(**kw)
    vec = simulate(**kw, reduce_draws=_rd(estimator), chunk=2)
    assert vec.values.shape == ref.values.shape == (3, 2, 3)
    assert (vec.steps_t, vec.steps_r) == (kt, kr)
    np.testing.assert_allclose(vec.values, ref.values, rtol=1e5 * EPS, atol=0)


@pytest.mark.parametrize("estimator,steps", [(e, (2, 1)) for e in ESTIMATORS] + [("plain", (3, 2))],
                         ids=lambda v: f"K{v[0]}{v[1]}" if isinstance(v, tuple) else v)
@pytest.mark.parametrize("size", sorted(SMALL))
def test_matches_reference_general_covariances(size, estimator, steps):
    """General SPD Sigma and Sigma_w: the training side for every estimator, the K_r-step
    test side for plain (the exact test average needs Sigma = I, see
    test_exact_test_average_needs_identity_gaussian)."""
    kt, kr = steps
    p = SMALL[size]["p"]
    kw = dict(SMALL[size], alpha_t=[-0.3, 0.25], alpha_r=[0.1, 0.6], runs=3, seed=5,
              estimator=estimator, steps_t=kt, steps_r=kr, test_tasks=3, n_s=4,
              Sigma=_spd(p, 1), Sigma_w=_spd(p, 2, 0.05), omega0=0.3)
    ref = reference_simulate(**kw)
    vec = simulate(**kw, reduce_draws=_rd(estimator), chunk=2)
    np.testing.assert_allclose(vec.values, ref.values, rtol=1e5 * EPS, atol=0)


def test_matches_reference_rademacher_training_steps():
    kw = dict(SMALL["over"], nu=0.5, alpha_t=[-0.3, 0.25], alpha_r=0.4, runs=3, seed=6,
              estimator="rao_blackwell", steps_t=3, x_dist="rademacher")
    np.testing.assert_allclose(simulate(**kw).values, reference_simulate(**kw).values,
                               rtol=1e5 * EPS, atol=0)


# ----------------------------------------------------------------------------- K = 1 and alpha = 0
@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_explicit_one_step_is_default_bit_for_bit(estimator, sizes):
    kw = dict(sizes, alpha_t=[-0.4, 0.3], alpha_r=[0.2, 0.5], runs=4, seed=8, test_tasks=3,
              n_s=4, estimator=estimator)
    a, b = simulate(**kw), simulate(**kw, steps_t=1, steps_r=1)
    assert np.array_equal(a.values, b.values)
    assert a.steps_t == a.steps_r == 1


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_alpha_t_zero_does_not_depend_on_steps_t(estimator, sizes):
    """alpha_t = 0: A = I, so theta_K(omega) = omega for every K_t (same draws for every K)."""
    kw = dict(sizes, alpha_t=0.0, alpha_r=[0.2, 0.5], runs=4, seed=9, test_tasks=3, n_s=4,
              estimator=estimator, w0=0.1, omega0=-0.1)
    one = simulate(**kw)
    for k in (2, 3):
        # rao_blackwell with p < n_v m: Gram path at K_t = 1, SVD path at K_t > 1
        np.testing.assert_allclose(simulate(**kw, steps_t=k).values, one.values,
                                   rtol=1e4 * EPS, atol=0)


@pytest.mark.parametrize("estimator", ["conditional", "rao_blackwell"])
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_alpha_t_zero_steps_matches_exact(estimator, sizes):
    """K_t = 3 at alpha_t = 0 reproduces exact.py's closed form (z-score)."""
    alpha_r, delta = 0.3, 0.2
    res = simulate(**sizes, alpha_t=0.0, alpha_r=alpha_r, runs=3000, seed=10, steps_t=3,
                   estimator=estimator, omega0=delta, w0=0.0)
    want = expected_test_loss_alpha0(n_v=sizes["n_v"], n_r=sizes["n_r"], m=sizes["m"],
                                     p=sizes["p"], sigma=sizes["sigma"], alpha_r=alpha_r,
                                     tr_Sigma_w=sizes["nu"] ** 2,
                                     delta_sq=delta ** 2 * sizes["p"])
    z = (res.mean - want) / res.stderr
    assert abs(z) < 4, (res.mean, want, z)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_alpha_r_zero_does_not_depend_on_steps_r(estimator, sizes):
    kw = dict(sizes, alpha_t=[-0.3, 0.2], alpha_r=0.0, runs=4, seed=11, test_tasks=3, n_s=4,
              estimator=estimator, reduce_draws=_rd(estimator))
    one = simulate(**kw)
    for k in (2, 3):
        np.testing.assert_allclose(simulate(**kw, steps_r=k).values, one.values,
                                   rtol=1e3 * EPS, atol=0)


# ----------------------------------------------------------------------------- exact test average
@pytest.mark.parametrize("alpha_r", [-0.7, 0.0, 0.3, 1.2])
@pytest.mark.parametrize("p,n_r", [(7, 5), (3, 20)])
def test_one_step_coefficients_match_exact_py(alpha_r, p, n_r):
    """K_r = 1 of steps_test_coefficients is today's conditional_loss_coefficients (Sigma = I)."""
    h, t = steps_test_coefficients(p=p, n_r=n_r, alpha_r=alpha_r, steps=1)
    S1, S2, Q, (c0, c1, c2) = conditional_loss_coefficients(
        np.eye(p), np.zeros((p, p)), np.eye(p), sigma=1.0, n_r=n_r)
    H = S1 - 2 * alpha_r * S2 + alpha_r ** 2 * Q
    np.testing.assert_allclose(H, h * np.eye(p), rtol=10 * EPS, atol=10 * EPS)
    np.testing.assert_allclose(1.0 + t, c0 + c1 * alpha_r + c2 * alpha_r ** 2, rtol=10 * EPS)


def test_steps_coefficients_match_matrix_powers():
    """h_K and t_K against explicit matrix powers averaged over Wishart draws (z-score)."""
    p, n, a, K = 6, 5, 0.4, 3
    rng = np.random.default_rng(0)
    hs, ts = [], []
    for _ in range(4000):
        X = rng.standard_normal((n, p))
        A = np.eye(p) - a / n * X.T @ X
        AK = np.linalg.matrix_power(A, K)
        S = a / n * sum(np.linalg.matrix_power(A, j) for j in range(K)) @ X.T
        hs.append(np.trace(AK @ AK) / p)
        ts.append(np.sum(S * S))
    h, t = steps_test_coefficients(p=p, n_r=n, alpha_r=a, steps=K)
    for sample, want in ((hs, h), (ts, t)):
        z = (np.mean(sample) - want) / (np.std(sample, ddof=1) / np.sqrt(len(sample)))
        assert abs(z) < 4, (np.mean(sample), want)


@pytest.mark.parametrize("estimator", ["conditional", "rao_blackwell"])
@pytest.mark.parametrize("steps", [(1, 2), (1, 3), (2, 3)], ids=lambda s: f"K{s[0]}{s[1]}")
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_exact_test_average_vs_plain(estimator, steps, sizes):
    """The exact K_r-step test-task average has the plain estimator's mean: paired z-score
    of the per-run differences on the same seed (same training inputs in every run)."""
    kt, kr = steps
    kw = dict(sizes, alpha_t=[-0.4, 0.3], alpha_r=[0.2, 0.6], runs=400, seed=12, steps_t=kt,
              steps_r=kr)
    plain = simulate(**kw, estimator="plain", test_tasks=10, n_s=10, reduce_draws=False)
    exact = simulate(**kw, estimator=estimator)
    z = paired_z(exact.values, plain.values)
    assert np.all(np.abs(z) < 4), z


# ----------------------------------------------------------------------------- backends
@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("sizes", [OVER, UNDER], ids=["over", "under"])
def test_backends_match_numpy(backend, estimator, sizes):
    pytest.importorskip("torch" if backend == "torch" else "array_api_strict")
    kw = dict(sizes, alpha_t=[-0.3, 0.4], alpha_r=[0.2, 0.5], runs=5, seed=4, test_tasks=3,
              n_s=4, estimator=estimator, w0=0.1, chunk=2, steps_t=2, steps_r=2)
    ref = simulate(**kw)
    got = simulate(**kw, backend=backend)
    np.testing.assert_allclose(got.values, ref.values, rtol=1e4 * EPS, atol=0)


# ----------------------------------------------------------------------------- bad input
BASE = dict(SMALL["over"], nu=0.5, alpha_t=0.2, alpha_r=0.3, runs=3, seed=1, test_tasks=3, n_s=4)


@pytest.mark.parametrize("name", ["steps_t", "steps_r"])
@pytest.mark.parametrize("value", [0, -1, 1.5, 2.0, True, np.bool_(True), "2", None])
def test_bad_steps(name, value):
    with pytest.raises(ValueError, match=name):
        simulate(**BASE, **{name: value})
    with pytest.raises(ValueError, match=name):
        reference_simulate(**BASE, **{name: value})


def test_numpy_integer_steps_accepted():
    a = simulate(**BASE, steps_t=np.int64(2), steps_r=np.int32(2))
    b = simulate(**BASE, steps_t=2, steps_r=2)
    assert np.array_equal(a.values, b.values) and (a.steps_t, a.steps_r) == (2, 2)


@pytest.mark.parametrize("estimator", ["conditional", "rao_blackwell"])
@pytest.mark.parametrize("extra", [dict(Sigma=np.diag(np.linspace(0.5, 1.5, 8))),
                                   dict(x_dist="rademacher"), dict(x_dist="student_t", df=6.0)],
                         ids=["Sigma", "rademacher", "student_t"])
def test_exact_test_average_needs_identity_gaussian(estimator, extra):
    with pytest.raises(ValueError, match="steps_r.*Sigma = I and Gaussian x.*plain"):
        simulate(**BASE, estimator=estimator, steps_r=2, **extra)
    simulate(**BASE, estimator=estimator, steps_t=2, **extra)        # training side: fine
    simulate(**BASE, estimator="plain", steps_r=2, **extra)          # plain: fine


def test_exact_test_average_step_limit():
    with pytest.raises(ValueError, match="steps_r"):
        make_design(**{k: v for k, v in BASE.items() if k not in ("runs", "seed")},
                    estimator="conditional", steps_r=MAX_EXACT_STEPS_R + 1)


def test_reduce_draws_needs_one_test_step():
    d = make_design(**{k: v for k, v in BASE.items() if k not in ("runs", "seed")}, steps_r=2)
    assert d.reduce_draws is False and d.steps_r == 2
    with pytest.raises(ValueError, match="reduce_draws"):
        simulate(**BASE, steps_r=2, reduce_draws=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("steps_t", [60, 400])
def test_divergent_training_loop_raises(estimator, steps_t):
    """|1 - alpha_t lambda| > 1: huge (60 steps: B numerically rank one) or overflowing
    (400 steps) -- a ValueError naming steps_t, never inf/NaN values."""
    with pytest.raises(ValueError, match="steps_t") as info:
        simulate(**{**BASE, "alpha_t": 5.0}, estimator=estimator, steps_t=steps_t)
    assert "diverged" in str(info.value)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergent_test_loop_raises():
    with pytest.raises(ValueError, match="steps_r.*diverged"):
        simulate(**{**BASE, "alpha_r": 5.0}, steps_r=300)
