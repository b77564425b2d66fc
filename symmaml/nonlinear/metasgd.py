"""Meta-SGD (Li et al. 2017): per-parameter inner learning rates learned by the outer loop.

The inner step is theta = omega - alpha o grad L_in(omega) with ``alpha`` a dict shaped
like the parameters; the outer loop runs SGD on (omega, alpha) jointly with the exact
second-order meta-gradient (:func:`symmaml.nonlinear.maml.train` with
``learn_alpha=True``).  :func:`rate_table` summarises the learned rates per layer in the
study's Table 1 format (mean, std, fraction negative).  :func:`run_metasgd` runs it on
the nonlinear problem of Fig. 5 (Section 5.4) or on mixed linear regression (Section 5.1),
against scalar MAML on the same runs.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, asdict

import numpy as np

from .model import Problem
from .sweep import build_batch, check_regime


def init_alpha(params, value: float):
    """alpha = value everywhere, shaped like (batched) params."""
    import torch
    return {k: torch.full_like(v, float(value)) for k, v in params.items()}


def rate_table(alpha, names=None):
    """Per parameter tensor ("layer"): mean, std, fraction negative, count; pooled over
    the model axis.  Returns a list of dicts (and an 'all' row)."""
    import torch
    rows = []
    names = names or list(alpha)
    flat_all = []
    for k in names:
        a = alpha[k].detach().double().flatten()
        flat_all.append(a)
        rows.append(_row(k, a))
    rows.append(_row("all", torch.cat(flat_all)))
    return rows


def _row(name, a):
    a = a[a.isfinite()]
    if a.numel() == 0:          # every model diverged
        return dict(layer=name, mean=math.nan, std=math.nan, frac_negative=math.nan, count=0,
                    min=math.nan, max=math.nan)
    return dict(layer=name, mean=float(a.mean()), std=float(a.std()) if a.numel() > 1 else 0.0,
                frac_negative=float((a < 0).double().mean()), count=int(a.numel()),
                min=float(a.min()), max=float(a.max()))


def format_table(rows) -> str:
    """:func:`rate_table` rows as fixed-width text (layer, mean, std, frac<0, count)."""
    out = [f"{'layer':<12}{'mean':>12}{'std':>12}{'frac<0':>9}{'count':>9}"]
    for r in rows:
        out.append(f"{r['layer']:<12}{r['mean']:>12.4g}{r['std']:>12.4g}{r['frac_negative']:>9.3f}{r['count']:>9d}")
    return "\n".join(out)


@dataclass
class MetaSGDResult:
    """Meta-SGD's learned rates (:func:`rate_table` rows) and test losses, against scalar
    MAML on the same runs: what :func:`run_metasgd` returns."""
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
        """A plain dict of the fields."""
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
    from .model import make_mlp
    check_regime(regime)
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
