"""The CLI's edges (issue 10): bad options refused before any work, one-line errors with
exit 2, Ctrl-C in any stage of the report gives exit 130 and keeps what was written."""
import subprocess
import sys

import pytest

from symmaml.cli import main


@pytest.mark.parametrize("argv,needle", [
    (["report", "--figure", "zz"], "unknown figure 'zz'"),
    (["report", "--runs", "1"], "runs must be an integer of at least 2"),
    (["report", "--quick", "--full"], "exclude each other"),
    (["figures", "--quick", "--full"], "exclude each other"),
    (["nonlinear", "--quick", "--full"], "exclude each other"),
    (["validate", "--figure", "2b", "--runs", "1"], "at least 2"),
    (["validate", "--scaling", "--scaling-runs", "1"], "at least 2"),
    (["report", "--seed", "-3"], "seed must be a non-negative integer"),
    (["report", "--backend", "bogus"], "unknown backend 'bogus'"),
    (["moments", "--max-degree", "9", "--method", "reference"], "reference"),
])
def test_bad_options_are_refused_at_once(argv, needle, tmp_path, capsys, monkeypatch):
    """"At once": the checks come before any derivation, simulation or moment, which
    would fail this test if started (the report used to derive for ~80 s first)."""
    import symmaml.experiments.figures as figures
    import symmaml.experiments.report as report
    import symmaml.experiments.validation as validation
    import symmaml.moments.table as table

    def started(*a, **k):
        raise AssertionError("work started before the options were checked")
    for module, name in ((report, "theorem_summary"), (figures, "figure_data"),
                         (validation, "validate"), (table, "expectation"),
                         (table, "wishart_moment")):
        monkeypatch.setattr(module, name, started)
    out = tmp_path / "never"
    if argv[0] in ("report", "figures"):
        argv = argv + ["--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()                 # nothing was written before the check


def test_missing_torch_backend_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)      # import torch -> ImportError
    assert main(["validate", "--figure", "2b", "--backend", "torch"]) == 2
    assert "backend 'torch' is not available" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "figures", "derivations"])
def test_out_that_is_a_file_or_below_one(command, tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for target, needle in ((f, "is a file"), (f / "sub", "lies below the file")):
        assert main([command, "--out", str(target)]) == 2
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err
    assert f.read_text() == "x"


def test_latex_out_errors_and_missing_pdflatex(tmp_path, monkeypatch, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["latex", "--out", str(f / "doc.tex")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["latex", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert main(["latex", "--out", str(tmp_path / "doc.tex"), "--pdf"]) == 2
    assert "pdflatex" in capsys.readouterr().err
    assert not (tmp_path / "doc.tex").exists()


def test_broken_pipe_is_quiet():
    proc = subprocess.run(f"{sys.executable} -m symmaml moments --max-degree 6 | head -1",
                          shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def _interrupt(*a, **k):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["theorem_summary", "verify_all", "figure_data",
                                   "write_document"])
def test_ctrl_c_in_any_report_stage_exits_130_and_keeps_files(where, tmp_path, monkeypatch,
                                                             capsys):
    import symmaml.claims
    import symmaml.experiments.figures
    import symmaml.experiments.report as report
    import symmaml.latex
    target = {"theorem_summary": report, "verify_all": symmaml.claims,
              "figure_data": symmaml.experiments.figures,
              "write_document": symmaml.latex}[where]
    monkeypatch.setattr(target, where, _interrupt)
    out = tmp_path / "rep"
    code = main(["report", "--out", str(out), "--quick", "--figure", "2b", "--no-pdf"])
    captured = capsys.readouterr()
    assert code == 130
    assert "Traceback" not in captured.err and "interrupted" in captured.err
    text = (out / "report.md").read_text()
    assert "**Interrupted**" in text
    if where in ("verify_all", "figure_data", "write_document"):
        assert (out / "derivations" / "theorem1.md").exists()     # earlier stages kept
    if where in ("figure_data", "write_document"):
        assert (out / "claims.json").exists() and (out / "validation.json").exists()
    if where == "write_document":
        assert (out / "figures" / "fig2b.png").exists()
    assert not [p for p in out.rglob("*") if p.suffix == ".tmp"]


def test_validate_interrupted_exits_130(monkeypatch, capsys):
    import symmaml.experiments.validation as validate
    monkeypatch.setattr(validate, "validate", _interrupt)
    assert main(["validate", "--figure", "2b"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_sigint_during_a_simulation_exits_130_not_0():
    """A real SIGINT: validate used to swallow it and exit 0 with the runs done so far."""
    import signal
    import threading
    proc = subprocess.Popen([sys.executable, "-m", "symmaml", "validate", "--figure", "2b",
                             "--runs", "1000000", "--progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, err = threading.Event(), []

    def read():
        for chunk in iter(lambda: proc.stderr.read(64), ""):
            err.append(chunk)
            if "run/s" in "".join(err[-3:]):
                seen.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(120), "the simulation never started: " + "".join(err)[-500:]
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        proc.kill()
    reader.join(10)
    text = "".join(err)
    assert proc.returncode == 130
    assert "interrupted (Ctrl-C) after" in text and "Traceback" not in text
