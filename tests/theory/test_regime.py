"""The one regime check: the symbolic and numeric paths refuse the same inputs (issue 10)."""
import math

import numpy as np
import pytest
from sympy import Rational, nan, oo, zoo

from symmaml import theory
from symmaml.numeric.losses import loss_function, phase_map, theorem3_evaluator

FIG2 = dict(alpha_t=0.0, alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5,
            delta_sq=0.0)
FIG3 = dict(alpha_t=0.0, alpha_r=0.2, n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2)


@pytest.mark.parametrize("theorem,p,nvm", [(1, 7, 6), (1, 61, 60), (2, 39, 40), (2, 5, 6)])
def test_infinite_expected_loss_refused(theorem, p, nvm):
    """|p - n_v m| = 1: the inverse-Wishart mean does not exist, the theorem's value would
    be a finite number for an infinite quantity."""
    with pytest.raises(ValueError, match="infinite"):
        theory.loss(theorem, p=p, n_v=1, m=nvm)
    kw = dict(FIG2 if theorem == 1 else FIG3, p=p, n_v=1, m=nvm)
    with pytest.raises(ValueError, match="infinite"):
        loss_function(theorem)(**kw)


def test_singular_tasks_make_theorem2_infinite_for_positive_alpha_t():
    """m = 1, p < n_v: A_t can be singular in the only task (montecarlo.existence)."""
    kw = dict(FIG3, n_v=40, m=1, p=30)
    with pytest.raises(ValueError, match="singular in every task"):
        theory.loss(2, **dict(kw, alpha_t=0.1))
    with pytest.raises(ValueError, match="singular in every task"):
        loss_function(2)(**dict(kw, alpha_t=np.array([-0.1, 0.1])))
    assert math.isfinite(float(loss_function(2)(**dict(kw, alpha_t=-0.1))))


@pytest.mark.parametrize("theorem,p,nvm", [(1, 8, 6), (2, 4, 6)])
def test_first_finite_point_accepted(theorem, p, nvm):
    kw = dict(FIG2 if theorem == 1 else FIG3, p=p, n_v=1, m=nvm)
    value = float(loss_function(theorem)(**kw))
    exact = theory.loss(theorem, **kw)
    assert math.isfinite(value) and value == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize("name", ["alpha_t", "alpha_r", "sigma", "nu", "p"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), nan, oo, zoo])
def test_non_finite_values_refused(name, bad):
    with pytest.raises(ValueError, match=name):
        theory.loss(1, **{name: bad})


def test_strings_are_parsed_never_evaluated(tmp_path):
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch() or 1"
    with pytest.raises(TypeError, match="p must be a number"):
        theory.loss(1, p=payload)
    with pytest.raises(TypeError, match="nu"):
        theory.argmin_alpha_t("1", dict(FIG2, nu=payload))
    assert not marker.exists()
    assert theory.loss(1, nu="1/2") == theory.loss(1, nu=Rational(1, 2))
    with pytest.raises(TypeError, match="boolean"):
        theory.loss(1, p=True)


@pytest.mark.parametrize("bad", [dict(p=5), dict(p=-60), dict(n_t=0), dict(sigma=-1.0),
                                 dict(p=60.5), dict(n_v=np.array([2, 0]))])
def test_compiled_loss_checks_like_theory(bad):
    """The numbers path used to return values at all of these (issue 10)."""
    with pytest.raises(ValueError) as numeric:
        loss_function(1)(**dict(FIG2, **bad))
    with pytest.raises(ValueError) as symbolic:
        theory.loss(1, **dict(FIG2, **{k: (v if np.ndim(v) == 0 else int(v[-1]))
                                      for k, v in bad.items()}))
    assert str(numeric.value).split(",")[0].split(" got")[0] == \
        str(symbolic.value).split(",")[0].split(" got")[0]


def test_compiled_loss_wrong_theorem_regime():
    with pytest.raises(ValueError, match="Theorem 2 needs p < n_v m"):
        loss_function(2)(**FIG2)


def test_derived_functions_checked_too():
    from symmaml.numeric.losses import derived_function
    with pytest.raises(ValueError, match="n_t must be a positive integer"):
        derived_function(1, "alpha_t_minimum")(n_t=0, p=60)


def test_theorem3_evaluator_checks_scalars_and_regime():
    ev = theorem3_evaluator(np.eye(6), 0.1 * np.eye(6))
    kw = dict(alpha_t=0.0, alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=3, sigma=1.0)
    with pytest.raises(ValueError, match="Theorem 3 needs p > n_v m"):
        ev(**kw)
    ok = dict(kw, n_v=1, m=2)
    assert np.isfinite(float(ev(**ok)))
    with pytest.raises(ValueError, match="n_t must be a positive integer"):
        ev(**dict(ok, n_t=-1))
    with pytest.raises(ValueError, match="n_t must be a positive integer"):
        ev.derivative("alpha_t")(**dict(ok, n_t=-1))


def test_phase_map_refuses_unknown_and_impossible_and_warns_at_edges():
    kw = dict(FIG3)
    kw.pop("alpha_t")
    with pytest.raises(ValueError, match="unknown parameter.*bogus"):
        phase_map(2, **kw, bogus=1.0)
    with pytest.raises(ValueError, match="needs values for"):
        phase_map(2, **{k: v for k, v in kw.items() if k != "nu"})
    with pytest.raises(ValueError, match="Theorem 2 needs p < n_v m"):
        phase_map(2, **dict(kw, p=[30, 3000]))
    with pytest.warns(RuntimeWarning, match="edge"):
        phase_map(2, alpha_t=np.linspace(0.0, 0.5, 11), **kw)


def test_theory_and_simulator_refuse_the_same_points():
    """Two homes would be one too many, but the simulator may not import the (SymPy) theory
    package: this test keeps symmaml.montecarlo.existence and theory.regime in step."""
    from symmaml.montecarlo.existence import loss_moments
    for n_v in (1, 2, 5):
        for m in (1, 2, 3):
            for p in range(1, 16):
                N = n_v * m
                if p == N:
                    continue
                for at in (-0.3, 0.0, 0.3):
                    t = 1 if p > N else 2
                    sim_finite = loss_moments(p=p, n_v=n_v, m=m, alpha_t=at, sigma=1.0).mean_finite
                    try:
                        theory.check_values(str(t), dict(p=p, n_v=n_v, m=m, alpha_t=at))
                        th_finite = True
                    except ValueError as exc:
                        assert "infinite" in str(exc)
                        th_finite = False
                    assert sim_finite == th_finite, (p, n_v, m, at)


def test_readme_names_are_exported():
    """The README's API tour names symmaml.numeric.loss_function (it was not exported)."""
    import symmaml.numeric as numeric
    for name in ("loss_function", "derived_function", "theorem3_evaluator", "phase_map"):
        assert getattr(numeric, name) is getattr(__import__("symmaml.numeric.losses",
                                                            fromlist=[name]), name)
