"""Atomic output writes (floor 0): an interrupted run never leaves a half-written file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_write_bytes", "prepare_dir", "check_file_target",
           "json_ready"]


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())    # mkstemp makes 0600; give the usual mode
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, as :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def prepare_dir(path, what: str = "--out") -> Path:
    """Create folder ``path`` (and its parents) for output, or raise ``ValueError``.

    Called before any work starts, so that a path that is a file, lies below a file or
    cannot be written is a one-line usage error, not a traceback after minutes of work.
    ``what`` names the argument in the message.
    """
    path = Path(path)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == path else f"lies below the file {parent}"
            raise ValueError(f"{what} {str(path)!r} {where}: give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{what} {str(path)!r}: cannot create the folder "
                         f"({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {str(path)!r}: the folder is not writable")
    return path


def check_file_target(path, what: str = "--out") -> Path:
    """Check that file ``path`` can be written (its folder is created), or raise ``ValueError``."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder: give a file name")
    prepare_dir(path.parent, what=f"{what} {str(path)!r}: its folder")
    return path


def json_ready(x):
    """``x`` as plain JSON data: arrays and tuples as lists, NumPy scalars as Python ones,
    dict keys as strings, and non-finite floats as ``None`` (JSON has no NaN or inf).

    The one converter behind every ``to_json()`` of the package's results.
    """
    import math

    import numpy as np
    if isinstance(x, np.ndarray):
        return [json_ready(v) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    if isinstance(x, dict):
        return {str(k): json_ready(v) for k, v in x.items()}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.integer):
        return int(x)
    return x
