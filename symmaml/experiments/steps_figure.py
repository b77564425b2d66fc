"""The K-step figure (``symmaml figures --steps``, and in the report): does the negative
optimum survive more inner steps?

For the parameters of Fig. 2 (Theorem 1) and Fig. 3 (Theorem 2) -- the registry's, one
home -- and K_t = 1 ... 10 inner steps in meta-training (K_r = 1 at test time):

* alpha_t*(K_t): the theory's global minimiser over the figure's alpha_t range and its best
  negative alpha_t (the local minimum on alpha_t < 0), against the simulated argmin with a
  bootstrap 95 % interval (runs resampled; common random numbers across alpha), simulated
  on 11 points within twice the theory's optimum of it (the optimum of Fig. 3's parameters shrinks like
  1/K_t, far inside one step of the figure's grid);
* L(alpha_t*): the theory's minimum against the simulated loss at the theory's optimum;
* L(alpha_t) for K_t = 1, 2, 3, 5 overlaid: theory curves with Monte Carlo points.

The simulated argmin is the vertex of the parabola through the smallest mean of the sweep
and its two neighbours (clipped to them).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..io import atomic_write_bytes
from .paper import FIGURES

__all__ = ["STEPS_PANELS", "STEPS_K", "STEPS_QUICK_K", "STEPS_OVERLAY", "StepsPanel", "steps_data",
           "draw_steps", "theory_argmins", "steps_table", "render_steps_figure", "StepsRun",
           "run_steps_figure", "STEPS_RUNS", "STEPS_QUICK_RUNS", "REPORT_STEPS_RUNS"]

#: (registry figure whose parameters are used, swept rate): Fig. 2b (Theorem 1), Fig. 3b (2)
STEPS_PANELS = ("2b", "3b")
STEPS_K = tuple(range(1, 11))
#: the K_t of ``--quick`` (a few seconds per panel)
STEPS_QUICK_K = (1, 2, 5, 10)
STEPS_OVERLAY = (1, 2, 3, 5)
_BOOT = 200


@dataclass(frozen=True)
class StepsPanel:
    """Theory and simulation of one panel (arrays over :attr:`Ks`)."""

    figure: str
    theorem: int
    Ks: np.ndarray
    theory_argmin: np.ndarray
    theory_min: np.ndarray
    theory_argmin_neg: np.ndarray
    theory_min_neg: np.ndarray
    alpha: np.ndarray                 # the simulated sweep's grid
    mc_mean: np.ndarray               # (K, alpha): NaN for K not in STEPS_OVERLAY
    mc_se: np.ndarray
    mc_argmin: np.ndarray
    mc_argmin_lo: np.ndarray
    mc_argmin_hi: np.ndarray
    mc_at_opt: np.ndarray             # simulated loss at the theory's alpha_t*
    mc_at_opt_se: np.ndarray
    curve_alpha: np.ndarray
    curves: dict = field(default_factory=dict)       # K -> theory L(alpha) on curve_alpha
    runs: int = 0
    seed: int | None = 0
    elapsed: float = 0.0


def _kw(fig):
    kw = dict(fig.params)
    if fig.theorem_object.regime == "over":
        kw["delta_sq"] = fig.delta_sq
    return kw


def theory_argmins(figure, K: int, lo: float, hi: float, points: int = 121):
    """(global argmin, min, best negative argmin, its min) of the K-step theory over
    [lo, hi] at alpha_r = the figure's fixed rate: a grid scan refined by bounded Brent."""
    from scipy.optimize import minimize_scalar
    from ..numeric.losses import steps_loss_function
    fig = FIGURES[figure]
    f = steps_loss_function(fig.theorem, K, 1, **_kw(fig))
    xs = np.linspace(lo, hi, points)
    import warnings
    from ..theory.regime import InnerLoopDivergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InnerLoopDivergenceWarning)
        ys = f(xs, fig.fixed)

        def best(mask):
            idx = np.flatnonzero(mask)
            i = idx[np.argmin(ys[idx])]
            a, b = xs[max(i - 1, 0)], xs[min(i + 1, points - 1)]
            r = minimize_scalar(lambda x: float(f(x, fig.fixed)), bounds=(a, b),
                                method="bounded", options={"xatol": 1e-9})
            return (float(r.x), float(r.fun)) if r.fun <= ys[i] else (float(xs[i]), float(ys[i]))
        g = best(np.ones(points, bool))
        n = best(xs < 0)
    return g[0], g[1], n[0], n[1]


def _vertex(a, y, i):
    if i == 0 or i == len(a) - 1:
        return float(a[i])
    x0, x1, x2 = a[i - 1:i + 2]
    y0, y1, y2 = y[i - 1:i + 2]
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
    B = (x2 ** 2 * (y0 - y1) + x1 ** 2 * (y2 - y0) + x0 ** 2 * (y1 - y2)) / den
    if A <= 0:
        return float(x1)
    return float(np.clip(-B / (2 * A), x0, x2))


def _argmin(a, y):
    return _vertex(a, y, int(np.argmin(y)))


def steps_data(figure, runs: int = 500, seed: int | None = 0, backend: str = "numpy", *,
               Ks=STEPS_K, points: int = 25, curve_points: int = 121,
               progress: bool = False) -> StepsPanel:
    """Theory and Monte Carlo of one panel (``figure`` in :data:`STEPS_PANELS`).

    Seeded results are kept on disk as JSON data (the key holds every input and, through
    :func:`~symmaml.moments.cache.disk_cached`, the package's source hash), so a rerun with
    nothing changed reads them back; ``seed=None`` is never cached."""
    import json
    from ..moments.cache import disk_cached
    from .simcache import decode, encode
    compute = lambda: _steps_data(figure, runs, seed, backend, Ks, points, curve_points,
                                  progress)
    if seed is None:
        return compute()
    key = json.dumps({"figure": figure, "runs": int(runs), "seed": int(seed),
                      "backend": str(backend), "Ks": [int(k) for k in Ks],
                      "points": int(points), "curve_points": int(curve_points),
                      "params": FIGURES[figure].params}, sort_keys=True, default=str)
    import dataclasses
    names = {f.name for f in dataclasses.fields(StepsPanel)}
    data = disk_cached("steps_figure", key, lambda: encode(compute()),
                       check=lambda v: isinstance(v, dict) and set(v) == names)
    return decode(StepsPanel, data)


def _steps_data(figure, runs, seed, backend, Ks, points, curve_points, progress) -> StepsPanel:
    import warnings
    from ..montecarlo.simulate import SimulationInterrupted, check_runs, simulate
    from ..numeric.losses import steps_loss_function
    from ..theory.regime import InnerLoopDivergenceWarning
    from ..theory.steps import check_steps
    if figure not in STEPS_PANELS:
        raise ValueError(f"figure must be one of {STEPS_PANELS}, got {figure!r}")
    runs = check_runs(runs)
    Ks = np.asarray([check_steps("steps_t", int(k)) for k in Ks], dtype=int)
    fig = FIGURES[figure]
    lo, hi = float(min(fig.alphas)), float(max(fig.alphas))
    grid = np.round(np.linspace(lo, hi, int(points)), 10) + 0.0
    curve_alpha = np.linspace(lo, hi, int(curve_points))
    t0 = time.perf_counter()
    th = [theory_argmins(figure, int(K), lo, hi) for K in Ks]
    ga, gm, na, nm = (np.array(x) for x in zip(*th))
    curves = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InnerLoopDivergenceWarning)
        for K in STEPS_OVERLAY:
            curves[int(K)] = steps_loss_function(fig.theorem, int(K), 1, **_kw(fig))(
                curve_alpha, fig.fixed)
    means, ses, am, alo, ahi, at_opt, at_se, local = [], [], [], [], [], [], [], []
    rng = np.random.default_rng(np.random.SeedSequence(0 if seed is None else seed).spawn(1)[0])
    sim_kw = dict(fig.params)

    def sim(alphas, K):
        try:
            r = simulate(**sim_kw, alpha_t=alphas, alpha_r=fig.fixed, runs=runs, seed=seed,
                         estimator="rao_blackwell", backend=backend, w0=fig.w0,
                         omega0=fig.omega0, progress=progress, steps_t=int(K))
        except KeyboardInterrupt as e:
            raise SimulationInterrupted(f"K-step figure, Fig. {figure}: interrupted at "
                                        f"K_t = {K}") from e
        if r.interrupted:
            raise SimulationInterrupted(f"K-step figure, Fig. {figure}: interrupted at "
                                        f"K_t = {K}", result=r)
        return np.asarray(r.values)                   # (alpha, runs)

    for j, K in enumerate(Ks):
        # the argmin sweep: 11 points on [a* - w, a* + w] (w = max(2 |a*|, 1 % of the range))
        # within the figure's range, around the theory's global optimum a*, plus a* itself
        w = max(2 * abs(ga[j]), 0.01 * (hi - lo))
        loc = np.linspace(max(lo, ga[j] - w), min(hi, ga[j] + w), 11)
        v = sim(np.concatenate([loc, [ga[j]]]), K)
        mean = v.mean(axis=1)
        se = v.std(axis=1, ddof=1) / np.sqrt(v.shape[1])
        at_opt.append(mean[-1]); at_se.append(se[-1])
        am.append(_argmin(loc, mean[:-1]))
        boots = [_argmin(loc, v[:-1, rng.integers(0, v.shape[1], v.shape[1])].mean(axis=1))
                 for _ in range(_BOOT)]
        alo.append(float(np.percentile(boots, 2.5))); ahi.append(float(np.percentile(boots, 97.5)))
        local.append(loc)
        if int(K) in STEPS_OVERLAY:                    # the overlaid curves' points
            v = sim(grid, K)
            means.append(v.mean(axis=1)); ses.append(v.std(axis=1, ddof=1) / np.sqrt(v.shape[1]))
        else:
            means.append(np.full(grid.shape, np.nan)); ses.append(np.full(grid.shape, np.nan))
    return StepsPanel(figure=figure, theorem=fig.theorem, Ks=Ks, theory_argmin=ga, theory_min=gm,
                      theory_argmin_neg=na, theory_min_neg=nm, alpha=grid,
                      mc_mean=np.array(means), mc_se=np.array(ses), mc_argmin=np.array(am),
                      mc_argmin_lo=np.array(alo), mc_argmin_hi=np.array(ahi),
                      mc_at_opt=np.array(at_opt), mc_at_opt_se=np.array(at_se),
                      curve_alpha=curve_alpha, curves=curves, runs=runs, seed=seed,
                      elapsed=time.perf_counter() - t0)


def steps_table(panels) -> str:
    """Markdown table: alpha_t* against K_t, theory and simulation, per panel."""
    out = []
    for d in panels:
        out.append(f"Fig. {d.figure}'s parameters (Theorem {d.theorem}), K_r = 1, "
                   f"{d.runs} Rao-Blackwell runs, seed {d.seed}\n\n"
                   "| K_t | alpha_t* theory | best alpha_t < 0 theory | alpha_t* MC [95 % boot.] "
                   "| L(alpha_t*) theory | L MC at theory's alpha_t* | rel. gap |\n"
                   "|---:|---:|---:|---:|---:|---:|---:|")
        for j, K in enumerate(d.Ks):
            out.append(f"| {K} | {d.theory_argmin[j]:+.4f} | {d.theory_argmin_neg[j]:+.4f} | "
                       f"{d.mc_argmin[j]:+.3f} [{d.mc_argmin_lo[j]:+.3f}, {d.mc_argmin_hi[j]:+.3f}] | "
                       f"{d.theory_min[j]:.5g} | {d.mc_at_opt[j]:.5g} ± {d.mc_at_opt_se[j]:.2g} | "
                       f"{100 * (d.mc_at_opt[j] - d.theory_min[j]) / d.theory_min[j]:+.2f} % |")
        out.append("")
    return "\n".join(out)


def render_steps_figure(panels):
    """The matplotlib figure: one row per panel, columns alpha_t*(K), L(alpha_t*)(K), L(alpha)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(panels), 3, figsize=(13.0, 4.2 * len(panels)), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, d in zip(axes, panels):
        a0, a1, a2 = row
        a0.plot(d.Ks, d.theory_argmin, "-", color="k", label="theory: global argmin")
        a0.plot(d.Ks, d.theory_argmin_neg, "--", color="0.4", label="theory: best alpha_t < 0")
        a0.errorbar(d.Ks, d.mc_argmin, yerr=[d.mc_argmin - d.mc_argmin_lo,
                                             d.mc_argmin_hi - d.mc_argmin],
                    fmt="o", color=colors[0], capsize=3, label="MC argmin (95 % bootstrap)")
        a0.axhline(0, color="0.8", lw=0.8)
        a0.set_xlabel("inner steps K_t"); a0.set_ylabel("optimal alpha_t")
        a0.set_title(f"Fig. {d.figure} parameters (Theorem {d.theorem}): alpha_t*", fontsize=10)
        a0.legend(fontsize=7)
        a1.plot(d.Ks, d.theory_min, "-", color="k", label="theory: min L")
        a1.errorbar(d.Ks, d.mc_at_opt, yerr=d.mc_at_opt_se, fmt="o", color=colors[0], capsize=3,
                    label="MC at theory's alpha_t*")
        a1.set_xlabel("inner steps K_t"); a1.set_ylabel("L(alpha_t*)")
        a1.set_title("loss at the optimum", fontsize=10)
        a1.legend(fontsize=7)
        for c, K in zip(colors, STEPS_OVERLAY):
            j = list(d.Ks).index(K) if K in d.Ks else None
            a2.plot(d.curve_alpha, d.curves[K], "-", color=c, label=f"K_t = {K}")
            if j is not None:
                a2.errorbar(d.alpha, d.mc_mean[j], yerr=d.mc_se[j], fmt="o", ms=3, color=c,
                            capsize=2)
        a2.set_yscale("log")
        a2.set_xlabel("alpha_t"); a2.set_ylabel("average test loss")
        a2.set_title("L(alpha_t): theory (lines), MC (points)", fontsize=10)
        a2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_steps(out_dir, runs: int = 500, seed: int | None = 0, backend: str = "numpy", *,
               formats=("png", "pdf"), progress: bool = False, panels=None,
               Ks=STEPS_K, points: int = 25):
    """Compute both panels and write ``figsteps.<fmt>`` into ``out_dir`` (atomic writes).
    Returns ``(paths, panels)``."""
    from pathlib import Path
    from .figures import figure_bytes
    data = panels or [steps_data(f, runs=runs, seed=seed, backend=backend, Ks=Ks,
                                 points=points, progress=progress) for f in STEPS_PANELS]
    fig = render_steps_figure(data)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [atomic_write_bytes(out / f"figsteps.{fmt}", figure_bytes(fig, fmt))
             for fmt in formats]
    import matplotlib.pyplot as plt
    plt.close(fig)
    return paths, data


#: runs per point of the K-step figure: ``figures --steps`` (and ``report --full``), --quick,
#: and the report's default (its panels then take about 40 s cold, read back when warm)
STEPS_RUNS, STEPS_QUICK_RUNS, REPORT_STEPS_RUNS = 500, 20, 50


@dataclass(frozen=True)
class StepsRun:
    """What ``symmaml figures --steps`` reports: the written files and both panels."""

    paths: list
    panels: list

    def summary_text(self) -> str:
        """The alpha_t*-against-K_t tables and the written files."""
        return steps_table(self.panels) + "\n" + "\n".join(f"wrote {p}" for p in self.paths)

    def to_json(self) -> str:
        """Paths and per-panel arrays as indented JSON."""
        import dataclasses
        import json
        from ..io import json_ready
        return json.dumps({"paths": [str(p) for p in self.paths],
                           "panels": [json_ready(dataclasses.asdict(d)) for d in self.panels]},
                          indent=1)


def run_steps_figure(out_dir, runs=None, seed: int | None = 0, backend: str = "numpy", *,
                     quick: bool = False, progress: bool = False) -> StepsRun:
    """``symmaml figures --steps``: options checked, ``out_dir`` prepared, both panels
    simulated and drawn (``quick``: :data:`STEPS_QUICK_RUNS` runs, K_t in
    :data:`STEPS_QUICK_K`, 9 alpha points)."""
    from ..io import prepare_dir
    from .paper import check_options
    check_options(list(STEPS_PANELS), runs, seed, backend, quick)
    runs = runs if runs is not None else (STEPS_QUICK_RUNS if quick else STEPS_RUNS)
    prepare_dir(out_dir)
    paths, panels = draw_steps(out_dir, runs=runs, seed=seed, backend=backend,
                               progress=progress, points=9 if quick else 25,
                               Ks=STEPS_QUICK_K if quick else STEPS_K)
    return StepsRun(paths, panels)
