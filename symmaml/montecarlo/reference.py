"""Straightforward per-run Python-loop reference of the paper's protocol (Section 7.1).

:func:`reference_simulate` consumes exactly the same per-run draws as
:func:`symmaml.montecarlo.simulate` with ``reduce_draws=False`` (same
``SeedSequence(seed).spawn(runs)`` and :func:`symmaml.montecarlo.sampling.draw_run`),
but computes everything the literal way: p x p matrices I - alpha_t/n_t X_t^T X_t
(Eq. 21), B and gamma stacked task by task as printed in Eqs. 67-68, omega* from
``numpy.linalg.lstsq`` (minimum-norm solution, Eqs. 69/83), and one test task at a
time (Eqs. 23-25).  The vectorised simulator must agree with it to float tolerance.

K-step MAML (``steps_t`` = K_t, ``steps_r`` = K_r > 1): the inner loop is performed
literally, K times theta <- theta - alpha/n X^T (X theta - y) (:func:`_inner`).  The
meta-training residual y_v - X_v theta_K(omega) is affine in omega, so B_i and gamma_i are
read off the literal map: gamma_i = y_v - X_v theta_K(0), the columns of B_i are
X_v (theta_K(e_j) - theta_K(0)) for unit vectors e_j; for the Rao-Blackwell covariance the
linear map y_t -> X_v theta_K(0; y_t) is read off the same way (F_i, columns on unit y_t),
so gamma_i = (X_v - F_i X_t) w + z_v - F_i z_t and
Cov(gamma_i | X) = (X_v - F_i X_t) Sigma_w (X_v - F_i X_t)^T + sigma^2 (I + F_i F_i^T).
At test time "plain" runs the K_r steps on each test task; "conditional" and
"rao_blackwell" (Sigma = I, Gaussian x) use E[(I - a W)^2K] and E Tr(S^T S) expanded as
float polynomials in W (numpy.polynomial) and averaged with E[W^j] = c_j I
(:func:`symmaml.stein.coefficient_at`).
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import block_diag

from numpy.polynomial import polynomial as npoly

from . import sampling
from ..stein import coefficient_at
from .exact import conditional_test_loss, fourth_moment_matrix, kurtosis
from .existence import check_loss_moments
from .simulate import check_runs, make_result, root_seed

__all__ = ["reference_simulate"]


def _inner(theta, X, y, alpha, steps):
    """``steps`` literal gradient steps theta <- theta - alpha/n X^T (X theta - y)."""
    n = X.shape[0]
    for _ in range(steps):
        theta = theta - alpha / n * X.T @ (X @ theta - y)
    return theta


def _test_average_steps(p, n_r, alpha_r, steps):
    """(h_K, t_K): E[(I - a W)^2K] = h_K I and E Tr(S^T S) = t_K, a = alpha_r / n_r,
    S = a sum_{j<K} (I - a W)^j X_r^T, by float polynomial expansion in W."""
    a = alpha_r / n_r
    base = np.array([1.0, -a])                                       # 1 - a W
    hpoly = npoly.polypow(base, 2 * steps)
    geo = np.array([0.0])                                            # sum_{j<K} (1 - a W)^j
    for j in range(steps):
        geo = npoly.polyadd(geo, npoly.polypow(base, j))
    tpoly = npoly.polymul(np.array([0.0, 1.0]), npoly.polymul(geo, geo))   # W geo(W)^2
    c = [float(coefficient_at(j, n=n_r, p=p)) for j in range(max(hpoly.size, tpoly.size))]
    h = sum(hpoly[j] * c[j] for j in range(hpoly.size))
    t = a * a * p * sum(tpoly[j] * c[j] for j in range(tpoly.size))
    return h, t


def reference_simulate(*, n_t, n_v, n_r, m, p, sigma, nu=None, alpha_t, alpha_r, runs=10, seed=None,
                       estimator="plain", w0=None, omega0=None, Sigma=None, Sigma_w=None,
                       x_dist="gaussian", test_tasks=100, n_s=50, df=5.0, steps_t=1, steps_r=1):
    """Per-run loop version of :func:`symmaml.montecarlo.simulate` (NumPy, no reduced draws).

    Refuses the same inputs (runs < 2, infinite expected loss) and warns alike."""
    runs = check_runs(runs)
    d = sampling.make_design(n_t=n_t, n_v=n_v, n_r=n_r, m=m, p=p, sigma=sigma, nu=nu,
                             alpha_t=alpha_t, alpha_r=alpha_r, w0=w0, omega0=omega0, Sigma=Sigma,
                             Sigma_w=Sigma_w, x_dist=x_dist, df=df, estimator=estimator,
                             test_tasks=test_tasks, n_s=n_s, reduce_draws=False,
                             steps_t=steps_t, steps_r=steps_r)
    Kt, Kr = d.steps_t, d.steps_r
    check_loss_moments(d)
    root = root_seed(seed)
    I = np.eye(p)
    S = I if d.sqrt_Sigma is None else d.sqrt_Sigma
    Lw = d.w_scale * I if d.sqrt_Sigma_w is None else d.sqrt_Sigma_w
    Sig = I if d.Sigma is None else d.Sigma
    K = fourth_moment_matrix(Sig, S, kurtosis(d.x_dist, d.df))

    def H_r(ar):  # E_{X_r}[(I - a X^T X) Sigma (I - a X^T X)], see exact.py
        return Sig - 2 * ar * Sig @ Sig + ar**2 * ((n_r - 1) * Sig @ Sig @ Sig + K) / n_r

    if Kr > 1 and estimator != "plain":
        tr_w = float(np.trace(d.Sigma_w))
        HK = [_test_average_steps(p, n_r, ar, Kr) for ar in d.alpha_r]

        def cond_steps(b, c_sq):   # E[loss | omega*], |omega* - w0|^2 = c_sq (Sigma = I)
            h, t = HK[b]
            return 0.5 * (sigma**2 * (1 + t) + h * (tr_w + c_sq))

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
                if Kt > 1:                                     # literal K_t-step inner loop
                    if estimator == "rao_blackwell":
                        y0 = np.zeros(n_t)
                        c0 = _inner(np.zeros(p), Xt, y0, at, Kt)
                        Bi = np.column_stack([Xv @ (_inner(I[j], Xt, y0, at, Kt) - c0)
                                              for j in range(p)])
                        F = np.column_stack([Xv @ _inner(np.zeros(p), Xt, np.eye(n_t)[l], at, Kt)
                                             for l in range(n_t)])        # y_t -> X_v theta_K(0)
                        L = Xv - F @ Xt
                        B_blocks.append(Bi)
                        Gam_blocks.append(L @ d.Sigma_w @ L.T + sigma**2 * (np.eye(n_v) + F @ F.T))
                    else:
                        yt, yv = Xt @ w + zt, Xv @ w + zv       # Eqs. 18-19
                        r0 = yv - Xv @ _inner(np.zeros(p), Xt, yt, at, Kt)   # residual at omega = 0
                        Bi = np.column_stack([r0 - (yv - Xv @ _inner(I[j], Xt, yt, at, Kt))
                                              for j in range(p)])
                        B_blocks.append(Bi)
                        g_blocks.append(r0)
                    continue
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
                    if Kr > 1:
                        values[a, b, run] = cond_steps(b, u @ u + np.trace(cov))
                        continue
                    H = H_r(ar)
                    # E[loss | inputs] = E[loss | omega* = w0 + u] + Tr(H_r Cov(omega* | inputs)) / 2
                    values[a, b, run] = conditional_test_loss(
                        u + d.w0, w0=d.w0, Sigma=Sig, Sigma_w=d.Sigma_w, sigma=sigma, alpha_r=ar,
                        n_r=n_r, x_dist=d.x_dist, df=d.df, sqrt_Sigma=S) + 0.5 * np.trace(H @ cov)
                continue
            gamma = np.concatenate(g_blocks)
            omega = d.omega0 + np.linalg.lstsq(B, gamma - B @ d.omega0, rcond=None)[0]  # Eqs. 69, 83
            for b, ar in enumerate(d.alpha_r):
                if estimator == "conditional" and Kr > 1:
                    values[a, b, run] = cond_steps(b, float(np.sum((omega - d.w0) ** 2)))
                    continue
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
                    theta = (_inner(omega, Xr, yr, ar, Kr) if Kr > 1
                             else omega - ar / n_r * Xr.T @ (Xr @ omega - yr))     # Eq. 25
                    ys = Xs @ w_new + sigma * dr["zs"][k]                          # Eq. 24
                    losses.append(0.5 / n_s * np.sum((ys - Xs @ theta) ** 2))      # Eq. 23
                values[a, b, run] = np.mean(losses)
    return make_result(values, d, vec_t=np.ndim(alpha_t) == 1, vec_r=np.ndim(alpha_r) == 1,
                       backend="numpy-reference", entropy=root.entropy)
