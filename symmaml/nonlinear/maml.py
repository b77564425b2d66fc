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


def evaluate_test_loss(net, params, alpha_r, xr, yr, xs, ys, chunk=8):
    """Mean test loss per model after one adaptation step with alpha_r (no outer graph).

    params batched (B models); data (B, T, n, p) / (B, T, n) or without the model axis
    (then shared by all models).  Returns (mean (B,), per-task losses (B, T))."""
    import torch
    from torch.func import vmap
    shared = xr.dim() == 3
    B = next(iter(params.values())).shape[0]
    T = xr.shape[0] if shared else xr.shape[1]
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


@dataclass
class TrainLog:
    epochs: int = 0
    converged: bool = False
    seconds: float = 0.0
    train_loss: list = field(default_factory=list)     # (epoch, mean over models)
    val_loss: list = field(default_factory=list)       # (epoch, [per model])
    diverged: list = field(default_factory=list)       # per model


def train(net, params, alpha, data, *, lr=1e-3, max_epochs=5000, val_data=None,
          check_every=100, patience=3, rtol=1e-3, learn_alpha=False, fresh=None,
          log_every=None, progress=None, alpha_lr=None):
    """Outer-loop SGD on batched ``params`` (and ``alpha`` when ``learn_alpha``).

    Epoch: one SGD step on the meta-loss of the model's m training tasks (a full pass over
    the fixed training set; ``data`` = (xt, yt, xv, yv) with shape (B, m, ...)).  With
    ``fresh`` = a callable epoch -> data, every epoch draws new tasks instead (online).

    Convergence rule: every ``check_every`` epochs the meta-loss on held-out tasks
    ``val_data`` (same shapes, B models) is computed; training stops when, for
    ``patience`` consecutive checks, no model's validation meta-loss improved by more
    than ``rtol`` (relative) on its best so far, or at ``max_epochs``.  ``alpha_lr``: the
    outer learning rate of learned inner rates (default ``lr``).  The final (not the
    best) parameters are returned.  Models whose loss becomes non-finite are frozen and
    flagged in ``log.diverged``.
    """
    import torch
    step = batched_step(net, learn_alpha)
    vloss = batched_meta_loss(net)
    params = {k: v.clone() for k, v in params.items()}
    alpha = {k: v.clone() for k, v in alpha.items()} if isinstance(alpha, dict) else alpha.clone()
    B = next(iter(params.values())).shape[0]
    alive = torch.ones(B, dtype=torch.bool)
    best = torch.full((B,), math.inf, dtype=torch.float64)
    stale = 0
    log = TrainLog()
    t0 = time.perf_counter()

    def mask(t):
        return alive.view(-1, *([1] * (t.dim() - 1))).to(t.dtype)

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
        for k in params:
            params[k] = params[k] - lr * torch.nan_to_num(gp[k]) * mask(gp[k])
        if ga is not None:
            for k in alpha:
                alpha[k] = alpha[k] - (lr if alpha_lr is None else alpha_lr) * torch.nan_to_num(ga[k]) * mask(ga[k])
        if log_every and epoch % log_every == 0:
            log.train_loss.append((epoch, float(loss[alive].mean()) if alive.any() else math.nan))
        if val_data is not None and epoch % check_every == 0:
            with torch.no_grad():
                v = vloss(params, alpha, *val_data).double()
            log.val_loss.append((epoch, v.tolist()))
            v = torch.where(alive, v, torch.zeros_like(v))
            improved = (v < best * (1 - rtol)) & alive
            best = torch.minimum(best, torch.where(alive, v, best))
            stale = 0 if improved.any() else stale + 1
            if progress:
                progress(epoch, v)
            if stale >= patience:
                log.converged = True
                break
    log.epochs = epoch
    log.seconds = time.perf_counter() - t0
    log.diverged = (~alive).tolist()
    return params, alpha, log
