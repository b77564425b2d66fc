"""Run a sweep: units on a Dask cluster (or in this process), results into the store.

:func:`run_sweep` plans the units of a :class:`~symmaml.sweep.spec.Spec`, skips those
already stored (``resume``), submits the theory units, and as soon as every theory unit of
a point is in, takes the point's alpha_t* and submits its Monte Carlo units; each finished
unit is written to the store at once.  Where it runs:

* ``scheduler=None``: a :class:`dask.distributed.LocalCluster` with ``workers`` processes
  (default: this machine's cores), one thread each -- the embedded default;
* ``scheduler="tcp://host:port"``: an existing cluster (connection bounded by
  ``connect_timeout``; ValueError naming ``--scheduler`` when it cannot be reached);
* ``workers=0`` or ``scheduler="inprocess"``: serially in this process, the reference;
  also what happens when Dask is not installed (with a one-line hint how to install it).

A worker killed mid-sweep loses only its running unit, which the scheduler runs again
elsewhere; Ctrl-C (:class:`SweepInterrupted`) keeps every unit already written; the same
units give the same bits wherever and in whichever order they ran.
"""
from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import json_ready
from .results import grid_argmin, points_columns, reduce_points
from .store import Store
from .units import (TheoryUnit, compute_mc, compute_theory, mc_rates, mc_units,
                    run_bounds, theory_units)

__all__ = ["run_sweep", "check_workers", "SweepRun", "SweepInterrupted", "open_executor",
           "dask_available", "INSTALL_HINT", "CONNECT_TIMEOUT"]

INSTALL_HINT = ('dask is not installed: running in this process; pip install "symmaml[sweep]" '
                "for a local cluster on every core")
#: seconds to wait for an existing scheduler (--scheduler) before giving up
CONNECT_TIMEOUT = 10.0


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; ``done`` units of ``total`` are in the store."""

    def __init__(self, message, done=0, total=0):
        super().__init__(message)
        self.done, self.total = done, total


@dataclass
class SweepRun:
    """What :func:`run_sweep` returns: the per-point records
    (:func:`~symmaml.sweep.results.reduce_points`), the store, what was computed now and
    where."""
    spec: object
    out: Path
    points: list
    computed: int
    stored_before: int
    total_units: int
    where: str
    seconds: float
    dashboard: str | None = None
    figure: Path | None = None
    timings: dict = field(default_factory=dict)

    @property
    def impossible(self) -> list:
        """The points no theorem covers, with the reason: [(index, axes, reason)]."""
        return [(r["point"], r["axes"], r["reason"]) for r in self.points
                if r["status"] == "impossible"]

    def to_json(self) -> str:
        """The per-point records as JSON (parameters, alpha_t*, its sign, MC means and s.e.)."""
        import json
        return json.dumps(json_ready(dict(
            spec=self.spec.name, spec_hash=self.spec.hash, out=str(self.out), where=self.where,
            units=self.total_units, computed=self.computed, points=self.points)), indent=1)

    def summary_text(self) -> str:
        """A few lines: units, where, the signs of alpha_t* and the impossible points."""
        recs = [r for r in self.points if r["status"] == "ok"]
        signs = [r["sign"] for r in recs]
        lines = [f"sweep {self.spec.name or '(unnamed)'}: {len(self.points)} points, "
                 f"{self.total_units} units ({self.computed} computed now, {self.stored_before} "
                 f"already stored) on {self.where} in {self.seconds:.1f} s -> {self.out}",
                 f"theory alpha_t*: {signs.count(-1)} negative, {signs.count(0)} zero, "
                 f"{signs.count(1)} positive, {sum(1 for r in recs if r.get('at_edge'))} at the "
                 "grid's edge"]
        if self.spec.has_mc:
            mc = [r.get("mc_sign") for r in recs]
            lines.append(f"Monte Carlo ({self.spec.mc_runs} runs, paired differences "
                         f"at 3 s.e.): {mc.count(-1)} negative, {mc.count(1)} positive, "
                         f"{mc.count(0)} undecided; "
                         f"{sum(1 for r in recs if r.get('mc_contradicts'))} where L(alpha_t*) > L(0); "
                         f"{sum(1 for r in recs if r.get('allowance_exceeded'))} beyond the "
                         "asymptotic allowance")
        for k, axes, why in self.impossible[:10]:
            lines.append(f"  impossible point {k} {axes}: {why}")
        if len(self.impossible) > 10:
            lines.append(f"  ... and {len(self.impossible) - 10} more impossible points")
        bad = [r for r in self.points if r["status"] in ("error", "incomplete")]
        for r in bad[:10]:
            lines.append(f"  point {r['point']} {r['axes']}: {r['status']} {r.get('reason', '')}")
        if self.figure is not None:
            lines.append(f"phase diagram: {self.figure}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- executors
class _Serial:
    """Runs each submitted unit in this process, in submission order."""
    where = "this process (serial)"
    dashboard = None

    def __init__(self):
        self._queue = deque()

    def submit(self, key, fn, *args):
        self._queue.append((key, fn, args))

    def results(self):
        while self._queue:
            key, fn, args = self._queue.popleft()
            yield key, fn(*args)

    def close(self):
        self._queue.clear()


class _Dask:
    """Submits units to a Dask cluster and yields them as they complete."""

    def __init__(self, client, cluster, where):
        from distributed import as_completed
        self.client, self.cluster, self.where = client, cluster, where
        self._ac = as_completed(with_results=False)
        self.dashboard = None
        if importlib.util.find_spec("bokeh") is not None:
            self.dashboard = getattr(client, "dashboard_link", None)

    def submit(self, key, fn, *args):
        self._ac.add(self.client.submit(fn, *args, key=key, pure=False))

    def results(self):
        for fut in self._ac:
            res = fut.result()
            key = fut.key
            fut.release()
            yield key, res

    def close(self):
        try:
            self.client.close(timeout=10)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=20)


def dask_available() -> bool:
    """Whether ``dask.distributed`` is installed."""
    return importlib.util.find_spec("distributed") is not None


def check_workers(workers) -> None:
    """ValueError naming --workers unless it is None or a non-negative integer."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 0):
        raise ValueError(f"--workers must be a non-negative integer, got {workers!r}")


def open_executor(scheduler=None, workers=None, *, connect_timeout=None, log=None):
    """The executor for ``scheduler`` / ``workers`` (see the module docstring);
    ``connect_timeout`` defaults to :data:`CONNECT_TIMEOUT`."""
    connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else float(connect_timeout)
    check_workers(workers)
    if scheduler == "inprocess" or workers == 0:
        return _Serial()
    if not dask_available():
        if scheduler is not None:
            raise ValueError("--scheduler needs dask.distributed, which is not installed: "
                             'pip install "symmaml[sweep]"')
        if log:
            log(INSTALL_HINT)
        return _Serial()
    import logging
    from distributed import Client, LocalCluster
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValueError(f"--scheduler {scheduler!r}: cannot reach the scheduler within "
                             f"{connect_timeout:g} s ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        n = len(client.scheduler_info().get("workers", {}))
        return _Dask(client, None, f"the cluster at {scheduler} ({n} workers)")
    import dask
    n = workers or os.cpu_count() or 1
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536; setting any such variable
    # turns off glibc's dynamic mmap threshold, so every large temporary is mmap'd and
    # page-faulted in again: measured here, a simulator unit 15 -> 23 ms, a torch training
    # unit of the Fig. 5 study 16.6 -> 31 s (a 256 MiB trim threshold alone: still 34 s).
    # The workers get glibc's defaults, as this process has.  The statistical profiler is
    # off: nobody reads it in a sweep.
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
               if not k.startswith("MALLOC_")}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                          "distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
    client = Client(cluster, timeout=connect_timeout)
    return _Dask(client, cluster, f"a local Dask cluster ({n} worker processes)")


# ----------------------------------------------------------------------------- the sweep
def _alpha_star(spec, chunks: dict) -> float | None:
    """The grid argmin over a complete point's theory chunks (None: no optimum, see
    :func:`~symmaml.sweep.results.grid_argmin`)."""
    j = grid_argmin(spec.alpha_t, np.concatenate([chunks[j] for j in sorted(chunks)]))
    return None if j is None else float(spec.alpha_t[j])


def run_sweep(spec, out, *, scheduler=None, workers=None, resume=False, progress=True,
              log=None, connect_timeout=None, figure=True) -> SweepRun:
    """Run (or, with ``resume``, finish) the sweep ``spec`` into the store ``out``.

    Returns a :class:`SweepRun`; writes ``points.parquet`` and, for 1-D or 2-D grids,
    ``phase.png``.  Ctrl-C raises :class:`SweepInterrupted` (every finished unit is kept;
    ``resume=True`` computes only the rest).  ``log``: a callable for one-line notes
    (the install hint, the dashboard address)."""
    t0 = time.perf_counter()
    check_workers(workers)              # every option before any work (the store included)
    log = log or (lambda msg: None)
    n_alpha_chunks = math.ceil(spec.alpha_t.size / spec.alpha_chunk)
    bounds = run_bounds(spec.mc_runs, spec.mc_chunk) if spec.has_mc else []
    t_units = theory_units(spec)
    n_possible = sum(pt.possible for pt in spec.points)
    total = len(t_units) + n_possible * len(bounds)
    store = Store(out).open(spec, resume=resume, n_units=dict(theory=len(t_units),
                                                               mc=n_possible * len(bounds)))
    try:
        done_t, done_m = store.done("theory"), store.done("mc")
        stored_before = len(done_t) + len(done_m)
        chunks: dict = {}                      # point -> {chunk: loss array}
        old = store.read("theory")
        if old:
            pts, ai, loss = old["point"], old["alpha_index"], old["loss"]
            for k in np.unique(pts):
                sel = pts == k
                order = np.argsort(ai[sel])
                a_sorted, l_sorted = ai[sel][order], loss[sel][order]
                for j in np.unique(a_sorted // spec.alpha_chunk):
                    chunks.setdefault(int(k), {})[int(j)] = l_sorted[a_sorted // spec.alpha_chunk == j]
        todo = total - stored_before
        try:
            ex = open_executor(scheduler, workers, connect_timeout=connect_timeout, log=log)
        except BaseException:
            store.discard_if_empty()        # leave a new folder as it was: no half-made store
            raise
        if ex.dashboard:
            log(f"Dask dashboard: {ex.dashboard}")
        computed = 0
        bar = None
        try:
            if progress and todo:
                from tqdm.auto import tqdm
                bar = tqdm(total=todo, unit="unit", desc="sweep", file=sys.stderr)
            tag = spec.hash[:10]
            pending: dict = {}
            skipped = [0]                          # MC units of points without an optimum

            def submit_mc(k):
                a_star = _alpha_star(spec, chunks[k])
                if a_star is None:          # no optimum: no Monte Carlo to run there
                    skipped[0] += sum(u.name not in done_m for u in mc_units(spec, k))
                    if bar is not None:
                        bar.total -= sum(u.name not in done_m for u in mc_units(spec, k))
                        bar.refresh()
                    return
                rates = mc_rates(spec, a_star)
                for u in mc_units(spec, k):
                    if u.name not in done_m:
                        lo, hi = bounds[u.chunk]
                        key = f"sweep-{tag}-{u.name}"
                        pending[key] = (u, lo, hi, rates)
                        ex.submit(key, compute_mc, spec.points[k].params, rates, spec.estimator,
                                  spec.seed, k, lo, hi)

            for k in {u.point for u in t_units}:
                if len(chunks.get(k, {})) == n_alpha_chunks and spec.has_mc:
                    submit_mc(k)
            for u in t_units:
                if u.name not in done_t:
                    sl = slice(u.chunk * spec.alpha_chunk, (u.chunk + 1) * spec.alpha_chunk)
                    key = f"sweep-{tag}-{u.name}"
                    pending[key] = (u, sl)
                    pt = spec.points[u.point]
                    ex.submit(key, compute_theory, pt.params, pt.theorem, spec.order,
                              spec.alpha_t[sl])
            for key, res in ex.results():
                job = pending.pop(key)
                u = job[0]
                if isinstance(u, TheoryUnit):
                    sl = job[1]
                    idx = np.arange(spec.alpha_t.size)[sl]
                    store.write_theory(u, idx, spec.alpha_t[sl], res)
                    chunks.setdefault(u.point, {})[u.chunk] = np.asarray(res["loss"], float)
                    if spec.has_mc and len(chunks[u.point]) == n_alpha_chunks:
                        submit_mc(u.point)
                else:
                    _, lo, hi, rates = job
                    store.write_mc(u, lo, hi, rates, spec.mc_labels, res)
                computed += 1
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:
            raise SweepInterrupted(
                f"interrupted: {stored_before + computed} of {total} units are in {out}; "
                "--resume computes the rest", stored_before + computed, total) from None
        finally:
            if bar is not None:
                bar.close()
            ex.close()
        t1 = time.perf_counter()
        records = reduce_points(spec, store.read("theory"), store.read("mc"))
        store.write_points(points_columns(spec, records))
        run = SweepRun(spec=spec, out=Path(out), points=records, computed=computed,
                       stored_before=stored_before, total_units=total - skipped[0], where=ex.where,
                       seconds=time.perf_counter() - t0, dashboard=ex.dashboard,
                       timings=dict(units=t1 - t0))
        if figure and 1 <= len(spec.axes) <= 2:
            from .figures import draw_phase_diagram
            run.figure = draw_phase_diagram(spec, records, Path(out) / "phase.png")
        run.seconds = time.perf_counter() - t0
        return run
    finally:
        store.close()
