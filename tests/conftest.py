import os

# Tests must exercise the engine, not a disk cache filled by an earlier run.
os.environ.setdefault("SYMMAML_NO_DISK_CACHE", "1")
