"""Verdicts of registered claims are kept in the disk cache; their sides rebuilt lazily."""
from __future__ import annotations

import pytest
from sympy import Identity

from symmaml.claims import Claim, base, get_claim
from symmaml.moments import expectation, wishart_lhs
from symmaml.symbols import n, p


@pytest.fixture
def verdict_cache(disk_cache):
    """The shared disk-cache fixture, with verify's in-memory memo emptied around the test."""
    base.verify.cache_clear()
    yield disk_cache
    base.verify.cache_clear()       # later tests get in-memory verdicts again


@pytest.mark.parametrize("equation", ["10", "8", "42"])
def test_a_cached_verdict_equals_the_computed_one(verdict_cache, monkeypatch, equation):
    claim = get_claim(equation)
    fresh = base.verify(claim)
    assert (verdict_cache / "claims").is_dir()
    base.verify.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(base, "_verify", lambda c: pytest.fail("recomputed despite the cache"))
        cached = base.verify(claim)
        assert cached.status == fresh.status and cached.detail == fresh.detail
        assert cached.record() == fresh.record()
        assert cached.as_expected
    # the compared objects are rebuilt by the claim when asked for
    assert str(cached.derived) == str(fresh.derived)
    assert str(cached.printed) == str(fresh.printed)
    assert cached.derived is cached.derived                      # built once


def test_an_unregistered_claim_is_not_cached(verdict_cache):
    wrong = Claim("32*", "test", "E[W^2] = n (n + p) I (missing + 1)",
                  derived=lambda: expectation(wishart_lhs(2)),
                  printed=lambda: n * (n + p) * Identity(p))
    assert base.verify(wrong).status == "fails"
    assert not (verdict_cache / "claims").exists()


def test_a_foreign_cache_entry_is_ignored(verdict_cache, monkeypatch):
    import symmaml.moments.cache as cache
    monkeypatch.setattr(cache, "disk_cached",
                        lambda namespace, key, compute: {"status": "holds", "detail": 1})
    v = base.verify(get_claim("10"))
    assert v.status == "fails" and "corrected form" in v.detail
