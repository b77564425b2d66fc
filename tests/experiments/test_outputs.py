"""The commands' result objects print themselves: ``to_json()`` / ``summary_text()``."""
import json

import pytest

from symmaml.experiments import outputs, validation


def test_moment_table_records_and_text():
    t = outputs.moment_table(2)
    recs = json.loads(t.to_json())
    assert [r["k"] for r in recs] == [1, 0, 2, 1, 0, 0]
    assert all({"k", "traces", "lhs", "value", "latex"} == set(r) for r in recs)
    assert t.summary_text().splitlines() == [str(m) for _, _, m in t.rows]
    assert t.summary_text(latex=True).splitlines() == [m.latex() for _, _, m in t.rows]


def test_claim_verdicts_ok_and_text():
    c = outputs.verify_claims(["10"])
    assert c.ok and [r["equation"] for r in json.loads(c.to_json())] == ["10"]
    assert c.summary_text().startswith("Eq. 10  fails")


def test_run_validation_scaling_covers_theorems_1_and_2(monkeypatch):
    seen = []

    class Fit:
        clearly_negative = True

    monkeypatch.setattr(validation, "validate_all", lambda names, **kw: [])
    monkeypatch.setattr(validation, "gap_scaling", lambda t, **kw: seen.append((t, kw)) or Fit())
    run = validation.run_validation(["2b"], scaling=True, scaling_runs=7)
    assert [t for t, _ in seen] == [1, 2] and seen[0][1]["runs"] == 7 and run.ok
    with pytest.raises(ValueError, match="runs"):
        validation.run_validation(["2b"], scaling_runs=1)


def test_gap_scaling_refuses_theorem_3():
    with pytest.raises(ValueError, match="covers Theorems 1 and 2, got 3"):
        validation.gap_scaling(3)


def test_closed_form_optimum_per_figure():
    from symmaml.experiments.paper import FIGURES
    how = {k: f.closed_form_optimum for k, f in FIGURES.items()}
    assert how == {"2a": "closed form", "2b": "Eq. 8", "3a": "closed form", "3b": "",
                   "4a": "", "4b": "", "6a": "Eq. 8", "6b": "Eq. 8", "6c": "", "6d": ""}
