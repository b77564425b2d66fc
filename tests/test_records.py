"""The committed derivations/ records are what the package regenerates."""
from pathlib import Path

from symmaml.records import RECORDS, stale_records

ROOT = Path(__file__).resolve().parents[1]


def test_committed_records_are_fresh():
    stale = stale_records(ROOT / "derivations")
    assert not stale, f"stale records {stale}: run `symmaml derivations`"


def test_every_record_is_committed():
    for name in RECORDS:
        assert (ROOT / "derivations" / name).exists()
