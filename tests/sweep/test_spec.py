"""symmaml.sweep.spec: parsing, checks naming the key, points and their theorems."""
import numpy as np
import pytest

from symmaml.sweep import SpecError, load_spec, parse_spec, shipped_specs
from symmaml.sweep.spec import RATIOS

from .conftest import SMALL, small_spec


def _bad(text, match):
    with pytest.raises(SpecError, match=match):
        parse_spec(text)


def test_small_spec_points_theorems_and_impossible_points():
    s = small_spec()
    assert s.shape == (3, 2) and len(s.points) == 6
    th = [(p.params["m"], p.params["sigma"], p.theorem) for p in s.points]
    assert th == [(3, 0.5, 1), (3, 1.0, 1), (30, 0.5, None), (30, 1.0, None),
                  (45, 0.5, 2), (45, 1.0, 2)]
    bad = [p for p in s.points if not p.possible]
    assert all("p = n_v m = 60" in p.reason for p in bad)


def test_mc_rates_join_the_alpha_grid_and_hash_ignores_cosmetics():
    s = small_spec()
    assert 0.25 in s.alpha_t and 0.0 in s.alpha_t and np.all(np.diff(s.alpha_t) > 0)
    renamed = parse_spec(SMALL.format(achunk=10, runs=12, rchunk=4).replace(
        'name = "test sweep"', 'name = "other"') + '\n[figure]\nx = "sigma"\n')
    assert renamed.hash == s.hash
    assert small_spec(rchunk=6).hash != s.hash          # the chunking is part of the spec


@pytest.mark.parametrize("edit, match", [
    (("[params]", "[params]\nsgma = 1.0"), r"'params.sgma': unknown parameter"),
    (("[grid]", "[grid]\nfoo = [1, 2]"), r"'grid.foo': unknown parameter"),
    (("[grid]", "[grid]\nnu = []"), r"'grid.nu': empty grid"),
    (("[grid]", "[grid]\nnu = {start = 0.1, stop = 1.0}"), r"'grid.nu': a range needs"),
    (("[grid]", "[grid]\nn_r = [10.5]"), r"'grid.n_r\[0\]': must be a positive integer"),
    (("[grid]", "[grid]\nsigma2 = 1"), r"'grid.sigma2': unknown parameter"),
    (('estimator = "rao_blackwell"', 'estimator = "fancy"'), r"'mc.estimator'"),
    (("runs = 12", "runs = 1"), r"'mc.runs': must be an integer of at least 2"),
    (('alpha_t = ["optimum", 0.0, 0.25]', "alpha_t = [0.25]"), r"'mc.alpha_t': must contain"),
    (('theorem = "auto"', "theorem = 3"), r"'theorem'.*Theorem 3 needs covariance"),
    (('theorem = "auto"', "order = 3"), r"'order'"),
    (('seed = 11', "seed = -1"), r"'seed'"),
    (("num = 41", "num = 2"), r"'alpha_t': the grid needs at least 3"),
    (("[mc]", "[mc]\nwhat = 1"), r"'mc.what': unknown key"),
    (("name =", "colour = 1\nname ="), r"'colour': unknown key"),
    (("[params]", "[params]\nsigma = -1.0"), r"'params.sigma': must be non-negative"),
])
def test_malformed_specs_name_the_key(edit, match):
    text = SMALL.format(achunk=10, runs=12, rchunk=4).replace(*edit, 1)
    _bad(text, match)


def test_not_toml_and_ratio_with_its_size():
    _bad("this is = = not toml", "not valid TOML")
    text = SMALL.format(achunk=10, runs=12, rchunk=4).replace("[grid]", "[grid]\nnvm_over_p = [0.5]")
    _bad(text, r"'grid.nvm_over_p': sets m, which is also swept")
    _bad(SMALL.format(achunk=10, runs=12, rchunk=4) + '[figure]\nx = "p"\n', r"'figure.x'")


def test_ratio_axes_set_integer_sizes():
    text = SMALL.format(achunk=10, runs=12, rchunk=4).replace(
        "m = [3, 30, 45]", "nvm_over_p = [0.1, 1.0, 1.5]").replace("[params]", "[params]\nm = 3")
    s = parse_spec(text)
    assert [p.params["m"] for p in s.points[::2]] == [3, 30, 45]
    assert set(RATIOS) == {"p_over_n_t", "nvm_over_p"}


def test_regime_forced_theorem_reports_the_points_it_cannot_cover():
    text = SMALL.format(achunk=10, runs=12, rchunk=4).replace('theorem = "auto"', "theorem = 1")
    s = parse_spec(text)
    why = {p.params["m"]: p.reason for p in s.points if not p.possible}
    assert set(why) == {30, 45}
    assert "Theorem 1 needs p > n_v m" in why[45]


def test_order2_passes_through_and_reports_where_it_is_not_defined():
    text = SMALL.format(achunk=10, runs=12, rchunk=4).replace('theorem = "auto"',
                                                             'theorem = "auto"\norder = 2')
    s = parse_spec(text)
    assert all(p.possible for p in s.points if p.params["m"] in (3, 45))
    # Theorem 2's order 2 needs the other m - 1 tasks' Gram matrix invertible
    s31 = parse_spec(text.replace("m = [3, 30, 45]", "m = [31, 45]"))
    bad = [p for p in s31.points if p.params["m"] == 31]
    assert bad and all(not p.possible and "(m - 1) n_v > p + 1" in p.reason for p in bad)


def test_shipped_specs_parse():
    names = set(shipped_specs())
    assert {"example", "ratios", "noise", "steps"} <= names
    for n in names:
        s = load_spec(n)
        assert s.points and any(p.possible for p in s.points)
    with pytest.raises(SpecError, match="no such file, nor a shipped spec"):
        load_spec("no-such-spec")
