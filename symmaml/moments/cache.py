"""Disk cache for expensive symbolic results, keyed by arguments and engine version.

Entries live in ``$SYMMAML_CACHE_DIR`` (default ``~/.cache/symmaml``) as pickles named by a
SHA-256 of (namespace, key, hash of the package's source).  Editing any module
therefore invalidates every entry.  Writes are atomic (temporary file, then rename).  Set
``SYMMAML_NO_DISK_CACHE=1`` to switch the disk cache off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path

from ..io import atomic_write_bytes

__all__ = ["disk_cached", "cache_dir", "disk_cache_enabled"]

@lru_cache(maxsize=1)
def _engine_hash() -> str:
    """Hash of every source file of the package: any code change invalidates the cache."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    return Path(os.environ.get("SYMMAML_CACHE_DIR", Path.home() / ".cache" / "symmaml"))


def disk_cache_enabled() -> bool:
    return os.environ.get("SYMMAML_NO_DISK_CACHE", "") not in ("1", "true", "yes")


def disk_cached(namespace: str, key: str, compute):
    """Return the cached value for (namespace, key) or compute, store and return it."""
    if not disk_cache_enabled():
        return compute()
    digest = hashlib.sha256(f"{namespace}\0{key}\0{_engine_hash()}".encode()).hexdigest()
    path = cache_dir() / namespace / f"{digest}.pkl"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
        pass
    value = compute()
    try:
        atomic_write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only or full cache directory must not break the computation
    return value
