"""Wrong regime, bad sizes and bad matrices give a ValueError naming the condition."""
import numpy as np
import pytest
from sympy import ImmutableMatrix

from symmaml import theory


def test_wrong_regime():
    with pytest.raises(ValueError, match="Theorem 1 needs p > n_v m"):
        theory.loss(1, p=5, n_v=2, m=3)
    with pytest.raises(ValueError, match="Theorem 2 needs p < n_v m"):
        theory.loss(2, p=60, n_v=2, m=3)
    with pytest.raises(ValueError, match="Theorem 3 needs p > n_v m"):
        theory.loss(3, p=6, n_v=2, m=3)
    with pytest.raises(ValueError, match="p > n_v m"):
        theory.argmin_alpha_t("1", dict(p=6, n_v=2, m=3))


@pytest.mark.parametrize("name,val", [("n_t", 0), ("p", -3), ("m", 1.5), ("n_r", -1)])
def test_bad_sizes(name, val):
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        theory.loss(1, **{name: val})


def test_bad_noise_and_unknown_parameter_and_theorem():
    with pytest.raises(ValueError, match="sigma must be non-negative"):
        theory.loss(1, sigma=-1)
    with pytest.raises(ValueError, match="unknown parameter"):
        theory.loss(1, q=3)
    with pytest.raises(ValueError, match="theorem must be one of"):
        theory.loss(4)


def test_bad_matrices():
    L = theory.loss(3)
    good = ImmutableMatrix([[2, 0], [0, 1]])
    with pytest.raises(ValueError, match="symmetric"):
        theory.specialise(L, ImmutableMatrix([[1, 2], [0, 1]]), good, good)
    with pytest.raises(ValueError, match="positive semi-definite"):
        theory.specialise(L, ImmutableMatrix([[1, 0], [0, -1]]), good, good)
    with pytest.raises(ValueError, match="square"):
        theory.specialise(L, ImmutableMatrix([[1, 0, 0], [0, 1, 0]]), good, good)
    with pytest.raises(ValueError, match="'gaussian'"):
        theory.specialise(L, good, good, "student")


def test_numeric_evaluator_rejects_non_psd():
    from symmaml.numeric.losses import theorem3_evaluator
    with pytest.raises(ValueError):
        theorem3_evaluator(np.diag([1.0, -1.0]), np.eye(2))
