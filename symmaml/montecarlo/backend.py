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
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["Backend", "resolve_backend", "to_numpy", "blas_threads"]


@dataclass(frozen=True)
class Backend:
    """A resolved backend: display name, array namespace and device (None = default)."""

    name: str
    xp: Any
    device: Any = None

    def asarray(self, a):
        """Host NumPy array -> float64 backend array on ``device``."""
        a = np.ascontiguousarray(a, dtype=np.float64)
        if self.device is None:
            return self.xp.asarray(a)
        return self.xp.asarray(a, device=self.device)


def _import(module: str, human: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"backend {human!r} needs the package {module.split('.')[0]!r}, which is not installed"
            + (" (pip install torch==2.13.0)" if module == "torch" else "")
        ) from exc


def resolve_backend(backend: Any = "numpy") -> Backend:
    """Map a backend spec (module doc) to a :class:`Backend`; ValueError/ImportError if unusable."""
    if isinstance(backend, Backend):
        return backend
    if isinstance(backend, ModuleType):
        return Backend(getattr(backend, "__name__", "namespace"), backend)
    if not isinstance(backend, str):
        raise ValueError(f"backend must be a string or an array namespace module, got {backend!r}")
    spec = backend.strip().lower()
    if spec == "numpy":
        from array_api_compat import numpy as xp_np
        return Backend("numpy", xp_np)
    if spec in ("array_api_strict", "array-api-strict", "strict"):
        return Backend("array_api_strict", _import("array_api_strict", backend))
    if spec == "cuda":
        spec = "torch:cuda"
    if spec == "torch" or spec.startswith("torch:"):
        torch = _import("torch", backend)
        from array_api_compat import torch as xp_torch
        device = spec.partition(":")[2] or "cpu"
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"unknown torch device {device!r} in backend {backend!r}") from exc
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"backend {backend!r}: CUDA is not available in this torch installation")
        return Backend(f"torch:{dev}", xp_torch, dev)
    if spec == "cupy":
        _import("cupy", backend)
        from array_api_compat import cupy as xp_cupy
        return Backend("cupy", xp_cupy)
    raise ValueError(
        f"unknown backend {backend!r}; expected 'numpy', 'torch', 'torch:cuda', "
        "'array_api_strict', 'cupy' or an array namespace module"
    )


def to_numpy(x) -> np.ndarray:
    """Backend array -> NumPy float64 array (host copy)."""
    if isinstance(x, np.ndarray):
        return x
    mod = type(x).__module__
    if mod.startswith("torch"):
        return x.detach().cpu().numpy()
    if mod.startswith("cupy"):  # pragma: no cover
        return x.get()
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001 - fall back to DLPack (array_api_strict >= 2.x)
        return np.from_dlpack(x)


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
