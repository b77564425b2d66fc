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

The statistics live in :mod:`.stats`, the figure in :mod:`symmaml.experiments.nonlinear_figure`.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, asdict

import numpy as np

from ..io import json_ready
from .model import Problem
from .stats import argmin_with_uncertainty

__all__ = ["QUICK", "FULL", "REGIMES", "PAPER_ARGMIN", "SweepResult", "check_regime", "build_batch",
           "run_sweep", "summarise_runs", "to_json", "summary_text"]

QUICK = dict(runs=10, test_tasks=300, max_epochs=1000, check_every=50,
             alpha_t=tuple(np.round(np.linspace(-0.015, 0.015, 7), 4)))
FULL = dict(runs=10, test_tasks=1000, max_epochs=5000, check_every=50,
            alpha_t=tuple(np.round(np.linspace(-0.015, 0.015, 13), 4)))
REGIMES = ("fixed", "fresh")
PAPER_ARGMIN = -0.0075      # Section 5.4's reported best alpha_t (a claim to compare with, not an input)


@dataclass
class SweepResult:
    """One Fig. 5 sweep (Section 5.4): test losses per run and alpha_t, their mean and s.e.
    over runs, the argmin statistics (:func:`.stats.argmin_with_uncertainty`; empty with
    fewer than 2 runs or 3 usable grid points), the configuration and the training log."""
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
        """A plain dict of the fields (JSON-ready up to NaN: see :func:`to_json`)."""
        return asdict(self)


def check_regime(regime):
    """Raise ``ValueError`` unless ``regime`` is one of :data:`REGIMES` ("fixed" or "fresh")."""
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")


def _seeds(seed, runs, first_run=0):
    """One child SeedSequence per run: runs ``first_run .. first_run + runs - 1`` of
    ``SeedSequence(seed).spawn(...)`` (run i is ``SeedSequence(seed, spawn_key=(i,))``,
    whatever block it is drawn in)."""
    ss = np.random.SeedSequence(seed, n_children_spawned=int(first_run))
    return ss.spawn(runs)


def _run_data(run_ss, net, prob, test_tasks, dtype, same_init_ss=None):
    """A run's initialisation, training tasks, test tasks and fresh-task seed."""
    from .model import generator, init_params, sample_tasks
    ss_init, ss_train, ss_fresh, ss_test = run_ss.spawn(4)
    g_init = generator(same_init_ss if same_init_ss is not None else ss_init)
    P = init_params(net, g_init, dtype=dtype)
    train = sample_tasks(generator(ss_train), (prob.m,), prob, dtype=dtype)
    test = sample_tasks(generator(ss_test), (test_tasks,), prob, sizes=("n_r", "n_s"), dtype=dtype)
    return P, train, test, ss_fresh


def build_batch(alpha_t, runs, seed, net, prob, test_tasks, dtype, same_init=False, first_run=0):
    """Stack runs x alphas models: params (R*A, ...), data expanded over alphas.
    ``first_run``: the batch holds runs ``first_run ..`` of the seed (a block of a larger
    study: its runs are the same whatever the blocks).

    Returns (params, alphas, train, test, new_stream): each ``new_stream()`` is a callable
    ``fresh(epoch)`` drawing m new training tasks per run (shared by the run's alphas),
    every run's stream starting again from its own beginning."""
    import torch
    from .model import generator, sample_tasks
    A = len(alpha_t)
    init_ss = np.random.SeedSequence([seed, 7]) if same_init else None
    per = [_run_data(s, net, prob, test_tasks, dtype, init_ss) for s in _seeds(seed, runs, first_run)]

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


def run_sweep(alpha_t_values=None, runs=None, seed=0, quick=True, *, hidden=(400, 400),
              test_tasks=None, max_epochs=None, check_every=None, rtol=1e-3, atol=1e-5,
              regime="fixed", alpha_r=0.01, lr=1e-3, prob: Problem | None = None, same_init=False,
              threads=None, dtype="float32", progress=None, test_chunk=25, first_run=0,
              stop="batch") -> SweepResult:
    """Train MAML for every (run, alpha_t) as one batch and test it: Fig. 5 (Section 5.4).

    The protocol is the module doc's; ``quick`` picks :data:`QUICK` or :data:`FULL` sizes,
    which ``runs``, ``test_tasks``, ``max_epochs`` and ``check_every`` override.
    ``first_run``: train runs ``first_run .. first_run + runs - 1`` of the seed;
    ``stop="model"``: the convergence rule per model (:func:`.maml.train`), so that a block of
    runs x alpha_t gives each model the result it has in any other block.
    ``progress=True`` draws a tqdm bar; a callable ``progress(epoch, losses)`` is called at
    every check.  Ctrl-C during training tests what has been trained (``interrupted``)."""
    import torch
    check_regime(regime)
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
                                                         dt, same_init, first_run)
        t1 = time.perf_counter()
        # untrained: one model per run (alpha index 0); a batch of one model would take
        # torch's other kernel (other last bits), so a single run is evaluated twice over
        idx = torch.arange(R) * A if R > 1 else torch.zeros(2, dtype=torch.long)
        u, _ = evaluate_test_loss(net, {k: v[idx] for k, v in params.items()}, alpha_r,
                                  *[t[idx] for t in te], chunk=test_chunk)
        u = u[:R]
        t2 = time.perf_counter()
        params, _, log = train(net, params, alphas, tr, lr=lr, max_epochs=cfg["max_epochs"],
                               check_every=cfg["check_every"], rtol=rtol, atol=atol,
                               fresh=new_stream() if regime == "fresh" else None, progress=progress,
                               stop=stop)
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
    per_run, mean, se, am = summarise_runs(alpha_t, per_run, div, seed)
    epoch_text = {"fixed": "one full-batch SGD step on the meta-loss of the run's m fixed training tasks",
                  "fresh": "one SGD step on the meta-loss of m newly drawn training tasks"}[regime]
    config = dict(prob.asdict(), hidden=list(hidden), alpha_r=alpha_r, lr=lr, rtol=rtol, atol=atol,
                  seed=seed, quick=quick, regime=regime, same_init=same_init, dtype=str(dt),
                  first_run=first_run, stop=stop,
                  threads=torch.get_num_threads() if not threads else threads,
                  epoch=epoch_text, init="weights N(0, 1/fan_in), biases 0",
                  **{k: v for k, v in cfg.items() if k != "alpha_t"})
    return SweepResult(alpha_t=alpha_t, mean=mean.tolist(), stderr=se.tolist(), per_run=per_run.tolist(),
                       untrained=u.double().tolist(),
                       train_meta_loss=tml.double().view(R, A).tolist(), argmin=am, config=config,
                       epochs=log.epochs, converged=log.converged, diverged=div.tolist(),
                       seconds=time.perf_counter() - t0, interrupted=log.interrupted,
                       timings=dict(setup=t1 - t0, untrained_test=t2 - t1, train=t3 - t2, test=t4 - t3))


def summarise_runs(alpha_t, per_run, diverged, seed):
    """(per_run with diverged models as NaN, mean, s.e. over runs, argmin statistics) of a
    runs x alpha_t matrix: what a sweep reports, however its runs were trained."""
    import warnings
    per_run = np.array(per_run, dtype=float)
    per_run[np.asarray(diverged, dtype=bool)] = np.nan
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # one run: no s.e. (NaN)
        mean = np.nanmean(per_run, 0)
        se = np.nanstd(per_run, 0, ddof=1) / np.sqrt(np.isfinite(per_run).sum(0))
    ok_cols = np.isfinite(per_run).all(0)
    am = argmin_with_uncertainty(np.array(alpha_t)[ok_cols], per_run[:, ok_cols], seed=seed) \
        if ok_cols.sum() >= 3 and len(per_run) >= 2 else {}
    return per_run, mean, se, am


def to_json(result, indent=2) -> str:
    """JSON text of a SweepResult (or any dataclass / dict of results); NaN -> null."""
    d = result.asdict() if hasattr(result, "asdict") else (asdict(result) if hasattr(result, "__dataclass_fields__") else result)
    return json.dumps(json_ready(d), indent=indent)



def summary_text(res) -> str:
    """A few human-readable lines about a :class:`SweepResult` (or its ``asdict()``): the
    Fig. 5 curve with paired differences, the untrained network and the argmin."""
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
