"""Fixtures for the numeric-layer tests (the Theorem-3-shaped expression lives in t3_expr.py)."""
import os
import sys

import numpy as np
import pytest

# make ``import t3_expr`` work under every pytest --import-mode
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

EPS = np.finfo(np.float64).eps


@pytest.fixture
def rng():
    return np.random.default_rng(20210503)
