"""symmaml.nonlinear.metasgd: Meta-SGD's learned per-parameter rates (Fig. 5)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_metasgd_rates_finite_and_table():
    from symmaml.nonlinear.metasgd import run_metasgd
    r = run_metasgd("linear", runs=2, seed=1, max_epochs=60, test_tasks=10,
                    maml_alpha_t=(-0.5, 0.0), dtype="float64")
    names = [row["layer"] for row in r.table]
    assert names == ["0.weight", "all"]
    for row in r.table:
        assert np.isfinite([row["mean"], row["std"], row["frac_negative"]]).all()
        assert 0 <= row["frac_negative"] <= 1 and row["count"] == 2 * 60
    assert row["std"] > 0                      # the rates moved away from the common start
    assert np.isfinite(r.test_learned).all() and np.isfinite(r.maml_best).all()
    assert r.maml_best_alpha_t in (-0.5, 0.0)
    s = r.summary()
    assert set(s) >= {"metasgd_learned_rates", "maml_best_scalar"}


def test_metasgd_nonlinear_small():
    from symmaml.nonlinear.metasgd import run_metasgd
    r = run_metasgd("nonlinear", runs=1, seed=0, hidden=(8,), max_epochs=20, test_tasks=4,
                    maml_alpha_t=(0.0,), dtype="float64", regime="fresh")
    assert [row["layer"] for row in r.table] == ["0.weight", "0.bias", "2.weight", "2.bias", "all"]
    assert all(np.isfinite(row["mean"]) for row in r.table)
