"""Fixtures for the Monte Carlo tests (helpers live in mc_helpers.py)."""
import os
import sys

import numpy as np
import pytest

# make ``import mc_helpers`` work under every pytest --import-mode
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
