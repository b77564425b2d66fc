"""Linear algebra of the outer loop (Eqs. 66-69, 83), shared by the simulator's estimators.

Batched over runs and learning rates through the array API namespace of the inputs, so the
same code runs on NumPy, PyTorch and array-api-strict.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from array_api_compat import array_namespace

from . import sampling

__all__ = ["IllConditionedWarning", "SingularOuterProblemError", "outer_solve", "checked_svd",
           "outer_matrix", "mv", "inputs", "task_params"]


class IllConditionedWarning(RuntimeWarning):
    """The outer-loop matrix B (Eq. 68) has a large condition number (p close to n_v m)."""


class SingularOuterProblemError(np.linalg.LinAlgError):
    """B (Eq. 68) is numerically rank deficient: omega* of Eqs. 69/83 is not defined.

    Subclass of :class:`numpy.linalg.LinAlgError` (itself a ``ValueError``).
    """


def checked_svd(B, cond_warn=None):
    """Thin SVD of a stack of B matrices with the conditioning checks of :func:`outer_solve`."""
    xp = array_namespace(B)
    N, p = B.shape[-2], B.shape[-1]
    eps = float(np.finfo(np.float64).eps)
    U, s, Vh = xp.linalg.svd(B, full_matrices=False)
    s0 = s[..., 0]
    ratio = s[..., -1] / (s0 + xp.astype(s0 == 0, s0.dtype))     # B == 0 -> ratio 0 (singular)
    worst = float(xp.min(ratio)) if math.prod(ratio.shape) else 1.0
    if not worst > max(N, p) * eps:   # also catches NaN (e.g. B == 0)
        raise SingularOuterProblemError(
            f"the outer-loop matrix B ({N} x {p}, Eq. 68) is singular to working precision "
            f"(s_min/s_max = {worst:.3g}); omega* is undefined. This happens e.g. when a "
            "training learning rate makes I - alpha_t/n_t X_t^T X_t singular in every task.")
    limit = cond_warn if cond_warn is not None else 1.0 / math.sqrt(eps)
    if 1.0 / worst > limit:
        warnings.warn(
            f"outer-loop matrix B ({N} x {p}) is ill-conditioned (cond = {1.0 / worst:.3g}); "
            "omega* and the test loss are unreliable near p = n_v m",
            IllConditionedWarning, stacklevel=4)
    return U, s, Vh


def outer_solve(B, r, *, cond_warn: float | None = None):
    """Batched minimum-norm least-squares solution B^+ r (Eqs. 69 and 83).

    ``B``: (..., N, p), ``r``: (..., N).  Uses a thin SVD, so it is stable for p close
    to N.  Emits :class:`IllConditionedWarning` when some cond(B) > ``cond_warn``
    (default 1/sqrt(eps)) and raises :class:`SingularOuterProblemError` when some B is
    numerically rank deficient (s_min <= max(N, p) eps s_max), instead of returning
    NaN or garbage.
    """
    xp = array_namespace(B, r)
    U, s, Vh = checked_svd(B, cond_warn)
    coef = xp.squeeze(U.mT @ xp.expand_dims(r, axis=-1), axis=-1) / s
    return xp.squeeze(Vh.mT @ xp.expand_dims(coef, axis=-1), axis=-1)


def mv(A, v):
    """Batched matrix-vector product A @ v over the last axes (array API)."""
    xp = array_namespace(A, v)
    return xp.squeeze(A @ xp.expand_dims(v, axis=-1), axis=-1)


def inputs(G, sqrt_Sigma):
    """Rows x = Sigma^{1/2} g (Eq. 28 / 109); G (..., n, p) of standardised entries."""
    return G if sqrt_Sigma is None else G @ sqrt_Sigma


def task_params(g, c):
    """w = w0 + Sigma_w^{1/2} g (Eq. 30 / 110); ``c['Lw']`` None means w_scale * I."""
    return c["w0"] + (c["w_scale"] * g if c["Lw"] is None else g @ c["Lw"])


def outer_matrix(dr: dict, d: sampling.Design, c: dict):
    """B of Eq. 68 for every run and alpha_t, (R, A_t, N, p), plus the pieces reused later.

    Uses B_i = X_v - alpha_t/n_t (X_v X_t^T) X_t, which never forms a p x p matrix.
    Returns ``(B, Xt, Xv, C)`` with C = X_v X_t^T, (R, m, n_v, n_t).
    """
    xp = array_namespace(dr["Gx"])
    R = dr["Gx"].shape[0]
    X = inputs(dr["Gx"], c["S"])
    Xt, Xv = X[:, :, :d.n_t, :], X[:, :, d.n_t:, :]
    C = Xv @ Xt.mT                                                   # (R, m, n_v, n_t)
    D = C @ Xt                                                       # X_v X_t^T X_t
    A = d.alpha_t.size
    k = xp.reshape(c["alpha_t"] / d.n_t, (1, A, 1, 1, 1))
    B = xp.expand_dims(Xv, axis=1) - k * xp.expand_dims(D, axis=1)
    return xp.reshape(B, (R, A, d.N, d.p)), Xt, Xv, C
