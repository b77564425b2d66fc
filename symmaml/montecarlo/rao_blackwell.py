"""The "rao_blackwell" estimator: exact E[test loss | X_t, X_v] for every run and learning rate.

Given the training inputs, omega* - w0 = (I - P)(omega0 - w0) + B^+ dgamma with P = B^+ B,
E[dgamma] = 0 and Cov(dgamma) = Gamma = blockdiag(Gamma_i) (Eqs. 70-73, Sigma_w general as
in Eq. 131):

    Gamma_i = B_i Sigma_w B_i^T + sigma^2 (I + k^2 C_i C_i^T),  C_i = X_v X_t^T,  k = alpha_t / n_t,

so E[c^T H c | X] = u^T H u + Tr(B^+ Gamma B^+T H), u = (I - P)(omega0 - w0), for the three
matrices H of the conditional loss (H_r = Sig1 - 2 alpha_r Sig2 + alpha_r^2 Q, exact.py).

Two evaluations of the same quantity:

* :func:`loss_svd`: the thin SVD of the stacked B (N x p, N = n_v m), Eq. 74.  Used for
  p >= N, where the SVD of the short B costs O(N^2 p), no more than forming B B^T would,
  and does not square the condition number.
* :func:`loss_gram` (p < N): B has full column rank, P = I, u = 0 and
  B^+ Gamma B^+T = G^-1 (B^T Gamma B) G^-1 with the p x p matrix G = B^T B.  With
  B_i = X_v - k D_i, D_i = X_v X_t^T X_t, both p x p matrices are polynomials in k whose
  coefficients are sums over tasks that do not depend on alpha_t:

      G(k)          = sum_i W_i(k),   W_i = B_i^T B_i = V_i + k P1_i + k^2 F_i,
      B^T Gamma B   = sum_i W_i Sigma_w W_i + sigma^2 (G + k^2 (J_i - k K_i)(J_i - k K_i)^T),

  V_i = X_v^T X_v, P1_i = -(X_v^T D_i + D_i^T X_v), F_i = D_i^T D_i, J_i = X_v^T C_i,
  K_i = D_i^T C_i.  The sums over tasks are single matrix products with inner dimension
  m p (resp. m n_t), computed once per run; an alpha_t then costs one p x p inverse and two
  products instead of an SVD of the N x p matrix (Fig. 3b: N = 1000, p = 30).

K steps (``steps_t`` = K_t > 1): B_i = X_v A_i^K and Gamma_i = B_i Sigma_w B_i^T +
sigma^2 (I + E_i E_i^T), E_i = k sum_{j<K} X_v A_i^j X_t^T (k C_i for K = 1;
:func:`~symmaml.montecarlo.linalg.outer_matrix_steps`).  The Gram coefficients above are for
K = 1 (G(k) of degree 2K in k in general), so K_t > 1 always takes the SVD path, which
only needs B and E.  ``steps_r`` = K_r > 1 (Sigma = I, Gaussian x): the loss given omega*
is 1/2 [sigma^2 (1 + t_K) + h_K (Tr Sigma_w + |omega* - w0|^2)], so both paths need
E[|omega* - w0|^2 | X] = |u|^2 + Tr(B^+ Gamma B^+T) only (H = I).

Squaring B squares its condition number, so loss_gram checks every G: where
kappa = ||G^-1||_F sum_j |k|^j ||g_j||_F / sqrt(p) (about cond G; also large where G(k)
cancels to nearly 0) exceeds :data:`GRAM_COND_MAX` (or what the simulator's ``cond_warn``
allows) for some alpha_t, the run is recomputed by loss_svd, which also owns the
ill-conditioning warning and the singular-matrix error.  Below that bound the two agree to
1e-12 relative.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, device

from . import sampling
from ..backend import to_numpy
from .linalg import checked_svd, inputs, mv, outer_matrix, outer_matrix_steps, steps_hint

__all__ = ["loss", "loss_svd", "loss_gram", "GRAM_COND_MAX", "METHOD"]

#: largest accepted kappa = ||G^-1||_F sum_j |k|^j ||g_j||_F / sqrt(p) (G(k) = sum_j g_j k^j;
#: about cond(G) = cond(B)^2 for a spread spectrum, and at least cond(G) / sqrt(p)).
#: Rounding errors grow like cond(G) eps and, in the Sigma_w term
#: G^-1 (sum_i W_i Sigma_w W_i) G^-1, up to cond(G)^2 eps; measured against the SVD they stay
#: below 1e-12 relative up to this bound (below 1e-14 at Figs. 3b and 6c, whose runs all
#: pass), and the SVD takes the worse runs.
GRAM_COND_MAX = 200.0
#: "auto" (Gram for p < n_v m, SVD otherwise), "svd" or "gram"; only benchmarks and tests
#: change it, to time or compare the two paths on the same draws.
METHOD = "auto"
_SVD_BYTES = 48 * 2**20       # memory budget of one batch of SVD recomputations


def loss(dr, d: sampling.Design, c: dict, *, cond_warn=None, method=None) -> np.ndarray:
    """Per-run E[loss | X_t, X_v] as NumPy (R, A_t, A_r), by the path that suits ``d``.

    ``method``: None (:data:`METHOD`), "auto", "svd" or "gram" (module doc).  The Gram path
    hands the runs it cannot trust to the SVD path, in memory-bounded batches.  steps_t > 1
    always takes the SVD path (the Gram coefficients are for one inner step).
    """
    method = METHOD if method is None else method
    if method not in ("auto", "svd", "gram"):
        raise ValueError(f"method must be 'auto', 'svd' or 'gram', got {method!r}")
    if method == "svd" or (method == "auto" and d.p >= d.N) or d.steps_t > 1:
        return to_numpy(loss_svd(dr, d, c, cond_warn=cond_warn))
    out, bad = loss_gram(dr, d, c, cond_warn=cond_warn)
    out = np.array(to_numpy(out), dtype=np.float64, copy=True)
    idx = np.flatnonzero(bad)
    if idx.size:
        xp = array_namespace(dr["Gx"])
        per_run = 8 * (4 * d.alpha_t.size * d.N * d.p + 3 * d.m * (d.n_t + d.n_v) * d.p)
        step = max(1, _SVD_BYTES // per_run)
        for lo in range(0, idx.size, step):
            sel = idx[lo:lo + step]
            where = xp.asarray(sel.tolist(), device=device(dr["Gx"]))
            sub = {key: xp.take(v, where, axis=0) for key, v in dr.items()}
            out[sel] = to_numpy(loss_svd(sub, d, c, cond_warn=cond_warn))
    return out


def _combine(t1, t2, t3, d, c):
    """0.5 (c0 + c1 a + c2 a^2 + t1 - 2 a t2 + a^2 t3) over alpha_r (exact.py's coefficients)."""
    xp = array_namespace(t1)
    t1, t2, t3 = (xp.expand_dims(t, axis=-1) for t in (t1, t2, t3))
    a = xp.reshape(c["alpha_r"], (1, 1, d.alpha_r.size))
    c0, c1, c2 = c["consts"]
    return 0.5 * (c0 + c1 * a + c2 * a * a + t1 - 2.0 * a * t2 + a * a * t3)


def _combine_steps(t, d, c):
    """K_r-step loss from t = E[|omega* - w0|^2 | X], (R, A_t) -> (R, A_t, A_r)."""
    xp = array_namespace(t)
    h = xp.reshape(c["h_K"], (1, 1, d.alpha_r.size))
    k0 = xp.reshape(c["k_K"], (1, 1, d.alpha_r.size))
    return 0.5 * (k0 + h * xp.expand_dims(t, axis=-1))


def loss_svd(dr, d: sampling.Design, c: dict, *, cond_warn=None):
    """E[loss | X_t, X_v] from the thin SVD B = U S V^T (Eq. 74 for H = I), (R, A_t, A_r)."""
    xp = array_namespace(dr["Gx"])
    if d.steps_t > 1:
        B, _, _, Ek = outer_matrix_steps(dr, d, c)                   # Ek: (R, A, m, n_v, n_t)
    else:
        B, _, _, C = outer_matrix(dr, d, c)
    R, A, N, p = B.shape
    with steps_hint(d):
        U, s, Vh = checked_svd(B, cond_warn)
    kk = min(N, p)
    Bb = xp.reshape(B, (R, A, d.m, d.n_v, p))
    if c["Sw"] is None:
        G = (d.w_scale ** 2) * (Bb @ Bb.mT)
    else:
        G = Bb @ c["Sw"] @ Bb.mT                                     # (R, A, m, n_v, n_v)
    eye = xp.eye(d.n_v, dtype=B.dtype) if c["device"] is None else xp.eye(d.n_v, dtype=B.dtype, device=c["device"])
    if d.steps_t > 1:
        G = G + d.sigma ** 2 * (eye + Ek @ Ek.mT)                    # Gamma_i, K_t steps
    else:
        k2 = xp.reshape((c["alpha_t"] / d.n_t) ** 2, (1, A, 1, 1, 1))
        G = G + d.sigma ** 2 * (eye + k2 * xp.expand_dims(C @ C.mT, axis=1))   # Gamma_i
    Ub = xp.reshape(U, (R, A, d.m, d.n_v, kk))
    M = xp.sum(Ub.mT @ G @ Ub, axis=2)                               # U^T Gamma U, (R, A, k, k)
    M = M / (xp.expand_dims(s, axis=-1) * xp.expand_dims(s, axis=-2))  # S^-1 U^T Gamma U S^-1
    V = Vh.mT                                                        # (R, A, p, k)
    delta = c["omega0"] - c["w0"]
    u = delta - mv(V, mv(Vh, xp.broadcast_to(delta, (R, A, p))))     # (I - P)(omega0 - w0)
    if d.steps_r > 1:   # H = I: Tr(B^+ Gamma B^+T) = Tr(M) (V has orthonormal columns)
        t = xp.sum(M * xp.eye(kk, dtype=M.dtype, device=device(M)), axis=(-2, -1))
        return _combine_steps(t + xp.sum(u * u, axis=-1), d, c)
    tr = []
    for key in ("Sig1", "Sig2", "Q"):
        tr.append(xp.sum(M * (Vh @ c[key] @ V), axis=(-2, -1))       # Tr(B^+ Gamma B^+T H)
                  + xp.sum((u @ c[key]) * u, axis=-1))
    return _combine(*tr, d, c)


def _gram_coefficients(dr, d: sampling.Design, c: dict):
    """The alpha_t-free coefficients of G(k) (3) and of B^T Gamma B (5): (R, 3|5, p, p)."""
    xp = array_namespace(dr["Gx"])
    R, m, p, nt = dr["Gx"].shape[0], d.m, d.p, d.n_t
    X = inputs(dr["Gx"], c["S"])
    Xt, Xv = X[:, :, :nt, :], X[:, :, nt:, :]
    C = Xv @ Xt.mT                                                   # (R, m, n_v, n_t)
    D = C @ Xt                                                       # X_v X_t^T X_t
    E = Xv.mT @ D
    P = (Xv.mT @ Xv, -(E + E.mT), D.mT @ D)                          # W_i = P0 + k P1 + k^2 P2
    g = [xp.sum(Pj, axis=1) for Pj in P]
    # Sums over tasks as single products with inner dimension m p (m n_t): stacking the
    # tasks' rows turns sum_i L_i^T R_i into one L^T R, far faster than m small products.
    # sum_i P_a Sigma_w P_b = sum_i (Sigma_w^1/2 P_a)^T (Sigma_w^1/2 P_b) (symmetric root)
    Pw = P if c["Lw"] is None else tuple(c["Lw"] @ Pj for Pj in P)
    St = [xp.reshape(Pj, (R, m * p, p)) for Pj in Pw]
    w2 = d.w_scale ** 2 if c["Lw"] is None else 1.0
    Q = {(a, b): w2 * (St[a].mT @ St[b]) for a in range(3) for b in range(a, 3)}
    Jt = xp.reshape(C.mT @ Xv, (R, m * nt, p))                       # rows of J_i^T = C_i^T X_v
    Kt = xp.reshape(C.mT @ D, (R, m * nt, p))                        # B_i^T C_i = J_i - k K_i
    JJ, JK, KK = Jt.mT @ Jt, Jt.mT @ Kt, Kt.mT @ Kt
    s2 = d.sigma ** 2
    mcoef = [Q[0, 0] + s2 * g[0],
             Q[0, 1] + Q[0, 1].mT + s2 * g[1],
             Q[0, 2] + Q[0, 2].mT + Q[1, 1] + s2 * (g[2] + JJ),
             Q[1, 2] + Q[1, 2].mT - s2 * (JK + JK.mT),
             Q[2, 2] + s2 * KK]
    return xp.stack(g, axis=1), xp.stack(mcoef, axis=1)


def _poly(coef, kpow):
    """sum_j coef[:, j] k^j for every k: coef (R, J, p, p), kpow (A, J) -> (R, A, p, p).

    One matrix product per run instead of J broadcast multiply-adds."""
    xp = array_namespace(coef)
    R, J, p, _ = coef.shape
    return xp.reshape(kpow[:, :J] @ xp.reshape(coef, (R, J, p * p)), (R, kpow.shape[0], p, p))


def _sq_norm(M):
    """Squared Frobenius norms over the last two axes, (..., 1, 1)."""
    xp = array_namespace(M)
    v = xp.reshape(M, M.shape[:-2] + (1, M.shape[-2] * M.shape[-1]))
    return v @ v.mT


def loss_gram(dr, d: sampling.Design, c: dict, *, cond_warn=None):
    """E[loss | X_t, X_v] through the p x p Gram matrix (p < n_v m; module doc).

    Returns ``(values, bad)``: backend (R, A_t, A_r) values and a NumPy mask of the runs
    whose G is too ill-conditioned to trust (their values are meaningless)."""
    if d.p >= d.N:
        raise ValueError(f"the Gram path needs p < n_v m, got p={d.p}, n_v m={d.N}")
    if d.steps_t > 1:
        raise ValueError(f"the Gram path is for one inner step, got steps_t={d.steps_t} "
                         "(loss() sends steps_t > 1 to loss_svd)")
    xp = array_namespace(dr["Gx"])
    gcoef, mcoef = _gram_coefficients(dr, d, c)
    k = c["alpha_t"] / d.n_t
    kpow = xp.stack([k ** j for j in range(5)], axis=1)              # (A, 5)
    G = _poly(gcoef, kpow)                                           # B^T B, (R, A, p, p)
    R, A, p = G.shape[0], G.shape[1], d.p
    try:
        Y = xp.linalg.inv(G)
    except (np.linalg.LinAlgError, RuntimeError):   # exactly singular somewhere (discrete x)
        return (xp.zeros((R, A, d.alpha_r.size), dtype=G.dtype, device=device(G)),
                np.ones(R, dtype=bool))
    Z = Y @ _poly(mcoef, kpow) @ Y                                   # B^+ Gamma B^+T
    if d.steps_r > 1:   # H = I and u = 0 (P = I for p < N)
        eye = xp.reshape(xp.eye(p, dtype=Z.dtype, device=device(Z)), (p * p, 1))
        out = _combine_steps((xp.reshape(Z, (R, A, p * p)) @ eye)[..., 0], d, c)
    else:
        Hs = xp.stack([xp.reshape(c[key], (p * p,)) for key in ("Sig1", "Sig2", "Q")], axis=1)
        tr = xp.reshape(Z, (R, A, p * p)) @ Hs                       # Tr(Z H), H symmetric
        out = _combine(tr[..., 0], tr[..., 1], tr[..., 2], d, c)
    # kappa >= cond(G) / sqrt(p), and also large where G(k) cancels to nearly 0 although its
    # pieces do not (B ~ 0, e.g. A_i = I - k X_t^T X_t = 0 with p = 1)
    gsize = xp.abs(kpow[:, :3]) @ xp.sqrt(xp.reshape(_sq_norm(gcoef), (R, 3, 1)))
    kappa = to_numpy(xp.reshape(xp.sqrt(_sq_norm(Y)), (R, A)) * xp.reshape(gsize, (R, A))) / p ** 0.5
    limit = GRAM_COND_MAX
    if cond_warn is not None:   # accepted runs must have cond(B) <= cond_warn: no warning due
        limit = min(limit, float(cond_warn) ** 2 / p ** 0.5)
    return out, ~np.all(kappa <= limit, axis=1)                      # NaN counts as bad
