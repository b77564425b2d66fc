"""One-step MAML with the exact second-order meta-gradient, batched with torch.func.

Losses (the paper's Eqs. 20-21 with a network f):
    inner   L_in(omega; x, y)  = 1/(2 n) sum_j (y_j - f(x_j, omega))^2
    adapted theta = omega - alpha * grad_omega L_in(omega; x_t, y_t)
    meta    L_meta(omega) = 1/m sum_i L_in(theta_i; x_v(i), y_v(i))

``torch.func.grad`` of a function that itself calls ``torch.func.grad`` differentiates
through the inner step (the create_graph semantics of autograd), so the meta-gradient
is the exact second-order one (Hessian-vector products included).  ``alpha`` is a
scalar per model (MAML) or a dict shaped like the parameters (Meta-SGD).

Batching: one *model* = one network (a run x alpha_t combination); parameters carry a
leading model axis and :func:`batched_step` is ``vmap`` over models of
``grad(meta_loss)``, with a ``vmap`` over the m tasks inside.  :func:`meta_grad_loop`
computes the same gradient with a per-task Python loop and ``torch.autograd.grad(...,
create_graph=True)`` (reference for the tests and the benchmark).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from .model import forward


def inner_loss(net, params, x, y):
    """Half mean squared error of the network on (x, y): the loss of Section 5.4."""
    r = forward(net, params, x) - y
    return 0.5 * (r * r).mean()


def _scale(alpha, name):
    return alpha[name] if isinstance(alpha, dict) else alpha


def adapt(net, params, alpha, x, y):
    """theta = omega - alpha * grad L_in (differentiable in omega and alpha)."""
    from torch.func import grad
    g = grad(lambda p: inner_loss(net, p, x, y))(params)
    return {k: v - _scale(alpha, k) * g[k] for k, v in params.items()}


def task_meta_loss(net, params, alpha, xt, yt, xv, yv):
    """One task's meta-loss: the validation loss after one inner step of rate alpha."""
    return inner_loss(net, adapt(net, params, alpha, xt, yt), xv, yv)


def meta_loss(net, params, alpha, xt, yt, xv, yv):
    """Mean over the leading task axis of (xt, yt, xv, yv) (one model)."""
    from torch.func import vmap
    per_task = vmap(lambda a, b, c, d: task_meta_loss(net, params, alpha, a, b, c, d))(xt, yt, xv, yv)
    return per_task.mean()


def batched_step(net, learn_alpha=False):
    """vmap over models of (grad, value) of meta_loss; returns f(params, alpha, xt, yt, xv, yv)
    -> (grads, loss) with grads = dparams or (dparams, dalpha)."""
    from torch.func import grad_and_value, vmap
    argnums = (0, 1) if learn_alpha else 0
    g = grad_and_value(lambda P, A, *d: meta_loss(net, P, A, *d), argnums=argnums)
    return vmap(g)


def batched_meta_loss(net):
    """:func:`meta_loss` vmapped over a leading model axis of params, alpha and data."""
    from torch.func import vmap
    return vmap(lambda P, A, *d: meta_loss(net, P, A, *d))


def meta_grad_loop(net, params, alpha, xt, yt, xv, yv):
    """Reference: one model, per-task Python loop, autograd with create_graph=True.
    params: unbatched dict; data with a leading task axis.  Returns (grads, loss)."""
    import torch
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    names = list(leaves)
    total = 0.0
    m = xt.shape[0]
    for i in range(m):
        lin = inner_loss(net, leaves, xt[i], yt[i])
        gs = torch.autograd.grad(lin, [leaves[k] for k in names], create_graph=True)
        theta = {k: leaves[k] - _scale(alpha, k) * g for k, g in zip(names, gs)}
        total = total + inner_loss(net, theta, xv[i], yv[i]) / m
    gs = torch.autograd.grad(total, [leaves[k] for k in names])
    return dict(zip(names, gs)), total.detach()


def evaluate_test_loss(net, params, alpha_r, xr, yr, xs, ys, chunk=8, kernel="auto"):
    """Mean test loss per model after one adaptation step with alpha_r (no outer graph).

    params batched (B models); data (B, T, n, p) / (B, T, n) or without the model axis
    (then shared by all models).  Returns (mean (B,), per-task losses (B, T)).
    ``kernel``: "lowrank" (:mod:`.lowrank`, scalar alpha_r only), "vmap" (torch.func),
    "auto" (lowrank where it applies)."""
    import torch
    from torch.func import vmap
    shared = xr.dim() == 3
    B = next(iter(params.values())).shape[0]
    T = xr.shape[0] if shared else xr.shape[1]
    if _use_lowrank(kernel, alpha_r):
        from . import lowrank
        A = torch.as_tensor(alpha_r, dtype=xr.dtype).expand(B)
        out = []
        with torch.no_grad():
            for s in range(0, T, chunk):
                sl = slice(s, s + chunk)
                d = [t[sl].expand(B, *t[sl].shape) for t in (xr, yr, xs, ys)] if shared \
                    else [t[:, sl] for t in (xr, yr, xs, ys)]
                out.append(lowrank.task_losses(params, A, *d))
        per = torch.cat(out, dim=1)
        return per.mean(1), per
    one = lambda P, A, a, b, c, d: task_meta_loss(net, P, A, a, b, c, d)
    over_tasks = vmap(one, in_dims=(None, None, 0, 0, 0, 0))
    dims = (0, 0) + ((None,) * 4 if shared else (0,) * 4)
    over_models = vmap(over_tasks, in_dims=dims)
    A = alpha_r if isinstance(alpha_r, dict) else torch.as_tensor(alpha_r, dtype=xr.dtype).expand(B)
    out = []
    with torch.no_grad():
        for s in range(0, T, chunk):
            sl = slice(s, s + chunk)
            d = [t[sl] for t in (xr, yr, xs, ys)] if shared else [t[:, sl] for t in (xr, yr, xs, ys)]
            out.append(over_models(params, A, *d))
    per = torch.cat(out, dim=1)
    return per.mean(1), per


def _use_lowrank(kernel, alpha):
    if kernel not in ("auto", "lowrank", "vmap"):
        raise ValueError(f"kernel must be 'auto', 'lowrank' or 'vmap', got {kernel!r}")
    scalar = not isinstance(alpha, dict)
    if kernel == "lowrank" and not scalar:
        raise ValueError("the low-rank kernel needs a scalar rate per model (per-parameter "
                         "rates make the inner update full rank): use kernel='vmap'")
    return kernel == "lowrank" or (kernel == "auto" and scalar)


@dataclass
class TrainLog:
    """What :func:`train` records: epochs run, convergence, timing, the training loss
    curve, which models diverged, their final meta-loss and whether Ctrl-C stopped it."""
    epochs: int = 0
    converged: bool = False
    seconds: float = 0.0
    train_loss: list = field(default_factory=list)     # (epoch, mean over models)
    diverged: list = field(default_factory=list)       # per model
    final_loss: list = field(default_factory=list)     # per model, training meta-loss at the last step
    interrupted: bool = False                          # stopped by Ctrl-C
    stopped_at: list = field(default_factory=list)     # per model, with stop="model": the epoch it froze (0: never)


def train(net, params, alpha, data, *, lr=1e-3, max_epochs=5000, check_every=50, rtol=1e-3,
          atol=1e-5, learn_alpha=False, fresh=None, log_every=None, progress=None, alpha_lr=None,
          kernel="auto", stop="batch"):
    """Outer-loop SGD on batched ``params`` (and ``alpha`` when ``learn_alpha``).

    Epoch: one SGD step on the meta-loss of the model's m training tasks (a full pass over
    the fixed training set; ``data`` = (xt, yt, xv, yv) with shape (B, m, ...)).  With
    ``fresh`` = a callable epoch -> data, every epoch draws new tasks instead (online).

    Convergence rule (the paper trains "until convergence", with no early stopping):
    every ``check_every`` epochs each live model's training meta-loss is compared with
    its value one check earlier; training stops when, for every model, the loss is below
    ``atol`` or fell by less than a relative ``rtol``, or at ``max_epochs``.  With
    ``fresh`` tasks the loss is a fresh sample each epoch, so the rule is off and
    ``max_epochs`` are run; ``rtol=atol=0`` also runs them all.  ``stop="model"`` applies
    the rule to each model on its own: a model that meets it is frozen (no further updates)
    and training ends when all are frozen, so a model's result does not depend on the
    models trained beside it (the distributed Fig. 5 study relies on this; ``"batch"``,
    the default, trains every model until all meet the rule).  ``alpha_lr``: the outer
    learning rate of learned inner rates (default ``lr``).  ``kernel``: see
    :func:`evaluate_test_loss` (the low-rank kernel needs a scalar rate per model and
    ``learn_alpha=False``).  Models whose loss becomes non-finite are frozen and flagged
    in ``log.diverged``.
    """
    import torch
    if learn_alpha or not _use_lowrank(kernel, alpha):
        step = batched_step(net, learn_alpha)
    else:
        from . import lowrank
        step = lowrank.step
    params = {k: v.clone() for k, v in params.items()}
    alpha = {k: v.clone() for k, v in alpha.items()} if isinstance(alpha, dict) else alpha.clone()
    if stop not in ("batch", "model"):
        raise ValueError(f"stop must be 'batch' or 'model', got {stop!r}")
    B = next(iter(params.values())).shape[0]
    alive = torch.ones(B, dtype=torch.bool)
    frozen = torch.zeros(B, dtype=torch.bool)
    stopped_at = torch.zeros(B, dtype=torch.long)
    prev = torch.full((B,), math.inf, dtype=torch.float64)
    check = fresh is None and (rtol > 0 or atol > 0)
    log = TrainLog()
    t0 = time.perf_counter()

    def mask(t):
        return (alive & ~frozen).view(-1, *([1] * (t.dim() - 1))).to(t.dtype)

    epoch, loss = 0, torch.full((B,), math.nan)
    try:
        for epoch in range(1, max_epochs + 1):
            d = fresh(epoch) if fresh is not None else data
            with torch.enable_grad():
                grads, loss = step(params, alpha, *d)
            if learn_alpha:
                gp, ga = grads
            else:
                gp, ga = grads, None
            ok = torch.isfinite(loss)
            for g in gp.values():
                ok &= torch.isfinite(g.flatten(1)).all(1)
            alive &= ok
            # whole-dict assignments, so an interrupt never leaves a half-updated model
            new_alpha = alpha if ga is None else {
                k: alpha[k] - (lr if alpha_lr is None else alpha_lr) * torch.nan_to_num(ga[k]) * mask(ga[k])
                for k in alpha}
            params, alpha = {k: params[k] - lr * torch.nan_to_num(gp[k]) * mask(gp[k])
                             for k in params}, new_alpha
            if log_every and epoch % log_every == 0:
                log.train_loss.append((epoch, float(loss[alive].mean()) if alive.any() else math.nan))
            if epoch % check_every == 0:
                cur = loss.detach().double()
                if progress:
                    progress(epoch, cur)
                if check:
                    done = (cur <= atol) | (torch.isfinite(prev) & (prev - cur <= rtol * prev)) | ~alive
                    prev = torch.where(alive, cur, prev)
                    if stop == "model":
                        stopped_at = torch.where(done & ~frozen & alive, epoch, stopped_at)
                        frozen |= done
                    if bool(done.all()):
                        log.converged = True
                        break
    except KeyboardInterrupt:      # keep what was trained; the caller still tests it
        log.interrupted = True
    log.epochs = epoch
    log.seconds = time.perf_counter() - t0
    log.diverged = (~alive).tolist()
    log.stopped_at = stopped_at.tolist()
    log.final_loss = loss.detach().double().tolist()
    return params, alpha, log
