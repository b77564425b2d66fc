"""Compatibility re-exports: the former all-in-one module of the Fig. 5 experiment (Section 5.4).

Its contents now live one job per module:

* :mod:`.sweep` -- the alpha_t sweep (:func:`run_sweep`, :class:`SweepResult`,
  :func:`build_batch`, :func:`to_json`, :func:`summary_text`);
* :mod:`.stats` -- its statistics (:func:`argmin_with_uncertainty`,
  :func:`paired_differences`, :func:`pool_sweeps`);
* :mod:`.metasgd` -- :func:`run_metasgd`, :class:`MetaSGDResult`;
* :mod:`.ntk` -- :func:`run_ntk_check`;
* :mod:`symmaml.experiments.nonlinear_figure` -- Fig. 5 itself (``draw_figure5``) and the
  runner behind ``symmaml nonlinear`` (``run_nonlinear``): the layer above, not
  re-exported here (``symmaml.nonlinear`` never imports ``symmaml.experiments``).
"""
from __future__ import annotations

from .metasgd import MetaSGDResult, run_metasgd
from .ntk import run_ntk_check
from .stats import argmin_with_uncertainty, paired_differences, pool_sweeps
from .sweep import (FULL, PAPER_ARGMIN, QUICK, REGIMES, SweepResult, build_batch, run_sweep,
                    summary_text, to_json)

__all__ = ["FULL", "PAPER_ARGMIN", "QUICK", "REGIMES", "SweepResult", "build_batch", "run_sweep",
           "summary_text", "to_json", "argmin_with_uncertainty", "paired_differences",
           "pool_sweeps", "MetaSGDResult", "run_metasgd", "run_ntk_check"]
