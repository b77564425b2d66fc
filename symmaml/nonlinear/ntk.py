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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class NTKMatrices:
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
