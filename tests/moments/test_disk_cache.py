"""The disk cache stores data, never code, and never returns an entry it cannot verify."""
import json
import os
import pickle
import threading

import pytest
from sympy import Identity, MatrixSymbol, Rational, Symbol, Trace, sqrt, srepr

from symmaml.moments import (clear_caches, expectation, gaussian_matrix, moments_equal,
                             symmetric_matrix, wishart_expectation)
from symmaml.moments import api, cache

n, p = Symbol("n"), Symbol("p")


@pytest.fixture
def disk(tmp_path, monkeypatch):
    """A private, enabled disk cache; the memory caches are emptied so loads hit disk."""
    monkeypatch.setenv("SYMMAML_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SYMMAML_NO_DISK_CACHE", "0")
    clear_caches()
    yield tmp_path
    clear_caches()


def _only_entry(folder):
    files = sorted((folder / "expectation").iterdir())
    assert len(files) == 1, files
    return files[0]


def _eq42():
    X = gaussian_matrix("X")
    D = symmetric_matrix("D", X.cols)
    return X.T * X * D * X.T * X


class _RunsCode:
    """Unpickling this object writes a file: proof that loading executed code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def _forbid_computing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("recomputed although the entry is valid")
    monkeypatch.setattr(api, "expectation_terms", refuse)


def test_a_planted_pickle_is_never_executed(disk, tmp_path_factory):
    expr = _eq42()
    truth = expectation(expr)
    path = _only_entry(disk)
    marker = tmp_path_factory.mktemp("marker") / "ran"
    path.write_bytes(pickle.dumps(_RunsCode(marker)))      # at the exact path it reads
    clear_caches()
    assert expectation(expr) == truth
    assert not marker.exists()
    # ... and the hostile file was replaced by a valid entry
    json.loads(path.read_text())


def test_text_that_would_run_if_evaluated_is_never_evaluated(disk, tmp_path_factory):
    expr = _eq42()
    truth = expectation(expr)
    path = _only_entry(disk)
    doc = json.loads(path.read_text())
    marker = tmp_path_factory.mktemp("marker") / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    for payload in (code, ["Integer", code], ["Symbol", code, {}], [code], ["Mul", code]):
        doc["payload"] = payload
        doc["sha256"] = cache._checksum(doc["namespace"], doc["key"], doc["engine"],
                                        doc["kind"], payload)       # a *valid* checksum
        path.write_text(json.dumps(doc))
        clear_caches()
        assert expectation(expr) == truth
        assert not marker.exists()


def test_a_valid_pickle_of_a_wrong_value_is_not_returned(disk):
    expr = _eq42()
    truth = expectation(expr)
    path = _only_entry(disk)
    path.write_bytes(pickle.dumps(42))
    clear_caches()
    assert expectation(expr) == truth


def test_an_entry_of_another_key_is_not_returned(disk):
    X = gaussian_matrix("X")
    a, b = X.T * X, X.T * X * X.T * X
    truth_b = expectation(b)
    path_b = _only_entry(disk)
    path_b.unlink()
    expectation(a)
    path_a = _only_entry(disk)
    path_b.write_bytes(path_a.read_bytes())     # well-formed, checksummed, but for E[a]
    clear_caches()
    assert expectation(b) == truth_b
    assert json.loads(path_b.read_text())["key"] != json.loads(path_a.read_text())["key"]


def test_a_tampered_payload_with_a_stale_checksum_is_not_returned(disk):
    expr = _eq42()
    truth = expectation(expr)
    path = _only_entry(disk)
    from symmaml.moments import serial
    doc = json.loads(path.read_text())
    doc["payload"] = serial.encode(2 * truth)        # a plausible, wrong result
    path.write_text(json.dumps(doc))
    clear_caches()
    assert expectation(expr) == truth


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2],                          # truncated
    lambda b: b"",                                       # empty
    lambda b: b"\xff\xfe garbage",                       # not UTF-8
    lambda b: b.replace(b'"engine":"', b'"engine":"0'),  # another engine's entry
    lambda b: b"[" * 100000 + b"]" * 100000,             # deeper than any parser allows
])
def test_corrupt_entries_are_recomputed_and_overwritten(disk, damage):
    expr = _eq42()
    truth = expectation(expr)
    path = _only_entry(disk)
    good = path.read_bytes()
    path.write_bytes(damage(good))
    clear_caches()
    assert expectation(expr) == truth
    assert path.read_bytes() == good


def _representatives():
    X = gaussian_matrix("X", cov="Sigma")
    Sigma = X.cov
    D = MatrixSymbol("D", p, p)                      # no symmetry: transposes in the result
    Xt = gaussian_matrix("X_t", Symbol("n_t"), p, cov=Sigma)
    Xv = gaussian_matrix("X_v", Symbol("n_v"), p, cov=Sigma)
    Sw = symmetric_matrix("Sigma_w", p)
    nu, alpha = Symbol("nu"), Symbol("alpha", positive=True)
    A = Identity(p) - alpha / Symbol("n_t") * Xt.T * Xt
    return [
        ("general-Sigma E[W^3]", lambda: wishart_expectation(3)),
        ("matrix-valued, factored (Eq. 42)", lambda: expectation(_eq42(), factored=True)),
        ("scalar, traces of words", lambda: expectation(Trace(X.T * X * D) * Trace(X.T * X))),
        ("non-symmetric insertions", lambda: expectation(X.T * X * D * X.T * X * D.T)),
        ("Theorem-3-like, rationals and sqrt",
         lambda: expectation(Rational(1, 3) * nu ** 2 / sqrt(p) * A * Sw * A.T)),
        ("partial expectation over X_v (Eqs. 91, 93)",
         lambda: expectation(Xv.T * Xv * Xt.T * Xt * Xv.T * Xv, over=[Xv])),
    ]


@pytest.mark.parametrize("label,make", _representatives(), ids=[r[0] for r in _representatives()])
def test_what_the_engine_stores_loads_back_exactly(disk, monkeypatch, label, make):
    computed = make()
    assert list((disk / "expectation").iterdir()), "nothing was written"
    clear_caches()
    _forbid_computing(monkeypatch)
    loaded = make()
    assert srepr(loaded) == srepr(computed) and loaded == computed


def test_json_values_round_trip(disk):
    values = {"latex": "\\documentclass{article} % \u00e9", "n": 10 ** 40, "x": 0.1,
              "rows": [[1, 2], {"a": None, "b": True}], "empty": {}}
    assert cache.disk_cached("latex-doc", "k", lambda: values) == values
    loaded = cache.disk_cached("latex-doc", "k", lambda: pytest.fail("recomputed"))
    assert loaded == values and type(loaded["rows"][1]["b"]) is bool
    assert cache.disk_cached("latex-doc", "s", lambda: "just text") == "just text"
    assert cache.disk_cached("latex-doc", "s", lambda: pytest.fail("recomputed")) == "just text"


@pytest.mark.parametrize("enabled", ["0", "1"])
@pytest.mark.parametrize("value", [(1, 2), {1: "a"}, float("nan"), b"bytes", object(),
                                   Symbol("x") + 0.5, [Symbol("x")]])
def test_unsupported_values_raise_type_error_at_store_time(tmp_path, monkeypatch, enabled, value):
    monkeypatch.setenv("SYMMAML_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SYMMAML_NO_DISK_CACHE", enabled)
    calls = []

    def compute():
        calls.append(1)
        return value
    with pytest.raises(TypeError, match="store"):
        cache.disk_cached("test", "k", compute)
    assert calls == [1] and not list(tmp_path.rglob("*.json"))


def test_floats_in_an_expression_bypass_the_disk(disk):
    # only the serialiser's classes are written; a Float coefficient is averaged in memory
    X = gaussian_matrix("X")
    assert moments_equal(expectation(0.5 * X.T * X), 0.5 * n * Identity(p))
    assert not list(disk.rglob("*.json"))


@pytest.mark.parametrize("namespace", ["../escape", "", ".hidden", "a/b", None])
def test_namespaces_are_plain_folder_names(disk, namespace):
    with pytest.raises((ValueError, TypeError), match="namespace"):
        cache.disk_cached(namespace, "k", lambda: 1)


def test_a_fifo_at_the_entry_path_does_not_hang(disk):
    path = cache.entry_path("test", "fifo")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    out = []
    worker = threading.Thread(target=lambda: out.append(cache.disk_cached("test", "fifo",
                                                                            lambda: 7)),
                              daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert out == [7]
