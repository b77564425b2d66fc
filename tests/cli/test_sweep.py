"""``symmaml sweep``: --example, --json, exit codes (2 with one line for a bad spec, another
spec's store, a running sweep, an unreachable scheduler; 130 on Ctrl-C, keeping the units)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from symmaml.cli import main
from symmaml.sweep import parse_spec

from ..sweep.conftest import SMALL, needs_dask, needs_pyarrow


def _spec(tmp_path, text=None, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text if text is not None else SMALL.format(achunk=41, runs=6, rchunk=6))
    return path


def _one_line_error(capsys, needle):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("symmaml: error: "), err
    assert needle in err, err


def test_example_prints_a_valid_spec(capsys):
    assert main(["sweep", "--example"]) == 0
    text = capsys.readouterr().out
    spec = parse_spec(text)
    assert spec.has_mc and len(spec.points) >= 4 and all(p.possible for p in spec.points)


@pytest.mark.parametrize("argv, needle", [
    (["sweep"], "give a SPEC"),
    (["sweep", "example"], "--out DIR is required"),
    (["sweep", "--example", "example"], "--example prints"),
    (["sweep", "no-such.toml", "--out", "x"], "no such file, nor a shipped spec"),
    (["sweep", "example", "--out", "x", "--workers", "-1"], "--workers must be"),
])
def test_usage_errors(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    _one_line_error(capsys, needle)


def test_malformed_spec_is_exit_2_naming_the_key(tmp_path, capsys):
    bad = _spec(tmp_path, SMALL.format(achunk=41, runs=6, rchunk=6).replace(
        "[grid]", "[grid]\nsgima = [1.0]"))
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "spec key 'grid.sgima': unknown parameter")
    assert not (tmp_path / "o").exists()


@needs_pyarrow
def test_json_reports_every_point_and_a_different_spec_in_out_is_exit_2(tmp_path, capsys):
    spec, out = _spec(tmp_path), tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert len(res["points"]) == 6 and res["computed"] == res["units"] == 8
    ok = [p for p in res["points"] if p["status"] == "ok"]
    assert len(ok) == 4 and all(p["sign"] == -1 and len(p["mc"]) == 3 for p in ok)
    assert {"mean", "stderr", "alpha_t", "diff_vs_zero"} <= set(ok[0]["mc"][0])
    impossible = [p for p in res["points"] if p["status"] == "impossible"]
    assert [p["params"]["m"] for p in impossible] == [30, 30]
    assert all("p = n_v m = 60" in p["reason"] for p in impossible)
    assert (out / "points.parquet").exists() and (out / "phase.png").exists()
    other = _spec(tmp_path, SMALL.format(achunk=41, runs=8, rchunk=8), "other.toml")
    assert main(["sweep", str(other), "--out", str(out), "--workers", "0"]) == 2
    _one_line_error(capsys, "holds a sweep of a different spec")
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0"]) == 2
    _one_line_error(capsys, "pass --resume")
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--resume"]) == 0
    assert "0 computed now, 8 already stored" in capsys.readouterr().out


@needs_pyarrow
def test_a_running_sweep_holds_the_folder(tmp_path, capsys):
    from symmaml.sweep.store import Store
    spec, out = _spec(tmp_path), tmp_path / "o"
    with Store(out).open(parse_spec(spec.read_text()), resume=False, n_units={}):
        assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--resume"]) == 2
        _one_line_error(capsys, f"another sweep (pid {os.getpid()}) is writing")


@needs_dask
def test_unreachable_scheduler_is_exit_2_in_bounded_time(tmp_path, capsys, monkeypatch):
    import symmaml.sweep.runner as runner
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", 2.0)
    spec = _spec(tmp_path)
    t0 = time.perf_counter()
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--scheduler",
                 "tcp://127.0.0.1:9"]) == 2
    assert time.perf_counter() - t0 < 20
    _one_line_error(capsys, "cannot reach the scheduler within")


@needs_pyarrow
def test_ctrl_c_is_exit_130_and_keeps_the_finished_units(tmp_path):
    spec = _spec(tmp_path, SMALL.format(achunk=41, runs=4000, rchunk=100))
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "symmaml", "sweep", str(spec), "--out",
                             str(out), "--workers", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        mc = out / "units" / "mc"
        while time.monotonic() < deadline and len(list(mc.glob("*.parquet"))) < 2:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    kept = len(list((out / "units" / "mc").glob("*.parquet")))
    assert kept >= 2 and "--resume computes the rest" in err.strip().splitlines()[-1]
    assert f"of {4 * (1 + 40)} units are in" in err
