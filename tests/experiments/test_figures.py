"""The paper's figures, redrawn (symmaml.experiments.figures): files, sizes, atomic writes."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from symmaml.experiments import figures
from symmaml.experiments.figures import FIGURE_NAMES, draw_all, draw_figure, figure_data

EXPECTED = ("2a", "2b", "3a", "3b", "4a", "4b", "6a", "6b", "6c", "6d")


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])          # IHDR width, height


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return out, draw_all(out, quick=True, seed=0)


def test_names():
    """The registry's figures, in the paper's order, each titled by its figure and theorem
    and the regime the theorem covers, and written to ``fig<name>.<fmt>``."""
    from symmaml import theory
    from symmaml.experiments.paper import FIGURES
    assert FIGURE_NAMES == EXPECTED == tuple(FIGURES)
    for name, fig in FIGURES.items():
        assert fig.name == name
        T = theory.theorem(fig.theorem)
        assert fig.title.startswith(f"Fig. {name}: Theorem {T.number}, "), fig.title
        if name.startswith("6"):        # Fig. 6 sweeps alpha_t at four sizes
            P = fig.params
            assert f"p = {P['p']}" in fig.title and f"n_v m = {P['n_v'] * P['m']}" in fig.title
        else:
            what = "training" if fig.sweep == "alpha_t" else "adaptation"
            assert fig.title.endswith(f"{what} learning rate"), fig.title
        if not fig.has_matrices:
            assert f"{T.regime}parameterized" in fig.title, fig.title
        else:
            assert isinstance(T, theory.Theorem3) and "Wishart" in fig.title
        for fmt in ("png", "pdf"):
            assert figures.figure_path("out", f"Fig{name.upper()}", fmt).as_posix() == \
                f"out/fig{name}.{fmt}"


def test_draw_all_quick_writes_every_file(drawn):
    out, paths = drawn
    assert set(paths) == set(EXPECTED)
    for name in EXPECTED:
        assert [p.name for p in paths[name]] == [f"fig{name}.png", f"fig{name}.pdf"]
        for p in paths[name]:
            assert p.parent == out and p.is_file() and p.stat().st_size > 5_000, p
        png, pdf = paths[name]
        w, h = _png_size(png)
        assert 900 <= w <= 1200 and 700 <= h <= 1000, (name, w, h)
        assert pdf.read_bytes()[:5] == b"%PDF-"
    # atomic writing leaves nothing else behind (no temporary files)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"fig{n}.{f}" for n in EXPECTED for f in ("png", "pdf"))


def test_redraw_replaces_atomically(tmp_path):
    d = figure_data("6a", quick=True)
    first = draw_figure("6a", tmp_path, formats=("png",), data=d)
    again = draw_figure("fig6a", tmp_path, formats="png", data=d)
    assert first == again
    assert [p.name for p in tmp_path.iterdir()] == ["fig6a.png"]


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unknown figure"):
        draw_figure("5", tmp_path)
    with pytest.raises(ValueError, match="unknown figure"):
        draw_figure("2c", tmp_path)
    with pytest.raises(ValueError, match="unknown figure"):
        draw_all(tmp_path, figures=["2a", "7"])
    with pytest.raises(ValueError, match="formats"):
        draw_figure("2a", tmp_path, formats=("gif",))
    assert list(tmp_path.iterdir()) == []


def test_run_counts():
    assert figures._runs("2b", None, False, True) == 1000          # full: the paper's counts
    assert figures._runs("4b", None, False, True) == 500
    assert figures._runs("6c", None, False, True) == 100
    assert figures._runs("2a", None, True, False) == figures.QUICK_RUNS
    assert figures._runs("3b", 7, True, True) == 7
    for name in EXPECTED:
        assert figures.DEFAULT_RUNS[name] >= figures.PAPER_RUNS[name]


def test_data_and_optima():
    d = figure_data("2b", quick=True)
    assert d.sweep == "alpha_t" and d.runs == figures.QUICK_RUNS
    assert d.alpha.size == figures.QUICK_POINTS and d.curve_alpha.size == figures.QUICK_CURVE
    assert d.estimator == "rao_blackwell"
    # Theorem 1's alpha_t^- (Eq. 8) is the minimum of the plotted curve, and negative
    assert d.optimum_how == "Eq. 8" and -1.1 < d.optimum < -0.9
    assert d.optimum_loss <= d.curve_loss.min() + 1e-12
    # the closed-form optimal alpha_r agrees with a numeric argmin of the curve
    x, y, how = figures.theory_optimum("2a")
    g = np.linspace(-0.2, 1.0, 20001)
    curve = figures._curve_fn(figures._spec("2a"))(g)
    assert how == "closed form" and abs(x - g[np.argmin(curve)]) < 1e-3 and 0 < x < 1
    # numeric optimum of Theorem 2 in alpha_t: small and negative (Fig. 3b)
    x, y, how = figures.theory_optimum("3b")
    assert how == "numeric" and -0.05 < x < 0
