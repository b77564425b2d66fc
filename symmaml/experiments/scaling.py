"""Does the theory-simulation gap shrink at the rate the theorems state?

:func:`gap_scaling` simulates Theorem 1 (Fig. 2's parameters, growing p and n_t) or
Theorem 2 (Fig. 3's parameters, growing m) at increasing sizes and fits the log-log slope of
the relative gap (mc - theory) / theory; :class:`ScalingResult` holds the numbers
(:func:`symmaml.experiments.validation.format_table` / ``to_records`` print them).
Ctrl-C raises :class:`~symmaml.montecarlo.SimulationInterrupted`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..montecarlo.simulate import SimulationInterrupted, check_runs, simulate
from .paper import FIG2_PARAMS, FIG3_PARAMS, FIG6_PARAMS

__all__ = ["ScalingResult", "gap_scaling", "SCALING_THEOREMS"]


@dataclass(frozen=True)
class _Design:
    """One theorem's size sweep: the default ``sizes`` and ``alphas``, the ``base``
    parameters, ``make(base, k)`` the parameters at size k, and the plotted size
    ``scale * k`` named ``size_name``."""

    theorem: int
    sizes: tuple
    alphas: tuple
    base: dict
    make: object
    scale: float
    size_name: str


#: the designs of :func:`gap_scaling`: Theorem 1 grows p and n_t at Fig. 2's parameters,
#: Theorem 2 grows m at Fig. 3's (the theorems' asymptotic variables, Eqs. 5 and 9)
_SCALING = {
    "1": _Design(1, (1, 2, 4, 8), (-1.0, 0.0, 0.5), FIG2_PARAMS,
                 lambda base, k: dict(base, p=60 * int(k), n_t=30 * int(k)), 60.0, "p"),
    "2": _Design(2, (40, 80, 160, 320), (-0.5, 0.5), FIG3_PARAMS,
                 lambda base, k: dict(base, m=int(k)), 1.0, "m"),
}
#: the theorems :func:`gap_scaling` covers
SCALING_THEOREMS = tuple(d.theorem for d in _SCALING.values())
#: order 2 (the finite-size theory): its residual is only measurable near the threshold,
#: so Theorem 1 is swept from p = 12 (n_v m / p = 1/2) up, with n_t = p/2 as at Fig. 2, and
#: Theorem 2 over m from 7 (n_v m / p = 1.4) up at Fig. 6c's other parameters
_SCALING_ORDER2 = {
    "1": _Design(1, (12, 16, 24, 32), (-1.0, 0.5, 1.0), FIG2_PARAMS,
                 lambda base, k: dict(base, p=int(k), n_t=int(k) // 2), 1.0, "p"),
    "2": _Design(2, (7, 10, 14, 20), (-1.0, 0.5, 1.0), dict(FIG6_PARAMS, n_v=10, m=10),
                 lambda base, k: dict(base, m=int(k)), 1.0, "m"),
}


@dataclass(frozen=True)
class ScalingResult:
    """Relative theory-simulation gap vs problem size, with fitted log-log slopes.

    ``rel_gap`` / ``rel_gap_se``: (len(sizes), len(alphas)).  ``slopes`` / ``slope_se``:
    per alpha; ``slope`` / ``slope_err``: common slope with one intercept per alpha
    (weighted least squares on log|gap|, weights from the MC stderr; the error is
    inflated by sqrt(chi2/dof) when that exceeds 1).  ``stated_rate``: the exponent of
    the theorem's error bound (-1.5: O(xi^{-3/2}) resp. O((m xi)^{-3/2})); the gap must
    decay at least that fast.  ``expected_rate``: -2, the leading correction at fixed
    n_v m (Theorem 1) resp. fixed p, n_v (Theorem 2): an inverse-Wishart bias of relative
    size (n_v m + 1)/p (resp. (p + 1)/(n_v m)) on a term that is itself of relative size
    n_v m / p (resp. p / (n_v m)).
    """

    theorem: int
    size_name: str
    sizes: np.ndarray
    alphas: np.ndarray
    rel_gap: np.ndarray
    rel_gap_se: np.ndarray
    used: np.ndarray
    slopes: np.ndarray
    slope_se: np.ndarray
    slope: float
    slope_err: float
    chi2_dof: float
    stated_rate: float
    expected_rate: float
    runs: int
    seed: int | None
    elapsed: float
    params: dict
    steps_t: int = 1
    steps_r: int = 1
    order: int = 1
    #: with ``order=2``: the paper's theorem on the same simulations, ``{"rel_gap", "used",
    #: "slopes", "slope_se", "slope", "slope_err", "chi2_dof"}``
    order1: dict = None

    @property
    def clearly_negative(self) -> bool:
        """The common slope is below 0 by more than 3 standard errors: the gap shrinks."""
        return bool(self.slope + 3 * self.slope_err < 0)

    @property
    def consistent_with_stated(self) -> bool:
        """Decays at least as fast as the theorem's bound (within 2 standard errors)."""
        return bool(self.slope <= self.stated_rate + 2 * self.slope_err)

    def consistent_with(self, rate: float, band: float = 0.0, nsig: float = 2.0) -> bool:
        """Whether the common slope is within ``band + nsig * slope_err`` of ``rate``."""
        return bool(abs(self.slope - rate) <= band + nsig * self.slope_err)


def _wls_slope(x, y, w):
    X = np.column_stack([np.ones_like(x), x])
    W = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * W[:, None], y * W, rcond=None)
    cov = np.linalg.inv((X * w[:, None]).T @ X)
    res = y - X @ coef
    dof = len(x) - 2
    chi2 = float(np.sum(w * res ** 2) / dof) if dof > 0 else float("nan")
    se = math.sqrt(cov[1, 1]) * (math.sqrt(chi2) if dof > 0 and chi2 > 1 else 1.0)
    return float(coef[1]), se


def gap_scaling(theorem, sizes=None, runs: int = 500, seed: int | None = 0, *, alphas=None,
                estimator: str = "rao_blackwell", backend: str = "numpy",
                progress: bool = False, steps_t: int = 1, steps_r: int = 1,
                order: int = 1) -> ScalingResult:
    """Relative gap (mc - theory)/theory vs size, and its fitted log-log slope.

    Theorem 1: Fig. 2's parameters with p = 60 k, n_t = 30 k for k in ``sizes``
    (default 1, 2, 4, 8), n_v m = 6 fixed, alpha_r = 0.2, alpha_t in ``alphas``
    (default -1, 0, 0.5); the size is p.  Theorem 2: Fig. 3's parameters with m in
    ``sizes`` (default 40, 80, 160, 320), alpha_r = 0.2, alpha_t in ``alphas`` (default
    -0.5, 0.5); the size is m.  Points whose gap is not 2 standard errors away from 0,
    or whose sign differs from the smallest size's, are left out of the fit (``used``).
    ``steps_t``, ``steps_r``: K-step MAML in the simulation and the theory alike.
    ``runs`` must be at least 2; Ctrl-C raises :class:`~symmaml.montecarlo.SimulationInterrupted`
    (``completed``: the simulations of the sizes already done).

    ``order=2``: the finite-size theory's residual, swept where it is measurable: Theorem 1
    at p = 12, 16, 24, 32 with n_t = p/2, n_v m = 6; Theorem 2 at m = 7, 10, 14, 20 with
    Fig. 6c's other parameters (n_v = 10, p = 50, n_t = 40); default alphas -1, 0.5, 1
    (alpha_t = 0 is exact).  The paper's theorem on the same simulations is fitted too
    (:attr:`ScalingResult.order1`).
    """
    runs = check_runs(runs)
    from .. import theory
    from ..theory.finite_size import check_order
    from ..theory.steps import check_steps
    order = check_order(order)
    steps_t, steps_r = check_steps("steps_t", steps_t), check_steps("steps_r", steps_r)
    K = {} if (steps_t, steps_r) == (1, 1) else dict(steps_t=steps_t, steps_r=steps_r)
    designs = _SCALING if order == 1 else _SCALING_ORDER2
    try:
        spec = designs[theory.theorem(theorem).key]
    except (KeyError, ValueError):
        which = ("Theorems " if len(designs) > 1 else "Theorem ") + " and ".join(designs)
        raise ValueError(f"gap_scaling at order {order} covers {which}, got {theorem!r}") from None
    if order == 2 and K:
        raise ValueError("order=2 is derived for one-step MAML only")
    t = spec.theorem
    sizes = np.asarray(spec.sizes if sizes is None else sizes, dtype=int)
    alphas = np.asarray(spec.alphas if alphas is None else alphas, float)
    base = dict(spec.base)
    make = lambda k: spec.make(base, k)
    xs = spec.scale * sizes.astype(float)
    size_name = spec.size_name
    from ..numeric.losses import loss_function
    f = loss_function(t)
    f2 = loss_function(t, order=2) if order == 2 else None
    t0 = time.perf_counter()
    gaps, ses, sims, gaps1 = [], [], [], []
    for k in sizes:
        P = make(k)
        where = f"gap scaling interrupted at {size_name} = {P[size_name]}"
        try:
            r = simulate(**P, alpha_t=alphas, alpha_r=0.2, runs=runs, seed=seed,
                         estimator=estimator, backend=backend, progress=progress, **K)
        except KeyboardInterrupt as e:
            raise SimulationInterrupted(where, None, sims) from e
        if r.interrupted:
            raise SimulationInterrupted(f"{where} after {r.runs} of {runs} runs", r, sims)
        sims.append(r)
        kw = dict(P, delta_sq=0.0) if "delta_sq" in f.arg_names else P
        if K:
            from ..numeric.losses import steps_loss_function
            th = steps_loss_function(t, steps_t, steps_r, **kw)(alphas, 0.2)
        else:
            th = f(alpha_t=alphas, alpha_r=0.2, **kw)
        th = np.broadcast_to(np.asarray(th, float), alphas.shape)
        if f2 is not None:
            gaps1.append((np.asarray(r.mean) - th) / th)
            th = np.broadcast_to(np.asarray(f2(alpha_t=alphas, alpha_r=0.2, **kw), float),
                                 alphas.shape)
        gaps.append((np.asarray(r.mean) - th) / th)
        ses.append(np.asarray(r.stderr) / np.abs(th))
    gaps, ses = np.array(gaps), np.array(ses)
    lx = np.log(xs)
    fit = _fit(gaps, ses, lx, alphas.size)
    order1 = None
    if order == 2:
        g1 = np.array(gaps1)
        order1 = dict(rel_gap=g1, **_fit(g1, ses, lx, alphas.size))
    return ScalingResult(theorem=t, size_name=size_name, sizes=xs, alphas=alphas, rel_gap=gaps,
                         rel_gap_se=ses, used=fit["used"], slopes=fit["slopes"],
                         slope_se=fit["slope_se"], slope=fit["slope"], slope_err=fit["slope_err"],
                         chi2_dof=fit["chi2_dof"], stated_rate=-1.5 if order == 1 else -2.0,
                         expected_rate=-2.0 if order == 1 else -3.0, runs=runs,
                         seed=seed, elapsed=time.perf_counter() - t0, params=base,
                         steps_t=steps_t, steps_r=steps_r, order=order, order1=order1)


def _fit(gaps, ses, lx, n_alpha) -> dict:
    """Log-log slopes of |gap| vs size: per alpha and common (one intercept per alpha);
    points within 2 standard errors of 0 or of the other sign than the smallest size's are
    left out (``used``)."""
    sign = np.sign(gaps[0])
    used = (np.abs(gaps) > 2 * ses) & (np.sign(gaps) == sign)
    slopes, slope_se = [], []
    rows_x, rows_y, rows_w, rows_j = [], [], [], []
    for j in range(n_alpha):
        u = used[:, j]
        y = np.log(np.abs(gaps[u, j]))
        w = (np.abs(gaps[u, j]) / ses[u, j]) ** 2        # 1 / Var(log|gap|)
        if u.sum() >= 2:
            s, e = _wls_slope(lx[u], y, w) if u.sum() > 2 else (
                float((y[1] - y[0]) / (lx[u][1] - lx[u][0])),
                float(math.sqrt(1 / w[0] + 1 / w[1]) / abs(lx[u][1] - lx[u][0])))
        else:
            s, e = float("nan"), float("nan")
        slopes.append(s)
        slope_se.append(e)
        rows_x += list(lx[u]); rows_y += list(y); rows_w += list(w); rows_j += [j] * int(u.sum())
    rows_x, rows_y, rows_w, rows_j = map(np.asarray, (rows_x, rows_y, rows_w, rows_j))
    J = np.unique(rows_j)
    if rows_x.size < J.size + 1 or np.unique(rows_x).size < 2:
        nan = float("nan")
        return dict(used=used, slopes=np.array(slopes), slope_se=np.array(slope_se),
                    slope=nan, slope_err=nan, chi2_dof=nan)
    X = np.column_stack([(rows_j == j).astype(float) for j in J] + [rows_x])
    W = np.sqrt(rows_w)
    coef, *_ = np.linalg.lstsq(X * W[:, None], rows_y * W, rcond=None)
    cov = np.linalg.inv((X * rows_w[:, None]).T @ X)
    dof = len(rows_x) - X.shape[1]
    chi2 = float(np.sum(rows_w * (rows_y - X @ coef) ** 2) / dof) if dof > 0 else float("nan")
    err = math.sqrt(cov[-1, -1]) * (math.sqrt(chi2) if dof > 0 and chi2 > 1 else 1.0)
    return dict(used=used, slopes=np.array(slopes), slope_se=np.array(slope_se),
                slope=float(coef[-1]), slope_err=err, chi2_dof=chi2)
