"""Vectorised Monte Carlo simulator of MAML on mixed linear regression.

Protocol of the paper's Section 7.1 (Eqs. 18-27), per run:

1. m training tasks, w^(i) ~ N(w0, Sigma_w); X_t^(i) (n_t x p), X_v^(i) (n_v x p),
   noise z ~ N(0, sigma^2) (Eqs. 18-19, 28-30).
2. Inner step theta^(i)(omega) = (I - alpha_t/n_t X_t^T X_t) omega + alpha_t/n_t X_t^T y_t
   (Eq. 21), so the meta-training loss is |gamma - B omega|^2 / (2 n_v m) (Eq. 66) with
   B_i = X_v^(i) (I - alpha_t/n_t X_t^(i)T X_t^(i)) (Eq. 68) and
   gamma_i = y_v^(i) - alpha_t/n_t X_v^(i) X_t^(i)T y_t^(i) (equal to Eq. 67).
3. Outer loop solved exactly: omega* = omega0 + B^+ (gamma - B omega0), which is Eq. 69
   (min-norm correction, p > n_v m) and Eq. 83 (least squares, p < n_v m); computed
   with a batched thin SVD (:mod:`symmaml.montecarlo.linalg`), never an inverse of
   B B^T or B^T B (only the Rao-Blackwell estimator, which needs no omega*, uses B^T B,
   where that is accurate).
4. Test task w' ~ N(w0, Sigma_w), theta' = omega* - alpha_r/n_r X_r^T (X_r omega* - y_r)
   (Eq. 25), test loss |y_s - X_s theta'|^2 / (2 n_s) (Eq. 23).

K-step MAML (``steps_t`` = K_t, ``steps_r`` = K_r, default 1 = the paper): the inner step
of Eq. 21 is applied K_t times, so theta^(i)(omega) = A_i^K omega + c_i and Eqs. 66-69 / 83
hold with B_i = X_v A_i^K and gamma_i = y_v - X_v c_i
(:func:`~symmaml.montecarlo.linalg.outer_matrix_steps`); Eq. 25 is applied K_r times at test
time.  K = 1 runs the original code paths (same values, bit for bit).

Estimators of the average test loss (Eq. 27):

* ``"plain"`` (as the paper): each run scores omega* on ``test_tasks`` test tasks of
  ``n_s`` points and averages.  With Gaussian x and Sigma = I, exact distributional
  identities cut the test-task draws (see :mod:`symmaml.montecarlo.sampling`).
* ``"conditional"``: each run returns the exact expectation over the test task given
  omega* (:func:`symmaml.montecarlo.exact.conditional_test_loss`); same mean, smaller
  variance, no test-task draws.
* ``"rao_blackwell"`` (extension): the exact expectation given only the training
  inputs X_t, X_v, i.e. also over the task parameters w^(i) and the noise z_t, z_v
  (Eqs. 70-74 with Gamma of Eqs. 72-73 / 131); same mean again, and at Fig. 2's
  parameters about 50x less per-run variance than "conditional".  For p < n_v m it works
  with the p x p matrix B^T B, whose alpha_t-free pieces are shared by a whole sweep, and
  hands ill-conditioned runs to the SVD (:mod:`symmaml.montecarlo.rao_blackwell`).

All matrix operations go through the array API namespace of the inputs
(``array_api_compat.array_namespace``), so NumPy, PyTorch (CPU/CUDA) and
array-api-strict run the same code.
"""
from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from array_api_compat import array_namespace

from . import rao_blackwell, sampling
from ..backend import Backend, blas_threads, resolve_backend, to_numpy
from .existence import check_loss_moments
from .exact import conditional_loss_coefficients, steps_test_coefficients
from .linalg import (IllConditionedWarning, SingularOuterProblemError, check_finite, inputs, mv,
                     outer_matrix, outer_matrix_steps, outer_solve, steps_hint, task_params)

__all__ = ["simulate", "SimulationResult", "SimulationInterrupted", "outer_solve",
           "IllConditionedWarning", "SingularOuterProblemError", "check_runs"]

_CHUNK_BYTES = 48 * 2**20   # memory budget of the largest arrays of one chunk
_MAX_CHUNK = 2048


class SimulationInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a simulation whose result must not be reported as complete.

    :func:`simulate` itself returns the finished runs (``result.interrupted``); callers
    that turn a simulation into a verdict (:mod:`symmaml.experiments.validation`) raise
    this instead.
    A ``KeyboardInterrupt``, so it stops a program like Ctrl-C does.  ``result``: the
    partial :class:`SimulationResult` (None when nothing had finished); ``completed``: the
    results finished before it (e.g. the figures already validated by ``validate_all``).
    """

    def __init__(self, message: str, result=None, completed=()):
        super().__init__(message)
        self.result = result
        self.completed = tuple(completed)


def root_seed(seed) -> np.random.SeedSequence:
    """``seed`` (None, a non-negative int or a SeedSequence) as a SeedSequence; ValueError
    naming ``seed`` otherwise."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    try:
        return np.random.SeedSequence(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed must be None, a non-negative integer or a SeedSequence, "
                         f"got {seed!r}") from None


def check_runs(runs) -> int:
    """``runs`` as an int >= 2 (a standard error needs two runs), else ValueError naming it."""
    runs = sampling._count("runs", runs)
    if runs < 2:
        raise ValueError(f"runs must be at least 2: the standard error needs two runs, got {runs}")
    return runs


@dataclass(frozen=True)
class SimulationResult:
    """Monte Carlo estimate of the average test loss (Eq. 27).

    ``values`` holds the per-run estimates as a NumPy array whose last axis is the run
    axis; the leading axes follow the learning-rate arguments that were given as
    sequences, in the order (alpha_t, alpha_r):

    * both scalars            -> ``(runs,)``
    * alpha_t sequence only   -> ``(len(alpha_t), runs)``
    * alpha_r sequence only   -> ``(len(alpha_r), runs)``
    * both sequences          -> ``(len(alpha_t), len(alpha_r), runs)``

    ``mean`` / ``stderr`` have ``values.shape[:-1]`` (Python floats for scalar rates);
    ``stderr`` is the sample standard deviation (ddof=1) over sqrt(runs) (NaN for a single
    run, which only an interrupted simulation can return).
    Runs are independent; different alpha values share their random draws (common random
    numbers), so differences between alphas are much more precise than ``stderr`` suggests.
    ``steps_t`` / ``steps_r``: the numbers of inner gradient steps in meta-training and at
    test time (1: the paper's one-step MAML).  The draws do not depend on them either.
    """

    mean: float | np.ndarray
    stderr: float | np.ndarray
    runs: int
    values: np.ndarray
    alpha_t: np.ndarray
    alpha_r: np.ndarray
    estimator: str
    backend: str
    seed_entropy: int
    interrupted: bool = False
    elapsed: float = 0.0
    draws_per_run: dict = field(default_factory=dict)
    steps_t: int = 1
    steps_r: int = 1

    @property
    def variance(self):
        """Per-run sample variance (ddof=1) of ``values``."""
        v = np.var(self.values, axis=-1, ddof=1) if self.runs > 1 else np.full(self.values.shape[:-1], np.nan)
        return float(v) if np.ndim(v) == 0 else v


def meta_train(dr: dict, d: sampling.Design, c: dict, *, cond_warn=None):
    """omega* for every run and every alpha_t: (R, A_t, p) (Eqs. 21, 66-69, 83)."""
    xp = array_namespace(dr["Gx"])
    if d.steps_t > 1:                                                # K_t-step inner loop
        B, Xt, Xv, E = outer_matrix_steps(dr, d, c)
        R, A = B.shape[0], B.shape[1]
        w = task_params(dr["gw"], c)
        yt = mv(Xt, w) + d.sigma * dr["zt"]
        yv = mv(Xv, w) + d.sigma * dr["zv"]
        gamma = xp.expand_dims(yv, axis=1) - mv(E, xp.expand_dims(yt, axis=1))
        gamma = xp.reshape(gamma, (R, A, d.N))                       # y_v - X_v c_i
        r = gamma - mv(B, c["omega0"])
        with steps_hint(d):
            return c["omega0"] + outer_solve(B, r, cond_warn=cond_warn)
    B, Xt, Xv, C = outer_matrix(dr, d, c)
    R, A = B.shape[0], B.shape[1]
    w = task_params(dr["gw"], c)                                    # (R, m, p)
    yt = mv(Xt, w) + d.sigma * dr["zt"]                             # Eq. 18
    yv = mv(Xv, w) + d.sigma * dr["zv"]                             # Eq. 19
    ey = mv(C, yt)                                                  # X_v X_t^T y_t
    k = xp.reshape(c["alpha_t"] / d.n_t, (1, A, 1, 1))
    gamma = xp.expand_dims(yv, axis=1) - k * xp.expand_dims(ey, axis=1)
    gamma = xp.reshape(gamma, (R, A, d.N))                           # Eq. 67
    r = gamma - mv(B, c["omega0"])
    return c["omega0"] + outer_solve(B, r, cond_warn=cond_warn)


def _loss_conditional(omega, d, c):
    """Exact E[loss | omega*] (exact.py), (R, A_t, A_r)."""
    xp = array_namespace(omega)
    cv = omega - c["w0"]                                             # (R, A_t, p)
    if d.steps_r > 1:
        return rao_blackwell._combine_steps(xp.sum(cv * cv, axis=-1), d, c)   # K_r steps
    q1 = xp.sum((cv @ c["Sig1"]) * cv, axis=-1)
    q2 = xp.sum((cv @ c["Sig2"]) * cv, axis=-1)
    q3 = xp.sum((cv @ c["Q"]) * cv, axis=-1)
    a = xp.reshape(c["alpha_r"], (1, 1, d.alpha_r.size))
    c0, c1, c2 = c["consts"]
    q1, q2, q3 = (xp.expand_dims(q, axis=-1) for q in (q1, q2, q3))
    return 0.5 * (c0 + c1 * a + c2 * a * a + q1 - 2.0 * a * q2 + a * a * q3)


def _loss_plain_full(omega, dr, d, c):
    """Literal test protocol (Eqs. 23-25) on full X_r, X_s draws, (R, A_t, A_r)."""
    xp = array_namespace(omega)
    cv = omega - c["w0"]                                             # (R, A, p)
    dw = task_params(dr["gwp"], c) - c["w0"]                        # (R, T, p)
    e = xp.expand_dims(cv, axis=2) - xp.expand_dims(dw, axis=1)      # omega* - w', (R, A, T, p)
    Xr = xp.expand_dims(inputs(dr["Gr"], c["S"]), axis=1)           # (R, 1, T, n_r, p)
    Xs = xp.expand_dims(inputs(dr["Gs"], c["S"]), axis=1)
    v = mv(Xr, e) - d.sigma * xp.expand_dims(dr["zr"], axis=1)      # X_r omega* - y_r
    g = mv(Xr.mT, v)                                                # X_r^T (X_r omega* - y_r)
    q = mv(Xs, e) - d.sigma * xp.expand_dims(dr["zs"], axis=1)      # -(y_s - X_s omega*)
    h = mv(Xs, g)
    sqq = xp.expand_dims(xp.sum(q * q, axis=-1), axis=2)             # (R, A, 1, T)
    sqh = xp.expand_dims(xp.sum(q * h, axis=-1), axis=2)
    shh = xp.expand_dims(xp.sum(h * h, axis=-1), axis=2)
    a = xp.reshape(c["alpha_r"] / d.n_r, (1, 1, d.alpha_r.size, 1))
    loss = (sqq - 2.0 * a * sqh + a * a * shh) / (2.0 * d.n_s)       # Eq. 23
    return xp.mean(loss, axis=-1)


def _loss_plain_steps(omega, dr, d, c):
    """Literal K_r-step test protocol on full X_r, X_s draws, (R, A_t, A_r).

    With dd = theta - w', one step is dd <- dd - a X_r^T (X_r dd - z_r), a = alpha_r / n_r
    (y_r - X_r w' = z_r), from dd = omega* - w'; the loss is |X_s dd - z_s|^2 / (2 n_s)."""
    xp = array_namespace(omega)
    cv = omega - c["w0"]                                             # (R, A, p)
    dw = task_params(dr["gwp"], c) - c["w0"]                        # (R, T, p)
    e = xp.expand_dims(cv, axis=2) - xp.expand_dims(dw, axis=1)      # omega* - w', (R, A, T, p)
    ex = lambda x: xp.expand_dims(xp.expand_dims(x, axis=1), axis=1)
    Xr = ex(inputs(dr["Gr"], c["S"]))                               # (R, 1, 1, T, n_r, p)
    Xs = ex(inputs(dr["Gs"], c["S"]))
    zr, zs = d.sigma * ex(dr["zr"]), d.sigma * ex(dr["zs"])         # (R, 1, 1, T, n)
    a = xp.reshape(c["alpha_r"] / d.n_r, (1, 1, d.alpha_r.size, 1, 1))
    dd = xp.expand_dims(e, axis=2)                                   # (R, A, 1, T, p)
    for _ in range(d.steps_r):
        dd = dd - a * mv(Xr.mT, mv(Xr, dd) - zr)                     # (R, A, A_r, T, p)
    q = mv(Xs, dd) - zs
    loss = xp.sum(q * q, axis=-1) / (2.0 * d.n_s)                    # Eq. 23
    return xp.mean(loss, axis=-1)


def _loss_plain_reduced(omega, dr, d, c):
    """Test protocol through the exact identities of sampling.py (Sigma = I, Gaussian x)."""
    xp = array_namespace(omega)
    cv = omega - c["w0"]                                             # (R, A, p)
    dw = task_params(dr["gwp"], c) - c["w0"]                        # (R, T, p)
    ee = (xp.expand_dims(xp.sum(cv * cv, axis=-1), axis=-1) - 2.0 * (cv @ dw.mT)
          + xp.expand_dims(xp.sum(dw * dw, axis=-1), axis=1))        # |omega* - w'|^2, (R, A, T)
    ne = xp.expand_dims(xp.sqrt(xp.clip(ee, min=0.0)), axis=2)       # (R, A, 1, T)
    ex = lambda name: xp.expand_dims(xp.expand_dims(dr[name], axis=1), axis=1)  # (R, 1, 1, T)
    uu = ex("c_r")
    uz = xp.sqrt(uu) * ex("L21")
    zz = ex("L21") ** 2 + ex("c_r1")
    s = d.sigma
    uv = ne * uu - s * uz                                            # u . v
    vv = ne * ne * uu - 2.0 * s * ne * uz + s * s * zz               # |v|^2
    a = xp.reshape(c["alpha_r"] / d.n_r, (1, 1, d.alpha_r.size, 1))
    dd = (ne - a * uv) ** 2 + a * a * vv * ex("c_p1")                # |theta' - w'|^2
    loss = (dd + s * s) * ex("c_s") / (2.0 * d.n_s)
    return xp.mean(loss, axis=-1)


def _constants(be: Backend, d: sampling.Design) -> dict:
    """Design constants moved to the backend once per simulation."""
    c = {
        "w0": be.asarray(d.w0), "omega0": be.asarray(d.omega0),
        "S": None if d.sqrt_Sigma is None else be.asarray(d.sqrt_Sigma),
        "Lw": None if d.sqrt_Sigma_w is None else be.asarray(d.sqrt_Sigma_w),
        "w_scale": d.w_scale,
        "alpha_t": be.asarray(d.alpha_t), "alpha_r": be.asarray(d.alpha_r),
        "Sw": None if d.sqrt_Sigma_w is None else be.asarray(d.Sigma_w),
        "device": be.device,
    }
    if d.estimator in ("conditional", "rao_blackwell"):
        Sig = np.eye(d.p) if d.Sigma is None else d.Sigma
        root = np.eye(d.p) if d.sqrt_Sigma is None else d.sqrt_Sigma
        S1, S2, Q, consts = conditional_loss_coefficients(
            Sig, d.Sigma_w, root, sigma=d.sigma, n_r=d.n_r, x_dist=d.x_dist, df=d.df)
        c.update(Sig1=be.asarray(S1), Sig2=be.asarray(S2), Q=be.asarray(Q), consts=consts)
        if d.steps_r > 1:   # Sigma = I, Gaussian x (make_design checks)
            hk = [steps_test_coefficients(p=d.p, n_r=d.n_r, alpha_r=float(a), steps=d.steps_r)
                  for a in d.alpha_r]
            tr_w = float(np.trace(d.Sigma_w))
            c.update(h_K=be.asarray(np.array([h for h, _ in hk])),
                     k_K=be.asarray(np.array([d.sigma ** 2 * (1.0 + t) + h * tr_w for h, t in hk])))
    return c


def simulate_chunk(be: Backend, d: sampling.Design, c: dict, draws: dict, *, cond_warn=None):
    """Per-run estimates for one chunk of host draws: NumPy (R, A_t, A_r)."""
    dr = {k: be.asarray(v) for k, v in draws.items()}
    if d.estimator == "rao_blackwell":
        out = rao_blackwell.loss(dr, d, c, cond_warn=cond_warn)
    else:
        omega = meta_train(dr, d, c, cond_warn=cond_warn)
        if d.estimator == "conditional":
            out = _loss_conditional(omega, d, c)
        elif d.steps_r > 1:
            out = _loss_plain_steps(omega, dr, d, c)
        elif d.reduce_draws:
            out = _loss_plain_reduced(omega, dr, d, c)
        else:
            out = _loss_plain_full(omega, dr, d, c)
        out = to_numpy(out)
    if d.steps_t > 1 or d.steps_r > 1:
        check_finite(out, f"per-run test loss with steps_t={d.steps_t}, steps_r={d.steps_r} "
                          f"(alpha_t = {d.alpha_t.tolist()}, alpha_r = {d.alpha_r.tolist()})")
    return out


def _bytes_per_run(d: sampling.Design) -> int:
    A, Ar, T = d.alpha_t.size, d.alpha_r.size, d.test_tasks
    extra = 0
    if d.steps_t > 1:   # M_j, M_j X_t^T and the running sum E of outer_matrix_steps
        extra += 3 * A * d.N * d.p + 3 * A * d.N * d.n_t
    if d.steps_r > 1 and d.estimator == "plain":   # K_r-step test loop per (alpha_t, alpha_r)
        extra += 4 * A * Ar * T * d.p + 3 * A * Ar * T * (d.n_r + d.n_s)
    if extra:
        return _bytes_per_run_one(d) + 8 * extra
    return _bytes_per_run_one(d)


def _bytes_per_run_one(d: sampling.Design) -> int:
    A, Ar, T = d.alpha_t.size, d.alpha_r.size, d.test_tasks
    if d.estimator == "rao_blackwell" and d.p < d.N and rao_blackwell.METHOD != "svd" and d.steps_t == 1:
        # the Gram path never forms B: per-task p x p products, then p x p per alpha_t
        return 8 * (3 * d.m * (d.n_t + d.n_v) * d.p + 12 * d.m * d.p ** 2
                    + 4 * d.m * d.p * (d.n_t + d.n_v) + 10 * A * d.p ** 2)
    el = 3 * d.m * (d.n_t + d.n_v) * d.p + 4 * A * d.N * d.p + A * d.m * d.n_v * d.n_t
    if d.estimator == "plain":
        if d.reduce_draws:
            el += 2 * T * d.p + 12 * A * Ar * T
        else:
            el += 2 * T * (d.n_r + d.n_s) * d.p + 4 * A * T * d.p + 4 * A * T * (d.n_r + d.n_s) + 2 * A * Ar * T
    return 8 * el


def default_chunk(d: sampling.Design, runs: int) -> int:
    """Runs per chunk so that the big arrays of a chunk stay within about 48 MiB."""
    return int(max(1, min(runs, _MAX_CHUNK, _CHUNK_BYTES // _bytes_per_run(d))))


def _summarise(values: np.ndarray, vec_t: bool, vec_r: bool):
    """(A_t, A_r, R) -> documented shape, mean, stderr."""
    if not vec_r:
        values = values[:, 0]
    if not vec_t:
        values = values[0]
    R = values.shape[-1]
    mean = values.mean(axis=-1)
    stderr = values.std(axis=-1, ddof=1) / math.sqrt(R) if R > 1 else np.full(mean.shape, np.nan)
    if mean.ndim == 0:
        mean, stderr = float(mean), float(stderr)
    return values, mean, stderr


def make_result(values, d, *, vec_t, vec_r, backend, entropy, interrupted=False, elapsed=0.0):
    """Package (A_t, A_r, R) per-run values as a :class:`SimulationResult`."""
    vals, mean, stderr = _summarise(values, vec_t, vec_r)
    return SimulationResult(mean=mean, stderr=stderr, runs=int(values.shape[-1]), values=vals,
                            alpha_t=d.alpha_t.copy(), alpha_r=d.alpha_r.copy(), estimator=d.estimator,
                            backend=backend, seed_entropy=entropy, interrupted=interrupted,
                            elapsed=elapsed, draws_per_run=sampling.draws_per_run(d),
                            steps_t=d.steps_t, steps_r=d.steps_r)


def simulate(*, n_t, n_v, n_r, m, p, sigma, nu=None, alpha_t, alpha_r, runs=100, seed=None,
             estimator="plain", backend="numpy", w0=None, omega0=None, Sigma=None, Sigma_w=None,
             x_dist="gaussian", test_tasks=100, n_s=50, chunk=None, progress=None,
             df=5.0, reduce_draws=None, cond_warn=None, host_blas_threads=1, steps_t=1,
             steps_r=1) -> SimulationResult:
    """Monte Carlo estimate of MAML's average test loss (Eq. 27), vectorised over runs.

    Parameters follow the paper (Section 7.1): sizes ``n_t, n_v, n_r, m, p``, label noise
    ``sigma``, task variability ``nu`` (Sigma_w = nu^2/p I, Eq. 30) or an explicit task
    covariance ``Sigma_w`` (give one of the two), learning rates ``alpha_t`` (training,
    Eq. 21) and ``alpha_r`` (adaptation, Eq. 25), each a scalar or a 1-D sequence (a sweep
    reuses the same random draws for all values: common random numbers).  ``w0`` and
    ``omega0`` are the task mean and the outer-loop initial condition (scalar or (p,)).
    ``Sigma`` is the input covariance (default I), ``x_dist`` one of "gaussian",
    "rademacher", "student_t" (``df`` degrees of freedom, rescaled to unit variance).

    ``estimator``: "plain" (``test_tasks`` test tasks of ``n_s`` points per run, as the
    paper), "conditional" (exact expectation over the test task given omega*) or
    "rao_blackwell" (exact expectation given the meta-training inputs only); all three
    are unbiased for the same average test loss.
    ``reduce_draws`` (plain only): use the exact identities of
    :mod:`symmaml.montecarlo.sampling` (default: when x is Gaussian, Sigma = I and
    steps_r = 1; the identities are for one test step, so reduce_draws=True with
    steps_r > 1 is a ValueError).

    ``steps_t`` (K_t) / ``steps_r`` (K_r): inner gradient steps theta <- theta - alpha/n
    X^T (X theta - y) during meta-training (Eq. 21 applied K_t times) and at test time
    (Eq. 25 applied K_r times); positive integers, default 1 (the paper's one-step MAML,
    same code and results as before).  K_t steps from omega give theta = A^K omega + c_i,
    A = I - alpha_t/n_t X_t^T X_t, so Eqs. 66-69 / 83 hold with B_i = X_v A^K_t and
    gamma_i = y_v - X_v c_i (:func:`symmaml.montecarlo.linalg.outer_matrix_steps`), for every
    Sigma, Sigma_w, x_dist and estimator.  At test time the "plain" estimator performs the
    K_r steps literally; "conditional" and "rao_blackwell" use the exact test-task average
    (:func:`symmaml.montecarlo.exact.steps_test_coefficients`), available for Sigma = I and
    Gaussian x only (ValueError naming steps_r otherwise: use estimator="plain").  The
    random draws do not depend on the steps (common random numbers across K as across
    alpha).  A divergent inner loop (|1 - alpha lambda| > 1, overflowing over the steps)
    raises ValueError instead of returning inf/NaN.

    ``seed``: int / SeedSequence / None.  Run i uses ``SeedSequence(seed).spawn(runs)[i]``
    (independent of ``chunk``, and runs=k gives the first k runs of any larger runs).
    Random numbers are drawn by NumPy and moved to ``backend`` ("numpy", "torch",
    "torch:cuda", "array_api_strict", ...), where all linear algebra runs.

    ``chunk``: runs per vectorised batch (default: about 48 MiB of arrays).  ``progress``:
    tqdm bar over chunks (default: when runs >= 1000, there are several chunks and stderr
    is a terminal).  Ctrl-C returns the finished chunks with ``interrupted=True``; code
    that reports the result as a whole should raise :class:`SimulationInterrupted` then.
    ``cond_warn``: condition number of B above which a warning is issued.
    ``host_blas_threads``: BLAS threads of the host NumPy during the run (default 1, the
    fastest for these small batched problems; None leaves the pool alone; needs the
    optional ``threadpoolctl``, otherwise ignored).

    ``runs`` must be at least 2 (ValueError otherwise, before any work).  Where the expected
    test loss is infinite -- |p - n_v m| <= 1, or alpha_t > 0 with p < n_v and
    (m - 1) p <= 1; exact conditions and argument in :mod:`symmaml.montecarlo.existence` --
    ValueError naming p, n_v and m; where only the per-run variance is infinite
    (|p - n_v m| <= 3, or alpha_t > 0 with p < n_v and (m - 1) p <= 3), an
    :class:`~symmaml.montecarlo.existence.InfiniteVarianceWarning`: the standard error is
    then unreliable.

    Returns a :class:`SimulationResult` (NumPy arrays).
    """
    t0 = time.perf_counter()
    runs = check_runs(runs)
    root = root_seed(seed)
    d = sampling.make_design(n_t=n_t, n_v=n_v, n_r=n_r, m=m, p=p, sigma=sigma, nu=nu,
                             alpha_t=alpha_t, alpha_r=alpha_r, w0=w0, omega0=omega0, Sigma=Sigma,
                             Sigma_w=Sigma_w, x_dist=x_dist, df=df, estimator=estimator,
                             test_tasks=test_tasks, n_s=n_s, reduce_draws=reduce_draws,
                             steps_t=steps_t, steps_r=steps_r)
    check_loss_moments(d)
    chunk = default_chunk(d, runs) if chunk is None else sampling._count("chunk", chunk)
    be = resolve_backend(backend)
    seqs = sampling.run_generators(root, runs)
    c = _constants(be, d)
    bounds = [(i, min(i + chunk, runs)) for i in range(0, runs, chunk)]
    if progress is None:
        progress = runs >= 1000 and len(bounds) > 1 and sys.stderr.isatty()
    parts, interrupted = [], False
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=runs, unit="run", desc=f"MAML MC ({d.estimator})", file=sys.stderr)
    try:
        with blas_threads(host_blas_threads):
            for lo, hi in bounds:
                draws = sampling.draw_chunk(seqs[lo:hi], d)
                parts.append(simulate_chunk(be, d, c, draws, cond_warn=cond_warn))
                if bar is not None:
                    bar.update(hi - lo)
    except KeyboardInterrupt:
        if not parts:
            raise
        interrupted = True
        warnings.warn(f"interrupted: returning the {sum(x.shape[0] for x in parts)} of {runs} runs "
                      "finished so far", RuntimeWarning, stacklevel=2)
    finally:
        if bar is not None:
            bar.close()
    values = np.moveaxis(np.concatenate(parts, axis=0), 0, -1)      # (A_t, A_r, R)
    return make_result(values, d, vec_t=np.ndim(alpha_t) == 1, vec_r=np.ndim(alpha_r) == 1,
                       backend=be.name, entropy=root.entropy, interrupted=interrupted,
                       elapsed=time.perf_counter() - t0)
