"""Shared constants and z-score helpers for the Monte Carlo tests (uniquely named module)."""
import numpy as np
from scipy.stats import norm

# small problem sizes, one over- and one under-parameterized (p vs N = n_v m)
OVER = dict(n_t=7, n_v=2, n_r=5, m=3, p=11, sigma=0.8, nu=0.6)
UNDER = dict(n_t=4, n_v=6, n_r=5, m=4, p=5, sigma=0.5, nu=0.4)
EPS = np.finfo(np.float64).eps


def z_crit(k: int, level: float = 1e-3) -> float:
    """Two-sided Bonferroni threshold for k simultaneous z-tests at family level ``level``."""
    return float(norm.isf(level / (2 * k)))


def paired_z(a, b) -> np.ndarray:
    """z-score of mean(a - b) over the run axis (last), from the per-run differences."""
    d = np.asarray(a) - np.asarray(b)
    return d.mean(axis=-1) / (d.std(axis=-1, ddof=1) / np.sqrt(d.shape[-1]))
