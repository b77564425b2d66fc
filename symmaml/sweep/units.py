"""Units of work of a sweep and their seeds: what one Dask task (or one in-process call)
computes.

Two kinds, both pure functions of their coordinates:

* a *theory unit* ``(point, alpha-chunk)``: the theorem's loss (Eqs. 5 / 9, K-step or
  order 2 where asked) at one chunk of the spec's alpha_t grid, through the package's one
  theory-curve home (:func:`symmaml.experiments.curves.theory_curve`);
* a *Monte Carlo unit* ``(point, run-chunk)``: the simulator
  (:func:`symmaml.montecarlo.simulate`) at the point's Monte Carlo rates (alpha_t*, 0 and
  the chosen ones) for runs ``lo .. hi - 1``.

Seeds come from one ``SeedSequence(spec.seed)`` keyed by coordinates: run ``i`` of point
``k`` draws from ``SeedSequence(seed, spawn_key=(k, i))`` (:func:`run_seed`), whatever the
chunk it falls in, so any run-chunking gives the same per-run values, bit for bit, and a
point's runs are those of ``simulate(seed=point_seed(seed, k), runs=R)``.  The Monte Carlo
rates of a point are always simulated together: with common random numbers the last bits
of one rate's value depend on the batch it is computed in (measured: 7e-18 for the
Rao-Blackwell estimator at p < n_v m), so the rate set is part of the point, not a chunk.
The theory is evaluated element-wise, so any alpha-chunking gives the same bits.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["TheoryUnit", "MCUnit", "theory_units", "mc_units", "run_bounds", "point_seed",
           "run_seed", "point_figure", "compute_theory", "compute_mc", "mc_rates"]


@dataclass(frozen=True, order=True)
class _Unit:
    point: int
    chunk: int
    _tag = ""

    @property
    def name(self) -> str:
        """File stem in the store (``p000012-a0003``: point 12, chunk 3)."""
        return f"p{self.point:06d}-{self._tag}{self.chunk:04d}"


class TheoryUnit(_Unit):
    """The theory at point ``point`` on alpha_t chunk ``chunk`` (``p000012-a0003``)."""
    _tag = "a"


class MCUnit(_Unit):
    """The Monte Carlo runs of run chunk ``chunk`` at point ``point`` (``p000012-r0003``)."""
    _tag = "r"


def run_bounds(runs: int, chunk: int) -> list[tuple[int, int]]:
    """``runs`` split into ``max(1, runs // chunk)`` consecutive chunks of near-equal size,
    each of at least ``min(chunk, runs)`` runs: ``[(lo, hi), ...]``."""
    n = max(1, runs // chunk)
    edges = [round(i * runs / n) for i in range(n + 1)]
    return [(edges[i], edges[i + 1]) for i in range(n)]


def theory_units(spec) -> list[TheoryUnit]:
    """Every theory unit of the spec's possible points."""
    n = math.ceil(spec.alpha_t.size / spec.alpha_chunk)
    return [TheoryUnit(pt.index, j) for pt in spec.points if pt.possible for j in range(n)]


def mc_units(spec, point: int) -> list[MCUnit]:
    """The Monte Carlo units of one point (none without ``[mc]``)."""
    if not spec.has_mc:
        return []
    return [MCUnit(point, r) for r in range(len(run_bounds(spec.mc_runs, spec.mc_chunk)))]


def point_seed(seed: int, point: int) -> np.random.SeedSequence:
    """The seed of point ``point``: ``SeedSequence(seed, spawn_key=(point,))``; its
    ``spawn(R)`` gives the point's runs (run i: :func:`run_seed`)."""
    return np.random.SeedSequence(seed, spawn_key=(int(point),))


def run_seed(seed: int, point: int, run: int) -> np.random.SeedSequence:
    """The seed of run ``run`` of point ``point``: ``SeedSequence(seed, spawn_key=(point, run))``."""
    return np.random.SeedSequence(seed, spawn_key=(int(point), int(run)))


def point_figure(params: dict, theorem: int, alpha_r: float | None = None):
    """The point as a :class:`symmaml.experiments.paper.Figure` (an alpha_t sweep at fixed
    alpha_r), so the theory curve and the asymptotic allowance come from their one home."""
    from ..experiments.paper import Figure
    model = {k: params[k] for k in ("n_t", "n_v", "n_r", "m", "p", "sigma", "nu")}
    return Figure("sweep point", int(theorem), "alpha_t", (), float(
        params["alpha_r"] if alpha_r is None else alpha_r), model,
        w0=float(params["w0"]), omega0=float(params["omega0"]))


def _notes(caught) -> str:
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def compute_theory(params: dict, theorem: int, order: int, alphas) -> dict:
    """The theorem's loss at ``alphas`` (a chunk of the grid): ``{"loss": array, "note": str,
    "error": str}``; a refusal of the theory (ValueError) is returned as ``error``."""
    from ..experiments.curves import theory_curve
    a = np.asarray(alphas, dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            loss = theory_curve(point_figure(params, theorem), a, params["alpha_r"],
                                params["steps_t"], params["steps_r"], order=order)
            error = ""
        except ValueError as exc:
            loss, error = np.full(a.shape, np.nan), str(exc)
    return {"loss": np.asarray(loss, dtype=float), "note": _notes(caught), "error": error}


def mc_rates(spec, alpha_star: float) -> list[float]:
    """The point's Monte Carlo rates: alpha_t* where the spec says "optimum", else the value."""
    return [float(alpha_star) if a == "optimum" else float(a) for a in spec.mc_alpha_t]


def compute_mc(params: dict, rates, estimator: str, seed: int, point: int, lo: int,
               hi: int) -> dict:
    """Per-run test losses (len(rates), hi - lo) for runs ``lo .. hi - 1`` of point ``point``
    (:func:`symmaml.montecarlo.simulate`, seeds of :func:`run_seed`): ``{"values", "note",
    "error"}``; a refusal of the simulator (ValueError) is returned as ``error``."""
    from ..montecarlo.simulate import simulate
    ss = np.random.SeedSequence(seed, spawn_key=(int(point),), n_children_spawned=int(lo))
    kw = {k: params[k] for k in ("n_t", "n_v", "n_r", "m", "p", "sigma", "nu", "alpha_r", "w0",
                                 "omega0", "steps_t", "steps_r")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = simulate(**kw, alpha_t=np.asarray(rates, dtype=float), runs=hi - lo, seed=ss,
                         estimator=estimator, progress=False)
            values, error = np.asarray(r.values, dtype=float), ""
        except ValueError as exc:
            values, error = np.full((len(rates), hi - lo), np.nan), str(exc)
    return {"values": values, "note": _notes(caught), "error": error}
