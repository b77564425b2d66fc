"""Straightforward per-run Python-loop reference of the paper's protocol (Section 7.1).

:func:`reference_simulate` consumes exactly the same per-run draws as
:func:`symmaml.montecarlo.simulate` with ``reduce_draws=False`` (same
``SeedSequence(seed).spawn(runs)`` and :func:`symmaml.montecarlo.sampling.draw_run`),
but computes everything the literal way: p x p matrices I - alpha_t/n_t X_t^T X_t
(Eq. 21), B and gamma stacked task by task as printed in Eqs. 67-68, omega* from
``numpy.linalg.lstsq`` (minimum-norm solution, Eqs. 69/83), and one test task at a
time (Eqs. 23-25).  The vectorised simulator must agree with it to float tolerance.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import block_diag

from . import sampling
from .exact import conditional_test_loss, fourth_moment_matrix, kurtosis
from .existence import check_loss_moments
from .simulate import check_runs, make_result, root_seed

__all__ = ["reference_simulate"]


def reference_simulate(*, n_t, n_v, n_r, m, p, sigma, nu=None, alpha_t, alpha_r, runs=10, seed=None,
                       estimator="plain", w0=None, omega0=None, Sigma=None, Sigma_w=None,
                       x_dist="gaussian", test_tasks=100, n_s=50, df=5.0):
    """Per-run loop version of :func:`symmaml.montecarlo.simulate` (NumPy, no reduced draws).

    Refuses the same inputs (runs < 2, infinite expected loss) and warns alike."""
    runs = check_runs(runs)
    d = sampling.make_design(n_t=n_t, n_v=n_v, n_r=n_r, m=m, p=p, sigma=sigma, nu=nu,
                             alpha_t=alpha_t, alpha_r=alpha_r, w0=w0, omega0=omega0, Sigma=Sigma,
                             Sigma_w=Sigma_w, x_dist=x_dist, df=df, estimator=estimator,
                             test_tasks=test_tasks, n_s=n_s, reduce_draws=False)
    check_loss_moments(d)
    root = root_seed(seed)
    I = np.eye(p)
    S = I if d.sqrt_Sigma is None else d.sqrt_Sigma
    Lw = d.w_scale * I if d.sqrt_Sigma_w is None else d.sqrt_Sigma_w
    Sig = I if d.Sigma is None else d.Sigma
    K = fourth_moment_matrix(Sig, S, kurtosis(d.x_dist, d.df))

    def H_r(ar):  # E_{X_r}[(I - a X^T X) Sigma (I - a X^T X)], see exact.py
        return Sig - 2 * ar * Sig @ Sig + ar**2 * ((n_r - 1) * Sig @ Sig @ Sig + K) / n_r

    values = np.empty((d.alpha_t.size, d.alpha_r.size, runs))
    for run, ss in enumerate(sampling.run_generators(root, runs)):
        dr = sampling.draw_run(np.random.Generator(np.random.PCG64(ss)), d)
        tasks = []
        for i in range(m):
            X = dr["Gx"][i] @ S                               # rows x = Sigma^{1/2} g
            if estimator == "rao_blackwell":               # task parameters/noise integrated out
                tasks.append((X[:n_t], X[n_t:], None, None, None))
            else:
                tasks.append((X[:n_t], X[n_t:], d.w0 + Lw @ dr["gw"][i],
                              sigma * dr["zt"][i], sigma * dr["zv"][i]))
        for a, at in enumerate(d.alpha_t):
            B_blocks, g_blocks, Gam_blocks = [], [], []
            for Xt, Xv, w, zt, zv in tasks:
                A = I - at / n_t * Xt.T @ Xt                   # Eq. 21
                B_blocks.append(Xv @ A)                        # Eq. 68
                if estimator == "rao_blackwell":               # Eq. 73 / 131
                    Gam_blocks.append(Xv @ A @ d.Sigma_w @ A @ Xv.T + sigma**2 * (
                        np.eye(n_v) + (at / n_t) ** 2 * Xv @ Xt.T @ Xt @ Xv.T))
                else:
                    g_blocks.append(Xv @ A @ w - at / n_t * Xv @ Xt.T @ zt + zv)   # Eq. 67
            B = np.vstack(B_blocks)
            if estimator == "rao_blackwell":
                Bp = np.linalg.pinv(B)
                u = (I - Bp @ B) @ (d.omega0 - d.w0)
                cov = Bp @ block_diag(*Gam_blocks) @ Bp.T     # Cov(omega* | inputs), Eq. 71
                for b, ar in enumerate(d.alpha_r):
                    H = H_r(ar)
                    # E[loss | inputs] = E[loss | omega* = w0 + u] + Tr(H_r Cov(omega* | inputs)) / 2
                    values[a, b, run] = conditional_test_loss(
                        u + d.w0, w0=d.w0, Sigma=Sig, Sigma_w=d.Sigma_w, sigma=sigma, alpha_r=ar,
                        n_r=n_r, x_dist=d.x_dist, df=d.df, sqrt_Sigma=S) + 0.5 * np.trace(H @ cov)
                continue
            gamma = np.concatenate(g_blocks)
            omega = d.omega0 + np.linalg.lstsq(B, gamma - B @ d.omega0, rcond=None)[0]  # Eqs. 69, 83
            for b, ar in enumerate(d.alpha_r):
                if estimator == "conditional":
                    values[a, b, run] = conditional_test_loss(
                        omega, w0=d.w0, Sigma=Sig, Sigma_w=d.Sigma_w, sigma=sigma, alpha_r=ar,
                        n_r=n_r, x_dist=d.x_dist, df=d.df, sqrt_Sigma=S)
                    continue
                losses = []
                for k in range(test_tasks):
                    w_new = d.w0 + Lw @ dr["gwp"][k]
                    Xr, Xs = dr["Gr"][k] @ S, dr["Gs"][k] @ S
                    yr = Xr @ w_new + sigma * dr["zr"][k]                          # Eq. 26
                    theta = omega - ar / n_r * Xr.T @ (Xr @ omega - yr)            # Eq. 25
                    ys = Xs @ w_new + sigma * dr["zs"][k]                          # Eq. 24
                    losses.append(0.5 / n_s * np.sum((ys - Xs @ theta) ** 2))      # Eq. 23
                values[a, b, run] = np.mean(losses)
    return make_result(values, d, vec_t=np.ndim(alpha_t) == 1, vec_r=np.ndim(alpha_r) == 1,
                       backend="numpy-reference", entropy=root.entropy)
