"""Experiments built on the theory and the simulator: the paper's figures, redrawn.

* :mod:`symmaml.experiments.paper` -- the registry of the paper's figures (parameters,
  alpha grids, run counts, titles): :data:`~symmaml.experiments.paper.FIGURES`;
* :mod:`symmaml.experiments.validation` -- theory vs simulation on a figure
  (:func:`~symmaml.experiments.validation.validate`), and
  :mod:`symmaml.experiments.scaling` -- how the gap shrinks with the size
  (:func:`~symmaml.experiments.scaling.gap_scaling`);
* :mod:`symmaml.experiments.figures` -- Figs. 2a/b, 3a/b, 4a/b and 6a-d of the paper
  (theory curve + seeded Monte Carlo points with error bars), written as PNG and PDF
  atomically: :func:`draw_figure`, :func:`draw_all`, :data:`FIGURE_NAMES`;
* :mod:`symmaml.experiments.report` -- ``symmaml report``'s pipeline
  (:class:`~symmaml.experiments.report.ReportResult`), and
  :mod:`symmaml.experiments.outputs` -- the result objects of the other commands; each
  result prints itself (``to_json()``, ``summary_text()``), so the CLI only prints.

Imported lazily: ``import symmaml`` does not load matplotlib.
"""
from __future__ import annotations

__all__ = ["FIGURE_NAMES", "draw_figure", "draw_all", "figure_data", "render"]


def __getattr__(name):
    if name in __all__:
        from . import figures
        return getattr(figures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
