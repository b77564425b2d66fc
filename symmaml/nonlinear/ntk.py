"""Linearised (NTK) check of Section 5.3: tangent features at initialisation -> Theorem 3.

For a network f(x, omega) linearised at omega0 (Eq. 12), the inputs of the linear theory
are the tangent features k(x) = grad_omega f(x, omega0) (Eq. 13) and the parameters are
theta = omega - omega0 (the output offset f(x, omega0) is subtracted from the targets).
We estimate by Monte Carlo over N inputs x ~ N(0, I_p) (fixed seed; K is the N x P
feature matrix):

    Sigma  = E[k k^T]                      ~ K^T K / N
    F      = E[(k^T Sigma k) k k^T]        ~ K^T diag(q) K / N,  q_i = k_i^T Sigma k_i
    theta_task = argmin E_x (g_task(x) - k^T theta)^2 ~ (Sigma + lam I)^{-1} E[k g_task]
                 (least squares on the n_x inputs, ridge lam = ridge_rel * Tr(Sigma)/P
                 against the directions the sample does not resolve),
                 g_task(x) = (w^T x + b)^2 - f(x, omega0)
    Sigma_w = E_task[theta_task theta_task^T]          (second moment over T tasks)
    sigma_eff^2 = sigma^2 + E_task E_x (g_task - k^T theta_task)^2   (out of sample)

i.e. the part of the target that the tangent features cannot express is treated as extra
output noise (it is orthogonal to k by construction).  Approximations beyond Theorem 3's
own: k(x) and theta_task have non-zero means (Theorem 3 assumes zero means), the network
is finite (width 50 by default: P = 3101 parameters), and the outer loop is SGD from omega0
rather than the minimum-norm solution.

:func:`run_ntk_check` evaluates Theorem 3 on a network's tangent features against the
same network meta-trained with MAML (the optional second panel of Fig. 5).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .model import Problem
from .sweep import run_sweep


@dataclass
class NTKMatrices:
    """Theorem 3's inputs estimated on tangent features (module doc): Sigma, Sigma_w, F, the
    effective noise sigma_eff, the residual and explained variances, the sample sizes and P."""
    Sigma: np.ndarray
    Sigma_w: np.ndarray
    F: np.ndarray
    sigma_eff: float
    residual_var: float
    explained_var: float
    n_x: int
    n_tasks: int
    P: int
    Sigma_w_centered: np.ndarray | None = None     # covariance of theta_task (mean removed)


def tangent_features(net, params0, x):
    """K: (N, P) with rows k(x_i) = grad_omega f(x_i, omega0) (unbatched params0)."""
    import torch
    from torch.func import jacrev, vmap
    from .model import forward
    names = list(params0)

    def f(p, xi):
        return forward(net, p, xi.unsqueeze(0)).squeeze(0)
    J = vmap(jacrev(f), in_dims=(None, 0))(params0, x)
    return torch.cat([J[k].reshape(x.shape[0], -1) for k in names], dim=1)


def ntk_matrices(net, params0, prob, *, n_x=None, n_tasks=1000, n_eval=2000, seed=0,
                 ridge_rel=1e-3, chunk=1000) -> NTKMatrices:
    """Monte Carlo estimates (module doc).  Sigma, F and E[k g] use the same n_x inputs;
    the residual (extra noise) and explained variances are measured out of sample on
    ``n_eval`` fresh inputs.  ridge lam = ridge_rel * Tr(Sigma) / P."""
    import torch
    from .model import forward, generator, sample_task_params, target
    params0 = {k: v.detach().double() for k, v in params0.items()}
    P = sum(v.numel() for v in params0.values())
    n_x = n_x or 2 * P
    gen = generator(seed)

    def feats(n):
        x = torch.randn(n, prob.p, generator=gen, dtype=torch.float64)
        K = torch.cat([tangent_features(net, params0, x[s:s + chunk]) for s in range(0, n, chunk)])
        with torch.no_grad():
            f0 = forward(net, params0, x)
        return x, K, f0
    x, K, f0 = feats(n_x)
    Sigma = K.T @ K / n_x
    Sigma = 0.5 * (Sigma + Sigma.T)
    q = ((K @ Sigma) * K).sum(1)
    F = (K * q[:, None]).T @ K / n_x
    F = 0.5 * (F + F.T)
    w, b = sample_task_params(gen, (n_tasks,), prob, dtype=torch.float64)

    def targets(x, f0):
        return (target(x.unsqueeze(0).expand(n_tasks, -1, -1), w, b, prob) - f0).T      # (N, T)
    C = K.T @ targets(x, f0) / n_x                                                      # (P, T)
    d, Q = torch.linalg.eigh(Sigma)
    lam = ridge_rel * float(d.sum()) / P
    theta = Q @ ((Q.T @ C) / (d.clamp(min=0) + lam)[:, None])                          # (P, T)
    Sigma_w = theta @ theta.T / n_tasks
    xe, Ke, f0e = feats(n_eval)
    Ge = targets(xe, f0e)
    pred = Ke @ theta
    rv = float(((Ge - pred) ** 2).mean())
    ev = float((pred ** 2).mean())
    Sw = 0.5 * (Sigma_w + Sigma_w.T)
    tc = theta - theta.mean(1, keepdim=True)
    Swc = tc @ tc.T / (n_tasks - 1)
    return NTKMatrices(Sigma.numpy(), Sw.numpy(), F.numpy(), float(np.sqrt(prob.sigma ** 2 + rv)),
                       rv, ev, n_x, n_tasks, P, (0.5 * (Swc + Swc.T)).numpy())


def theorem3_curve(mats: NTKMatrices, alpha_t_values, alpha_r, prob, sigma=None, centered=False):
    """Theorem 3 (Eq. 14) at the tangent-feature matrices, over alpha_t.

    ``centered=False``: Sigma_w = second moment of theta_task (the initialisation is not at
    the task mean, whose offset then counts as task variability); ``centered=True``: the
    covariance (as if omega0 sat at the task mean, Theorem 3's omega0 = w0 = 0)."""
    from ..numeric.losses import theorem3_evaluator
    Sw = mats.Sigma_w_centered if centered else mats.Sigma_w
    ev = theorem3_evaluator(mats.Sigma, Sw, mats.F, blas_threads=1, psd_rtol=1e-6)
    a = np.asarray(alpha_t_values, dtype=float)
    s = mats.sigma_eff if sigma is None else sigma
    return np.asarray(ev(a, alpha_r, prob.n_t, prob.n_v, prob.n_r, prob.m, s), dtype=float)


def run_ntk_check(alpha_t_values=None, runs=None, seed=0, quick=True, *, width=50, alpha_r=0.01,
                  n_x=None, n_tasks=2000, theory_points=61, sweep=True, **sweep_kw) -> dict:
    """Theorem 3 evaluated on the tangent features of a one-hidden-layer ReLU network of
    ``width`` at its initialisation, against MAML trained from that same initialisation
    (``same_init=True``: runs differ in training/test tasks only) over alpha_t."""
    import torch
    from .model import generator, init_params, make_mlp
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
