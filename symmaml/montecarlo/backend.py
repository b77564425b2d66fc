"""Array backends for the Monte Carlo layer (array API standard via ``array_api_compat``).

Random numbers are drawn by NumPy on the host (:mod:`symmaml.montecarlo.sampling`)
and moved to the backend with ``xp.asarray(..., device=...)``; all linear algebra
(matmul, batched SVD) then runs on the backend.  Results come back as NumPy arrays.

Accepted ``backend`` values:

* ``"numpy"`` (default);
* ``"torch"`` / ``"torch:cpu"``, ``"torch:cuda"`` / ``"cuda"``, ``"torch:cuda:1"`` ...
  (PyTorch, imported lazily; ``"torch"`` means CPU);
* ``"array_api_strict"`` (the reference namespace, used to check that only the
  standard is used);
* an array namespace module (e.g. ``array_api_compat.numpy``), used on its default device.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Namespace, get_namespace, to_numpy

__all__ = ["Backend", "resolve_backend", "to_numpy", "blas_threads"]


@dataclass(frozen=True)
class Backend(Namespace):
    """The simulator's backend: a :class:`~symmaml.backend.Namespace` whose ``asarray``
    always makes float64 arrays from the host NumPy draws."""

    def asarray(self, a, dtype=None):
        """Host NumPy array -> float64 backend array on ``device``."""
        return super().asarray(np.ascontiguousarray(a, dtype=np.float64))


def resolve_backend(backend: Any = "numpy") -> Backend:
    """Map a backend spec (module doc) to a :class:`Backend`; ValueError/ImportError if unusable.

    The spec is resolved by :func:`symmaml.numeric.backend.get_namespace`, the one place
    that knows the backends."""
    if isinstance(backend, Backend):
        return backend
    ns = get_namespace(backend)
    return Backend(ns.name, ns.xp, ns.device)


def blas_threads(limit: int | None):
    """Context manager limiting the host BLAS/LAPACK thread pool (via ``threadpoolctl``).

    The simulator makes many small batched LAPACK calls (one SVD per run and alpha_t);
    multi-threaded OpenBLAS only adds overhead there, and on a loaded machine its
    spinning threads slow e.g. a 1000 x 30 SVD down by up to 100x.  ``threadpoolctl`` is
    optional: without it (or with ``limit=None``) this is a no-op.
    """
    if limit is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=limit, user_api="blas")
