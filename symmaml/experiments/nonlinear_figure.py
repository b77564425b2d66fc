"""Fig. 5 of the paper (Section 5.4) and the runner behind ``symmaml nonlinear``.

* :func:`render_figure5` / :func:`draw_figure5` -- the mean test loss +- s.e. of the
  ReLU network against alpha_t (:func:`symmaml.nonlinear.sweep.run_sweep`), the bootstrap
  argmin and its 68 % interval, the paired differences to alpha_t = 0 and, with an NTK
  check, a second panel with Theorem 3 on tangent features
  (:func:`symmaml.nonlinear.ntk.run_ntk_check`).  Drawn with matplotlib's object-oriented
  API (no pyplot, as :mod:`.figures`) and written atomically
  (:func:`symmaml.io.atomic_write_bytes`).
* :func:`run_nonlinear` -- the sweep, optionally the NTK check and Meta-SGD, and with an
  output folder ``nonlinear.json`` and the figure: a :class:`NonlinearRun` whose
  ``to_json()`` is what ``symmaml nonlinear --json`` prints.

This module sits above :mod:`symmaml.nonlinear` (it imports it, never the reverse); torch
and matplotlib are imported inside the functions.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes, atomic_write_text, prepare_dir
from ..nonlinear.sweep import PAPER_ARGMIN, SweepResult, summary_text, to_json

__all__ = ["render_figure5", "draw_figure5", "NonlinearRun", "run_nonlinear"]

FIGURE5_NAME = "figure5_nonlinear"
DPI = 150


def render_figure5(result):
    """A :class:`matplotlib.figure.Figure` of Fig. 5 from a sweep result (or its dict).

    Top left: mean test loss +- s.e. over runs against alpha_t, the untrained network, the
    bootstrap argmin with its 68 % interval and the paper's argmin (quadratic target);
    below it, when the argmin statistics have them, the paired differences L(alpha_t) -
    L(0).  With ``result.ntk`` a right panel: Theorem 3 on tangent features vs the network."""
    from matplotlib.figure import Figure
    r = result if isinstance(result, dict) else result.asdict()
    ntk = r.get("ntk")
    am = r.get("argmin") or {}
    paired = am.get("paired_diff") is not None and len(am["paired_diff"]) == len(r["alpha_t"])
    fig = Figure(figsize=(9.5 if ntk else 5, 5 if paired else 3.6))
    axes = fig.subplots(2 if paired else 1, 2 if ntk else 1, squeeze=False, sharex="col",
                        gridspec_kw=dict(height_ratios=[3, 1.3]) if paired else None)
    ax = axes[0, 0]
    a, m, s = np.array(r["alpha_t"]), np.array(r["mean"], float), np.array(r["stderr"], float)
    ax.errorbar(a, m, yerr=s, fmt="o-", ms=4, capsize=3, color="C0", label="MAML, trained network")
    if r.get("untrained"):
        ax.axhline(float(np.mean(r["untrained"])), color="0.5", lw=0.8, ls=":", label="untrained network")
    if am:
        ax.axvline(am["bootstrap_median"], color="C3", lw=1, ls="--", label=f"argmin ~ {am['bootstrap_median']:.4f}")
        ax.axvspan(*am["ci68"], color="C3", alpha=0.15, lw=0)
    ax.axvline(0, color="k", lw=0.5)
    c = r["config"]
    if c.get("target", "quadratic") == "quadratic" and min(a) <= PAPER_ARGMIN <= max(a):
        ax.axvline(PAPER_ARGMIN, color="C2", lw=1, ls="-.", label=f"paper's argmin {PAPER_ARGMIN}")
    ax.locator_params(axis="x", nbins=6)
    ax.set_ylabel("test loss")
    ax.set_title(f"ReLU net {tuple(c['hidden'])}, {c['runs']} runs x {c['test_tasks']} test tasks, "
                 f"{c.get('regime', 'fixed')} tasks", fontsize=9)
    ax.legend(fontsize=7)
    if paired:
        axp = axes[1, 0]
        axp.errorbar(a, am["paired_diff"], yerr=am["paired_diff_stderr"], fmt="o", ms=3, capsize=2, color="C0")
        axp.axhline(0, color="k", lw=0.5)
        axp.axvline(0, color="k", lw=0.5)
        axp.set_ylabel(f"minus L({am['reference_alpha_t']:g})\n(paired)", fontsize=8)
        axp.set_xlabel(r"$\alpha_t$")
        if ntk:
            axes[1, 1].axis("off")
    else:
        ax.set_xlabel(r"$\alpha_t$")
    if ntk:
        ax2 = axes[0, 1]
        ax2.plot(ntk["theory_fine_alpha"], ntk["theory_fine"], "-", color="C1",
                 label=r"Theorem 3, tangent features ($\Sigma_w$ 2nd moment)")
        if ntk.get("theory_centered_fine") is not None:
            ax2.plot(ntk["theory_fine_alpha"], ntk["theory_centered_fine"], "--", color="C2",
                     label=r"Theorem 3 ($\Sigma_w$ centred)")
        if ntk.get("network_mean") is not None:
            ax2.errorbar(ntk["alpha_t"], ntk["network_mean"], yerr=ntk.get("network_stderr"), fmt="o",
                         ms=4, capsize=3, color="C0", label=f"network {tuple(ntk['hidden'])}")
        ax2.axvline(0, color="k", lw=0.5)
        ax2.set_xlabel(r"$\alpha_t$")
        ax2.set_title("NTK linearisation vs trained network", fontsize=9)
        ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_figure5(result, out_dir, name=FIGURE5_NAME, formats=("png", "pdf")) -> list[Path]:
    """Fig. 5 (:func:`render_figure5`) written as ``out_dir/name.{fmt}`` for each format,
    each atomically; returns the paths."""
    fig = render_figure5(result)
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=DPI)
        paths.append(atomic_write_bytes(Path(out_dir) / f"{name}.{fmt}", buf.getvalue()))
    return paths


@dataclass
class NonlinearRun:
    """What :func:`run_nonlinear` returns: the Fig. 5 sweep (with ``sweep.ntk`` when the NTK
    check ran), Meta-SGD's results keyed ``"{problem}_{regime}"`` (None unless asked) and
    the figure paths (None without an output folder)."""
    sweep: SweepResult
    metasgd: dict | None = None
    figures: list | None = None

    def asdict(self) -> dict:
        """dict(sweep=..., [metasgd=...], [figures=[...]]): the keys present are those run."""
        out = dict(sweep=self.sweep.asdict())
        if self.metasgd is not None:
            out["metasgd"] = self.metasgd
        if self.figures is not None:
            out["figures"] = [str(p) for p in self.figures]
        return out

    def to_json(self, indent=1) -> str:
        """The JSON that ``symmaml nonlinear --json`` prints (``json.dumps``: NaN stays NaN)."""
        return json.dumps(self.asdict(), indent=indent)

    def summary_text(self) -> str:
        """The sweep's text summary (:func:`symmaml.nonlinear.sweep.summary_text`)."""
        return summary_text(self.sweep)


def run_nonlinear(quick=True, seed=0, out_dir=None, ntk=False, metasgd=False, progress=None,
                  regime="fixed", runs=None, max_epochs=None, hidden=(400, 400),
                  alpha_lr=None) -> NonlinearRun:
    """What ``symmaml nonlinear`` and ``symmaml figures --nonlinear`` run (Section 5.4).

    The Fig. 5 sweep (:func:`~symmaml.nonlinear.sweep.run_sweep`), with ``ntk`` the
    Theorem-3 tangent-feature check, with ``metasgd`` Meta-SGD on the linear and nonlinear
    problems under both regimes.  With ``out_dir`` (created if needed) writes
    ``nonlinear.json`` (NaN as null, without the figure paths) and
    ``figure5_nonlinear.{png,pdf}``, all atomically.  Needs torch."""
    from ..nonlinear.metasgd import run_metasgd
    from ..nonlinear.ntk import run_ntk_check
    from ..nonlinear.sweep import run_sweep
    if out_dir is not None:
        prepare_dir(out_dir)
    res = run_sweep(seed=seed, quick=quick, progress=progress, regime=regime, runs=runs,
                    max_epochs=max_epochs, hidden=tuple(hidden))
    if ntk:
        res.ntk = run_ntk_check(seed=seed, quick=quick)
    run = NonlinearRun(sweep=res)
    if metasgd:
        run.metasgd = {f"{prob}_{reg}": (lambda r: dict(r.asdict(), summary=r.summary()))(
            run_metasgd(prob, seed=seed, quick=quick, regime=reg, hidden=tuple(hidden), alpha_lr=alpha_lr))
            for prob in ("linear", "nonlinear") for reg in ("fixed", "fresh")}
    if out_dir is not None:
        atomic_write_text(Path(out_dir) / "nonlinear.json", to_json(run.asdict()))
        run.figures = draw_figure5(res, out_dir)
    return run
