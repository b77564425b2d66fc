"""Array namespaces through ``array_api_compat`` (floor 0: NumPy only, no SymPy).

Shared by the numeric layer (compiled SymPy expressions, Theorem 3's traces) and the
Monte Carlo layer (the simulator).  :func:`get_namespace` turns a backend spec into a
:class:`Namespace` (display name, namespace module, device):

* ``"numpy"`` (default): ``array_api_compat.numpy``; results are plain ``numpy.ndarray``;
* ``"torch"`` / ``"torch:cpu"``, ``"torch:cuda"`` (or ``"cuda"``), ``"torch:cuda:1"`` ...:
  PyTorch, imported lazily (an optional dependency);
* ``"cupy"``: CuPy, imported lazily;
* ``"array_api_strict"``: the reference namespace (checks that only the standard is used);
* an array namespace module (e.g. ``array_api_strict`` or ``array_api_compat.numpy``),
  used on its default device;
* a :class:`Namespace`, returned unchanged.

Unknown specs raise ``ValueError`` naming them; a known backend whose package is not
installed raises ``ImportError`` naming the package.

The simulator's :class:`Backend` (a :class:`Namespace` whose ``asarray`` always makes
float64 arrays from the host NumPy draws; :func:`resolve_backend`) and the one host-BLAS
thread limiter :func:`blas_threads` (used by the simulator and by
:class:`~symmaml.numeric.traces.TraceEvaluator`) live here too: this is the package's only
backend module.
"""
from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["Namespace", "get_namespace", "to_numpy", "available_backends", "Backend",
           "resolve_backend", "blas_threads"]


@dataclass(frozen=True)
class Namespace:
    """A resolved backend: ``name`` (display), ``xp`` (array namespace), ``device`` (None = default)."""

    name: str
    xp: Any
    device: Any = None

    @property
    def is_numpy(self) -> bool:
        """True when arrays are plain NumPy arrays."""
        return self.name == "numpy"

    def asarray(self, x, dtype=None):
        """Convert ``x`` to an array of this namespace (float64 unless ``x`` is float32).

        Integer, boolean and Python-scalar inputs become float64; float32 arrays stay
        float32 (the caller chose the precision); other floating arrays become float64.
        """
        xp = self.xp
        if dtype is None:
            dtype = _float_dtype_for(x, xp)
        kwargs = {} if self.device is None else {"device": self.device}
        if isinstance(x, np.ndarray) and not self.is_numpy and self.name != "array_api_strict":
            x = np.ascontiguousarray(x)
        try:
            return xp.asarray(x, dtype=dtype, **kwargs)
        except (TypeError, ValueError):
            # e.g. array_api_strict refuses NumPy arrays of another dtype, torch refuses
            # some foreign arrays: go through a host NumPy copy.
            return xp.asarray(np.asarray(to_numpy(x), dtype=_np_dtype(dtype, xp)), dtype=dtype, **kwargs)

    def zeros(self, shape, dtype=None):
        """An array of zeros of ``shape`` in this namespace, on its device (default float64)."""
        xp = self.xp
        kwargs = {} if self.device is None else {"device": self.device}
        return xp.zeros(shape, dtype=dtype if dtype is not None else xp.float64, **kwargs)


def _np_dtype(dtype, xp) -> Any:
    return np.float32 if dtype == getattr(xp, "float32", None) else np.float64


def _float_dtype_for(x, xp):
    """float32 if ``x`` is a float32 array of any library, else float64."""
    dt = getattr(x, "dtype", None)
    if dt is not None:
        name = str(dt).rsplit(".", 1)[-1]
        if name == "float32":
            return xp.float32
    return xp.float64


def _import(module: str, spec: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pkg = module.split(".")[0]
        raise ImportError(
            f"backend {spec!r} needs the package {pkg!r}, which is not installed"
            + (" (pip install torch)" if pkg == "torch" else "")
        ) from exc


def get_namespace(backend: Any = "numpy") -> Namespace:
    """Resolve a backend spec (see the module docstring) to a :class:`Namespace`.

    Raises ``ValueError`` for an unknown spec or unusable device (the message names the
    spec) and ``ImportError`` naming the missing package for an uninstalled backend.
    """
    if isinstance(backend, Namespace):
        return backend
    if isinstance(backend, ModuleType):
        name = getattr(backend, "__name__", "namespace")
        if name in ("numpy", "array_api_compat.numpy"):
            from array_api_compat import numpy as xp_np
            return Namespace("numpy", xp_np)
        if name == "array_api_strict":
            return Namespace("array_api_strict", backend)
        if name == "torch":
            from array_api_compat import torch as xp_torch
            return Namespace("torch:cpu", xp_torch)
        if not hasattr(backend, "asarray"):
            raise ValueError(f"module {name!r} is not an array namespace (it has no 'asarray')")
        return Namespace(name.replace("array_api_compat.", ""), backend)
    if not isinstance(backend, str):
        raise ValueError(f"backend must be a string or an array namespace module, got {backend!r}")
    spec = backend.strip().lower()
    if spec == "numpy":
        from array_api_compat import numpy as xp_np
        return Namespace("numpy", xp_np)
    if spec in ("array_api_strict", "array-api-strict", "strict"):
        return Namespace("array_api_strict", _import("array_api_strict", backend))
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
        return Namespace(f"torch:{dev}", xp_torch, None if dev.type == "cpu" else dev)
    if spec == "cupy":
        _import("cupy", backend)
        from array_api_compat import cupy as xp_cupy
        return Namespace("cupy", xp_cupy)
    raise ValueError(
        f"unknown backend {backend!r}; expected 'numpy', 'torch', 'torch:cuda', 'cupy', "
        "'array_api_strict' or an array namespace module"
    )


def available_backends() -> list[str]:
    """The backend specs usable in this environment (always includes ``"numpy"``)."""
    out = ["numpy"]
    for spec in ("array_api_strict", "torch", "torch:cuda", "cupy"):
        try:
            get_namespace(spec)
        except (ImportError, ValueError):
            continue
        out.append(spec)
    return out


def to_numpy(x) -> np.ndarray:
    """Any backend array (or scalar) -> host ``numpy.ndarray`` (no copy for NumPy input)."""
    if isinstance(x, np.ndarray):
        return x
    mod = type(x).__module__
    if mod.startswith("torch"):
        return x.detach().cpu().numpy()
    if mod.startswith("cupy"):  # pragma: no cover - needs a GPU
        return x.get()
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001 - array_api_strict >= 2 refuses __array__; use DLPack
        return np.from_dlpack(x)


@dataclass(frozen=True)
class Backend(Namespace):
    """The simulator's backend: a :class:`Namespace` whose ``asarray`` always makes float64
    arrays from the host NumPy draws."""

    def asarray(self, a, dtype=None):
        """Host NumPy array -> float64 backend array on ``device``."""
        return super().asarray(np.ascontiguousarray(a, dtype=np.float64))


def resolve_backend(backend: Any = "numpy") -> Backend:
    """Map a backend spec (module doc) to a :class:`Backend`; ValueError/ImportError if unusable.

    The spec is resolved by :func:`get_namespace`, the one place that knows the backends."""
    if isinstance(backend, Backend):
        return backend
    ns = get_namespace(backend)
    return Backend(ns.name, ns.xp, ns.device)


def blas_threads(limit):
    """Context manager limiting the host BLAS/LAPACK thread pool (via ``threadpoolctl``).

    ``limit`` is a thread count (an int, or anything ``int()`` accepts), or a ``str`` /
    ``dict`` passed to ``threadpoolctl.threadpool_limits`` unchanged; ``None`` means no
    limit.  Used by the simulator (many small batched LAPACK calls: one SVD per run and
    alpha_t, where multi-threaded OpenBLAS only adds overhead, and on a loaded machine its
    spinning threads slow e.g. a 1000 x 30 SVD down by up to 100x) and by
    :class:`~symmaml.numeric.traces.TraceEvaluator`'s set-up (eigh, products).
    ``threadpoolctl`` is optional: without it (or with ``limit=None``) this is a no-op.
    """
    if limit is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=limit if isinstance(limit, (str, dict)) else int(limit),
                             user_api="blas")
