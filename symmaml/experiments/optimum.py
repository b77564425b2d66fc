"""The optimal training rate alpha_t*: the theories' argmin against the simulated argmin.

:func:`optimum_comparison` simulates MAML (Rao-Blackwell estimator, common random numbers
across alpha_t) on a fine alpha_t grid around the theories' optima, takes the vertex of a
quadratic fitted around the minimum of the mean curve and a bootstrap over runs of it
(:func:`symmaml.nonlinear.stats.argmin_with_uncertainty`, the one home of that
statistic), and compares it with the argmin of the paper's theorem (Eq. 8 for Theorem 1,
numeric otherwise) and of the order-2 finite-size theory where there is one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..montecarlo.simulate import check_runs, simulate
from ..nonlinear.stats import argmin_with_uncertainty, quadratic_vertex
from .curves import has_order2, theory_curve
from .figures import theory_optimum
from .paper import get_figure

__all__ = ["OptimumResult", "optimum_comparison", "format_optimum", "OPTIMUM_FIGURES"]

#: the figures whose swept rate is alpha_t (Figs. 2b, 3b, 6a-6d)
OPTIMUM_FIGURES = ("2b", "3b", "6a", "6b", "6c", "6d")


@dataclass(frozen=True)
class OptimumResult:
    """alpha_t* of the theories and of the simulation at one figure."""

    figure: str
    theorem: int
    order1: float | None          # the paper's theorem (None: at the edge of the bracket)
    order2: float | None          # the finite-size theory (None: none, or at the edge)
    simulated: float              # quadratic vertex of the mean curve
    ci68: tuple
    ci95: tuple
    grid: np.ndarray
    runs: int
    seed: int | None
    elapsed: float
    # the theories' curves through the simulation's estimator (quadratic vertex on the same
    # grid): what the simulated vertex estimates if the theory is right, grid bias included
    order1_vertex: float | None = None
    order2_vertex: float | None = None

    def inside95(self, which: str) -> bool | None:
        """Whether ``order1`` / ``order2`` (or ``order1_vertex`` / ``order2_vertex``) lies in
        the simulated argmin's 95 % interval."""
        x = getattr(self, which)
        return None if x is None else bool(self.ci95[0] <= x <= self.ci95[1])


def optimum_comparison(figure, runs: int = 2000, seed: int | None = 0, *, bracket=(-3.0, 0.5),
                       points: int = 31, width: float | None = None, n_boot: int = 2000,
                       backend: str = "numpy", progress: bool = False) -> OptimumResult:
    """alpha_t* of the paper's theorem, of the order-2 theory (where derived) and of the
    simulation at figure ``figure`` (one of :data:`OPTIMUM_FIGURES`).

    The theories' argmins are :func:`~symmaml.experiments.figures.theory_optimum` in
    ``bracket`` (Eq. 8 for Theorem 1 at order 1, numeric otherwise); the simulation runs ``runs`` runs on
    ``points`` alpha_t values spanning the theories' optima +- ``width`` (clipped to the
    bracket; default: 0.3, or the optima's size where that is smaller -- the quadratic
    vertex is biased on a grid much wider than the optimum, e.g. Fig. 3b's -0.03), and its argmin's interval comes from ``n_boot`` bootstrap resamples of the
    runs (seeded by ``seed``).  ``order1_vertex``, ``order2_vertex``: each theory's curve
    through the same estimator on the same grid (the quadratic vertex is biased on a coarse
    grid around a skewed minimum: this is the like-for-like comparison)."""
    fig = get_figure(figure)
    if fig.sweep != "alpha_t":
        raise ValueError(f"figure: Fig. {fig.name} sweeps {fig.sweep}; alpha_t* is compared at "
                         f"Figs. {', '.join(OPTIMUM_FIGURES)}")
    runs = check_runs(runs)
    t0 = time.perf_counter()
    lo, hi = map(float, bracket)
    a1 = theory_optimum(fig, lo, hi)[0]                 # None at the bracket's edge
    a2 = theory_optimum(fig, lo, hi, order=2)[0] if has_order2(fig) else None
    found = [a for a in (a1, a2) if a is not None]
    if not found:
        raise ValueError(f"bracket: neither theory has an interior minimum in {bracket}")
    if width is None:
        width = min(0.3, max(abs(a) for a in found))
    g_lo, g_hi = max(lo, min(found) - width), min(hi, max(found) + width)
    grid = np.round(np.linspace(g_lo, g_hi, int(points)), 10) + 0.0
    S, Sw = fig.matrices()
    kw = dict(fig.params)
    if Sw is not None:
        kw.pop("nu")
    r = simulate(**kw, alpha_t=grid, alpha_r=fig.fixed, runs=runs, seed=seed,
                 estimator="rao_blackwell", backend=backend, w0=fig.w0, omega0=fig.omega0,
                 Sigma=S, Sigma_w=Sw, progress=progress)
    stats = argmin_with_uncertainty(grid, np.asarray(r.values).T, n_boot=n_boot,
                                    seed=0 if seed is None else seed)
    vertices = [None if a is None else
                quadratic_vertex(grid, theory_curve(fig, grid, fig.fixed, order=order))
                for a, order in ((a1, 1), (a2, 2))]
    return OptimumResult(figure=fig.name, theorem=fig.theorem, order1=a1, order2=a2,
                         simulated=stats["quadratic_argmin"], ci68=tuple(stats["ci68"]),
                         ci95=tuple(stats["ci95"]), grid=grid, runs=r.runs, seed=seed,
                         elapsed=time.perf_counter() - t0, order1_vertex=vertices[0],
                         order2_vertex=vertices[1])


def format_optimum(results) -> str:
    """A Markdown table of :class:`OptimumResult` s."""
    def f(x):
        return "edge / n.a." if x is None else f"{x:+.3f}"
    lines = ["| figure | theorem | alpha_t* paper | in 95 % | alpha_t* order 2 | in 95 % | "
             "order 2, same estimator | in 95 % | simulated (vertex) | 68 % | 95 % | runs |",
             "|---|---:|---:|---|---:|---|---:|---|---:|---|---|---:|"]
    for r in results:
        lines.append(f"| {r.figure} | {r.theorem} | {f(r.order1)} | {r.inside95('order1')} | "
                     f"{f(r.order2)} | {r.inside95('order2')} | {f(r.order2_vertex)} | "
                     f"{r.inside95('order2_vertex')} | {r.simulated:+.3f} | "
                     f"{r.ci68[0]:+.3f} .. {r.ci68[1]:+.3f} | {r.ci95[0]:+.3f} .. "
                     f"{r.ci95[1]:+.3f} | {r.runs} |")
    return "\n".join(lines)
