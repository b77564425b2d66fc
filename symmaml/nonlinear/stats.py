"""Statistics of the Fig. 5 sweep (Section 5.4): where the test loss is lowest in alpha_t,
and how sure we are.

The runs of a sweep share their initialisation, training tasks and test tasks across the
alpha_t grid (common random numbers), so the per-run matrix ``L`` (runs x alpha_t) supports

* :func:`argmin_with_uncertainty` -- the argmin of the mean curve: on the grid, as the
  vertex of a quadratic fitted around the grid minimum, and a bootstrap over runs of that
  vertex (median, 68 % and 95 % intervals, fraction negative);
* :func:`paired_differences` -- L(alpha_t) - L(alpha_t nearest 0) run by run, with
  standard errors over runs (much tighter than the means' own errors);
* :func:`pool_sweeps` -- the union of the runs of several independent sweeps (different
  seeds) on their common grid, with the statistics above;
* :func:`power_analysis` -- how many runs separate L(alpha_target) from L(alpha_ref) at the
  observed run-to-run spread of their paired difference.

Pure numpy: no torch needed.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["argmin_with_uncertainty", "paired_differences", "pool_sweeps", "power_analysis",
           "runs_needed"]


def _finite_rows(per_run):
    L = np.asarray(per_run, float)
    return L[np.isfinite(L).all(1)]


def paired_differences(alpha, per_run) -> dict:
    """Paired (common random numbers) differences L(alpha) - L(alpha nearest 0) per grid point.

    Runs with a non-finite entry are dropped.  Returns dict(reference_alpha_t, paired_diff,
    paired_diff_stderr): the grid point closest to alpha_t = 0, the mean difference over runs
    per grid point, and its standard error over runs (NaN with a single run)."""
    a = np.asarray(alpha, float)
    L = _finite_rows(per_run)
    j0 = int(np.argmin(np.abs(a)))            # the grid point closest to alpha_t = 0
    nr = len(L)
    dall = L - L[:, [j0]]
    pse = dall.std(0, ddof=1) / math.sqrt(nr) if nr > 1 else np.full(len(a), math.nan)
    return dict(reference_alpha_t=float(a[j0]), paired_diff=dall.mean(0).tolist(),
                paired_diff_stderr=pse.tolist())


def quadratic_vertex(alpha, curve, window=5) -> float:
    """The vertex of a quadratic fitted at the ``window`` grid points around the minimum of
    ``curve`` (clipped to the grid; the grid minimum when the fit is not convex): the argmin
    statistic of :func:`argmin_with_uncertainty`, also applied to theory curves so that
    they are compared with the simulation through the same estimator."""
    a = np.asarray(alpha, float)
    curve = np.asarray(curve, float)
    i = int(np.argmin(curve))
    lo = max(0, min(i - window // 2, len(a) - window))
    sl = slice(lo, lo + min(window, len(a)))
    c2, c1, _ = np.polyfit(a[sl], curve[sl], 2)
    if c2 <= 0:
        return float(a[i])
    return float(np.clip(-c1 / (2 * c2), a[0], a[-1]))


def argmin_with_uncertainty(alpha, per_run, n_boot=2000, seed=0, window=5) -> dict:
    """Argmin of the mean curve over runs (Fig. 5): discrete, quadratic-vertex, bootstrap interval.

    ``per_run`` is runs x alpha (runs with a non-finite entry are dropped).  The vertex is
    that of a quadratic fitted at the ``window`` grid points around the minimum (clipped to
    the grid; the grid minimum when the fit is not convex); ``n_boot`` resamples of the runs
    (seeded by ``seed``) give its bootstrap median and intervals.  Also L(argmin) - L(alpha
    nearest 0) with its standard error, and :func:`paired_differences` for every grid point."""
    a = np.asarray(alpha, float)
    L = _finite_rows(per_run)
    rng = np.random.default_rng(seed)

    def vertex(curve):
        return quadratic_vertex(a, curve, window)
    mean = L.mean(0)
    i0 = int(np.argmin(mean))
    boots = np.array([vertex(L[rng.integers(0, len(L), len(L))].mean(0)) for _ in range(n_boot)])
    j0 = int(np.argmin(np.abs(a)))            # the grid point closest to alpha_t = 0
    diff = L[:, i0] - L[:, j0]
    nr = len(L)
    pd = paired_differences(a, L)
    return dict(grid_argmin=float(a[i0]), quadratic_argmin=vertex(mean),
                bootstrap_median=float(np.median(boots)),
                ci68=[float(np.quantile(boots, 0.16)), float(np.quantile(boots, 0.84))],
                ci95=[float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))],
                frac_boot_negative=float((boots < 0).mean()),
                grid_spacing=float(np.min(np.diff(a))) if len(a) > 1 else math.nan,
                loss_at_argmin_minus_at_zero=float(diff.mean()),
                loss_diff_stderr=float(diff.std(ddof=1) / math.sqrt(nr)) if nr > 1 else math.nan,
                reference_alpha_t=pd["reference_alpha_t"], paired_diff=pd["paired_diff"],
                paired_diff_stderr=pd["paired_diff_stderr"], runs_used=nr)


_POOL_KEY = ("hidden", "regime", "p", "n_t", "n_v", "n_r", "m", "sigma", "nu", "target", "alpha_r", "lr")


def pool_sweeps(results, alpha_t=None, seed=0) -> dict:
    """Pool the runs of several sweeps (e.g. different seeds) on their common alpha_t grid.

    Runs are independent across seeds, so the pooled per-run matrix is just their union;
    returns dict(alpha_t, per_run, mean, stderr, argmin, runs, sources).  Sweeps with
    different problems, networks or regimes, or sharing a seed, are refused.  ``results``
    are :class:`~symmaml.nonlinear.sweep.SweepResult` objects or their ``asdict()``."""
    rs = [r if isinstance(r, dict) else r.asdict() for r in results]
    if not rs:
        raise ValueError("pool_sweeps needs at least one sweep")
    key = _POOL_KEY
    ref = {k: rs[0]["config"].get(k) for k in key}
    for r in rs[1:]:
        other = {k: r["config"].get(k) for k in key}
        if other != ref:
            bad = {k: (ref[k], other[k]) for k in key if ref[k] != other[k]}
            raise ValueError(f"sweeps differ in {bad}; only like with like can be pooled")
    seeds = [r["config"].get("seed") for r in rs]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"sweeps share a seed ({seeds}): their runs are the same draws, not independent")
    grids = [np.round(np.asarray(r["alpha_t"], float), 10) for r in rs]
    common = sorted(set(grids[0]).intersection(*grids[1:])) if alpha_t is None else \
        [float(a) for a in np.round(np.asarray(alpha_t, float), 10)]
    if len(common) < 3:
        raise ValueError(f"fewer than 3 common alpha_t values: {common}")
    blocks = []
    for g, r in zip(grids, rs):
        idx = []
        for a in common:
            hit = np.flatnonzero(g == a)
            if not hit.size:
                raise ValueError(f"alpha_t = {a} missing from a sweep with grid {g.tolist()}")
            idx.append(int(hit[0]))
        blocks.append(np.asarray(r["per_run"], float)[:, idx])
    L = np.vstack(blocks)
    L = L[np.isfinite(L).all(1)]
    return dict(alpha_t=[float(a) for a in common], per_run=L.tolist(), mean=L.mean(0).tolist(),
                stderr=(L.std(0, ddof=1) / np.sqrt(len(L))).tolist(),
                argmin=argmin_with_uncertainty(np.array(common), L, seed=seed), runs=len(L),
                sources=[dict(seed=r["config"].get("seed"), runs=len(r["per_run"]),
                              test_tasks=r["config"].get("test_tasks")) for r in rs])


def runs_needed(effect: float, sd: float, level: float = 0.05, power: float = 0.8) -> float:
    """Runs n for a two-sided z test at ``level`` to detect a paired mean difference
    ``effect`` with probability ``power`` when the per-run differences have standard
    deviation ``sd``: n = ((z_{1-level/2} + z_{power}) sd / effect)^2, rounded up (inf for
    effect 0)."""
    from scipy.stats import norm
    if not (0 < level < 1 and 0 < power < 1):
        raise ValueError(f"level and power must lie in (0, 1), got {level}, {power}")
    if effect == 0:
        return math.inf
    z = norm.isf(level / 2) + norm.ppf(power)
    return float(math.ceil((z * sd / abs(effect)) ** 2))


def power_analysis(alpha, per_run, target=-0.0075, reference=0.0, level=0.05, power=0.8,
                   effects=(0.001, 0.002, 0.005, 0.01)) -> dict:
    """Runs needed to separate L(``target``) from L(``reference``) (Section 5.4's claim:
    alpha_t = -0.0075 beats 0), from the paired differences d = L(target) - L(reference)
    over the runs of ``per_run`` (runs x alpha; both rates must be on the grid ``alpha``).

    Returns the observed mean of d, its run-to-run standard deviation and standard error,
    z = mean / s.e., the runs :func:`runs_needed` at the observed mean (the size of effect
    actually seen), the smallest |effect| these runs resolve (``detectable_effect``: level
    ``level``, power ``power``), and the runs needed for each of ``effects``."""
    a = np.round(np.asarray(alpha, float), 10)
    L = _finite_rows(per_run)
    idx = {}
    for name, x in (("target", target), ("reference", reference)):
        hit = np.flatnonzero(a == round(float(x), 10))
        if not hit.size:
            raise ValueError(f"{name} alpha_t = {x} is not on the grid {a.tolist()}")
        idx[name] = int(hit[0])
    if len(L) < 2:
        raise ValueError(f"power_analysis needs at least 2 complete runs, got {len(L)}")
    d = L[:, idx["target"]] - L[:, idx["reference"]]
    n, mean, sd = len(d), float(d.mean()), float(d.std(ddof=1))
    se = sd / math.sqrt(n)
    from scipy.stats import norm
    z = norm.isf(level / 2) + norm.ppf(power)
    return dict(target=float(target), reference=float(reference), runs=n, mean_diff=mean,
                sd_diff=sd, stderr_diff=se, z=mean / se if se > 0 else math.nan,
                runs_needed_at_observed=runs_needed(mean, sd, level, power),
                detectable_effect=z * se, level=level, power=power,
                runs_for_effect={float(e): runs_needed(e, sd, level, power) for e in effects})
