"""Array backends of the numeric layer: re-exported from :mod:`symmaml.backend`.

The resolver lives at floor 0 so that the Monte Carlo layer (a pure array layer, no
SymPy) shares it without importing this SymPy-based package.
"""
from ..backend import Namespace, available_backends, get_namespace, to_numpy

__all__ = ["Namespace", "available_backends", "get_namespace", "to_numpy"]
