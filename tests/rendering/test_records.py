"""The committed derivations/ records are what the package regenerates."""
from pathlib import Path

from symmaml.records import RECORDS, stale_records

ROOT = Path(__file__).resolve().parents[2]


def test_committed_records_are_fresh():
    stale = stale_records(ROOT / "derivations")
    assert not stale, f"stale records {stale}: run `symmaml derivations`"


def test_every_record_is_committed():
    for name in RECORDS:
        assert (ROOT / "derivations" / name).exists()


def test_records_are_cached_on_disk(disk_cache, monkeypatch):
    from symmaml.rendering import records
    calls = []
    real = records._RENDERERS["moments.md"]
    monkeypatch.setitem(records._RENDERERS, "moments.md", lambda: calls.append(1) or real())
    text = RECORDS["moments.md"]()
    assert RECORDS["moments.md"]() == text and calls == [1]        # read back, not rendered
    assert text == (ROOT / "derivations" / "moments.md").read_text(encoding="utf-8")
    monkeypatch.setenv("SYMMAML_NO_DISK_CACHE", "1")
    assert RECORDS["moments.md"]() == text and calls == [1, 1]


def test_a_foreign_cache_value_is_ignored(monkeypatch):
    from symmaml import records
    import symmaml.moments.cache as cache
    monkeypatch.setattr(cache, "disk_cached", lambda namespace, key, compute: 42)
    assert records.cached_text("records", "x", lambda: "text") == "text"


def test_what_is_shown_of_each_theorem_matches_the_objects():
    """rendering.shown's table covers every Theorem object and agrees with what the objects
    provide: a closed-form alpha_t extrema (Eq. 8) only where the method does not raise, a
    positivity proof of alpha_r* (Eqs. 5, 9) only where optimal_alpha_r returns one."""
    from symmaml.rendering.shown import SHOWN, shown, theorems
    assert [type(T) for T in theorems()] == list(SHOWN)
    for T in theorems():
        try:
            T.alpha_t_extrema()
            has_extrema = True
        except ValueError:
            has_extrema = False
        assert ("alpha_t_extrema" in shown(T)) == has_extrema, T
        assert ("optimal_alpha_r" in shown(T)) == (T.optimal_alpha_r()[1] is not None), T
