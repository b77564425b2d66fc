"""The paper's Figs. 2a/b, 3a/b, 4a/b and 6a-d, redrawn: theory curve + Monte Carlo points.

Each figure shows

* the derived theorem's average test loss (Theorem 1, 2 or 3) as a smooth curve on a
  dense grid of the swept learning rate (:func:`symmaml.experiments.validation.theory_curve`);
* seeded Monte Carlo estimates of MAML's average test loss at the figure's parameters
  (:func:`symmaml.experiments.validation.validate`, common random numbers across alpha),
  mean +- one standard error over the runs;
* the theoretical optimum of the swept rate (closed form where there is one: Theorem 1's
  alpha_t^- of Eq. 8, the optimal alpha_r of Theorems 1-2; otherwise the numeric argmin
  of the curve);
* a lower panel with the relative gap (MC - theory)/theory and its standard error, so
  that agreement (or, in Figs. 6b/6c, the inaccuracy the paper expects) is visible even
  where the error bars are smaller than the markers.

Statistics: every run is scored with the ``"rao_blackwell"`` estimator by default (exact
expectation given the meta-training inputs; same mean as the paper's protocol of 100 test
tasks of 50 points per run, far smaller variance); the estimator is named in each figure.
Figure 4 uses the Wishart covariances of Eq. 17 divided by p (see
:meth:`symmaml.experiments.paper.Figure.matrices`: taken literally Eq. 17 is p times too
large).

Parameters, grids, titles and run counts are those of the registry
:mod:`symmaml.experiments.paper`.  Run counts: :data:`DEFAULT_RUNS` (the default, also of
``symmaml validate``; all ten figures in well under 3 minutes on a 2-core machine),
:data:`PAPER_RUNS` (``full=True``: the paper's counts, 100 runs for panels a, 1000 for
panels b, 500 for 4b, 100 for Fig. 6), :data:`QUICK_RUNS` (``quick=True``: few runs and
coarse grids, for tests and quick reports).

Files: ``fig<name>.png`` / ``fig<name>.pdf`` (e.g. ``fig2b.png``), each rendered into a
memory buffer and written atomically (:func:`symmaml.io.atomic_write_bytes`: a temporary
file in the same folder, then ``os.replace``).  matplotlib is used through its
object-oriented API only (no pyplot, no global backend change, nothing shown).
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes
from .curves import has_order2, order2_inside
from .paper import (DEFAULT_RUNS, FIGURE_NAMES, FIGURES, PAPER_RUNS, QUICK_RUNS, Figure, _name,
                    check_options)

__all__ = ["FIGURE_NAMES", "PAPER_RUNS", "DEFAULT_RUNS", "QUICK_RUNS", "FORMATS",
           "FigureData", "figure_data", "render", "draw_figure", "draw_all", "theory_optimum",
           "figure_path", "check_options"]

QUICK_POINTS = 5        # Monte Carlo points per figure with quick=True (else a step of 0.1 or 0.25)
DEFAULT_CURVE, QUICK_CURVE = 401, 121           # theory curve resolution
#: points at which the order-2 curve is evaluated (then a cubic spline): the order-2 loss of
#: Theorem 2 is a task recursion, ~0.1 s per alpha_t
ORDER2_CURVE, QUICK_ORDER2_CURVE = 31, 13
FORMATS = ("png", "pdf", "svg")
DPI = 150
FIGSIZE = (7.0, 6.0)                            # inches: 1050 x 900 px at DPI

_EQUATION = {1: "Eq. 5", 2: "Eq. 9", 3: "Eq. 14"}
_ESTIMATOR_TEXT = {"rao_blackwell": "Rao-Blackwell estimator (exact given training inputs)",
                   "conditional": "conditional estimator (exact given $\\omega^*$)",
                   "plain": "plain estimator (100 test tasks of 50 points, as the paper)"}

_INACCURATE_NOTE = "the paper expects the theory to be inaccurate here"


def _spec(name):
    return FIGURES[_name(name)]


def figure_path(out_dir, name, fmt: str) -> Path:
    """``out_dir / f"fig{name}.{fmt}"``."""
    return Path(out_dir) / f"fig{_name(name)}.{fmt}"


# ----------------------------------------------------------------------------- numbers
def _curve_fn(fig, order: int = 1):
    """A fast ``f(alpha)`` of the figure's theory along its swept rate (NumPy):
    :func:`symmaml.experiments.validation.theory_curve` at the fixed other rate (``order=2``:
    the finite-size theory)."""
    from .validation import theory_curve

    def fn(a):
        a = np.asarray(a, dtype=float)
        return (theory_curve(fig, a, fig.fixed, order=order) if fig.sweep == "alpha_t"
                else theory_curve(fig, fig.fixed, a, order=order))
    return fn


def theory_optimum(name, lo: float | None = None, hi: float | None = None, order: int = 1):
    """The theory's minimiser over the swept rate of figure ``name`` (a registry name or a
    :class:`~symmaml.experiments.paper.Figure`) within [lo, hi].

    Returns ``(alpha, loss, how)``; ``how`` is ``"Eq. 8"`` (Theorem 1's alpha_t^-),
    ``"closed form"`` (optimal alpha_r of Theorems 1-2, :func:`symmaml.theory.optimal_alpha_r`)
    or ``"numeric"`` (grid scan + bounded Brent on the theory curve; Theorem 3, and
    alpha_t of Theorem 2).  ``alpha`` is None when the minimum over [lo, hi] lies at an
    end of the interval.  ``order=2``: of the finite-size theory -- over alpha_t numeric
    (bracketed on a coarse grid, then
    :meth:`symmaml.numeric.finite_size.FiniteSizeLoss.argmin_alpha_t` between the best
    point's neighbours: the interpolated loss, dL/d alpha_t solved on it), over alpha_r
    closed form
    (:meth:`~symmaml.numeric.finite_size.FiniteSizeLoss.optimal_alpha_r`).
    """
    fig = name if isinstance(name, Figure) else _spec(name)
    lo = min(fig.alphas) if lo is None else float(lo)
    hi = max(fig.alphas) if hi is None else float(hi)
    fn = _curve_fn(fig, order)
    P = dict(fig.params)
    x = None
    closed = fig.closed_form_optimum if order == 1 else ""
    if closed:
        from ..numeric.losses import derived_function
        key = fig.theorem_object.key
        if closed == "closed form":
            f = derived_function(key, "optimal_alpha_r")
            kw = dict(P, alpha_t=fig.fixed)
            if "delta_sq" in f.arg_names:
                kw["delta_sq"] = fig.delta_sq
            x, how = float(f(**kw)), "closed form"
        else:
            f = derived_function(key, "alpha_t_minimum")
            x, how = float(f(n_t=P["n_t"], p=P["p"])), "Eq. 8"
    if x is None and order == 2 and not fig.has_matrices:
        # the order-2 loss of Theorems 1-2 is not closed-form in alpha_t: an interpolant
        # (adaptive Chebyshev series) is scanned and dL/d alpha_t solved on it; over
        # alpha_r its optimum is closed-form (Eq. 65 is quadratic in alpha_r).  Theorem 3's
        # is closed form in traces: the scan and Brent below
        from ..numeric.losses import loss_function
        f2 = loss_function(fig.theorem, order=2)
        kw = {k: P[k] for k in ("n_t", "n_v", "n_r", "m", "p", "sigma", "nu")}
        if "delta_sq" in f2.ARGS:
            kw["delta_sq"] = fig.delta_sq
        if fig.sweep == "alpha_t":
            # bracket the minimum on the curve's coarse grid (the figure evaluates the same
            # points: remembered), then interpolate only between the best point's
            # neighbours (17-33 nodes instead of 65-129 on the whole range)
            g = np.linspace(lo, hi, ORDER2_CURVE)
            i = int(np.argmin(fn(g)))
            sub = (g[max(i - 1, 0)], g[min(i + 1, g.size - 1)])
            x, y = f2.argmin_alpha_t(sub, alpha_r=fig.fixed, **kw)
            # at an end of [lo, hi] the coarse minimum g[i] is also the sub-interval's end
            # with the smaller loss: None there is the range's edge; None with i inside
            # means the coarse grid misled
            if x is None and 0 < i < g.size - 1:
                x, y = f2.argmin_alpha_t((lo, hi), alpha_r=fig.fixed, **kw)
            if x is None:
                return None, y, "numeric (minimum at the edge)"
            how = "numeric"
        else:
            x, how = float(f2.optimal_alpha_r(alpha_t=fig.fixed, **kw)), "closed form"
    if x is None:
        from scipy.optimize import minimize_scalar
        g = np.linspace(lo, hi, 2001)
        i = int(np.argmin(fn(g)))
        if i in (0, g.size - 1):
            return None, float(fn(np.array(g[i]))), "numeric (minimum at the edge)"
        res = minimize_scalar(lambda a: float(fn(np.array(a))), bounds=(g[i - 1], g[i + 1]),
                              method="bounded", options={"xatol": 1e-10})
        x, how = float(res.x), "numeric"
    if not lo <= x <= hi:
        return None, float("nan"), how + " (outside the plotted range)"
    if order == 2 and not bool(order2_inside(fig, x)):
        # Theorem 3's order 2 (a truncation) is not offered outside its regime
        return None, float("nan"), how + " (outside the order-2 regime)"
    return x, float(fn(np.array(x))), how


@dataclass(frozen=True)
class FigureData:
    """Everything drawn in one figure (NumPy arrays)."""

    name: str
    theorem: int
    sweep: str
    fixed: float
    params: dict
    curve_alpha: np.ndarray
    curve_loss: np.ndarray
    alpha: np.ndarray
    mc: np.ndarray
    stderr: np.ndarray
    theory: np.ndarray            # theory at the Monte Carlo points
    optimum: float | None
    optimum_loss: float
    optimum_how: str
    runs: int
    seed: int | None
    estimator: str
    backend: str
    expected_inaccurate: bool
    validation: object            # the ValidationResult behind the points
    elapsed: float
    from_cache: bool = False      # the simulation was read back from the disk cache
    #: the order-2 (finite-size) theory on the curve and at the points; None where the
    #: figure's theorem has none (:func:`symmaml.experiments.validation.has_order2`)
    curve_loss2: np.ndarray | None = None
    theory2: np.ndarray | None = None
    optimum2: float | None = None           # the order-2 curve's argmin (numeric)
    optimum2_loss: float = float("nan")
    #: per point, whether it lies in the order-2 theory's regime (None: everywhere;
    #: Theorem 3's is a truncation, :func:`symmaml.experiments.curves.order2_regime`)
    regime2: np.ndarray | None = None

    @property
    def inside2(self) -> np.ndarray:
        """Per point, whether it lies in the order-2 regime (all True where
        :attr:`regime2` is None)."""
        if self.regime2 is None:
            return np.ones(self.alpha.shape, bool)
        return np.asarray(self.regime2, bool)

    @property
    def rel_gap(self) -> np.ndarray:
        """(mc - theory) / theory at the Monte Carlo points."""
        return (self.mc - self.theory) / self.theory

    @property
    def rel_gap2(self) -> np.ndarray | None:
        """(mc - order-2 theory) / order-2 theory at the points (None without one)."""
        return None if self.theory2 is None else (self.mc - self.theory2) / self.theory2


def _runs(name, runs, quick, full) -> int:
    if runs is not None:
        if isinstance(runs, dict):
            return int(runs[name])
        return int(runs)
    return FIGURES[name].run_count(quick=quick, full=full)


def figure_data(name, runs=None, seed: int | None = 0, backend: str = "numpy", *,
                quick: bool = False, full: bool = False, points: int | None = None,
                curve_points: int | None = None, estimator: str = "rao_blackwell",
                progress: bool = False) -> FigureData:
    """Theory curve, Monte Carlo points and optimum of figure ``name`` (no drawing)."""
    from .validation import validate
    from .simcache import cached_validation
    key = _name(name)
    fig = _spec(key)
    t0 = time.perf_counter()
    R = _runs(key, runs, quick, full)
    lo, hi = float(min(fig.alphas)), float(max(fig.alphas))
    if points is not None:
        K = int(points)
    elif quick:
        K = QUICK_POINTS
    else:       # a round step: 0.1 on the alpha_r and Fig. 3b ranges, 0.25 on [-1.5, 1.5]
        step = 0.1 if hi - lo <= 2 else 0.25
        K = int(round((hi - lo) / step)) + 1
    C = curve_points if curve_points is not None else (QUICK_CURVE if quick else DEFAULT_CURVE)
    if K < 2 or C < 2:
        raise ValueError("points and curve_points must be at least 2")
    grid = np.round(np.linspace(lo, hi, int(K)), 10) + 0.0
    v, from_cache = cached_validation(
        fig, lambda: validate(fig, runs=R, seed=seed, estimator=estimator, alphas=grid,
                              backend=backend, progress=progress),
        runs=R, seed=seed, estimator=estimator, alphas=grid, backend=backend)
    curve_alpha = np.linspace(lo, hi, int(C))
    curve_loss = _curve_fn(fig)(curve_alpha)
    x, y, how = theory_optimum(key, lo, hi)
    curve2 = theory2 = regime2 = None
    opt2 = (None, float("nan"), "")
    if has_order2(fig):
        from scipy.interpolate import CubicSpline
        f2 = _curve_fn(fig, order=2)
        coarse = np.linspace(lo, hi, QUICK_ORDER2_CURVE if quick else ORDER2_CURVE)
        curve2 = CubicSpline(coarse, f2(coarse))(curve_alpha)
        theory2 = f2(v.alpha)
        opt2 = theory_optimum(key, lo, hi, order=2)
        if fig.has_matrices:
            # Theorem 3's order 2 is drawn only inside its regime (n_v m / p_eff < 1/2;
            # theory_optimum gives its argmin only there too)
            curve2 = np.where(order2_inside(fig, curve_alpha), curve2, np.nan)
            regime2 = order2_inside(fig, v.alpha)
    return FigureData(name=key, theorem=fig.theorem, sweep=fig.sweep, fixed=fig.fixed,
                      params=dict(fig.params, w0=fig.w0, omega0=fig.omega0),
                      curve_alpha=curve_alpha, curve_loss=curve_loss, alpha=v.alpha,
                      mc=v.mc, stderr=v.stderr, theory=v.theory, optimum=x, optimum_loss=y,
                      optimum_how=how, runs=v.runs, seed=seed, estimator=estimator,
                      backend=v.backend, expected_inaccurate=fig.expected_inaccurate,
                      validation=v, elapsed=time.perf_counter() - t0,
                      from_cache=from_cache, curve_loss2=curve2, theory2=theory2,
                      optimum2=opt2[0], optimum2_loss=opt2[1], regime2=regime2)


# ----------------------------------------------------------------------------- drawing
def _g(x) -> str:
    return f"{x:g}"


def _param_line(d: FigureData) -> str:
    P = d.params
    other = r"\alpha_r" if d.sweep == "alpha_t" else r"\alpha_t"
    sizes = (f"$n_t$={_g(P['n_t'])}, $n_v$={_g(P['n_v'])}, $n_r$={_g(P['n_r'])}, "
             f"$m$={_g(P['m'])}, $p$={_g(P['p'])}, $\\sigma$={_g(P['sigma'])}, "
             f"$\\nu$={_g(P['nu'])}")
    if P["w0"] == P["omega0"]:
        init = f"$\\omega_0 = w_0$ = {_g(P['w0'])}"
    else:
        init = f"$w_0$ = ({_g(P['w0'])}, ..., {_g(P['w0'])}), $\\omega_0$ = {_g(P['omega0'])}"
    line = f"{sizes}, {init}; ${other}$ = {_g(d.fixed)}"
    if FIGURES[d.name].has_matrices:
        line += ("\n$\\Sigma = W(I,p)/p$, $\\Sigma_w = \\nu^2/p\\;W(I,p)/p$ (Eq. 17 divided by "
                 f"$p$; one draw, seed {FIGURES[d.name].wishart_seed}), $F$ Gaussian")
    return line


def _opt_label(d: FigureData) -> str:
    sym = r"\alpha_t" if d.sweep == "alpha_t" else r"\alpha_r"
    if d.optimum is None:
        return f"theory: no interior minimum ({d.optimum_how})"
    if d.optimum_how == "Eq. 8":
        return f"theory optimum $\\alpha_t^-$ = {d.optimum:.3f} (Eq. 8)"
    if d.optimum_how == "closed form":
        return f"theory optimum ${sym}^*$ = {d.optimum:.3f} (closed form)"
    return f"theory argmin ${sym}$ = {d.optimum:.3f} (numeric)"


def render(d: FigureData):
    """A :class:`matplotlib.figure.Figure` of ``d`` (object-oriented API, no pyplot)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    ax, axr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    sym = r"\alpha_t" if d.sweep == "alpha_t" else r"\alpha_r"
    what = "training" if d.sweep == "alpha_t" else "adaptation"

    th_label = f"theory (Theorem {d.theorem}, {_EQUATION[d.theorem]})"
    if d.expected_inaccurate:
        th_label += f"\n{_INACCURATE_NOTE}"
    ax.plot(d.curve_alpha, d.curve_loss, color="C0", lw=2, label=th_label, zorder=2)
    curves = [d.curve_loss]
    if d.curve_loss2 is not None and np.isfinite(d.curve_loss2).any():
        label2 = "finite-size theory (order 2, beyond the paper)"
        if d.regime2 is not None:
            label2 = ("order 2 (next order of the paper's expansion, matched\n"
                      "at $\\alpha_t = 0$), drawn where $n_v m/p_{\\mathrm{eff}} < 1/2$")
        ax.plot(d.curve_alpha, d.curve_loss2, color="k", lw=1.4, ls="--", zorder=2.5,
                label=label2)
        curves.append(d.curve_loss2)

    ylo = float(min(min(np.nanmin(c) for c in curves), (d.mc - d.stderr).min()))
    yhi = float(max(max(np.nanmax(c) for c in curves), (d.mc + d.stderr).max()))
    span = max(yhi - ylo, 1e-12)
    mc_label = (f"simulation (mean ± s.e., {d.runs} runs)\n"
                f"{_ESTIMATOR_TEXT.get(d.estimator, d.estimator)}, seed {d.seed}")
    if 2 * float(np.max(d.stderr)) < 0.012 * span:
        mc_label += "\nerror bars smaller than the markers: see the lower panel"
    ax.errorbar(d.alpha, d.mc, yerr=d.stderr, fmt="o", ms=5, color="C3", ecolor="C3",
                elinewidth=1.3, capsize=3, label=mc_label, zorder=3)

    ax.axvline(0.0, color="0.6", lw=0.8, ls=":", zorder=1)
    axr.axvline(0.0, color="0.6", lw=0.8, ls=":", zorder=1)
    if d.optimum is not None:
        ax.axvline(d.optimum, color="C2", lw=1.2, ls="--", zorder=1)
        axr.axvline(d.optimum, color="C2", lw=1.2, ls="--", zorder=1)
        ax.plot([d.optimum], [d.optimum_loss], marker="*", ms=13, color="C2", ls="none",
                label=_opt_label(d), zorder=4)

    if d.optimum2 is not None:
        sym2 = r"\alpha_t" if d.sweep == "alpha_t" else r"\alpha_r"
        ax.plot([d.optimum2], [d.optimum2_loss], marker="*", ms=11, color="k", ls="none",
                label=f"order-2 argmin ${sym2}$ = {d.optimum2:.3f} (numeric)", zorder=4)

    title = FIGURES[d.name].title
    if d.expected_inaccurate:
        title += f"\n({_INACCURATE_NOTE})"
    ax.set_title(title + "\n" + _param_line(d), fontsize=9.5, loc="left")
    ax.set_ylabel(r"average test loss $L_{\mathrm{test}}$")
    ax.margins(x=0.03)
    ax.set_ylim(ylo - 0.08 * span, yhi + 0.08 * span)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7.5,
               frameon=False)
    ax.grid(alpha=0.25)

    pct = 100 * d.rel_gap
    pct_se = 100 * d.stderr / np.abs(d.theory)
    axr.axhline(0.0, color="C0", lw=1.2)
    axr.errorbar(d.alpha, pct, yerr=pct_se, fmt="o", ms=4, color="C3", elinewidth=1.2,
                 capsize=3, label="vs the paper's theorem")
    lim = float(np.max(np.abs(pct) + pct_se))
    keep = d.inside2
    if d.theory2 is not None and keep.any():
        pct2 = (100 * d.rel_gap2)[keep]
        pct2_se = (100 * d.stderr / np.abs(d.theory2))[keep]
        shift = 0.012 * float(np.ptp(d.alpha))       # side by side, not on top
        axr.errorbar(d.alpha[keep] + shift, pct2, yerr=pct2_se, fmt="s", ms=3.5, color="k",
                     elinewidth=1.0, capsize=2, label="vs the order-2 theory")
        lim = max(lim, float(np.max(np.abs(pct2) + pct2_se)))
        axr.legend(fontsize=6.5, loc="best", frameon=False)
    lim = max(lim * 1.25, 0.5)
    axr.set_ylim(-lim, lim)
    axr.set_ylabel("(MC − theory)\n/ theory [%]", fontsize=8)
    axr.set_xlabel(f"{what} learning rate ${sym}$")
    axr.grid(alpha=0.25)
    for a in (ax, axr):
        a.tick_params(labelsize=8)
    return fig


def figure_bytes(fig, fmt: str) -> bytes:
    """A matplotlib figure as ``fmt`` bytes (PNG/PDF/SVG) at :data:`DPI`, without the
    creation date (the same figure gives the same bytes)."""
    buf = io.BytesIO()
    meta = {"CreationDate": None} if fmt == "pdf" else ({"Date": None} if fmt == "svg" else None)
    fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
    return buf.getvalue()


def _formats(formats) -> tuple:
    if isinstance(formats, str):
        formats = (formats,)
    out = tuple(str(f).lower().lstrip(".") for f in formats)
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}, got {formats!r}")
    return out


def draw_figure(name, out_dir, runs=None, seed: int | None = 0, backend: str = "numpy",
                formats=("png", "pdf"), progress: bool = False, *, quick: bool = False,
                full: bool = False, points: int | None = None, curve_points: int | None = None,
                estimator: str = "rao_blackwell", data: FigureData | None = None) -> list[Path]:
    """Draw figure ``name`` ("2a", ..., "6d") into ``out_dir`` as ``fig<name>.<fmt>``.

    ``runs``: Monte Carlo runs per point (int, or a dict by figure name); default
    :data:`DEFAULT_RUNS`, ``full=True`` the paper's :data:`PAPER_RUNS`, ``quick=True``
    :data:`QUICK_RUNS` with coarse grids.  ``seed``, ``backend``, ``estimator``: of the
    simulator (:func:`symmaml.experiments.validation.validate`).  ``data``: draw a
    :class:`FigureData` computed earlier instead.  Each file is written atomically.
    Returns the written paths, in the order of ``formats``.
    """
    key = _name(name)
    fmts = _formats(formats)
    if data is None:
        data = figure_data(key, runs=runs, seed=seed, backend=backend, quick=quick, full=full,
                           points=points, curve_points=curve_points, estimator=estimator,
                           progress=progress)
    fig = render(data)
    paths = []
    for fmt in fmts:
        paths.append(atomic_write_bytes(figure_path(out_dir, key, fmt), figure_bytes(fig, fmt)))
    return paths


def draw_all(out_dir, runs=None, seed: int | None = 0, quick: bool = False, *,
             full: bool = False, figures=None, backend: str = "numpy", formats=("png", "pdf"),
             progress: bool = False, estimator: str = "rao_blackwell") -> dict[str, list[Path]]:
    """Draw every figure of :data:`FIGURE_NAMES` (or ``figures``) into ``out_dir``.

    Returns ``{name: [paths]}``.  See :func:`draw_figure` for the options; ``quick=True``
    (few runs, coarse grids) takes a few seconds per figure at most.
    """
    names = check_options(figures, runs, seed, backend, quick, full)
    fmts = _formats(formats)
    out = {}
    for key in names:
        if progress:
            print(f"Fig. {key} ...", flush=True)
        out[key] = draw_figure(key, out_dir, runs=runs, seed=seed, backend=backend,
                               formats=fmts, progress=progress, quick=quick, full=full,
                               estimator=estimator)
    return out
