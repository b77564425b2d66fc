"""symmaml.sweep.figures: the phase diagram (2-D and 1-D grids) with its marks, written
atomically."""
import numpy as np

from symmaml.sweep import parse_spec
from symmaml.sweep.figures import draw_phase_diagram, render_phase_diagram
from symmaml.sweep.results import reduce_points

from .conftest import SMALL, small_spec
from .test_results import _rows


def _records(spec):
    th, mc = _rows(spec, 0, lambda x: (x + 1) ** 2, lambda a, i: (a + 1) ** 2 + 0.01 * (i % 5))
    return reduce_points(spec, th, mc)


def _labels(fig):
    return [t.get_text() for ax in fig.axes for leg in [ax.get_legend()] if leg for t in leg.get_texts()]


def test_two_dimensional_phase_diagram(tmp_path):
    s = small_spec()
    recs = _records(s)
    fig = render_phase_diagram(s, recs)
    labels = _labels(fig)
    assert "MC: negative confirmed" in labels and "no theorem / infinite loss" in labels
    path = draw_phase_diagram(s, recs, tmp_path / "phase.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*"))


def test_one_dimensional_phase_diagram(tmp_path):
    text = SMALL.format(achunk=41, runs=12, rchunk=4).replace("sigma = [0.5, 1.0]\n", "")
    s = parse_spec(text.replace("[params]", "[params]\nsigma = 0.5"))
    assert s.shape == (3,)
    recs = _records(s)
    fig = render_phase_diagram(s, recs)
    line = fig.axes[0].lines[0]
    assert np.isclose(line.get_ydata()[0], -1.0) and np.isnan(line.get_ydata()[1])
    assert draw_phase_diagram(s, recs, tmp_path / "p.png").exists()
