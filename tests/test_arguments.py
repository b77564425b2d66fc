"""The steps checker shared by theory and simulator (symmaml.arguments)."""
import numpy as np
import pytest

from symmaml.arguments import MAX_STEPS, check_steps


@pytest.mark.parametrize("good", [1, 3, np.int64(5), MAX_STEPS])
def test_accepts_positive_integers(good):
    assert check_steps("steps_t", good) == int(good)


@pytest.mark.parametrize("bad", [0, -2, 2.0, 1.5, True, np.bool_(True), "2", None, MAX_STEPS + 1])
def test_refuses_the_rest_naming_the_argument(bad):
    with pytest.raises(ValueError, match="steps_r"):
        check_steps("steps_r", bad)
