"""The CLI is a thin shell: exit codes, JSON, --help."""
import json
import math
import subprocess
import sys

import pytest

from symmaml.cli import main


def test_verify_json_has_one_record_per_claim(capsys):
    assert main(["verify", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert {"equation", "status", "detail"} <= set(recs[0])
    by_eq = {r["equation"]: r["status"] for r in recs}
    assert by_eq["42"] == "holds" and by_eq["5"] == "holds" and by_eq["10"] == "fails"
    assert by_eq["17"] == "fails" and by_eq["14 (reduction)"] == "holds"


def test_verify_exits_1_when_a_verdict_changes(monkeypatch, capsys):
    import dataclasses
    from symmaml import claims
    flipped = [dataclasses.replace(c, expected="holds") if c.equation == "10" else c
               for c in claims.CLAIMS]
    monkeypatch.setattr(claims, "CLAIMS", flipped)
    assert main(["verify"]) == 1
    assert "UNEXPECTED" in capsys.readouterr().out


def test_report_writes_outputs_atomically(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--out", str(out), "--quick", "--figure", "2b", "--figure", "6b",
                 "--no-pdf"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"claims.json", "lemma1.tex", "report.md", "validation.json", "derivations",
            "figures", "symmaml.tex"} <= names
    assert {p.name for p in (out / "figures").iterdir()} == {
        "fig2b.png", "fig2b.pdf", "fig6b.png", "fig6b.pdf"}
    assert not [p for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    printed = capsys.readouterr().out
    assert "Eq. 10: FAILS" in printed and "56/58 claims hold" in printed
    assert "order-2 accuracy targets (report.md):" in printed and " of 10 points" in printed
    claims = json.loads((out / "claims.json").read_text())
    assert {c["equation"]: c["status"] for c in claims}["10"] == "fails"
    report = (out / "report.md").read_text()
    assert "finite-size theory (order 2)" in report
    # each figure's accuracy target, judged per alpha (6b's is the 3 % bound)
    row6b = next(line for line in report.splitlines() if line.startswith("| 6b |"))
    assert "under 3 %" in row6b and row6b.endswith(" of 5 |") and row6b.count("|") == 10
    assert "![Fig. 2b](figures/fig2b.png)" in report and "expected inaccurate" in report


def test_figures_and_validate_commands(tmp_path, capsys):
    assert main(["figures", "--out", str(tmp_path), "--figure", "3a", "--quick"]) == 0
    assert (tmp_path / "fig3a.png").stat().st_size > 0
    assert main(["validate", "--figure", "2a", "--runs", "50", "--json"]) == 0
    out = capsys.readouterr().out
    rec = json.loads(out[out.index("{"):])
    assert rec["figures"][0]["rows"] if "rows" in rec["figures"][0] else rec["figures"]
    assert set(rec) == {"figures", "scaling", "optimum"} and rec["scaling"] == []
    (fig,) = rec["figures"]
    assert fig["figure"] == "2a" and fig["theorem"] == 1 and fig["sweep"] == "alpha_r"
    assert fig["runs"] == 50 and fig["seed"] == 0 and fig["ok"] is True
    from symmaml.experiments.paper import FIGURES
    assert [r["alpha"] for r in fig["rows"]] == pytest.approx(list(FIGURES["2a"].alphas))
    for r in fig["rows"]:
        assert {"alpha", "theory", "mc", "stderr", "z", "verdict"} <= set(r)
        for k in ("alpha", "theory", "mc", "stderr", "z"):
            assert isinstance(r[k], float) and math.isfinite(r[k]), (k, r)
        assert r["theory"] > 0 and r["mc"] > 0 and r["stderr"] > 0
        assert r["z"] == pytest.approx((r["mc"] - r["theory"]) / r["stderr"])
        assert r["verdict"] in ("agree (MC error)", "agree (asymptotic allowance)")


def test_moments_json(capsys):
    assert main(["moments", "--max-degree", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["k"] for r in rows] == [1, 0, 2, 1, 0, 0]


def test_bad_input_exits_2(capsys):
    assert main(["moments", "--max-degree", "-1"]) == 2
    assert main(["nonlinear", "--runs", "1"]) == 2
    assert main(["nonlinear", "--hidden", "0"]) == 2
    assert main(["nonlinear", "--max-epochs", "0"]) == 2
    assert main(["nonlinear", "--metasgd", "--alpha-lr", "nan"]) == 2
    assert "max_degree" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", [[], ["report"], ["moments"], ["verify"], ["derivations"],
                                 ["latex"], ["figures"], ["validate"], ["nonlinear"]])
def test_help_everywhere(cmd):
    out = subprocess.run([sys.executable, "-m", "symmaml", *cmd, "--help"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "usage" in out.stdout


def test_derivations_check_detects_staleness(tmp_path, capsys):
    assert main(["derivations", "--out", str(tmp_path)]) == 0
    assert main(["derivations", "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "moments.md").write_text("tampered")
    assert main(["derivations", "--out", str(tmp_path), "--check"]) == 1


def test_figures_threshold_writes_the_figure_and_json(tmp_path, capsys, disk_cache):
    out = tmp_path / "thr"
    assert main(["figures", "--threshold", "--quick", "--out", str(out), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} == {"figthreshold.png", "figthreshold.pdf"}
    assert set(rec["sign_changes"]) == {"paper", "order 2", "simulation"}
    assert [p["theorem"] for p in rec["points"]] == [1, 1, 2, 2]
    assert main(["figures", "--threshold", "--steps", "--out", str(out)]) == 2
    assert "--steps and --threshold" in capsys.readouterr().err
