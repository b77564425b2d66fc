"""Fig. 5 of the paper (Section 5.4): MAML test loss of a ReLU network vs alpha_t.

Protocol (stated, since the paper is terse):

* A *run* draws one network initialisation (weights N(0, 1/fan_in), biases 0) and one
  meta-training set of m = 3 tasks (n_t = 30 training + n_v = 2 validation points each),
  as in the linear theory, where m is the number of training tasks (``regime="fixed"``,
  the default).  ``regime="fresh"`` is the other reading of "SGD ... for 5000 epochs":
  every epoch draws m new tasks (online meta-training on the task distribution).
* An *epoch* is one full-batch SGD step (learning rate 0.001) on the meta-loss of the m
  training tasks with the exact second-order meta-gradient.  "Until convergence": with
  fixed tasks, training stops when every model's training meta-loss is below ``atol`` or
  fell by less than a relative ``rtol`` over ``check_every`` epochs (no early stopping on
  held-out tasks), or at ``max_epochs`` (paper: 5000).  Measured at the paper's sizes
  (two hidden layers of 400), the training meta-loss is below 1e-3 by epoch 200 and 1e-5
  by epoch 400, and the test loss no longer moves after epoch 200 (its change from epoch
  200 to 500 is under 0.001).  With fresh tasks all ``max_epochs`` run.
* Test: ``test_tasks`` new tasks (paper: 1000), each adapted with one step of
  alpha_r = 0.01 on n_r = 20 points and scored (1/2 mean squared error, noise included)
  on n_s = 50 new points.
* Common random numbers: within a run, every alpha_t shares the initialisation, the
  training tasks (fresh ones too) and the test tasks, so curves are compared run by run.
  All models (runs x alpha_t) train together as one batch (:mod:`.lowrank` kernel).
* The argmin's uncertainty: bootstrap over runs of the vertex of a quadratic fitted to
  the mean curve at the 5 grid points around its minimum (clipped to the grid); also the
  paired difference L(alpha*) - L(0) with its standard error over runs.

``quick=True`` (the default) uses fewer test tasks; ``quick=False`` the paper's sizes
(10 runs, 1000 test tasks, 5000 epochs cap).
"""
from __future__ import annotations

import io
import json
import math
import time
from dataclasses import dataclass, field, asdict

import numpy as np

from .model import Problem

QUICK = dict(runs=10, test_tasks=300, max_epochs=1000, check_every=50,
             alpha_t=tuple(np.round(np.linspace(-0.015, 0.015, 7), 4)))
FULL = dict(runs=10, test_tasks=1000, max_epochs=5000, check_every=50,
            alpha_t=tuple(np.round(np.linspace(-0.015, 0.015, 13), 4)))
REGIMES = ("fixed", "fresh")
PAPER_ARGMIN = -0.0075      # Section 5.4's reported best alpha_t (a claim to compare with, not an input)


@dataclass
class SweepResult:
    alpha_t: list
    mean: list
    stderr: list
    per_run: list                 # runs x alpha_t test losses
    untrained: list               # per run, test loss of the untrained network (alpha_r step)
    train_meta_loss: list         # runs x alpha_t final training meta-loss
    argmin: dict
    config: dict
    epochs: int
    converged: bool
    diverged: list                # runs x alpha_t
    seconds: float
    timings: dict = field(default_factory=dict)
    ntk: dict | None = None
    interrupted: bool = False     # Ctrl-C stopped training early; the test ran on what it had

    def asdict(self):
        return asdict(self)


def _check_regime(regime):
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")


def _seeds(seed, runs):
    ss = np.random.SeedSequence(seed)
    return ss.spawn(runs)


def _run_data(run_ss, net, prob, test_tasks, dtype, same_init_ss=None):
    from .model import generator, init_params, sample_tasks
    ss_init, ss_train, ss_fresh, ss_test = run_ss.spawn(4)
    g_init = generator(same_init_ss if same_init_ss is not None else ss_init)
    P = init_params(net, g_init, dtype=dtype)
    train = sample_tasks(generator(ss_train), (prob.m,), prob, dtype=dtype)
    test = sample_tasks(generator(ss_test), (test_tasks,), prob, sizes=("n_r", "n_s"), dtype=dtype)
    return P, train, test, ss_fresh


def build_batch(alpha_t, runs, seed, net, prob, test_tasks, dtype, same_init=False):
    """Stack runs x alphas models: params (R*A, ...), data expanded over alphas.

    Returns (params, alphas, train, test, new_stream): each ``new_stream()`` is a callable
    ``fresh(epoch)`` drawing m new training tasks per run (shared by the run's alphas),
    every run's stream starting again from its own beginning."""
    import torch
    from .model import generator, sample_tasks
    A = len(alpha_t)
    init_ss = np.random.SeedSequence([seed, 7]) if same_init else None
    per = [_run_data(s, net, prob, test_tasks, dtype, init_ss) for s in _seeds(seed, runs)]

    def stack(ts):
        t = torch.stack(ts)                          # (R, ...)
        return t.unsqueeze(1).expand(runs, A, *t.shape[1:]).reshape(runs * A, *t.shape[1:])
    params = {k: stack([p[0][k] for p in per]).clone() for k in per[0][0]}
    train = [stack([p[1][i] for p in per]) for i in range(4)]
    test = [stack([p[2][i] for p in per]) for i in range(4)]
    alphas = torch.tensor(list(alpha_t), dtype=dtype).repeat(runs)

    def new_stream():
        gens = [generator(p[3]) for p in per]

        def fresh(epoch):
            draws = [sample_tasks(g, (prob.m,), prob, dtype=dtype) for g in gens]
            return [stack([d[i] for d in draws]) for i in range(4)]
        return fresh
    return params, alphas, train, test, new_stream


def argmin_with_uncertainty(alpha, per_run, n_boot=2000, seed=0, window=5):
    """Argmin of the mean curve over runs: discrete, quadratic-vertex, bootstrap interval;
    and the paired differences L(alpha) - L(alpha nearest 0) with their standard errors
    over runs (runs share data across alphas, so these are much tighter than the means)."""
    a = np.asarray(alpha, float)
    L = np.asarray(per_run, float)
    L = L[np.isfinite(L).all(1)]
    rng = np.random.default_rng(seed)

    def vertex(curve):
        i = int(np.argmin(curve))
        lo = max(0, min(i - window // 2, len(a) - window))
        sl = slice(lo, lo + min(window, len(a)))
        c2, c1, _ = np.polyfit(a[sl], curve[sl], 2)
        if c2 <= 0:
            return float(a[i])
        return float(np.clip(-c1 / (2 * c2), a[0], a[-1]))
    mean = L.mean(0)
    i0 = int(np.argmin(mean))
    boots = np.array([vertex(L[rng.integers(0, len(L), len(L))].mean(0)) for _ in range(n_boot)])
    j0 = int(np.argmin(np.abs(a)))            # the grid point closest to alpha_t = 0
    diff = L[:, i0] - L[:, j0]
    nr = len(L)
    # paired (common random numbers) differences L(alpha) - L(0) per grid point
    dall = L - L[:, [j0]]
    pse = dall.std(0, ddof=1) / math.sqrt(nr) if nr > 1 else np.full(len(a), math.nan)
    return dict(grid_argmin=float(a[i0]), quadratic_argmin=vertex(mean),
                bootstrap_median=float(np.median(boots)),
                ci68=[float(np.quantile(boots, 0.16)), float(np.quantile(boots, 0.84))],
                ci95=[float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))],
                frac_boot_negative=float((boots < 0).mean()),
                grid_spacing=float(np.min(np.diff(a))) if len(a) > 1 else math.nan,
                loss_at_argmin_minus_at_zero=float(diff.mean()),
                loss_diff_stderr=float(diff.std(ddof=1) / math.sqrt(nr)) if nr > 1 else math.nan,
                reference_alpha_t=float(a[j0]), paired_diff=dall.mean(0).tolist(), paired_diff_stderr=pse.tolist(),
                runs_used=nr)


def pool_sweeps(results, alpha_t=None, seed=0) -> dict:
    """Pool the runs of several sweeps (e.g. different seeds) on their common alpha_t grid.

    Runs are independent across seeds, so the pooled per-run matrix is just their union;
    returns dict(alpha_t, per_run, mean, stderr, argmin, runs, sources).  Sweeps with
    different problems, networks or regimes are refused."""
    rs = [r if isinstance(r, dict) else r.asdict() for r in results]
    if not rs:
        raise ValueError("pool_sweeps needs at least one sweep")
    key = ("hidden", "regime", "p", "n_t", "n_v", "n_r", "m", "sigma", "nu", "target", "alpha_r", "lr")
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


def run_sweep(alpha_t_values=None, runs=None, seed=0, quick=True, *, hidden=(400, 400),
              test_tasks=None, max_epochs=None, check_every=None, rtol=1e-3, atol=1e-5,
              regime="fixed", alpha_r=0.01, lr=1e-3, prob: Problem | None = None, same_init=False,
              threads=None, dtype="float32", progress=None, test_chunk=25) -> SweepResult:
    """Train MAML for every (run, alpha_t) as one batch and test it (see module doc)."""
    import torch
    _check_regime(regime)
    cfg = dict(QUICK if quick else FULL)
    for k, v in dict(runs=runs, test_tasks=test_tasks, max_epochs=max_epochs,
                     check_every=check_every).items():
        if v is not None:
            cfg[k] = v
    for k in ("runs", "test_tasks", "max_epochs", "check_every"):
        if int(cfg[k]) < 1:
            raise ValueError(f"{k} must be a positive integer, got {cfg[k]!r}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be positive and finite, got {lr!r}")
    alpha_t = [float(a) for a in (alpha_t_values if alpha_t_values is not None else cfg["alpha_t"])]
    if not alpha_t or not all(math.isfinite(a) for a in alpha_t):
        raise ValueError(f"alpha_t values must be finite and at least one, got {alpha_t!r}")
    prob = prob or Problem()
    dt = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    bar = None
    if progress is True:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg["max_epochs"], unit="epoch", leave=False,
                   desc=f"MAML {cfg['runs']}x{len(alpha_t)} nets ({regime} tasks)")

        def progress(epoch, v, _seen=[0]):
            bar.update(epoch - _seen[0])
            _seen[0] = epoch
            bar.set_postfix(max_train_loss=f"{float(v.max()):.2g}")
    try:
        from .maml import evaluate_test_loss, train
        from .model import make_mlp
        from . import lowrank
        t0 = time.perf_counter()
        net = make_mlp(prob.p, tuple(hidden))
        R, A = cfg["runs"], len(alpha_t)
        params, alphas, tr, te, new_stream = build_batch(alpha_t, R, seed, net, prob, cfg["test_tasks"],
                                                         dt, same_init)
        t1 = time.perf_counter()
        # untrained: one model per run (alpha index 0)
        idx = torch.arange(R) * A
        u, _ = evaluate_test_loss(net, {k: v[idx] for k, v in params.items()}, alpha_r,
                                  *[t[idx] for t in te], chunk=test_chunk)
        t2 = time.perf_counter()
        params, _, log = train(net, params, alphas, tr, lr=lr, max_epochs=cfg["max_epochs"],
                               check_every=cfg["check_every"], rtol=rtol, atol=atol,
                               fresh=new_stream() if regime == "fresh" else None, progress=progress)
        t3 = time.perf_counter()
        with torch.no_grad():
            tml = lowrank.meta_loss(params, alphas, *tr)
        loss, _ = evaluate_test_loss(net, params, alpha_r, *te, chunk=test_chunk)
        t4 = time.perf_counter()
    finally:
        torch.set_num_threads(old_threads)
        if bar is not None:
            bar.close()
    per_run = loss.double().view(R, A).numpy()
    div = np.array(log.diverged).reshape(R, A)
    per_run[div] = np.nan
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(per_run, 0)
        se = np.nanstd(per_run, 0, ddof=1) / np.sqrt(np.isfinite(per_run).sum(0))
    ok_cols = np.isfinite(per_run).all(0)
    am = argmin_with_uncertainty(np.array(alpha_t)[ok_cols], per_run[:, ok_cols], seed=seed) \
        if ok_cols.sum() >= 3 and R >= 2 else {}
    epoch_text = {"fixed": "one full-batch SGD step on the meta-loss of the run's m fixed training tasks",
                  "fresh": "one SGD step on the meta-loss of m newly drawn training tasks"}[regime]
    config = dict(prob.asdict(), hidden=list(hidden), alpha_r=alpha_r, lr=lr, rtol=rtol, atol=atol,
                  seed=seed, quick=quick, regime=regime, same_init=same_init, dtype=str(dt),
                  threads=torch.get_num_threads() if not threads else threads,
                  epoch=epoch_text, init="weights N(0, 1/fan_in), biases 0",
                  **{k: v for k, v in cfg.items() if k != "alpha_t"})
    return SweepResult(alpha_t=alpha_t, mean=mean.tolist(), stderr=se.tolist(), per_run=per_run.tolist(),
                       untrained=u.double().tolist(),
                       train_meta_loss=tml.double().view(R, A).tolist(), argmin=am, config=config,
                       epochs=log.epochs, converged=log.converged, diverged=div.tolist(),
                       seconds=time.perf_counter() - t0, interrupted=log.interrupted,
                       timings=dict(setup=t1 - t0, untrained_test=t2 - t1, train=t3 - t2, test=t4 - t3))


def _clean(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, np.generic):
        return _clean(o.item())
    return o


def to_json(result, indent=2) -> str:
    """JSON text of a SweepResult (or any dataclass / dict of results); NaN -> null."""
    d = result.asdict() if hasattr(result, "asdict") else (asdict(result) if hasattr(result, "__dataclass_fields__") else result)
    return json.dumps(_clean(d), indent=indent)


def draw_figure5(result, out_dir, name="figure5_nonlinear", formats=("png", "pdf")):
    """Fig. 5: mean test loss +- standard error vs alpha_t, argmin and its bootstrap 68%
    interval; with ``result.ntk`` a second panel compares Theorem 3 on tangent features.
    Writes atomically; returns the paths."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from ..io import atomic_write_bytes
    from pathlib import Path
    r = result if isinstance(result, dict) else result.asdict()
    ntk = r.get("ntk")
    am = r.get("argmin") or {}
    paired = am.get("paired_diff") is not None and len(am["paired_diff"]) == len(r["alpha_t"])
    fig, axes = plt.subplots(2 if paired else 1, 2 if ntk else 1, figsize=(9.5 if ntk else 5, 5 if paired else 3.6),
                             squeeze=False, sharex="col",
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
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=150)
        paths.append(atomic_write_bytes(Path(out_dir) / f"{name}.{fmt}", buf.getvalue()))
    plt.close(fig)
    return paths


# --------------------------------------------------------------------------- Meta-SGD
@dataclass
class MetaSGDResult:
    problem: str
    regime: str
    table: list                   # rate_table rows (per layer: mean, std, frac_negative, ...)
    test_learned: list            # per run: test loss adapting with the learned per-parameter rates
    test_scalar_alpha_r: list     # per run: test loss adapting with the scalar alpha_r
    maml_alpha_t: list            # the scalar MAML grid on the same runs
    maml_per_run: list            # runs x grid
    maml_best_alpha_t: float
    maml_best: list               # per run, at the best grid alpha_t (best by mean)
    alpha0: float
    config: dict
    seconds: float

    def asdict(self):
        return asdict(self)

    def summary(self) -> dict:
        """(mean, s.e.) over the runs whose Meta-SGD model did not diverge."""
        ok = np.isfinite(self.test_learned) & np.isfinite(self.maml_best)

        def f(v):
            v = np.asarray(v, float)[ok]
            if len(v) == 0:
                return (math.nan, math.nan)
            return (float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else math.nan)
        return dict(metasgd_learned_rates=f(self.test_learned), metasgd_scalar_alpha_r=f(self.test_scalar_alpha_r),
                    maml_best_scalar=f(self.maml_best), maml_best_alpha_t=self.maml_best_alpha_t,
                    metasgd_minus_maml=f(np.array(self.test_learned) - np.array(self.maml_best)),
                    runs_used=int(ok.sum()), runs_diverged=int((~ok).sum()))


def run_metasgd(problem="nonlinear", runs=None, seed=0, quick=True, *, regime="fixed", alpha0=None,
                hidden=(400, 400), maml_alpha_t=None, test_tasks=None, max_epochs=None, lr=1e-3,
                alpha_r=None, threads=None, dtype="float32", test_chunk=25, alpha_lr=None) -> MetaSGDResult:
    """Meta-SGD (per-parameter inner rates learned jointly with omega, initialised at
    ``alpha0``) on the nonlinear problem of Fig. 5 or on mixed linear regression (linear
    model theta = omega, omega0 = w0 = 0, Section 5.1; alpha_r = 0.2 as in Fig. 2).

    regime "fixed": the same protocol as MAML (m = 3 training tasks per run, an epoch = one
    full-batch step); "fresh": every epoch draws m new tasks (online Meta-SGD).  The test
    loss is reported adapting with the learned rates and with the scalar alpha_r, against
    scalar MAML on the same runs (same initialisation, training and test tasks) over
    ``maml_alpha_t``.
    """
    import torch
    from .maml import evaluate_test_loss, train
    from .metasgd import init_alpha, rate_table
    from .model import make_mlp
    _check_regime(regime)
    t0 = time.perf_counter()
    linear = problem == "linear"
    prob = Problem(target="linear") if linear else Problem()
    alpha_r = alpha_r if alpha_r is not None else (0.2 if linear else 0.01)
    alpha0 = alpha0 if alpha0 is not None else alpha_r
    if maml_alpha_t is None:
        maml_alpha_t = (-1.5, -1.0, -0.5, 0.0, 0.2) if linear else (-0.015, -0.01, -0.005, 0.0, 0.005)
    runs = runs or (4 if quick else 10)
    test_tasks = test_tasks or (300 if quick else 1000)
    max_epochs = max_epochs or ((400 if not linear else 1500) if quick else 5000)
    dt = getattr(torch, dtype)
    old = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        net = make_mlp(prob.p, () if linear else tuple(hidden), bias=not linear)
        grid = [float(alpha0)] + [float(a) for a in maml_alpha_t]
        params, alphas, tr, te, new_stream = build_batch(grid, runs, seed, net, prob, test_tasks, dt)
        if linear:
            params = {k: torch.zeros_like(v) for k, v in params.items()}
        G = len(grid)
        sel = torch.arange(runs) * G
        # scalar MAML on the grid (columns 1..) and Meta-SGD (column 0 of each run)
        pm, _, logm = train(net, params, alphas, tr, lr=lr, max_epochs=max_epochs, check_every=50,
                            fresh=new_stream() if regime == "fresh" else None)
        lm, _ = evaluate_test_loss(net, pm, alpha_r, *te, chunk=test_chunk)
        lm = lm.double().view(runs, G)[:, 1:].numpy()
        P0 = {k: v[sel] for k, v in params.items()}
        A0 = init_alpha(P0, alpha0)
        tr0, te0 = ([t[sel] for t in d] for d in (tr, te))
        fresh0 = None
        if regime == "fresh":   # the same per-run task stream as the MAML models saw
            fresh = new_stream()
            fresh0 = lambda e: [t[sel] for t in fresh(e)]  # noqa: E731
        ps, al, logs = train(net, P0, A0, tr0, lr=lr, max_epochs=max_epochs, check_every=50,
                             learn_alpha=True, fresh=fresh0, alpha_lr=alpha_lr)
        ll, _ = evaluate_test_loss(net, ps, al, *te0, chunk=test_chunk)
        ls, _ = evaluate_test_loss(net, ps, alpha_r, *te0, chunk=test_chunk)
    finally:
        torch.set_num_threads(old)
    best = int(np.nanargmin(np.nanmean(lm, 0)))
    # diverged models (non-finite loss: their rates blew up) are left out of the rate table
    ok = ~torch.tensor(logs.diverged, dtype=torch.bool)
    table = rate_table({k: v[ok] for k, v in al.items()}, list(al))
    nan = torch.tensor(math.nan, dtype=torch.float64)
    ll, ls = (torch.where(ok, t.double(), nan) for t in (ll, ls))
    return MetaSGDResult(problem=problem, regime=regime, table=table,
                         test_learned=ll.double().tolist(), test_scalar_alpha_r=ls.double().tolist(),
                         maml_alpha_t=list(grid[1:]), maml_per_run=lm.tolist(),
                         maml_best_alpha_t=float(grid[1:][best]), maml_best=lm[:, best].tolist(),
                         alpha0=float(alpha0),
                         config=dict(prob.asdict(), hidden=[] if linear else list(hidden), runs=runs,
                                     test_tasks=test_tasks, max_epochs=max_epochs, lr=lr, alpha_r=alpha_r,
                                     alpha_lr=lr if alpha_lr is None else alpha_lr, regime=regime,
                                     seed=seed, epochs_metasgd=logs.epochs, epochs_maml=logm.epochs,
                                     diverged_metasgd=sum(logs.diverged), diverged_maml=sum(logm.diverged)),
                         seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------- NTK check
def run_ntk_check(alpha_t_values=None, runs=None, seed=0, quick=True, *, width=50, alpha_r=0.01,
                  n_x=None, n_tasks=2000, theory_points=61, sweep=True, **sweep_kw) -> dict:
    """Theorem 3 evaluated on the tangent features of a one-hidden-layer ReLU network of
    ``width`` at its initialisation, against MAML trained from that same initialisation
    (``same_init=True``: runs differ in training/test tasks only) over alpha_t."""
    import torch
    from .model import generator, init_params, make_mlp
    from .ntk import ntk_matrices, theorem3_curve
    t0 = time.perf_counter()
    prob = Problem()
    net = make_mlp(prob.p, (width,))
    p0 = init_params(net, generator(np.random.SeedSequence([seed, 7])), dtype=torch.float32)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        mats = ntk_matrices(net, p0, prob, n_x=n_x, n_tasks=n_tasks, seed=seed)
    finally:
        torch.set_num_threads(old)
    ev = np.linalg.eigvalsh(mats.Sigma)
    if alpha_t_values is None:      # for width 50: Tr Sigma ~ 65, top eigenvalue ~ 10
        alpha_t_values = (-0.1, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2)
    a = np.asarray(alpha_t_values, float)
    fine = np.linspace(a.min(), a.max(), theory_points)
    both = theorem3_curve(mats, np.concatenate([fine, a]), alpha_r, prob)
    bothc = theorem3_curve(mats, np.concatenate([fine, a]), alpha_r, prob, centered=True)
    th_fine, th = both[:len(fine)], both[len(fine):]
    thc_fine, thc = bothc[:len(fine)], bothc[len(fine):]
    out = dict(hidden=[width], alpha_t=a.tolist(), theory=th.tolist(), theory_fine_alpha=fine.tolist(),
               theory_fine=th_fine.tolist(), theory_argmin=float(fine[np.argmin(th_fine)]),
               theory_centered=thc.tolist(), theory_centered_fine=thc_fine.tolist(),
               theory_centered_argmin=float(fine[np.argmin(thc_fine)]),
               sigma_eff=mats.sigma_eff, residual_var=mats.residual_var, explained_var=mats.explained_var,
               P=mats.P, n_x=mats.n_x, n_tasks=mats.n_tasks, trace_Sigma=float(ev.sum()),
               top_eig_Sigma=float(ev[-1]), network_mean=None, network_stderr=None)
    if sweep:
        r = run_sweep(list(a), runs=runs, seed=seed, quick=quick, hidden=(width,), alpha_r=alpha_r,
                      same_init=True, **sweep_kw)
        out.update(network_mean=r.mean, network_stderr=r.stderr, network_argmin=r.argmin,
                   network_untrained=float(np.mean(r.untrained)), network_epochs=r.epochs)
    out["seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------- CLI helper
def run_cli(quick=True, seed=0, out_dir=None, ntk=False, metasgd=False, progress=None,
            regime="fixed", runs=None, max_epochs=None, hidden=(400, 400), alpha_lr=None) -> dict:
    """What ``symmaml nonlinear [--quick] [--json] [--out DIR]`` and ``symmaml figures
    --nonlinear`` run: the Fig. 5 sweep (+ optionally the NTK check and Meta-SGD); with
    ``out_dir`` writes ``nonlinear.json`` and ``figure5_nonlinear.{png,pdf}`` atomically.
    Returns a JSON-ready dict."""
    from pathlib import Path
    from ..io import atomic_write_text
    res = run_sweep(seed=seed, quick=quick, progress=progress, regime=regime, runs=runs,
                    max_epochs=max_epochs, hidden=tuple(hidden))
    if ntk:
        res.ntk = run_ntk_check(seed=seed, quick=quick)
    out = dict(sweep=res.asdict())
    if metasgd:
        out["metasgd"] = {f"{prob}_{reg}": (lambda r: dict(r.asdict(), summary=r.summary()))(
            run_metasgd(prob, seed=seed, quick=quick, regime=reg, hidden=tuple(hidden), alpha_lr=alpha_lr))
            for prob in ("linear", "nonlinear") for reg in ("fixed", "fresh")}
    if out_dir is not None:
        atomic_write_text(Path(out_dir) / "nonlinear.json", to_json(out))
        out["figures"] = [str(p) for p in draw_figure5(res, out_dir)]
    return out


def summary_text(res) -> str:
    """A few human-readable lines about a SweepResult."""
    r = res if isinstance(res, dict) else res.asdict()
    am = r.get("argmin") or {}
    c = r["config"]
    lines = [f"MAML on y = (w^T x + b)^2 + z, ReLU net {tuple(c['hidden'])}, {c['runs']} runs x "
             f"{c['test_tasks']} test tasks, {c.get('regime', 'fixed')} training tasks, {r['epochs']} epochs"
             + (" (converged)" if r.get("converged") else "") + (" (INTERRUPTED)" if r.get("interrupted") else "")]
    pd = am.get("paired_diff")
    for i, (a, m, s) in enumerate(zip(r["alpha_t"], r["mean"], r["stderr"])):
        extra = ""
        if pd is not None and len(pd) == len(r["alpha_t"]):
            extra = f"   minus L({am['reference_alpha_t']:+g}), paired: {pd[i]:+.4f} +- {am['paired_diff_stderr'][i]:.4f}"
        lines.append(f"  alpha_t = {a:+.4f}: test loss {m:.4f} +- {s:.4f}{extra}")
    if r.get("untrained"):
        u = np.asarray(r["untrained"], float)
        lines.append(f"  untrained network (alpha_r step only): {u.mean():.4f} +- {u.std(ddof=1) / np.sqrt(len(u)) if len(u) > 1 else math.nan:.4f}")
    if am:
        lines.append(f"argmin alpha_t ~ {am['quadratic_argmin']:+.4f} (bootstrap 68% {am['ci68'][0]:+.4f}..{am['ci68'][1]:+.4f}, "
                     f"95% {am['ci95'][0]:+.4f}..{am['ci95'][1]:+.4f}; P(boot < 0) = {am['frac_boot_negative']:.2f}); "
                     f"L(argmin) - L(0) = {am['loss_at_argmin_minus_at_zero']:+.4f} +- {am['loss_diff_stderr']:.4f}")
    return "\n".join(lines)
