"""Shared pieces of the sweep tests: a small spec (both theorems and impossible points),
store readers, and the skips for the optional extra (dask.distributed, pyarrow)."""
import importlib.util

import numpy as np
import pytest

EXTRA_HINT = 'needs the sweep extra: pip install -e ".[sweep]" (dask.distributed, pyarrow; CI installs it)'

needs_pyarrow = pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None,
                                   reason=EXTRA_HINT)
needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None
                                or importlib.util.find_spec("pyarrow") is None,
                                reason=EXTRA_HINT)

#: 3 x 2 points: m = 3 (Theorem 1), 30 (p = n_v m: impossible), 45 (Theorem 2)
SMALL = """
name = "test sweep"
seed = 11
theorem = "auto"
[params]
n_t = 30
n_v = 2
n_r = 20
p = 60
nu = 0.5
alpha_r = 0.2
[grid]
m = [3, 30, 45]
sigma = [0.5, 1.0]
[alpha_t]
start = -1.5
stop = 0.5
num = 41
chunk = {achunk}
[mc]
runs = {runs}
chunk = {rchunk}
estimator = "rao_blackwell"
alpha_t = ["optimum", 0.0, 0.25]
"""


def small_spec(achunk=10, runs=12, rchunk=4, **_):
    """The small spec with the given alpha_t chunk, runs and run chunk."""
    from symmaml.sweep import parse_spec
    return parse_spec(SMALL.format(achunk=achunk, runs=runs, rchunk=rchunk))


def store_arrays(out, kind):
    """A store's rows of ``kind`` sorted by their coordinates: {column: array}."""
    from symmaml.sweep.store import Store
    rows = Store(out).read(kind)
    keys = ("point", "alpha_index") if kind == "theory" else ("point", "rate_index", "run")
    order = np.lexsort([rows[k] for k in reversed(keys)])
    return {k: (np.asarray(v)[order] if isinstance(v, np.ndarray) else [v[i] for i in order])
            for k, v in rows.items()}


def points_table(out):
    """``points.parquet`` as {column: list}, NaN replaced by the string "nan" so that two
    tables compare equal exactly when every value (and every NaN) is the same."""
    import math

    import pyarrow.parquet as pq
    t = pq.read_table(out / "points.parquet").to_pydict()
    return {k: [("nan" if isinstance(x, float) and math.isnan(x) else x) for x in v]
            for k, v in t.items()}
