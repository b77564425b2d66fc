"""Argument checks shared by layers that must not import each other (no SymPy).

* :func:`check_steps` -- a number of inner gradient steps K (K-step MAML): used by the
  theory (:mod:`symmaml.theory.steps`) and the simulator (:mod:`symmaml.montecarlo`) alike,
  so the two accept exactly the same values.
"""
from __future__ import annotations

import numbers

__all__ = ["check_steps", "MAX_STEPS"]

#: the largest K accepted anywhere; the theory's cost guard decides what can be derived
MAX_STEPS = 1000


def check_steps(name: str, value) -> int:
    """``value`` as an int K >= 1, else ValueError naming the argument: bools (also NumPy's),
    floats such as 2.0, strings, None and K > :data:`MAX_STEPS` are refused."""
    if isinstance(value, bool) or type(value).__name__ == "bool_" \
            or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} (number of inner gradient steps) must be a positive "
                         f"integer, got {value!r}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} (number of inner gradient steps) must be a positive "
                         f"integer, got {value}")
    if value > MAX_STEPS:
        raise ValueError(f"{name} = {value} exceeds {MAX_STEPS} steps: the theory's degree "
                         f"in W (2K or 4K) is far beyond the engine and each simulated run "
                         "would loop that often")
    return value
