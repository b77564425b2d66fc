"""K-step MAML in the experiments layer: validation with steps, the K-step figure, the CLI."""
import json

import numpy as np
import pytest

from symmaml.cli import main
from symmaml.experiments import steps_figure as sf
from symmaml.experiments.validation import run_validation, theory_curve, validate


def test_vertex_of_a_parabola():
    a = np.linspace(-1, 1, 11)
    y = 3 * (a - 0.137) ** 2 + 1
    assert sf._argmin(a, y) == pytest.approx(0.137, abs=1e-12)
    assert sf._argmin(a, -a) == 1.0                       # minimum at the edge: the edge


def test_theory_curve_with_steps_is_the_steps_loss():
    from symmaml import theory
    from sympy import Symbol
    at = np.array([-0.5, 0.0, 0.3])
    got = theory_curve("2b", at, 0.2, steps_t=2)
    fig = sf.FIGURES["2b"]
    L = theory.loss(1, steps_t=2, delta_sq=fig.delta_sq, alpha_r=0.2, **fig.params)
    want = [float(L.subs(Symbol("alpha_t"), a)) for a in at]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # one step: the paper's compiled loss
    np.testing.assert_allclose(theory_curve("2b", at, 0.2, steps_t=1),
                               theory_curve("2b", at, 0.2), rtol=0)


def test_validate_with_steps_records_them():
    r = validate("3b", runs=20, seed=1, alphas=[-0.05, 0.0], steps_t=2, steps_r=2)
    assert (r.steps_t, r.steps_r) == (2, 2)
    assert np.all(np.isfinite(r.z)) and r.theory.shape == (2,)
    r1 = validate("3b", runs=20, seed=1, alphas=[0.0], steps_t=3)
    r0 = validate("3b", runs=20, seed=1, alphas=[0.0])
    # alpha_t = 0: neither the simulation nor the theory depends on K_t
    assert r1.mc[0] == r0.mc[0]
    assert r1.theory[0] == pytest.approx(r0.theory[0], rel=1e-13)


def test_validation_theorem3_with_steps():
    r = validate("4b", runs=10, seed=0, alphas=[-0.5, 0.0], steps_t=2)
    assert r.estimator == "rao_blackwell" and np.all(np.isfinite(r.z))
    r = validate("4a", runs=10, seed=0, alphas=[0.2], steps_r=2)
    assert r.estimator == "plain"          # the exact test average with K_r > 1 needs Sigma = I
    with pytest.raises(ValueError, match="Theorem 3"):
        run_validation(["4a"], runs=4, steps_r=6)


def test_steps_panel_and_cache_round_trip(tmp_path, disk_cache):
    d = sf.steps_data("3b", runs=6, seed=2, Ks=(1, 2), points=5, curve_points=7)
    assert d.Ks.tolist() == [1, 2] and d.mc_mean.shape == (2, 5)
    assert np.all(d.mc_argmin_lo <= d.mc_argmin + 1e-12)
    again = sf.steps_data("3b", runs=6, seed=2, Ks=(1, 2), points=5, curve_points=7)
    for name in ("theory_argmin", "mc_argmin", "mc_at_opt", "mc_mean"):
        np.testing.assert_array_equal(getattr(again, name), getattr(d, name))
    paths, _ = sf.draw_steps(tmp_path, panels=[d], formats=("png",))
    assert paths[0].name == "figsteps.png" and paths[0].stat().st_size > 1000
    assert "| 2 |" in sf.steps_table([d])


def test_theory_argmins_one_step_is_eq8():
    from symmaml import theory
    fig = sf.FIGURES["2b"]
    g, _, neg, _ = sf.theory_argmins("2b", 1, -1.5, 1.5)
    eq8 = theory.theorem(1).argmin_alpha_t(dict(fig.params, delta_sq=fig.delta_sq,
                                                alpha_r=fig.fixed))
    assert g == pytest.approx(float(eq8), abs=1e-6) and neg == g


@pytest.mark.parametrize("argv", [["validate", "--steps-t", "0"], ["validate", "--steps-r", "-2"],
                                  ["validate", "--steps-t", "7", "--figure", "4b"],
                                  ["validate", "--steps-t", "1.5"]])
def test_cli_bad_steps_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(argv))
    assert e.value.code == 2


def test_cli_validate_with_steps_json(capsys):
    code = main(["validate", "--figure", "3b", "--runs", "8", "--steps-t", "2", "--json"])
    rec = json.loads(capsys.readouterr().out)["figures"][0]
    assert rec["steps_t"] == 2 and rec["steps_r"] == 1 and code in (0, 1)
