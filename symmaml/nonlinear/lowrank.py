"""Fast one-step MAML for ReLU MLPs: the adapted network is never formed.

For a dense layer z_l = W_l a_{l-1} + b_l, the inner gradient on n points is a sum of n
outer products, dL_in/dW_l = sum_j d_lj a_{l-1,j}^T, dL_in/db_l = sum_j d_lj, where the
back-propagated errors are d_L,j = (f(x_j) - y_j)/n at the output and
d_l,j = (W_{l+1}^T d_{l+1,j}) o 1[z_l,j > 0] below.  The adapted layer therefore acts on a
validation activation a' as

    W_l' a' + b_l' = W_l a' + b_l - alpha sum_j d_lj (a_{l-1,j} . a' + 1),

a rank-n correction: one (n_v x n) Gram product per layer instead of an out x in matrix
per task.  Everything here is ordinary differentiable tensor algebra (the back-propagation
of the inner step is written out, not taken from autograd), so ``torch.autograd`` of the
meta-loss through it is the exact second-order meta-gradient, as with
:mod:`symmaml.nonlinear.maml` (the reference these functions are tested against).

Shapes: B models (a run x alpha_t each) share nothing; each carries m tasks.
Weights (B, out, in), biases (B, out); xt (B, m, n_t, p), yt (B, m, n_t); the same for the
validation points.  ``alpha`` is a scalar per model (B,) (MAML) or, for Meta-SGD with one
rate per *layer*, a list of (B,) per layer.  Per-parameter rates (full Meta-SGD) make the
update full rank: use :mod:`symmaml.nonlinear.maml` for those.
"""
from __future__ import annotations


def layers_of(params):
    """[(W, b or None), ...] in order from a params dict of an :func:`make_mlp` network."""
    names = list(params)
    out, i = [], 0
    while i < len(names):
        w = names[i]
        if not w.endswith("weight"):
            raise ValueError(f"expected a weight tensor, got {w!r}")
        b = names[i + 1] if i + 1 < len(names) and names[i + 1].endswith("bias") \
            and names[i + 1].rsplit(".", 1)[0] == w.rsplit(".", 1)[0] else None
        out.append((w, b))
        i += 2 if b else 1
    return out


def _rates(alpha, L):
    return list(alpha) if isinstance(alpha, (list, tuple)) else [alpha] * L


def _bcast(a, like):
    """(B,) rate -> broadcastable against (B, m, n, h)."""
    return a.reshape(a.shape[0], *([1] * (like.dim() - 1)))


def task_losses(params, alpha, xt, yt, xv, yv):
    """Per-model, per-task loss after one inner step: (B, m).

    Inner loss 1/(2 n_t) sum (f - y)^2 on (xt, yt); step theta = omega - alpha grad;
    returns 1/(2 n_v) sum (f_theta - y)^2 on (xv, yv) (Eqs. 20-21 with a network)."""
    import torch
    lay = layers_of(params)
    L = len(lay)
    rates = _rates(alpha, L)
    B = xt.shape[0]
    W = [params[w] for w, _ in lay]
    b = [params[bb] if bb else None for _, bb in lay]
    # forward on the training points, keeping activations and ReLU masks
    acts, masks = [xt], []
    a = xt
    for l in range(L):
        z = torch.einsum("bmni,boi->bmno", a, W[l])
        if b[l] is not None:
            z = z + b[l].reshape(B, 1, 1, -1)
        if l < L - 1:
            mk = (z > 0).to(z.dtype)
            masks.append(mk)
            a = z * mk
            acts.append(a)
        else:
            f = z.squeeze(-1)
    n = xt.shape[2]
    d = ((f - yt) / n).unsqueeze(-1)                      # (B, m, n, 1)
    deltas = [None] * L
    deltas[L - 1] = d
    for l in range(L - 2, -1, -1):
        d = torch.einsum("bmno,boi->bmni", d, W[l + 1]) * masks[l]
        deltas[l] = d
    # adapted forward on the validation points with the rank-n corrections
    a = xv
    for l in range(L):
        z = torch.einsum("bmvi,boi->bmvo", a, W[l])
        gram = torch.einsum("bmvi,bmni->bmvn", a, acts[l])
        if b[l] is not None:
            z = z + b[l].reshape(B, 1, 1, -1)
            gram = gram + 1.0
        z = z - _bcast(rates[l], z) * torch.einsum("bmvn,bmno->bmvo", gram, deltas[l])
        a = torch.relu(z) if l < L - 1 else z
    r = a.squeeze(-1) - yv
    return 0.5 * (r * r).mean(-1)


def meta_loss(params, alpha, xt, yt, xv, yv):
    """(B,) mean over the m tasks of :func:`task_losses`."""
    return task_losses(params, alpha, xt, yt, xv, yv).mean(-1)


def step(params, alpha, xt, yt, xv, yv, learn_alpha=False):
    """(grads, loss) as :func:`symmaml.nonlinear.maml.batched_step` returns them: exact
    second-order meta-gradients per model (models are independent, so the gradient of
    the sum over models is the per-model gradient).  With ``learn_alpha`` the per-layer
    rates' gradients come back too: ((dparams, dalpha), loss)."""
    import torch
    leaves = {k: v.detach().requires_grad_(True) for k, v in params.items()}
    if learn_alpha:
        al = [a.detach().requires_grad_(True) for a in _rates(alpha, len(layers_of(params)))]
    else:
        al = alpha
    with torch.enable_grad():
        loss = meta_loss(leaves, al, xt, yt, xv, yv)
        wrt = list(leaves.values()) + (al if learn_alpha else [])
        gs = torch.autograd.grad(loss.sum(), wrt)
    gp = dict(zip(leaves, gs[:len(leaves)]))
    return ((gp, list(gs[len(leaves):])) if learn_alpha else gp), loss.detach()
