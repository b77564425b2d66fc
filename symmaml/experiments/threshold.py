"""Across the interpolation threshold (``symmaml figures --threshold``, and in the report):
alpha_t* from n_v m / p = 0.1 to 10.

At Fig. 6's other parameters (the registry's, one home: n_t = n_r = 40, p = 50,
sigma = nu = 0.5, alpha_r = 0.2, w0 = 0.1, omega0 = 0) with n_v = 5 and m tasks,
N = n_v m runs from 5 to 500.  At each point:

* the paper's theorem (Theorem 1 for N < p, Theorem 2 for N > p) and the order-2
  finite-size theory of the same regime (:mod:`symmaml.theory.finite_size`): their argmin
  over alpha_t in [-3, 0.5] (:func:`~symmaml.experiments.figures.theory_optimum`);
* Monte Carlo (Rao-Blackwell estimator, common random numbers across alpha_t) on a grid
  spanning both argmins +- 0.15: the simulated argmin (vertex of a quadratic around the minimum of the
  mean curve) with a bootstrap 95 % interval over runs
  (:func:`symmaml.nonlinear.stats.argmin_with_uncertainty`, the one home of that statistic),
  and the largest relative gap of each theory over the grid.

The points N = 50 +- 1 are left out (the expected loss is infinite at |p - N| <= 1), and
the underparameterized side starts at m = 12 (N = 60), where the order-2 recursion's other
m - 1 tasks already have an invertible Gram matrix ((m - 1) n_v > p + 1).  Where alpha_t*
changes sign between neighbouring points, for a theory or for the simulation (whose sign
counts only when its 95 % interval excludes 0), the figure marks it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ..io import atomic_write_bytes
from .paper import FIG6_PARAMS, get_figure

__all__ = ["THRESHOLD_M", "THRESHOLD_N_V", "ThresholdPoint", "threshold_figure",
           "threshold_data", "sign_changes", "threshold_table", "render_threshold_figure",
           "draw_threshold", "ThresholdRun", "run_threshold_figure", "THRESHOLD_RUNS",
           "THRESHOLD_QUICK_RUNS", "REPORT_THRESHOLD_RUNS", "THRESHOLD_QUICK_M"]

THRESHOLD_N_V = 5
#: tasks m at each point: n_v m / p = 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.2, 1.4, 2, 3, 5, 10
THRESHOLD_M = (1, 2, 3, 5, 7, 9, 12, 14, 20, 30, 50, 100)
THRESHOLD_QUICK_M = (2, 7, 14, 30)
#: runs per point: ``figures --threshold``, ``--quick``, and the report's default
THRESHOLD_RUNS, THRESHOLD_QUICK_RUNS, REPORT_THRESHOLD_RUNS = 1000, 20, 200
_BRACKET = (-3.0, 0.5)
_BOOT = 500
#: the simulated grid spans the theories' optima +- this
_HALF_WIDTH = 0.15


@dataclass(frozen=True)
class ThresholdPoint:
    """Theories and simulation at one n_v m / p (arrays over :attr:`alpha`)."""

    m: int
    ratio: float                  # n_v m / p
    theorem: int
    alpha1: float | None          # the paper's argmin (None: at the bracket's edge)
    alpha2: float | None          # the order-2 argmin
    alpha: np.ndarray             # the simulated grid
    mc_mean: np.ndarray
    mc_se: np.ndarray
    theory1: np.ndarray           # on the grid
    theory2: np.ndarray
    mc_argmin: float
    ci95: tuple
    runs: int
    seed: int | None
    elapsed: float = 0.0

    @property
    def gap1(self) -> float:
        """Largest |MC - paper| / paper over the grid."""
        return float(np.max(np.abs(self.mc_mean - self.theory1) / np.abs(self.theory1)))

    @property
    def gap2(self) -> float:
        """Largest |MC - order 2| / order 2 over the grid."""
        return float(np.max(np.abs(self.mc_mean - self.theory2) / np.abs(self.theory2)))

    @property
    def se(self) -> float:
        """Largest relative Monte Carlo standard error over the grid."""
        return float(np.max(self.mc_se / np.abs(self.theory2)))

    @property
    def mc_sign(self) -> int:
        """-1 / +1 where the simulated argmin's 95 % interval excludes 0, else 0."""
        return -1 if self.ci95[1] < 0 else (1 if self.ci95[0] > 0 else 0)


def threshold_figure(m: int):
    """The :class:`~symmaml.experiments.paper.Figure` of one point: Fig. 6's other
    parameters, n_v = :data:`THRESHOLD_N_V`, ``m`` tasks, the regime's theorem."""
    base = get_figure("6b")
    N = THRESHOLD_N_V * int(m)
    return replace(base, name=f"nvm{N}", theorem=1 if N < base.params["p"] else 2,
                   params=dict(FIG6_PARAMS, n_v=THRESHOLD_N_V, m=int(m)),
                   expected_inaccurate=False, note="", title="")


def _point(m, runs, seed, backend, points, progress) -> ThresholdPoint:
    from ..montecarlo.simulate import SimulationInterrupted, check_runs, simulate
    from ..nonlinear.stats import argmin_with_uncertainty
    from .curves import theory_curve
    from .figures import theory_optimum
    t0 = time.perf_counter()
    fig = threshold_figure(m)
    lo, hi = _BRACKET
    a1 = theory_optimum(fig, lo, hi)[0]
    a2 = theory_optimum(fig, lo, hi, order=2)[0]
    found = [a for a in (a1, a2) if a is not None] or [0.5 * (lo + hi)]
    # a narrow grid: the quadratic vertex is biased when its window is wide against the
    # curve's asymmetry (the curves are flat near the optimum)
    grid = np.round(np.linspace(max(lo, min(found) - _HALF_WIDTH),
                                min(hi, max(found) + _HALF_WIDTH), int(points)), 10) + 0.0
    r = simulate(**fig.params, alpha_t=grid, alpha_r=fig.fixed, runs=check_runs(runs),
                 seed=seed, estimator="rao_blackwell", backend=backend, w0=fig.w0,
                 omega0=fig.omega0, progress=progress)
    if r.interrupted:
        raise SimulationInterrupted(f"threshold figure interrupted at m = {m}", r)
    stats = argmin_with_uncertainty(grid, np.asarray(r.values).T, n_boot=_BOOT,
                                    seed=0 if seed is None else seed)
    return ThresholdPoint(m=int(m), ratio=THRESHOLD_N_V * m / fig.params["p"],
                          theorem=fig.theorem, alpha1=a1, alpha2=a2, alpha=grid,
                          mc_mean=np.asarray(r.mean), mc_se=np.asarray(r.stderr),
                          theory1=theory_curve(fig, grid, fig.fixed),
                          theory2=theory_curve(fig, grid, fig.fixed, order=2),
                          mc_argmin=stats["quadratic_argmin"], ci95=tuple(stats["ci95"]),
                          runs=r.runs, seed=seed, elapsed=time.perf_counter() - t0)


def threshold_data(runs: int = THRESHOLD_RUNS, seed: int | None = 0, backend: str = "numpy",
                   *, ms=THRESHOLD_M, points: int = 15, progress: bool = False) -> list:
    """One :class:`ThresholdPoint` per m in ``ms``.  Seeded points are kept on disk as JSON
    data (keyed by every input and, through :func:`~symmaml.moments.cache.disk_cached`, the
    package's source hash); ``seed=None`` is never cached."""
    import dataclasses
    import json
    from ..moments.cache import disk_cached
    from .simcache import decode, encode
    names = {f.name for f in dataclasses.fields(ThresholdPoint)}
    out = []
    for m in ms:
        compute = lambda m=m: _point(m, runs, seed, backend, points, progress)
        if seed is None:
            out.append(compute())
            continue
        key = json.dumps({"m": int(m), "runs": int(runs), "seed": int(seed),
                          "backend": str(backend), "points": int(points),
                          "params": dict(FIG6_PARAMS, n_v=THRESHOLD_N_V)}, sort_keys=True)
        data = disk_cached("threshold_figure", key, lambda c=compute: encode(c()),
                           check=lambda v: isinstance(v, dict) and set(v) == names)
        out.append(decode(ThresholdPoint, data))
    return out


def sign_changes(points) -> dict:
    """Where alpha_t* changes sign between neighbouring points: ``{"paper": [...],
    "order 2": [...], "simulation": [...]}``, each a list of (ratio, ratio') pairs (the
    simulation's sign counts only where its 95 % interval excludes 0)."""
    def signs(values):
        return [None if v is None or v == 0 else (1 if v > 0 else -1) for v in values]
    series = {"paper": signs([p.alpha1 for p in points]),
              "order 2": signs([p.alpha2 for p in points]),
              "simulation": [p.mc_sign or None for p in points]}
    out = {}
    for name, s in series.items():
        known = [(p.ratio, v) for p, v in zip(points, s) if v is not None]
        out[name] = [(a[0], b[0]) for a, b in zip(known, known[1:]) if a[1] != b[1]]
    return out


def threshold_table(points) -> str:
    """A Markdown table: alpha_t* of both theories and of the simulation, and the largest
    relative gaps, per n_v m / p."""
    def f(x):
        return "edge" if x is None else f"{x:+.3f}"
    lines = ["| n_v m / p | theorem | alpha_t* paper | alpha_t* order 2 | simulated "
             "[95 %] | max gap paper | max gap order 2 | max s.e. | runs |",
             "|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for p in points:
        lines.append(f"| {p.ratio:g} | {p.theorem} | {f(p.alpha1)} | {f(p.alpha2)} | "
                     f"{p.mc_argmin:+.3f} [{p.ci95[0]:+.3f}, {p.ci95[1]:+.3f}] | "
                     f"{100 * p.gap1:.2f} % | {100 * p.gap2:.3f} % | {100 * p.se:.3f} % | "
                     f"{p.runs} |")
    ch = sign_changes(points)
    lines.append("")
    for name, pairs in ch.items():
        where = ", ".join(f"between {a:g} and {b:g}" for a, b in pairs) or "none"
        lines.append(f"- sign changes of alpha_t* ({name}): {where}")
    return "\n".join(lines)


def render_threshold_figure(points):
    """Two panels: alpha_t* against n_v m / p (both theories, the simulated argmin with its
    95 % interval, sign changes marked), and the largest relative gap of each theory."""
    from matplotlib.figure import Figure as MplFigure
    fig = MplFigure(figsize=(7.0, 7.0))
    ax, bx = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = np.array([p.ratio for p in points])

    def arr(v):
        return np.array([np.nan if a is None else a for a in v], float)
    ax.plot(x, arr([p.alpha1 for p in points]), "o-", color="C0", label="paper's theorem")
    ax.plot(x, arr([p.alpha2 for p in points]), "s--", color="k", mfc="none",
            label="order 2 (finite-size theory)")
    mc = np.array([p.mc_argmin for p in points])
    err = np.array([[p.mc_argmin - p.ci95[0], p.ci95[1] - p.mc_argmin] for p in points]).T
    ax.errorbar(x, mc, yerr=err, fmt="D", color="C3", ms=4, capsize=3,
                label="simulated argmin (95 % bootstrap)")
    ax.axhline(0.0, color="0.5", lw=0.8)
    for b in (ax, bx):
        b.axvline(1.0, color="0.7", lw=0.8, ls=":")
    changes = sign_changes(points)
    for name, pairs in changes.items():
        for a, b in pairs:
            ax.axvspan(a, b, color="C1", alpha=0.15)
    if not any(changes.values()):
        ax.text(0.02, 0.04, r"$\alpha_t^*<0$ at every point: no sign change",
                transform=ax.transAxes, fontsize=9)
    ax.set_ylabel(r"optimal training rate $\alpha_t^*$")
    ax.set_title(r"Across the interpolation threshold (Fig. 6's parameters, $n_v = %d$)"
                 % THRESHOLD_N_V, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    bx.semilogy(x, [100 * p.gap1 for p in points], "o-", color="C0", label="paper's theorem")
    bx.semilogy(x, [100 * p.gap2 for p in points], "s--", color="k", mfc="none",
                label="order 2")
    bx.semilogy(x, [100 * p.se for p in points], ":", color="C3", label="MC standard error")
    bx.set_xscale("log")
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10) if x.min() <= t <= x.max()] or list(x)
    bx.set_xticks(ticks, [f"{t:g}" for t in ticks])
    bx.minorticks_off()
    bx.set_xlabel(r"$n_v m / p$ (Theorem 1 left of 1, Theorem 2 right)")
    bx.set_ylabel("largest |relative gap| (%)")
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw_threshold(out_dir, points, formats=("png", "pdf")) -> list:
    """Write ``figthreshold.<fmt>`` into ``out_dir`` (atomic writes)."""
    from pathlib import Path
    from .figures import figure_bytes
    fig = render_threshold_figure(points)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [atomic_write_bytes(out / f"figthreshold.{fmt}", figure_bytes(fig, fmt))
            for fmt in formats]


@dataclass(frozen=True)
class ThresholdRun:
    """What ``symmaml figures --threshold`` reports: the written files and the points."""

    paths: list
    points: list

    def summary_text(self) -> str:
        """The table of :func:`threshold_table` and the written files."""
        return threshold_table(self.points) + "\n" + "\n".join(f"wrote {p}" for p in self.paths)

    def to_json(self) -> str:
        """Paths, points and sign changes as indented JSON."""
        import dataclasses
        import json
        from ..io import json_ready
        return json.dumps({"paths": [str(p) for p in self.paths],
                           "points": [json_ready(dataclasses.asdict(p)) for p in self.points],
                           "sign_changes": json_ready(sign_changes(self.points))}, indent=1)


def run_threshold_figure(out_dir, runs=None, seed: int | None = 0, backend: str = "numpy", *,
                         quick: bool = False, progress: bool = False) -> ThresholdRun:
    """``symmaml figures --threshold``: options checked, ``out_dir`` prepared, the points
    simulated and drawn (``quick``: :data:`THRESHOLD_QUICK_RUNS` runs at
    :data:`THRESHOLD_QUICK_M`, 7 alpha_t each)."""
    from ..io import prepare_dir
    from .paper import check_options
    check_options(["6b"], runs, seed, backend, quick)
    runs = runs if runs is not None else (THRESHOLD_QUICK_RUNS if quick else THRESHOLD_RUNS)
    prepare_dir(out_dir)
    pts = threshold_data(runs, seed, backend, ms=THRESHOLD_QUICK_M if quick else THRESHOLD_M,
                         points=7 if quick else 15, progress=progress)
    return ThresholdRun(draw_threshold(out_dir, pts), pts)
