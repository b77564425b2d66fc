"""Per-point results of a sweep, reduced from the stored units.

Everything is recomputed from the per-alpha theory values and the per-run Monte Carlo
values, in a fixed order (alpha index, run index), so the results do not depend on how the
work was chunked, where it ran or in which order the units finished.

Per point:

* ``alpha_t_star``: the argmin of the theory's loss over the spec's alpha_t grid (the
  first on ties), its ``sign`` and ``at_edge`` (the grid is too narrow there);
* per Monte Carlo rate: mean and standard error over runs, the theory there, and the
  paired difference L(alpha) - L(0) over the same runs (common random numbers) with its
  standard error;
* ``mc_sign``: what the simulation says about the sign of the optimum, at
  :data:`SIGN_Z` = 3 standard errors of paired differences: the sign of the simulated rate
  with the lowest mean, when that rate beats alpha = 0 and every simulated rate of the other
  sign by more than 3 s.e. (for a unimodal loss, L(a) < L(0) with a < 0 puts the minimum
  below 0; comparing with the other side's best also decides where the loss has a minimum
  on each side, as K-step MAML has); 0 otherwise: undecided;
  ``mc_contradicts``: L(alpha_t*) - L(0) > 3 s.e. (the theory's optimum is worse than 0);
* ``allowance_exceeded``: at some simulated rate |MC - theory| exceeds z* s.e. + the
  theorem's asymptotic allowance (:func:`symmaml.experiments.validation.rel_allowance`,
  Bonferroni z* of :func:`~symmaml.experiments.validation.z_threshold` over the rates).
"""
from __future__ import annotations

import math

import numpy as np

from ..io import json_ready

__all__ = ["SIGN_Z", "reduce_points", "points_columns", "grid_argmin"]

#: standard errors of the paired difference at which the simulation decides a sign
SIGN_Z = 3.0


def grid_argmin(alpha_t, loss) -> int | None:
    """Index of the smallest finite ``loss`` (the first on ties); None when no value is
    finite or the loss is constant over the grid (no optimum: e.g. sigma = nu = 0)."""
    loss = np.asarray(loss, float)
    ok = np.flatnonzero(np.isfinite(loss))
    if ok.size == 0 or np.ptp(loss[ok]) == 0:
        return None
    return int(ok[np.argmin(loss[ok])])


def _group(rows: dict, n_points: int) -> dict:
    """Row indices per point (rows sorted by point, then by their own order key)."""
    if not rows:
        return {}
    pts = np.asarray(rows["point"])
    order = np.argsort(pts, kind="stable")
    bounds = np.searchsorted(pts[order], np.arange(n_points + 1))
    return {k: order[bounds[k]:bounds[k + 1]] for k in range(n_points) if bounds[k + 1] > bounds[k]}


def _theory(spec, pt, rows, idx) -> dict:
    n = spec.alpha_t.size
    ai = np.asarray(rows["alpha_index"])[idx]
    loss = np.full(n, np.nan)
    loss[ai] = np.asarray(rows["loss"])[idx]
    errors = sorted({rows["error"][i] for i in idx} - {""})
    notes = sorted({rows["note"][i] for i in idx} - {""})
    out = dict(theory_complete=len(set(ai.tolist())) == n, theory_errors=errors, notes=notes)
    j = grid_argmin(spec.alpha_t, loss) if out["theory_complete"] else None
    if j is None:
        flat = out["theory_complete"] and bool(np.isfinite(loss).any())
        return dict(out, alpha_t_star=math.nan, sign=None, at_edge=None,
                    theory_min=float(np.nanmin(loss)) if flat else math.nan, loss=loss,
                    flat=flat)
    a = float(spec.alpha_t[j])
    return dict(out, alpha_t_star=a, sign=int(np.sign(a)), at_edge=j in (0, n - 1),
                theory_min=float(loss[j]), loss=loss)


def _mc(spec, pt, rows, idx, theory: dict) -> dict:
    from ..experiments.validation import rel_allowance, z_threshold
    from .units import point_figure
    A, R = len(spec.mc_alpha_t), spec.mc_runs
    runs = np.asarray(rows["run"])[idx]
    ri = np.asarray(rows["rate_index"])[idx]
    vals = np.full((A, R), np.nan)
    vals[ri, runs] = np.asarray(rows["loss"])[idx]
    rates = np.full(A, np.nan)
    rates[ri] = np.asarray(rows["alpha_t"])[idx]
    errors = sorted({rows["error"][i] for i in idx} - {""})
    notes = sorted({rows["note"][i] for i in idx} - {""})
    complete = len(idx) == A * R and bool(np.all(np.isfinite(vals)))
    out = dict(mc_complete=complete, mc_errors=errors, mc_notes=notes, mc_runs=R)
    if not complete:
        return dict(out, mc=[], mc_sign=None, mc_contradicts=None, allowance_exceeded=None)
    zero = spec.mc_alpha_t.index(0.0)
    mean = vals.mean(axis=1)
    se = vals.std(axis=1, ddof=1) / math.sqrt(R)
    diff = vals - vals[zero]
    dmean = diff.mean(axis=1)
    dse = diff.std(axis=1, ddof=1) / math.sqrt(R)
    loss = theory["loss"]
    th = np.array([loss[int(np.searchsorted(spec.alpha_t, a))] for a in rates])
    fig = point_figure(pt.params, pt.theorem)
    ra = rel_allowance(fig, spec.order)[0]
    zc = z_threshold(A, R)
    exceeded = bool(np.any(np.abs(mean - th) > zc * se + ra * np.abs(th)))
    b = int(np.argmin(mean))
    mc_sign = 0
    if rates[b] != 0:
        rivals = np.flatnonzero(np.sign(rates) != np.sign(rates[b]))    # 0 and the other side
        d = vals[b] - vals[rivals]                                      # paired, (rivals, R)
        if np.all(d.mean(axis=1) < -SIGN_Z * d.std(axis=1, ddof=1) / math.sqrt(R)):
            mc_sign = int(np.sign(rates[b]))
    opt = spec.mc_alpha_t.index("optimum")
    contradicts = bool(dmean[opt] > SIGN_Z * dse[opt])
    per = [dict(label=lab, alpha_t=float(rates[i]), mean=float(mean[i]), stderr=float(se[i]),
                theory=float(th[i]), diff_vs_zero=float(dmean[i]),
                diff_stderr=float(dse[i])) for i, lab in enumerate(spec.mc_labels)]
    return dict(out, mc=per, mc_sign=mc_sign, mc_contradicts=contradicts,
                allowance=float(ra), z_crit=float(zc), allowance_exceeded=exceeded)


def reduce_points(spec, theory_rows: dict, mc_rows: dict) -> list[dict]:
    """One record per grid point (see the module docstring), in point order."""
    n = len(spec.points)
    tg, mg = _group(theory_rows, n), _group(mc_rows, n)
    out = []
    for pt in spec.points:
        rec = dict(point=pt.index, axes=dict(pt.axes), params=dict(pt.params),
                   theorem=pt.theorem, status="ok", reason=pt.reason)
        if not pt.possible:
            rec["status"] = "impossible"
            out.append(rec)
            continue
        th = _theory(spec, pt, theory_rows, tg.get(pt.index, np.array([], int)))
        rec.update({k: v for k, v in th.items() if k != "loss"})
        if not th["theory_complete"]:
            rec["status"] = "incomplete"
        elif th.get("flat"):
            rec["status"] = "flat"
            rec["reason"] = "the theory's loss is constant over the alpha_t grid: no optimum"
        elif th["sign"] is None:
            rec["status"], rec["reason"] = "error", "; ".join(th["theory_errors"])
        elif spec.has_mc:
            mc = _mc(spec, pt, mc_rows, mg.get(pt.index, np.array([], int)), th)
            rec.update(mc)
            if mc["mc_errors"]:
                rec["status"], rec["reason"] = "error", "; ".join(mc["mc_errors"])
            elif not mc["mc_complete"]:
                rec["status"] = "incomplete"
        out.append(rec)
    return [json_ready(r) for r in out]


def points_columns(spec, records: list[dict]) -> dict:
    """The records as columns for ``points.parquet`` (one row per point)."""
    cols: dict = {"point": [r["point"] for r in records]}
    for name in spec.axes:
        cols[f"axis_{name}"] = [r["axes"][name] for r in records]
    for name in records[0]["params"] if records else ():
        cols[name] = [r["params"][name] for r in records]
    cols["p_over_n_t"] = [r["params"]["p"] / r["params"]["n_t"] for r in records]
    cols["nvm_over_p"] = [r["params"]["n_v"] * r["params"]["m"] / r["params"]["p"] for r in records]
    for key in ("theorem", "status", "reason", "alpha_t_star", "sign", "at_edge", "theory_min",
                "mc_sign", "mc_contradicts", "allowance", "allowance_exceeded"):
        cols[key] = [r.get(key) for r in records]
    for i, lab in enumerate(spec.mc_labels):
        for key in ("alpha_t", "mean", "stderr", "theory", "diff_vs_zero", "diff_stderr"):
            cols[f"mc_{key}[{lab}]"] = [r["mc"][i][key] if r.get("mc") else None for r in records]
    cols["notes"] = ["; ".join(r.get("notes", []) + r.get("mc_notes", [])) for r in records]
    for k, v in cols.items():        # float columns: None -> NaN, so Parquet keeps them float
        if any(isinstance(x, float) for x in v):
            cols[k] = [math.nan if x is None else x for x in v]
    return cols
