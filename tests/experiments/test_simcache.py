"""Figure simulations reused from the disk cache: exact, keyed by every input, checked."""
import dataclasses
import json

import numpy as np
import pytest

from symmaml.experiments.figures import figure_data


def _same(a, b, skip=()):
    for f in dataclasses.fields(a):
        if f.name in skip:
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert type(x) is type(y) and x == y, f.name


def test_second_run_reads_the_same_bits(disk_cache):
    first = figure_data("2b", quick=True, seed=3)
    second = figure_data("2b", quick=True, seed=3)
    assert not first.from_cache and second.from_cache
    _same(first.validation, second.validation)
    assert np.array_equal(first.mc, second.mc) and np.array_equal(first.stderr, second.stderr)


def test_key_holds_every_input(disk_cache):
    base = figure_data("2b", quick=True, seed=3)
    for kw in (dict(seed=4), dict(runs=41), dict(points=4), dict(estimator="conditional")):
        other = figure_data("2b", **{"quick": True, "seed": 3, **kw})
        assert not other.from_cache, kw
    assert not figure_data("2b", quick=True, seed=None).from_cache
    assert not figure_data("2b", quick=True, seed=None).from_cache     # never cached
    assert figure_data("2b", quick=True, seed=3).from_cache
    assert base.mc.shape == (5,)


def test_a_tampered_entry_is_recomputed(disk_cache):
    first = figure_data("3a", quick=True, seed=1)
    (entry,) = list((disk_cache / "validation").glob("*.json"))
    data = json.loads(entry.read_text())
    text = json.dumps(data).replace(repr(float(first.mc[0])), "12345.0")
    assert text != json.dumps(data)
    entry.write_text(text)
    again = figure_data("3a", quick=True, seed=1)
    assert not again.from_cache
    _same(first.validation, again.validation, skip=("elapsed",))      # recomputed
