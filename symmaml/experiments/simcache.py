"""Seeded figure simulations kept on disk, so that a rerun with nothing changed is fast.

A simulation with a fixed seed is a deterministic function of its inputs and of the code
(same seed -> same bits on the same backend), so its result can be reused exactly.  The key
holds every input (figure, its parameters, the alpha grid, runs, seed, estimator, backend)
and :func:`symmaml.moments.cache.disk_cached` adds a hash of the package's source: any code
change recomputes.  Entries are JSON data (floats round-trip exactly through ``repr``),
checked on load like every cache entry; nothing read is executed.  ``seed=None`` (fresh
entropy) is never cached.  ``SYMMAML_NO_DISK_CACHE=1`` turns the cache off.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np

from ..moments.cache import disk_cached

__all__ = ["cached_validation", "encode", "decode"]

_NAMESPACE = "validation"


def _array_list(v: np.ndarray):
    """Nested lists of a NumPy array, NaN as None (JSON has no NaN)."""
    if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
        if np.any(np.isinf(v)):
            raise ValueError("an infinite value cannot be stored as JSON data")
        return np.where(np.isnan(v), None, v.astype(object)).tolist()
    return v.tolist()


def _encode_value(v):
    if isinstance(v, np.ndarray):
        return {"ndarray": _array_list(v), "dtype": str(v.dtype)}
    if isinstance(v, tuple):
        return {"tuple": list(v)}
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if isinstance(v, dict) and v and all(isinstance(k, (int, np.integer)) for k in v):
        return {"intdict": [[int(k), _encode_value(x)] for k, x in v.items()]}
    return v


def _decode_value(v):
    if isinstance(v, dict) and set(v) == {"ndarray", "dtype"}:
        return np.asarray(v["ndarray"], dtype=np.dtype(v["dtype"]))   # None -> NaN for floats
    if isinstance(v, dict) and set(v) == {"tuple"}:
        return tuple(v["tuple"])
    if isinstance(v, dict) and set(v) == {"intdict"}:
        return {int(k): _decode_value(x) for k, x in v["intdict"]}
    return v


def encode(result) -> dict:
    """A dataclass instance as JSON data: arrays as nested lists (NaN as None) with their
    dtype, tuples and int-keyed dicts tagged; refuses what would not round-trip."""
    out = {f.name: _encode_value(getattr(result, f.name)) for f in dataclasses.fields(result)}
    json.dumps(out, allow_nan=False)     # refuse what would not round-trip as JSON data
    return out


def decode(cls, data: dict):
    """The ``cls`` instance that :func:`encode` stored as ``data``."""
    return cls(**{k: _decode_value(v) for k, v in data.items()})


def cached_validation(fig, compute, *, runs, seed, estimator, alphas, backend):
    """``compute()`` (a :class:`~symmaml.experiments.validation.ValidationResult`) or its
    stored copy.  Returns ``(result, from_cache)``."""
    if seed is None:
        return compute(), False
    from .validation import ValidationResult
    names = {f.name for f in dataclasses.fields(ValidationResult)}
    key = json.dumps({"figure": fig.name, "theorem": fig.theorem, "sweep": fig.sweep,
                      "fixed": fig.fixed, "params": fig.params, "w0": fig.w0,
                      "omega0": fig.omega0, "wishart_seed": fig.wishart_seed,
                      "alphas": [float(a) for a in np.asarray(alphas).ravel()],
                      "runs": int(runs), "seed": int(seed), "estimator": estimator,
                      "backend": str(backend)}, sort_keys=True, default=str)
    computed = []

    def run():
        res = compute()
        computed.append(res)
        return encode(res)

    data = disk_cached(_NAMESPACE, key, run,
                       check=lambda v: isinstance(v, dict) and set(v) == names)
    if computed:
        return computed[0], False
    try:
        return decode(ValidationResult, data), True
    except (TypeError, ValueError):      # a well-formed entry of a wrong shape: recompute
        return compute(), False
