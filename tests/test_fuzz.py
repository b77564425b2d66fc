"""Fuzzing the public API's edges (issue 10): valid inputs give finite values, invalid ones a
ValueError/TypeError naming the argument -- never another exception type, never a hang.

The moment engine's own fuzzing is in tests/moments/test_fuzz.py.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symmaml import theory
from symmaml.cli import main
from symmaml.numeric.losses import loss_function

FUZZ = settings(max_examples=40, deadline=5000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

rates = st.floats(-3, 3, allow_nan=False)
noise = st.floats(0, 3, allow_nan=False)
small = st.integers(1, 40)


@st.composite
def valid_point(draw):
    """A parameter point inside Theorem 1's or 2's regime, where the loss exists."""
    theorem = draw(st.sampled_from([1, 2]))
    n_v, m = draw(small), draw(small)
    N = n_v * m
    if theorem == 1:
        p = N + 2 + draw(st.integers(0, 60))
    else:
        N = max(N, 3)
        m = max(m, 3)
        N = n_v * m
        p = draw(st.integers(1, N - 2))
    vals = dict(alpha_t=draw(rates), alpha_r=draw(rates), n_t=draw(small), n_v=n_v,
                n_r=draw(small), m=m, p=p, sigma=draw(noise), nu=draw(noise))
    if theorem == 1:
        vals["delta_sq"] = draw(noise)
    return theorem, vals


@FUZZ
@given(valid_point())
def test_valid_points_give_finite_losses_on_both_paths(point):
    theorem, vals = point
    exact = theory.loss(theorem, **vals)
    assert exact.is_number and math.isfinite(float(exact))
    fast = float(loss_function(theorem)(**vals))
    # the compiled float64 function and the exact value agree to rounding (the loss is a
    # sum of positive-leading terms; 1e-9 leaves room for cancellation at |alpha| ~ 3)
    assert fast == pytest.approx(float(exact), rel=1e-9, abs=1e-12)


bad_value = st.one_of(
    st.sampled_from([float("nan"), float("inf"), -float("inf"), -1, 0, 2.5, -7.25]),
    st.text(max_size=8).filter(lambda s: s.strip() != "" and not _is_plain_number(s)),
    st.sampled_from([None, [1, 2], {"a": 1}, True, object()]),
)


def _is_plain_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return "/" in s


@FUZZ
@given(valid_point(), st.sampled_from(["n_t", "n_v", "n_r", "m", "p", "sigma", "nu"]), bad_value)
def test_invalid_values_raise_naming_the_argument(point, name, value):
    theorem, vals = point
    if name in ("sigma", "nu") and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) and value >= 0:
        value = -1.0        # a non-negative finite noise level is valid: make it invalid
    vals = dict(vals, **{name: value})
    with pytest.raises((ValueError, TypeError)) as err:
        theory.loss(theorem, **vals)
    assert name in str(err.value) or "n_v m" in str(err.value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        with pytest.raises(ValueError) as err:
            loss_function(theorem)(**vals)
        assert name in str(err.value) or "n_v m" in str(err.value)


@settings(max_examples=15, deadline=20000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 6), rates, noise,
       st.sampled_from(["plain", "conditional", "rao_blackwell"]), st.integers(0, 2 ** 32))
def test_simulate_valid_inputs_are_finite(n_v, m, extra, alpha_t, sigma, estimator, seed):
    from symmaml.montecarlo import simulate
    p = n_v * m + 3 + extra         # mean and variance of the loss exist (|p - N| > 3)
    r = simulate(n_t=4, n_v=n_v, n_r=3, m=m, p=p, sigma=sigma, nu=0.5, alpha_t=alpha_t,
                 alpha_r=0.2, runs=3, seed=seed, estimator=estimator, test_tasks=3, n_s=4)
    assert np.all(np.isfinite(r.mean)) and np.all(np.isfinite(r.stderr))


@FUZZ
@given(st.sampled_from(["runs", "n_t", "p", "sigma", "seed", "estimator", "alpha_t"]),
       st.sampled_from([-1, 0, 1, 2.5, float("nan"), "x", None]))
def test_simulate_invalid_inputs_raise(name, value):
    from symmaml.montecarlo import simulate
    kw = dict(n_t=4, n_v=1, n_r=3, m=2, p=8, sigma=0.5, nu=0.5, alpha_t=0.1, alpha_r=0.2,
              runs=3, seed=0, estimator="plain", test_tasks=3, n_s=4)
    valid = {"runs": (), "n_t": (1,), "p": (), "sigma": (0, 1, 2.5), "seed": (0, 1, None),
             "estimator": (), "alpha_t": (-1, 0, 1, 2.5)}
    if value in valid[name] and not (isinstance(value, float) and math.isnan(value)):
        return
    kw[name] = value
    with pytest.raises((ValueError, TypeError)) as err:
        simulate(**kw)
    assert name in str(err.value)


CLI_BAD = {
    "--runs": ["1", "0", "-5"],
    "--figure": ["zz", "7", "fig9"],
    "--backend": ["bogus", "cupy"],
    "--seed": ["-1"],
    "--out": ["/etc/passwd", "/etc/passwd/below"],
}


@settings(max_examples=30, deadline=10000, derandomize=True)
@given(st.sampled_from(["report", "figures", "validate"]),
       st.sampled_from(sorted(CLI_BAD)), st.data())
def test_cli_rejects_bad_options_before_any_work(command, option, data):
    if option == "--out" and command == "validate":
        option = "--runs"
    value = data.draw(st.sampled_from(CLI_BAD[option]))
    if value == "cupy":
        pytest.importorskip  # cupy is absent here: "not available" is the expected error
        try:
            import cupy  # noqa: F401
            return
        except ImportError:
            pass
    argv = [command, f"{option}={value}"]
    if data.draw(st.booleans()) and command != "validate":
        argv.append("--quick")
    assert main(argv) == 2


@settings(max_examples=20, deadline=5000, derandomize=True)
@given(st.lists(st.text(alphabet="-abcdefghijklmnopqrstuvwxyz0123456789=", max_size=10),
                max_size=4))
def test_cli_garbage_is_a_usage_error(words):
    argv = ["verify", "--bogus-option", *words]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
