"""A real cluster: ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, a
sweep through the scheduler's address (the CLI, as a user runs it), one worker killed
(SIGKILL) while it runs a unit: the scheduler runs that unit again on the other worker, and
the store is complete and identical to the serial run.  Bounded in time, cleaned up."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from symmaml.sweep import parse_spec, run_sweep

from .conftest import SMALL, needs_dask, points_table, store_arrays

pytestmark = needs_dask

#: the small spec with units slow enough (~0.2 s at the Theorem-2 points) to kill one mid-run
TEXT = SMALL.format(achunk=41, runs=240, rchunk=20)


def _start(args, log, stdout=None):
    return subprocess.Popen([sys.executable, "-m", *args], stdout=stdout or log, stderr=log,
                            start_new_session=True)


def _stop(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_sweep_through_a_scheduler_survives_a_killed_worker(tmp_path):
    from distributed import Client
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(TEXT)
    sched_file, out = tmp_path / "scheduler.json", tmp_path / "store"
    log = open(tmp_path / "cluster.log", "wb")
    procs, client = [], None
    try:
        procs.append(_start(["dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(sched_file)], log))
        _wait(lambda: sched_file.exists() and sched_file.stat().st_size > 0, 30, "the scheduler")
        address = json.loads(sched_file.read_text())["address"]
        workers = {}
        for name in ("w0", "w1"):
            workers[name] = _start(["dask", "worker", address, "--nthreads", "1", "--no-nanny",
                                    "--name", name, "--host", "127.0.0.1", "--no-dashboard"], log)
            procs.append(workers[name])
        client = Client(address, timeout=20)
        client.wait_for_workers(2, timeout=30)
        sweep = _start(["symmaml", "sweep", str(spec_file), "--out", str(out), "--scheduler",
                        address, "--json"], log, stdout=subprocess.PIPE)
        procs.append(sweep)

        def busy_worker():          # a worker running a Monte Carlo unit of a Theorem-2 point
            info = client.scheduler_info(n_workers=-1)["workers"]
            for addr, keys in client.processing().items():
                if any("-p000004-r" in str(k) or "-p000005-r" in str(k) for k in keys):
                    return info[addr]["name"], [str(k) for k in keys]
            return None
        name, lost = _wait(busy_worker, 60, "a worker running a Monte Carlo unit")
        os.killpg(workers[name].pid, signal.SIGKILL)
        workers[name].wait(timeout=10)
        stdout, _ = sweep.communicate(timeout=120)
        assert sweep.returncode == 0, (tmp_path / "cluster.log").read_text()[-3000:]
        result = json.loads(stdout)
        assert "1 workers" in result["where"] or "2 workers" in result["where"]
        assert result["units"] == result["computed"] == 4 * (1 + 12)
        stored = {f.stem for f in (out / "units" / "mc").glob("*.parquet")}
        assert {k.rsplit("-", 2)[-2] + "-" + k.rsplit("-", 1)[-1] for k in lost} <= stored
        assert len(client.scheduler_info()["workers"]) == 1          # one worker is gone
    finally:
        if client is not None:
            client.close(timeout=10)
        for p in reversed(procs):
            _stop(p)
        log.close()
    serial = tmp_path / "serial"
    run_sweep(parse_spec(TEXT), serial, workers=0, progress=False, figure=False)
    for kind in ("theory", "mc"):
        a, b = store_arrays(out, kind), store_arrays(serial, kind)
        for k in a:
            assert np.array_equal(np.asarray(a[k]), np.asarray(b[k])), (kind, k)
    assert points_table(out) == points_table(serial)
