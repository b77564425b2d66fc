"""The sweep's store: a folder of Parquet files a researcher opens directly.

Layout of ``DIR``::

    manifest.json           the spec (normalised and as written), its hash, the units' count
    units/theory/*.parquet  one file per theory unit: point, alpha_index, alpha_t, loss, ...
    units/mc/*.parquet      one file per Monte Carlo unit: point, run, rate_index,
                            rate_label, alpha_t, loss, ... (per-run values, long format)
    points.parquet          one row per grid point (written at the end of every sweep)
    phase.png               the phase diagram (1-D or 2-D grids)
    .lock                   held (``fcntl.flock``) while a sweep writes here

``pandas.read_parquet("DIR/units/mc")`` (or ``pyarrow.dataset.dataset``) reads a unit
folder as one table; temporary files start with a dot, which readers skip.  Every file is
written to a temporary name and renamed (:func:`symmaml.io.atomic_write_bytes`), so a
killed sweep leaves whole units only, and the client writes them (the workers return
arrays), so a cluster without a shared file system works too.

Guards (each a :class:`StoreError`, a ``ValueError``: exit 2 with one line in the CLI): a
store of a different spec in the folder; the same spec without ``resume``; a non-empty
folder that is no store; a second sweep writing to the same folder (the lock).
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes, atomic_write_text, prepare_dir

__all__ = ["StoreError", "Store", "FORMAT", "require_pyarrow"]

FORMAT = "symmaml-sweep/1"
_INSTALL = 'pip install "symmaml[sweep]" (or pip install -e ".[sweep]" in a checkout)'


class StoreError(ValueError):
    """The output folder cannot take this sweep (another spec, a running sweep, ...)."""


def require_pyarrow():
    """The ``pyarrow`` module, or ValueError saying how to install the extra."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ValueError(f"the sweep store (Parquet) needs pyarrow: {_INSTALL}") from None
    return pyarrow


class Store:
    """One sweep's output folder (see the module docstring).  Use as a context manager:
    :meth:`open` takes the lock and checks or writes the manifest, :meth:`close` releases it."""

    def __init__(self, path):
        self.path = Path(path)
        self._lock = None

    # ------------------------------------------------------------------ lock + manifest
    def open(self, spec, *, resume: bool, n_units: dict) -> "Store":
        """Lock the folder and check it against ``spec`` (see the module's guards)."""
        require_pyarrow()
        prepare_dir(self.path)
        self._take_lock()
        try:
            self._check_manifest(spec, resume, n_units)
        except BaseException:
            self.close()
            raise
        return self

    def _take_lock(self):
        import fcntl
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            finally:
                os.close(fd)
            raise StoreError(f"--out {str(self.path)!r}: another sweep (pid {holder}) is writing "
                             "to this folder; wait for it or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock = fd

    def _check_manifest(self, spec, resume, n_units):
        man = self.path / "manifest.json"
        if man.exists():
            try:
                old = json.loads(man.read_text(encoding="utf-8"))
                old_hash = old["spec_hash"]
            except (OSError, ValueError, KeyError, TypeError):
                raise StoreError(f"--out {str(self.path)!r}: manifest.json is unreadable; "
                                 "choose another --out") from None
            if old_hash != spec.hash:
                raise StoreError(f"--out {str(self.path)!r} holds a sweep of a different spec "
                                 f"(hash {old_hash[:12]}, this spec {spec.hash[:12]}); choose "
                                 "another --out")
            if not resume:
                done = len(self.done("theory")) + len(self.done("mc"))
                raise StoreError(f"--out {str(self.path)!r} already holds this sweep ({done} "
                                 "units stored); pass --resume to finish it, or choose "
                                 "another --out")
            return
        others = [p.name for p in self.path.iterdir() if p.name != ".lock"]
        if others:
            raise StoreError(f"--out {str(self.path)!r} is not empty and holds no sweep "
                             f"(found {sorted(others)[0]!r}); choose an empty or new folder")
        import symmaml
        atomic_write_text(man, json.dumps(dict(
            format=FORMAT, spec_hash=spec.hash, spec=spec.data, spec_text=spec.text,
            symmaml=symmaml.__version__, units=n_units), indent=1))

    def discard_if_empty(self):
        """Remove the manifest of a store that holds no unit (a sweep that never started)."""
        if not (self.done("theory") or self.done("mc")):
            (self.path / "manifest.json").unlink(missing_ok=True)

    def close(self):
        """Release the lock (the lock file stays; a lock is held only while open)."""
        if self._lock is not None:
            import fcntl
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ units
    def _dir(self, kind: str) -> Path:
        return self.path / "units" / kind

    def done(self, kind: str) -> set:
        """File stems of the stored units of ``kind`` ("theory" or "mc")."""
        d = self._dir(kind)
        if not d.is_dir():
            return set()
        return {f.stem for f in d.glob("*.parquet") if not f.name.startswith(".")}

    def _write(self, path: Path, columns: dict):
        pa = require_pyarrow()
        import pyarrow.parquet as pq
        table = pa.table(columns)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        atomic_write_bytes(path, buf.getvalue())

    def write_theory(self, unit, alpha_index, alphas, result: dict):
        """One theory unit's rows (one per alpha_t of its chunk), atomically."""
        n = len(alphas)
        self._write(self._dir("theory") / f"{unit.name}.parquet", dict(
            point=np.full(n, unit.point, np.int64), alpha_index=np.asarray(alpha_index, np.int64),
            alpha_t=np.asarray(alphas, float), loss=np.asarray(result["loss"], float),
            error=[result["error"]] * n, note=[result["note"]] * n))

    def write_mc(self, unit, lo, hi, rates, labels, result: dict):
        """One Monte Carlo unit's rows (one per run and rate), atomically."""
        values = np.asarray(result["values"], float)            # (rates, runs)
        A, R = values.shape
        self._write(self._dir("mc") / f"{unit.name}.parquet", dict(
            point=np.full(A * R, unit.point, np.int64),
            run=np.tile(np.arange(lo, hi, dtype=np.int64), A),
            rate_index=np.repeat(np.arange(A, dtype=np.int64), R),
            rate_label=[labels[i] for i in range(A) for _ in range(R)],
            alpha_t=np.repeat(np.asarray(rates, float), R), loss=values.reshape(-1),
            error=[result["error"]] * (A * R), note=[result["note"]] * (A * R)))

    def read(self, kind: str) -> dict:
        """All stored rows of ``kind`` as NumPy arrays / lists (empty dict if none)."""
        require_pyarrow()
        import pyarrow.parquet as pq
        files = sorted(f for f in self._dir(kind).glob("*.parquet") if not f.name.startswith("."))
        if not files:
            return {}
        import pyarrow as pa
        table = pa.concat_tables([pq.read_table(f) for f in files])
        return {c: (table[c].to_numpy() if pa.types.is_integer(table[c].type)
                    or pa.types.is_floating(table[c].type) else table[c].to_pylist())
                for c in table.column_names}

    def write_points(self, columns: dict) -> Path:
        """``points.parquet``: one row per grid point, atomically."""
        path = self.path / "points.parquet"
        self._write(path, columns)
        return path
