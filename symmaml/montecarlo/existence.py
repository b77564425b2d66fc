"""Where the expected test loss and the estimators' variance are finite.

The simulator estimates E[test loss] (Eq. 27) by an average over runs.  Near the
interpolation threshold p = N = n_v m that expectation, or the variance of the per-run
values, is infinite: the sample mean then grows with the number of runs and the standard
error means nothing.  :func:`simulate <symmaml.montecarlo.simulate>` refuses the first case
(ValueError) and warns in the second (:class:`InfiniteVarianceWarning`).

Argument
--------
Given all inputs, omega* - w0 = (I - P)(omega0 - w0) + B^+ xi (Eqs. 69/83), with B the
stacked N x p matrix of Eq. 68 and xi the task and label noise of the validation targets.
The first term is bounded (I - P is a projection).  With label noise, Cov(xi | X) >=
sigma^2 I, so E|B^+ xi|^2 >= sigma^2 E Tr (B^T B)^+ = sigma^2 E sum_j s_j^-2 over the
non-zero singular values s_j of B; conversely |B^+ xi| <= |xi| / s_min with xi Gaussian
given the inputs, so the heavy tail is that of s_min^-1 (Student-t inputs add moment
conditions of their own, on top of these).  The test loss is
c^T H_r c + const with H_r positive definite for a non-singular Sigma, so E[loss] < inf iff
E[s_min(B)^-2] < inf, and the per-run values (RB: Tr(H_r B^+ Gamma B^+T); conditional and
plain: |B^+ xi|^2 H_r-weighted) have a finite variance iff E[s_min^-4] < inf.

Both are governed by the small-ball exponent c of s_min: P(s_min^2 < e) ~ e^(c/2) as e -> 0,
so s_min^-2 has a Pareto tail of index c/2 and its k-th moment exists iff c > 2k.

* alpha_t = 0: B = X_v is Gaussian and B^T B (p < N) resp. B B^T (p > N) is Wishart with
  dimension d = min(p, N) and k = max(p, N) degrees of freedom; the smallest eigenvalue has
  density ~ l^((k - d - 1)/2) at 0, so c = |p - N| + 1.  This is the inverse-Wishart rule:
  E W^-1 exists iff k - d - 1 > 0, E W^-2 iff k - d - 3 > 0.
* alpha_t != 0: given X_t, the rows of B_i = X_v^(i) A_i, A_i = I - k X_t^(i)T X_t^(i),
  k = alpha_t / n_t, are independent Gaussians with covariance A_i Sigma A_i, non-singular
  almost surely, so the same count gives c = |p - N| + 1 -- unless A_i itself can be near
  singular, which for continuous inputs happens iff alpha_t > 0 (an eigenvalue of X_t^T X_t
  near n_t / alpha_t; its density there is positive).  For p < N count the conditions
  for "some unit v has |B v| < e": a task whose A_i has an eigenvalue within e of 0
  (1 condition) with v within e of that eigenvector (p - 1 conditions) satisfies its n_v
  rows at once; a generic task costs n_v conditions; v itself has p - 1 free directions.
  With s such tasks, c = N - p + 1 + s (p - n_v); when n_v > p the best is s = m:
  c = (m - 1) p + 1.  So for p < n_v and alpha_t > 0, c = min(N - p + 1, (m - 1) p + 1).
  For p > N (so n_v < p) the count is on the rows, "some unit u has |B^T u| < e", and a
  singular A_i gains nothing: a task's n_v rows still span n_v dimensions of range(A_i).
  Example: m = 1 (a single training task) with n_v > p has c = 1 at every alpha_t > 0 --
  an infinite mean although N - p - 1 > 0.

K inner steps (``steps_t`` = K_t > 1): B_i = X_v^(i) A_i^K, whose rows are again independent
Gaussians given X_t, with covariance A_i^K Sigma A_i^K; A_i^K is near singular iff A_i is,
i.e. iff alpha_t > 0 for continuous inputs, so the same counts and conditions apply.  The
test side (``steps_r``) only multiplies the loss by Gaussian polynomial moments, which are
finite.

Both counts are checked numerically in ``tests/montecarlo/test_existence.py`` (Hill
estimates of the tail index of the per-run values against c/2).

Exceptions, where B^+ xi stays bounded and every moment is finite (c = inf):

* no amplified noise: sigma = 0 and (Sigma_w = 0, or m = 1, or p = 1): then xi_i = B_i dw_i
  and B^+ xi is P dw (m = 1) or a convex combination of the dw_i (p = 1); at alpha_t = 0 this
  is exact.py's closed forms, whose tau^2 term is finite for m = 1 or p = 1 and diverges
  like 1/(p - N - 1) resp. 1/(N - p - 1) otherwise;
* discrete inputs (x_dist = "rademacher"): B takes finitely many values; a singular one
  (positive probability) is reported at run time (SingularOuterProblemError).

With a singular Sigma of rank r, the rows of B lie in range(Sigma), so r replaces p.

Summary, N = n_v m, with label noise (sigma > 0) or task noise with m, p >= 2:

    mean finite      iff  |p - N| >= 2  and (p >= n_v or alpha_t <= 0 or (m - 1) p >= 2)
    variance finite  iff  |p - N| >= 4  and (p >= n_v or alpha_t <= 0 or (m - 1) p >= 4)
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["InfiniteVarianceWarning", "LossMoments", "loss_moments", "check_loss_moments"]


class InfiniteVarianceWarning(RuntimeWarning):
    """The expected test loss is finite but the per-run values have infinite variance:
    the standard error (and any z-score built on it) is unreliable."""


@dataclass(frozen=True)
class LossMoments:
    """Existence of the mean and variance of the per-run test loss at one alpha_t.

    ``exponent``: the small-ball exponent c of s_min(B) (module doc; ``inf`` when B^+ xi is
    bounded); ``mean_finite`` iff c > 2, ``variance_finite`` iff c > 4.
    """

    exponent: float
    mean_finite: bool
    variance_finite: bool
    reason: str


def loss_moments(*, p: int, n_v: int, m: int, alpha_t: float = 0.0, sigma: float = 1.0,
                 task_noise: bool = True, x_dist: str = "gaussian", rank: int | None = None
                 ) -> LossMoments:
    """Whether E[test loss] and the per-run variance are finite (module doc, with argument).

    ``task_noise``: Sigma_w != 0.  ``rank``: rank of the input covariance (default p).
    """
    N = n_v * m
    r = p if rank is None else int(rank)
    if x_dist == "rademacher":
        return LossMoments(math.inf, True, True, "discrete inputs: B takes finitely many values")
    if sigma == 0 and (not task_noise or m == 1 or r == 1):
        return LossMoments(math.inf, True, True, "no noise that B^+ amplifies")
    c = abs(r - N) + 1
    reason = f"|p - n_v m| + 1 = {c}"
    if r < n_v and alpha_t > 0 and (m - 1) * r + 1 < c:
        c = (m - 1) * r + 1
        reason = (f"alpha_t > 0 with p < n_v: A_i = I - alpha_t/n_t X_t^T X_t can be singular in "
                  f"every task, (m - 1) p + 1 = {c}")
    return LossMoments(float(c), c > 2, c > 4, reason)


def _affected(d, key):
    """The alpha_t values of the design whose moment ``key`` is infinite, with one reason."""
    rank = p = d.p
    if d.Sigma is not None:
        rank = int(np.linalg.matrix_rank(d.Sigma))
    task_noise = bool(np.any(d.Sigma_w != 0))
    bad, reason = [], ""
    for a in np.unique(d.alpha_t):
        lm = loss_moments(p=p, n_v=d.n_v, m=d.m, alpha_t=float(a), sigma=d.sigma,
                          task_noise=task_noise, x_dist=d.x_dist, rank=rank)
        if not getattr(lm, key):
            bad.append(float(a))
            reason = reason or lm.reason
    return bad, reason, rank


def _where(d, bad, rank):
    rk = "" if rank == d.p else f" (Sigma has rank {rank}, which takes the place of p)"
    at = "" if bad == sorted(set(d.alpha_t.tolist())) else f" at alpha_t = {bad}"
    return f"p={d.p}, n_v={d.n_v}, m={d.m} (n_v m = {d.N}){rk}{at}"


def check_loss_moments(d, *, stacklevel: int = 3) -> None:
    """ValueError where E[test loss] is infinite, :class:`InfiniteVarianceWarning` where
    only the variance is (``d``: a :class:`~symmaml.montecarlo.sampling.Design`)."""
    bad, reason, rank = _affected(d, "mean_finite")
    if bad:
        raise ValueError(
            f"the expected test loss is infinite at {_where(d, bad, rank)}: it needs the "
            "small-ball exponent c of the outer-loop matrix B to exceed 2, i.e. |p - n_v m| >= 2 "
            f"and, for alpha_t > 0 with p < n_v, (m - 1) p >= 2; here c = {reason} "
            "(see symmaml.montecarlo.existence)")
    bad, reason, rank = _affected(d, "variance_finite")
    if bad:
        warnings.warn(
            f"the test loss has a finite mean but infinite variance at {_where(d, bad, rank)} "
            "(needs |p - n_v m| >= 4 and, for alpha_t > 0 with p < n_v, (m - 1) p >= 4; "
            f"here c = {reason}): the standard error is unreliable",
            InfiniteVarianceWarning, stacklevel=stacklevel)
