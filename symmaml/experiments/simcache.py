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

__all__ = ["cached_validation"]

_NAMESPACE = "validation"


def _encode(result) -> dict:
    out = {}
    for f in dataclasses.fields(result):
        v = getattr(result, f.name)
        if isinstance(v, np.ndarray):
            v = {"ndarray": v.tolist(), "dtype": str(v.dtype)}
        elif isinstance(v, tuple):
            v = {"tuple": list(v)}
        elif isinstance(v, (np.floating, np.integer, np.bool_)):
            v = v.item()
        out[f.name] = v
    json.dumps(out, allow_nan=False)     # refuse what would not round-trip as JSON data
    return out


def _decode(cls, data: dict):
    kw = {}
    for k, v in data.items():
        if isinstance(v, dict) and set(v) == {"ndarray", "dtype"}:
            v = np.asarray(v["ndarray"], dtype=np.dtype(v["dtype"]))
        elif isinstance(v, dict) and set(v) == {"tuple"}:
            v = tuple(v["tuple"])
        kw[k] = v
    return cls(**kw)


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
        return _encode(res)

    data = disk_cached(_NAMESPACE, key, run,
                       check=lambda v: isinstance(v, dict) and set(v) == names)
    if computed:
        return computed[0], False
    try:
        return _decode(ValidationResult, data), True
    except (TypeError, ValueError):      # a well-formed entry of a wrong shape: recompute
        return compute(), False
