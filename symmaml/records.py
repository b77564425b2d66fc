"""The derivation records in ``derivations/``: :mod:`symmaml.rendering.records` (and the
disk-cached rendering, :mod:`symmaml.rendering.cache`), re-exported here."""
from .rendering.cache import cached_text
from .rendering.records import (RECORDS, claims_table, render_claims,  # noqa: F401
                                render_moments, render_theorem, stale_records, write_records)

__all__ = ["render_moments", "RECORDS", "write_records", "stale_records", "cached_text"]
