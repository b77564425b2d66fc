import os

import pytest

# Tests must exercise the engine, not a disk cache filled by an earlier run.
os.environ.setdefault("SYMMAML_NO_DISK_CACHE", "1")


@pytest.fixture
def disk_cache(tmp_path, monkeypatch):
    """The disk cache switched on, in a fresh folder of this test (returned)."""
    monkeypatch.delenv("SYMMAML_NO_DISK_CACHE", raising=False)
    monkeypatch.setenv("SYMMAML_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"
