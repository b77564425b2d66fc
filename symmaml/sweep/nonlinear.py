"""The Fig. 5 study (nonlinear MAML, Section 5.4) distributed over runs x alpha_t on Dask.

A unit trains and tests the models of a block of runs (at least ``run_chunk`` runs) at a
chunk of the alpha_t grid (at least ``alpha_chunk`` rates; chunks of near-equal size, at
least two models per unit: torch computes a batch of one model in another kernel) with :func:`symmaml.nonlinear.sweep.run_sweep`; run ``i`` draws its
initialisation, training and test tasks from ``SeedSequence(seed, spawn_key=(i,))`` (the
same as in one in-process sweep of all runs) and every model stops by its own convergence
rule (``stop="model"``), so a model's test loss is the same bits in any block, on any
worker, and equal to ``run_sweep(..., stop="model")`` of all runs in one process.  (The
in-process ``symmaml nonlinear`` keeps the batch-wide rule, ``stop="batch"``: a model of a
batch trains until every model has converged, so its numbers differ in the last digits.)

:func:`run_nonlinear_study` gathers the units into one
:class:`~symmaml.nonlinear.sweep.SweepResult` (the argmin with its bootstrap interval) and
adds :func:`~symmaml.nonlinear.stats.power_analysis`: how many runs separate alpha_t =
-0.0075 (the paper's optimum) from 0 at the observed run-to-run spread.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..io import json_ready

__all__ = ["CLUSTER_ALPHA_T", "train_unit", "NonlinearStudy", "run_nonlinear_study"]

#: the default alpha_t grid of the distributed study: QUICK's with the paper's -0.0075
CLUSTER_ALPHA_T = (-0.015, -0.01, -0.0075, -0.005, -0.0025, 0.0, 0.0025, 0.005, 0.01)


def train_unit(seed, first_run, runs, alphas, options) -> dict:
    """One unit: runs ``first_run .. first_run + runs - 1`` at the rates ``alphas``
    (:func:`symmaml.nonlinear.sweep.run_sweep` with ``stop="model"``, one torch thread)."""
    from ..nonlinear.sweep import run_sweep
    r = run_sweep(alpha_t_values=list(alphas), runs=runs, seed=seed, first_run=first_run,
                  stop="model", threads=1, progress=False, **options)
    return dict(per_run=r.per_run, untrained=r.untrained, train_meta_loss=r.train_meta_loss,
                diverged=r.diverged, epochs=r.epochs, converged=r.converged, seconds=r.seconds,
                config=r.config, interrupted=r.interrupted)


@dataclass
class NonlinearStudy:
    """The distributed Fig. 5 study: the gathered sweep, its power analysis and where it ran."""
    sweep: object
    power: dict | None
    units: int
    where: str
    seconds: float
    interrupted: bool = False
    figures: list | None = None
    unit_seconds: list = field(default_factory=list)
    stopped: str = ""             # "" (all units ran), "interrupted (Ctrl-C)", "time budget ..."

    def asdict(self) -> dict:
        """dict(sweep=..., power=..., units, where, seconds, interrupted[, figures])."""
        out = dict(sweep=self.sweep.asdict(), power=self.power, units=self.units,
                   where=self.where, seconds=self.seconds, interrupted=self.interrupted,
                   stopped=self.stopped, unit_seconds=self.unit_seconds)
        if self.figures is not None:
            out["figures"] = [str(p) for p in self.figures]
        return out

    def to_json(self, indent=1) -> str:
        """The study as JSON (NaN as null)."""
        import json
        return json.dumps(json_ready(self.asdict()), indent=indent)

    def summary_text(self) -> str:
        """The sweep's summary, then the power analysis in words."""
        from ..nonlinear.sweep import summary_text
        lines = [summary_text(self.sweep),
                 f"{self.units} units on {self.where} in {self.seconds:.0f} s"
                 + (f" ({self.stopped}: the complete runs only)" if self.stopped else "")]
        p = self.power
        if p:
            lines.append(
                f"power: L({p['target']:+g}) - L({p['reference']:g}) = {p['mean_diff']:+.5f} +- "
                f"{p['stderr_diff']:.5f} over {p['runs']} runs (run-to-run s.d. "
                f"{p['sd_diff']:.4f}, z = {p['z']:+.2f}); at level {p['level']:g} with power "
                f"{p['power']:g} these runs resolve |effect| >= {p['detectable_effect']:.4f}; "
                f"the observed effect needs {p['runs_needed_at_observed']:.0f} runs; "
                + ", ".join(f"{float(e):g}: {n:.0f}" for e, n in p["runs_for_effect"].items())
                + " (effect: runs)")
        return "\n".join(lines)




def run_nonlinear_study(*, runs=20, alpha_t=None, seed=0, run_chunk=1, alpha_chunk=None,
                        scheduler=None, workers=None, quick=True, hidden=(400, 400),
                        regime="fixed", max_epochs=None, test_tasks=None, progress=True,
                        log=None, out_dir=None, connect_timeout=None,
                        time_budget=None) -> NonlinearStudy:
    """The Fig. 5 sweep over ``runs`` x ``alpha_t`` (default :data:`CLUSTER_ALPHA_T`) in units
    of ``run_chunk`` runs x ``alpha_chunk`` rates (default: the whole grid) on a Dask cluster
    (``scheduler`` / ``workers`` as :func:`symmaml.sweep.runner.open_executor`).

    Ctrl-C stops it and reports the first runs that are complete (``interrupted``); so does
    ``time_budget`` (seconds), cancelling the units not yet finished (``stopped``).  With
    ``out_dir``: ``nonlinear.json`` and Fig. 5 (:func:`symmaml.experiments.nonlinear_figure.
    draw_figure5`), atomically.  Needs torch on the workers."""
    from ..io import atomic_write_text, prepare_dir
    from ..nonlinear.stats import power_analysis
    from ..nonlinear.sweep import SweepResult, check_regime, summarise_runs
    from .runner import open_executor
    from .units import run_bounds
    check_regime(regime)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ValueError(f"--runs must be at least 2 (the argmin's uncertainty is over runs), "
                         f"got {runs!r}")
    if isinstance(run_chunk, bool) or not isinstance(run_chunk, int) or run_chunk < 1:
        raise ValueError(f"run_chunk must be a positive integer, got {run_chunk!r}")
    grid = [float(a) for a in (CLUSTER_ALPHA_T if alpha_t is None else alpha_t)]
    if len(grid) < 3 or len(set(grid)) != len(grid) or not np.all(np.isfinite(grid)):
        raise ValueError(f"--alpha-t: give at least 3 distinct finite rates, got {grid}")
    grid = sorted(grid)
    achunk = len(grid) if alpha_chunk is None else int(alpha_chunk)
    if achunk < 1:
        raise ValueError(f"alpha_chunk must be positive, got {alpha_chunk!r}")
    # torch computes a batch of one model in another kernel (its last float32 bits differ,
    # measured: 5e-7), so every unit holds at least two models
    if min(run_chunk, runs) * min(achunk, len(grid)) < 2:
        raise ValueError("run_chunk x alpha_chunk must be at least 2: a unit of one model "
                         "gives other last bits than the same model in any larger batch")
    if out_dir is not None:
        prepare_dir(out_dir)
    options = dict(quick=quick, hidden=tuple(hidden), regime=regime, max_epochs=max_epochs,
                   test_tasks=test_tasks)
    log = log or (lambda msg: None)
    t0 = time.perf_counter()
    ex = open_executor(scheduler, workers, connect_timeout=connect_timeout, log=log)
    if ex.dashboard:
        log(f"Dask dashboard: {ex.dashboard}")
    A = len(grid)
    per_run = np.full((runs, A), np.nan)
    diverged = np.zeros((runs, A), dtype=bool)
    tml = np.full((runs, A), np.nan)
    untrained = np.full(runs, np.nan)
    done = np.zeros((runs, A), dtype=bool)
    jobs, epochs, converged, config, unit_seconds = {}, 0, True, None, []
    interrupted, stopped = False, ""
    if time_budget is not None and not time_budget > 0:
        raise ValueError(f"--time-budget must be positive, got {time_budget!r}")
    bar = None
    try:
        for lo, hi in run_bounds(runs, min(run_chunk, runs)):
            for j0, j1 in run_bounds(A, min(achunk, A)):
                key = f"nonlinear-{seed}-{regime}-{'x'.join(map(str, hidden))}-r{lo}-a{j0}"
                jobs[key] = (lo, hi, j0, j1)
                ex.submit(key, train_unit, seed, lo, hi - lo, grid[j0:j1], options)
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(jobs), unit="unit", desc="nonlinear MAML", file=sys.stderr)
        for key, res in ex.results():
            lo, hi, j0, j1 = jobs[key]
            per_run[lo:hi, j0:j1] = np.asarray(res["per_run"], float)
            diverged[lo:hi, j0:j1] = np.asarray(res["diverged"], bool)
            tml[lo:hi, j0:j1] = np.asarray(res["train_meta_loss"], float)
            if j0 == 0:
                untrained[lo:hi] = np.asarray(res["untrained"], float)
            done[lo:hi, j0:j1] = True
            epochs, converged = max(epochs, res["epochs"]), converged and res["converged"]
            config = config or res["config"]
            unit_seconds.append(float(res["seconds"]))
            if bar is not None:
                bar.update(1)
            if time_budget is not None and time.perf_counter() - t0 > time_budget \
                    and len(unit_seconds) < len(jobs):
                stopped = f"time budget of {time_budget:g} s reached"
                break
    except KeyboardInterrupt:
        interrupted, stopped = True, "interrupted (Ctrl-C)"
    finally:
        if bar is not None:
            bar.close()
        ex.close()
    # the first k runs that are complete: a stopped study is the study with --runs k, not a
    # selection of the runs that happened to finish first
    complete = done.all(axis=1)
    k = runs if complete.all() else int(np.argmin(complete))
    if k < 2:
        raise KeyboardInterrupt("interrupted before two runs were complete") if interrupted \
            else RuntimeError("fewer than two runs came back")
    keep = np.arange(k)
    pr, mean, se, am = summarise_runs(grid, per_run[keep], diverged[keep], seed)
    config = dict(config, runs=int(keep.size), first_run=0, run_chunk=run_chunk,
                  alpha_chunk=achunk, where=ex.where, runs_asked=runs, stopped=stopped)
    res = SweepResult(alpha_t=grid, mean=mean.tolist(), stderr=se.tolist(), per_run=pr.tolist(),
                      untrained=untrained[keep].tolist(), train_meta_loss=tml[keep].tolist(),
                      argmin=am, config=config, epochs=epochs, converged=converged,
                      diverged=diverged[keep].tolist(), seconds=time.perf_counter() - t0,
                      interrupted=bool(stopped))
    power = None
    from ..nonlinear.sweep import PAPER_ARGMIN
    if PAPER_ARGMIN in grid and 0.0 in grid:
        power = power_analysis(grid, pr, target=PAPER_ARGMIN, reference=0.0)
    study = NonlinearStudy(sweep=res, power=power, units=len(unit_seconds), where=ex.where,
                           seconds=time.perf_counter() - t0, interrupted=interrupted,
                           unit_seconds=unit_seconds, stopped=stopped)
    if out_dir is not None:
        from pathlib import Path
        from ..experiments.nonlinear_figure import draw_figure5
        atomic_write_text(Path(out_dir) / "nonlinear.json", study.to_json())
        study.figures = draw_figure5(res, out_dir)
    return study
