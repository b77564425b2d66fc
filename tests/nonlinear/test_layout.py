"""The layout of the Fig. 5 code (Section 5.4): one module per job, ``symmaml.nonlinear``
below ``symmaml.experiments``, no import cycles, the old module still re-exporting."""
import ast
from pathlib import Path

import pytest

import symmaml

PKG = Path(symmaml.__file__).parent
NL = PKG / "nonlinear"


def _imports(path):
    """Absolute names of the symmaml modules that ``path`` imports (top level or inside functions)."""
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    pkg = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = list(pkg[:len(pkg) - node.level + 1]) if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("symmaml")}


def test_nonlinear_never_imports_experiments():
    for path in NL.glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith("symmaml.experiments")}
        assert not bad, (path.name, bad)


def test_no_import_cycles_among_nonlinear_modules():
    mods = {p.stem: p for p in NL.glob("*.py") if p.stem != "__init__"}
    graph = {name: {m.split(".")[2] for m in _imports(p)
                    if m.startswith("symmaml.nonlinear.") and m.split(".")[2] in mods} - {name}
             for name, p in mods.items()}
    state = {}

    def visit(n, stack):
        state[n] = "open"
        for m in graph[n]:
            assert state.get(m) != "open", f"import cycle: {' -> '.join(stack + [n, m])}"
            if m not in state:
                visit(m, stack + [n])
        state[n] = "done"
    for n in graph:
        if n not in state:
            visit(n, [])


def test_files_stay_small_and_documented():
    files = list(NL.glob("*.py")) + [PKG / "experiments" / "nonlinear_figure.py"]
    for path in files:
        src = path.read_text()
        assert len(src.splitlines()) <= 450, path.name
        tree = ast.parse(src)
        assert ast.get_docstring(tree), path.name
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{path.name}: {node.name}"


def test_experiment_module_re_exports_the_moved_names():
    from symmaml.nonlinear import experiment, metasgd, ntk, stats, sweep
    assert experiment.run_sweep is sweep.run_sweep and experiment.to_json is sweep.to_json
    assert experiment.pool_sweeps is stats.pool_sweeps
    assert experiment.argmin_with_uncertainty is stats.argmin_with_uncertainty
    assert experiment.run_metasgd is metasgd.run_metasgd and experiment.run_ntk_check is ntk.run_ntk_check
    import symmaml.nonlinear as nl
    assert nl.run_sweep is sweep.run_sweep and nl.pool_sweeps is stats.pool_sweeps
    with pytest.raises(AttributeError):
        nl.draw_figure5                      # noqa: B018  (the figure lives in symmaml.experiments)


def test_nonlinear_run_result_json_and_text(tmp_path):
    """run_nonlinear (what ``symmaml nonlinear`` calls) returns an object whose to_json is
    the CLI's JSON; with an output folder it writes nonlinear.json and Fig. 5."""
    pytest.importorskip("torch")
    import json
    from symmaml.experiments.nonlinear_figure import NonlinearRun, run_nonlinear
    run = run_nonlinear(runs=2, max_epochs=1, hidden=(4,), out_dir=tmp_path / "out")
    assert isinstance(run, NonlinearRun) and run.metasgd is None
    d = json.loads(run.to_json())
    assert set(d) == {"sweep", "figures"} and d["sweep"]["config"]["hidden"] == [4]
    assert d["sweep"]["per_run"] == run.sweep.per_run
    saved = json.loads((tmp_path / "out" / "nonlinear.json").read_text())
    assert set(saved) == {"sweep"} and saved["sweep"]["alpha_t"] == run.sweep.alpha_t
    assert sorted(p.suffix for p in run.figures) == [".pdf", ".png"]
    assert all(p.stat().st_size > 1000 for p in run.figures)
    assert "alpha_t" in run.summary_text()


def test_cli_nonlinear_and_figures_nonlinear_print_the_runner_output(tmp_path, monkeypatch, capsys):
    """``symmaml nonlinear --json`` prints NonlinearRun.to_json(); ``symmaml figures
    --nonlinear --json`` the figure paths (the sweep shrunk here to seconds)."""
    pytest.importorskip("torch")
    import json
    from symmaml import cli
    from symmaml.nonlinear import sweep
    orig = sweep.run_sweep
    monkeypatch.setattr(sweep, "run_sweep", lambda **kw: orig(**dict(kw, runs=2, max_epochs=1, hidden=(4,))))
    assert cli.main(["nonlinear", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == {"sweep"} and d["sweep"]["epochs"] == 1
    assert cli.main(["figures", "--nonlinear", "--json", "--out", str(tmp_path)]) == 0
    paths = json.loads(capsys.readouterr().out)
    assert sorted(p.rsplit(".", 1)[1] for p in paths) == ["pdf", "png"]
    assert (tmp_path / "nonlinear.json").is_file()
