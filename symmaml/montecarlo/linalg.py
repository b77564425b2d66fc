"""Linear algebra of the outer loop (Eqs. 66-69, 83), shared by the simulator's estimators.

Batched over runs and learning rates through the array API namespace of the inputs, so the
same code runs on NumPy, PyTorch and array-api-strict.
"""
from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
from array_api_compat import array_namespace

from . import sampling

__all__ = ["IllConditionedWarning", "SingularOuterProblemError", "outer_solve", "checked_svd",
           "outer_matrix", "outer_matrix_steps", "check_finite", "mv", "inputs", "task_params"]


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


def check_finite(x, what: str) -> None:
    """ValueError where ``x`` has a non-finite entry: the K-step inner loop diverged."""
    xp = array_namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError(
            f"non-finite {what}: the inner gradient loop diverged (|1 - alpha lambda| > 1 for "
            "an eigenvalue lambda of X^T X / n, amplified over the steps); reduce steps_t / "
            "|alpha_t| (or steps_r / |alpha_r|)")


@contextlib.contextmanager
def steps_hint(d: sampling.Design):
    """Re-raise a :class:`SingularOuterProblemError` of a K_t-step B with the likely cause."""
    try:
        yield
    except SingularOuterProblemError as err:
        if d.steps_t == 1:
            raise
        raise SingularOuterProblemError(
            f"{err} With steps_t={d.steps_t} inner steps B_i = X_v A_i^K (A_i = I - alpha_t/n_t "
            f"X_t^T X_t, alpha_t = {d.alpha_t.tolist()}): the inner loop diverged "
            "(|1 - alpha_t lambda| > 1 raised to the power steps_t swamps the other directions) "
            "or A_i is singular; reduce steps_t or |alpha_t|") from None


def outer_matrix_steps(dr: dict, d: sampling.Design, c: dict):
    """B and E of the K_t-step inner loop (K_t = ``d.steps_t``), for every run and alpha_t.

    With A_i = I - k X_t^T X_t (k = alpha_t / n_t), K steps from omega give
    theta_K(omega) = A_i^K omega + c_i, c_i = k sum_{j<K} A_i^j X_t^T y_t, so the
    meta-training loss is |gamma - B omega|^2 / (2 n_v m) (Eq. 66 generalised) with

        B_i = X_v A_i^K,   gamma_i = y_v - E_i y_t,   E_i = k sum_{j<K} X_v A_i^j X_t^T.

    Computed by the recursion M_0 = X_v, M_{j+1} = M_j - k (M_j X_t^T) X_t (M_j = X_v A^j),
    E = k sum_{j<K} M_j X_t^T, which never forms a p x p matrix.  K = 1 gives B of Eq. 68
    and E = k C (C = X_v X_t^T).  Returns ``(B, Xt, Xv, E)``: B (R, A_t, N, p), E
    (R, A_t, m, n_v, n_t).  ValueError (naming steps_t / alpha_t) where the loop diverged.
    """
    xp = array_namespace(dr["Gx"])
    R = dr["Gx"].shape[0]
    X = inputs(dr["Gx"], c["S"])
    Xt, Xv = X[:, :, :d.n_t, :], X[:, :, d.n_t:, :]
    A = d.alpha_t.size
    k = xp.reshape(c["alpha_t"] / d.n_t, (1, A, 1, 1, 1))
    XtE, XtT = xp.expand_dims(Xt, axis=1), xp.expand_dims(Xt.mT, axis=1)
    C = xp.expand_dims(Xv @ Xt.mT, axis=1)                          # M_0 X_t^T, (R, 1, m, n_v, n_t)
    M = xp.expand_dims(Xv, axis=1) - k * (C @ XtE)                   # M_1, (R, A, m, n_v, p)
    E = C
    for _ in range(1, d.steps_t):
        MC = M @ XtT                                                 # M_j X_t^T
        E = E + MC
        M = M - k * (MC @ XtE)
    E = k * E
    what = f"steps_t={d.steps_t} inner steps (alpha_t = {d.alpha_t.tolist()})"
    check_finite(M, f"outer-loop matrix B after {what}")
    check_finite(E, f"target map E after {what}")
    return xp.reshape(M, (R, A, d.N, d.p)), Xt, Xv, E
