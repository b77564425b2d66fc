"""Every registered claim gets its established verdict, and a false claim is caught."""
import pytest
from sympy import Identity

from symmaml.claims import CLAIMS, Claim, get_claim, verify, verify_all
from symmaml.moments import wishart_lhs, expectation
from symmaml.symbols import n, p


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.equation for c in CLAIMS])
def test_claim_verdict_is_as_established(claim):
    verdict = verify(claim)
    assert verdict.status == claim.expected, verdict.detail


def test_lemma1_equations_31_to_42_are_all_registered():
    eqs = {c.equation for c in CLAIMS}
    assert {"31", "32", "33", "34-35", "36", "37", "38", "39-40", "41", "42"} <= eqs


def test_a_wrong_transcription_fails_with_its_difference():
    wrong = Claim("32*", "test", "E[W^2] = n (n + p) I (missing + 1)",
                  derived=lambda: expectation(wishart_lhs(2)),
                  printed=lambda: n * (n + p) * Identity(p))
    v = verify(wrong)
    assert v.status == "fails" and not v.as_expected
    assert "n*I" in v.detail


def test_records_are_json_ready():
    """Verdict.record() is what ``symmaml verify --json`` prints: plain strings under fixed
    keys, surviving a JSON round trip unchanged, and saying what the verdict says."""
    import json
    verdicts = verify_all(["31", "42"])
    recs = [v.record() for v in verdicts]
    assert [r["equation"] for r in recs] == ["31", "42"]
    keys = {"equation", "section", "statement", "status", "expected", "detail", "printed",
            "derived"}
    for v, r in zip(verdicts, recs):
        assert set(r) == keys
        assert all(type(value) is str for value in r.values()), r
        assert json.loads(json.dumps(r)) == r
        assert (r["section"], r["statement"], r["expected"]) == (
            v.claim.section, v.claim.statement, v.claim.expected)
        assert (r["status"], r["detail"]) == (v.status, v.detail)
        assert r["status"] == r["expected"] == "holds"
        assert r["printed"] == str(v.printed) and r["derived"] == str(v.derived)
    assert json.loads(json.dumps(recs)) == recs


def test_unknown_equation_is_a_clear_error():
    with pytest.raises(KeyError, match="no claim for equation"):
        get_claim("999")
