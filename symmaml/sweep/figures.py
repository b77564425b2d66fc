"""Phase diagrams of a sweep: where is the optimal training rate alpha_t* negative?

:func:`render_phase_diagram` draws, for a 2-D grid, the theory's alpha_t* (grid argmin) as a
colour map with its alpha_t* = 0 contour; over it the signs the simulation confirms (paired
difference to alpha_t = 0 beyond 3 s.e., :mod:`symmaml.sweep.results`: a down triangle for
negative, an up triangle for positive, a red cross where L(alpha_t*) > L(0)), hatching
(``///``) where the simulation cannot decide the sign, dots (``...``) where |MC - theory|
exceeds the theorem's asymptotic allowance, an open square where the argmin lies at the
grid's edge (left out of the colour scale), and grey cells where no theorem applies or
the loss does not depend on alpha_t.  A
1-D grid gives alpha_t* against the swept parameter with the same marks.  matplotlib's
object-oriented API (no pyplot; the Agg canvas), written atomically.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes

__all__ = ["render_phase_diagram", "draw_phase_diagram", "AXIS_LABELS"]

AXIS_LABELS = {"p_over_n_t": r"$p / n_t$", "nvm_over_p": r"$n_v m / p$", "sigma": r"$\sigma$",
               "nu": r"$\nu$", "steps_t": r"$K_t$ (inner steps, meta-training)",
               "steps_r": r"$K_r$", "alpha_r": r"$\alpha_r$", "n_t": r"$n_t$", "n_v": r"$n_v$",
               "n_r": r"$n_r$", "m": r"$m$", "p": r"$p$", "w0": r"$w_0$", "omega0": r"$\omega_0$"}
DPI = 130


def _edges(v, log):
    v = np.asarray(v, float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5]) if not log else np.array([v[0] / 1.5, v[0] * 1.5])
    t = np.log(v) if log else v
    mid = (t[1:] + t[:-1]) / 2
    e = np.concatenate([[2 * t[0] - mid[0]], mid, [2 * t[-1] - mid[-1]]])
    return np.exp(e) if log else e


def _field(records, key, shape, transpose):
    z = np.full(int(np.prod(shape)), np.nan)
    for r in records:
        v = r.get(key)
        if v is not None and not (isinstance(v, float) and np.isnan(v)):
            z[r["point"]] = float(v)
    z = z.reshape(shape)
    return z.T if transpose else z


def _legend_handles(has):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    h = []
    if has.get("neg"):
        h.append(Line2D([], [], ls="", marker="v", color="k", ms=5, label="MC: negative confirmed"))
    if has.get("pos"):
        h.append(Line2D([], [], ls="", marker="^", color="k", ms=5, label="MC: positive confirmed"))
    if has.get("contra"):
        h.append(Line2D([], [], ls="", marker="x", color="red", ms=6, label=r"MC: $L(\alpha_t^*) > L(0)$"))
    if has.get("undecided"):
        h.append(Patch(facecolor="none", edgecolor="k", hatch="///", label="MC cannot decide (3 s.e.)"))
    if has.get("exceeded"):
        h.append(Patch(facecolor="none", edgecolor="m", hatch="...", label="beyond asymptotic allowance"))
    if has.get("impossible"):
        h.append(Patch(facecolor="0.8", edgecolor="0.5", label="no theorem / infinite loss"))
    if has.get("flat"):
        h.append(Patch(facecolor="0.8", edgecolor="0.5", label=r"loss constant in $\alpha_t$"))
    if has.get("edge"):
        h.append(Line2D([], [], ls="", marker="s", mfc="none", mec="0.3", ms=6,
                        label=r"$\alpha_t^*$ at the grid's edge (colour clipped)"))
    if has.get("zero"):
        h.append(Line2D([], [], color="k", lw=1.5, label=r"theory: $\alpha_t^* = 0$"))
    return h


def _marks(ax, r, x, y, size, has):
    """The simulation's verdict at one point: a down / up triangle for a confirmed negative /
    positive optimum, a red cross where L(alpha_t*) > L(0); notes in ``has`` what was drawn
    (undecided, allowance exceeded) for the legend."""
    ms = r.get("mc_sign")
    if ms in (-1, 1):
        ax.plot(x, y, "v" if ms == -1 else "^", color="k", ms=size)
        has["neg" if ms == -1 else "pos"] = True
    has["undecided"] = has.get("undecided") or ms == 0
    has["exceeded"] = has.get("exceeded") or bool(r.get("allowance_exceeded"))
    if r.get("mc_contradicts"):
        ax.plot(x, y, "x", color="red", ms=1.4 * size)
        has["contra"] = True


def _axes_names(spec):
    names = list(spec.axes)
    x = spec.figure.get("x", names[0])
    y = spec.figure.get("y", next((n for n in names if n != x), None)) if len(names) > 1 else None
    return x, y


def render_phase_diagram(spec, records):
    """A :class:`matplotlib.figure.Figure` of the sweep's phase diagram (1-D or 2-D grid)."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    x, y = _axes_names(spec)
    fig = Figure(figsize=(7.2, 5.4))
    ax = fig.add_subplot()
    status = {r["point"]: r["status"] for r in records}
    has = {}
    title = spec.name or "phase diagram"
    if y is None:                                           # 1-D: alpha_t* against the axis
        xs = np.asarray(spec.axes[x], float)
        a = _field(records, "alpha_t_star", (len(xs),), False)
        ax.plot(xs, a, "-o", color="C0", ms=4, label=r"theory: $\alpha_t^*$ (grid argmin)")
        ax.axhline(0, color="k", lw=0.6)
        for r in records:
            k, xv = r["point"], xs[r["point"]]
            if status[k] == "impossible":
                ax.axvspan(*(_edges(xs, False)[k:k + 2]), color="0.85", lw=0)
                has["impossible"] = True
                continue
            av = r.get("alpha_t_star")
            if av is None:
                continue
            _marks(ax, r, xv, av, 7, has)
            if r.get("mc_sign") == 0:
                ax.plot(xv, av, "s", mfc="none", mec="k", ms=9)
            if r.get("allowance_exceeded"):
                ax.plot(xv, av, "o", mfc="none", mec="m", ms=12)
        ax.set_xlabel(AXIS_LABELS.get(x, x))
        ax.set_ylabel(r"$\alpha_t^*$")
        if spec.figure.get("log_x"):
            ax.set_xscale("log")
        handles = [h for h in _legend_handles(has) if h.get_label() != "MC cannot decide (3 s.e.)"]
        if has.get("undecided"):
            from matplotlib.lines import Line2D
            handles.append(Line2D([], [], ls="", marker="s", mfc="none", mec="k", ms=7,
                                  label="MC cannot decide (3 s.e.)"))
        if has.get("exceeded"):
            from matplotlib.lines import Line2D
            handles = [h for h in handles if h.get_label() != "beyond asymptotic allowance"]
            handles.append(Line2D([], [], ls="", marker="o", mfc="none", mec="m", ms=8,
                                  label="beyond asymptotic allowance"))
        ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, fontsize=7)
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
        return fig
    names = list(spec.axes)
    shape = spec.shape
    transpose = names.index(x) < names.index(y)             # store order (x, y) -> rows y
    xs, ys = np.asarray(spec.axes[x], float), np.asarray(spec.axes[y], float)
    logx, logy = bool(spec.figure.get("log_x")), bool(spec.figure.get("log_y"))
    ex, ey = _edges(xs, logx), _edges(ys, logy)
    a = _field(records, "alpha_t_star", shape, transpose)
    edge = _field(records, "at_edge", shape, transpose) == 1
    ax.set_facecolor("0.8")
    finite = a[np.isfinite(a) & ~edge]           # an argmin at the grid's edge is a bound only
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        span = max(abs(lo), abs(hi), 1e-12)
        norm = TwoSlopeNorm(0.0, min(lo, -1e-3 * span), max(hi, 1e-3 * span))
        mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(a), cmap="RdBu_r", norm=norm,
                             shading="flat")
        cb = fig.colorbar(mesh, ax=ax)
        cb.set_label(r"theory's $\alpha_t^*$ (argmin over the $\alpha_t$ grid)")
        if lo < 0 < hi and min(a.shape) >= 2:
            X, Y = np.meshgrid(xs, ys)
            ax.contour(X, Y, np.ma.masked_invalid(a), levels=[0.0], colors="k", linewidths=1.5)
            has["zero"] = True
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    idx = idx.T if transpose else idx
    rec = {r["point"]: r for r in records}
    for iy in range(len(ys)):
        for ix in range(len(xs)):
            r = rec[int(idx[iy, ix])]
            cell = (ex[ix], ey[iy]), ex[ix + 1] - ex[ix], ey[iy + 1] - ey[iy]
            cx, cy = (np.sqrt(ex[ix] * ex[ix + 1]) if logx else (ex[ix] + ex[ix + 1]) / 2,
                      np.sqrt(ey[iy] * ey[iy + 1]) if logy else (ey[iy] + ey[iy + 1]) / 2)
            if r["status"] in ("impossible", "flat"):
                has[r["status"]] = True
                continue
            if r.get("at_edge"):
                ax.plot(cx, cy, "s", mfc="none", mec="0.3", ms=7)
                has["edge"] = True
            _marks(ax, r, cx, cy, 3.5, has)
            if r.get("mc_sign") == 0:
                ax.add_patch(Rectangle(*cell, fill=False, hatch="///", lw=0, edgecolor="k"))
            if r.get("allowance_exceeded"):
                ax.add_patch(Rectangle(*cell, fill=False, hatch="...", lw=0, edgecolor="m"))
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ey[0], ey[-1])
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(AXIS_LABELS.get(x, x))
    ax.set_ylabel(AXIS_LABELS.get(y, y))
    ax.set_title(title, fontsize=9)
    handles = _legend_handles(has)
    if handles:
        ax.legend(handles=handles, fontsize=6.5, loc="upper left", bbox_to_anchor=(0, -0.13),
                  ncol=3, frameon=False)
    fig.tight_layout()
    return fig


def draw_phase_diagram(spec, records, path) -> Path:
    """:func:`render_phase_diagram` written to ``path`` (PNG, or PDF by suffix), atomically."""
    fig = render_phase_diagram(spec, records)
    buf = io.BytesIO()
    path = Path(path)
    fig.savefig(buf, format=path.suffix.lstrip(".") or "png", dpi=DPI, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())
