"""symmaml.montecarlo.sampling.wishart_draw: Eq. 17's draws (not re-exported by symmaml.numeric)."""
import numpy as np
import pytest

from symmaml import numeric
from symmaml.montecarlo.sampling import wishart_draw


def test_wishart_draw():
    a = wishart_draw(4, rng=np.random.default_rng(1))
    b = wishart_draw(4, rng=np.random.default_rng(1))
    assert np.array_equal(a, b) and np.array_equal(a, a.T) and np.linalg.eigvalsh(a).min() > 0
    u = wishart_draw(4, 6, scale=2.0, rng=np.random.default_rng(1), normalise=False)
    n = wishart_draw(4, 6, scale=2.0, rng=np.random.default_rng(1))
    np.testing.assert_allclose(u / 6, n, rtol=1e-15)
    rng = np.random.default_rng(2)
    V = np.array([[2.0, 0.5], [0.5, 1.0]])
    mean = np.mean([wishart_draw(2, 5, scale=V, rng=rng) for _ in range(4000)], axis=0)
    np.testing.assert_allclose(mean, V, atol=0.1)  # E[W(V, k)/k] = V; se ~ 0.02
    with pytest.raises(TypeError, match="Generator"):
        wishart_draw(3, rng=0)
    with pytest.raises(ValueError, match="dof"):
        wishart_draw(3, 0, rng=rng)
    with pytest.raises(ValueError, match="scale"):
        wishart_draw(2, scale=-1.0, rng=rng)


def test_numeric_does_not_import_the_simulator():
    """The flow is numeric -> montecarlo: numeric must not re-export the simulator's draws."""
    assert not hasattr(numeric, "wishart_draw")
