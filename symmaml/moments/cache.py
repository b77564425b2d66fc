"""Disk cache for expensive results: plain JSON data, verified on every load.

Entries live in ``$SYMMAML_CACHE_DIR`` (default ``~/.cache/symmaml``), one file
``<namespace>/<sha256>.json`` per (namespace, key, engine hash); the engine hash is a
hash of every source file of the package, so editing any module invalidates every entry.
``SYMMAML_NO_DISK_CACHE=1`` switches the disk cache off.

Nothing read from disk can run code or be mistaken for another result:

* a file holds data only -- JSON, never pickle -- and SymPy values are rebuilt by
  :mod:`~symmaml.moments.serial` from a whitelist of constructors, never ``sympify``/``eval``;
* each entry repeats its own namespace, key and engine hash, and carries the SHA-256 of
  all of them with the payload; an entry whose fields differ from the request, whose
  checksum does not match, or that does not parse (truncated, corrupt, foreign, not a
  regular file, larger than ``MAX_ENTRY_BYTES``) is ignored: the value is recomputed and
  the entry overwritten;
* writes are atomic (temporary file, then rename), so a reader never sees half a file.

Supported values (anything else raises TypeError, also with the disk cache off, so that
a caller's mistake shows in the tests): a SymPy object made of the classes in
``serial.SYMPY_TYPES`` (the engine's results), or JSON data -- None, bool, int, finite
float, str, and lists / dicts with str keys of those (e.g. a LaTeX document).  Values
come back equal to what ``compute`` returned, of the same types, SymPy objects with the
same argument order.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from functools import lru_cache
from pathlib import Path

from sympy import Basic

from ..io import atomic_write_text
from . import serial

__all__ = ["disk_cached", "cache_dir", "disk_cache_enabled", "entry_path", "MAX_ENTRY_BYTES"]

FORMAT = "symmaml-cache/1"
#: larger files are not read (a corrupt or hostile entry must not exhaust memory)
MAX_ENTRY_BYTES = 64 * 2 ** 20
_NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_FIELDS = ("format", "namespace", "key", "engine", "kind", "payload", "sha256")


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
    """The disk cache's folder: ``$SYMMAML_CACHE_DIR``, else ``~/.cache/symmaml``."""
    return Path(os.environ.get("SYMMAML_CACHE_DIR", Path.home() / ".cache" / "symmaml"))


def disk_cache_enabled() -> bool:
    """False when ``SYMMAML_NO_DISK_CACHE`` is ``1``, ``true`` or ``yes``; True otherwise."""
    return os.environ.get("SYMMAML_NO_DISK_CACHE", "") not in ("1", "true", "yes")


def _check_request(namespace, key):
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise ValueError("namespace must be 1-64 letters, digits, '_', '-' or '.' (a folder "
                         f"name, not starting with a dot), got {namespace!r}")
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")


def entry_path(namespace: str, key: str) -> Path:
    """The file that holds (namespace, key) for the current engine."""
    _check_request(namespace, key)
    digest = hashlib.sha256(f"{namespace}\0{key}\0{_engine_hash()}".encode()).hexdigest()
    return cache_dir() / namespace / f"{digest}.json"


def _checksum(namespace, key, engine, kind, payload) -> str:
    text = json.dumps([namespace, key, engine, kind, payload], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _to_payload(value):
    """(kind, payload) of a value, or TypeError naming what cannot be stored."""
    if isinstance(value, Basic):
        return "sympy", serial.encode(value)
    serial.check_json(value)
    return "json", value


def _from_payload(kind, payload):
    if kind == "sympy":
        return serial.decode(payload)
    if kind == "json":
        serial.check_json(payload)
        return payload
    raise ValueError(f"unknown kind {kind!r}")


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON data")


def _read_entry(path: Path) -> bytes | None:
    # O_NONBLOCK: a FIFO planted at the path must not hang the reader; O_NOFOLLOW: nor a
    # symlink send it to a device
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _load(path: Path, namespace: str, key: str, engine: str):
    """The stored value, or a sentinel when the entry is missing or not trustworthy."""
    data = _read_entry(path)
    if data is None or len(data) > MAX_ENTRY_BYTES:
        return _MISSING
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
        if not isinstance(doc, dict) or sorted(doc) != sorted(_FIELDS):
            return _MISSING
        if (doc["format"], doc["namespace"], doc["key"], doc["engine"]) != (
                FORMAT, namespace, key, engine):
            return _MISSING
        if doc["sha256"] != _checksum(namespace, key, engine, doc["kind"], doc["payload"]):
            return _MISSING
        return _from_payload(doc["kind"], doc["payload"])
    except Exception:  # noqa: BLE001 - whatever fails to parse is simply not an entry
        return _MISSING


_MISSING = object()


def _store(path: Path, namespace, key, engine, kind, payload, value) -> None:
    try:
        # store only what loads back identical (same classes, same argument order)
        back = _from_payload(kind, payload)
        if type(back) is not type(value) or back != value:
            return
        doc = {"format": FORMAT, "namespace": namespace, "key": key, "engine": engine,
               "kind": kind, "payload": payload,
               "sha256": _checksum(namespace, key, engine, kind, payload)}
        atomic_write_text(path, json.dumps(doc, ensure_ascii=True, allow_nan=False,
                                           separators=(",", ":")))
    except (OSError, ValueError, TypeError, RecursionError):
        pass  # a read-only or full cache directory must not break the computation


def _accepts(check, value) -> bool:
    try:
        return bool(check(value))
    except Exception:  # noqa: BLE001 - a value the check cannot even inspect is rejected
        return False


def disk_cached(namespace: str, key: str, compute, *, check=None):
    """Return the cached value for (namespace, key) or compute, store and return it.

    ``namespace`` is a folder name (letters, digits, ``_-.``), ``key`` any string (it is
    hashed, and kept in the entry to be checked on load).  ``compute()`` must return a
    supported value (see the module docstring) or TypeError is raised after computing it.
    ``check``: optional predicate on a loaded value (e.g. its shape); a loaded value it
    rejects is treated like a corrupt entry.
    """
    _check_request(namespace, key)
    if not disk_cache_enabled():
        value = compute()
        serial.check_storable(value)    # the same TypeError with or without the disk cache
        return value
    engine = _engine_hash()
    path = entry_path(namespace, key)
    value = _load(path, namespace, key, engine)
    if value is not _MISSING and (check is None or _accepts(check, value)):
        return value
    value = compute()
    kind, payload = _to_payload(value)
    _store(path, namespace, key, engine, kind, payload, value)
    return value
