"""Caching (memory and disk) and LaTeX rendering."""

from sympy import expand

from symmaml.moments import (Moment, expectation, gaussian_matrix, lemma1_table,
                             wishart_expectation, wishart_lhs, wishart_moment)
from symmaml.moments import cache as cache_mod


def test_repeated_calls_are_memoised():
    a = wishart_expectation(5, (2,))
    b = wishart_expectation(5, (2,))
    assert a is b
    assert wishart_moment(8) is wishart_moment(8)


def test_disk_cache_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMMAML_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SYMMAML_NO_DISK_CACHE", "0")
    calls = []

    def compute():
        calls.append(1)
        return expand((1 + wishart_moment(2)) ** 2)

    first = cache_mod.disk_cached("test", "key-1", compute)
    second = cache_mod.disk_cached("test", "key-1", compute)
    assert first == second and len(calls) == 1
    files = list((tmp_path / "test").glob("*.json"))
    assert len(files) == 1 and not list((tmp_path / "test").glob("*.tmp"))
    cache_mod.disk_cached("test", "key-2", compute)
    assert len(calls) == 2


def test_disk_cache_is_keyed_by_engine_source(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMMAML_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SYMMAML_NO_DISK_CACHE", "0")
    cache_mod.disk_cached("test", "k", lambda: 1)
    monkeypatch.setattr(cache_mod, "_engine_hash", lambda: "another-engine")
    assert cache_mod.disk_cached("test", "k", lambda: 2) == 2


def test_latex_uses_the_papers_notation():
    rows = {m.equation: m.latex() for m in lemma1_table()}
    assert rows["32"] == (r"\mathbb{E}\left[\left(X^T X\right)^{2}\right] = "
                          r"n \left(n + p + 1\right) I_{p}")
    assert r"\mathrm{Tr}\left(D\right)" in rows["42"]
    X = gaussian_matrix("X", cov="Sigma")
    tex = Moment(wishart_lhs(3, X=X), wishart_expectation(3)).latex()
    assert r"\Sigma^{3}" in tex and r"\mathrm{Tr}\left(\Sigma^{2}\right)" in tex


def test_printed_form_does_not_depend_on_letter_order():
    from sympy import MatrixSymbol, Trace
    X = gaussian_matrix("X", cov="Sigma")
    Z = MatrixSymbol("Z", X.cols, X.cols)   # interned after Sigma in this process
    out = expectation(Trace(X.T * X * Z) * X.T * X)
    assert "Trace(Sigma*Z)" in str(out)
