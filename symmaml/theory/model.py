"""The model of Sections 3-4 and 7.1-7.2 (Eqs. 18-30) as SymPy objects.

Mixed linear regression y = X w + z with, for each task, X of independent rows
x ~ N(0, Sigma) (Sigma = I in Theorems 1-2), noise z ~ N(0, sigma^2) and task parameters
w ~ N(w0, Sigma_w) (Sigma_w = nu^2/p I in Theorems 1-2).  Random vectors are written as
Gaussian matrices of the moment engine: a column of n standard normal noises is an
``n x 1`` Gaussian matrix, a task-parameter deviation is the transpose of a ``1 x p``
Gaussian row, so every average below is computed by :mod:`symmaml.moments`.

One-step MAML (Eqs. 20-22): theta_i(omega) = A_i omega + alpha_t/n_t X_t^T y_t with
A_i = I - alpha_t/n_t X_t^T X_t (Eq. 21); the meta-training loss is |gamma - B omega|^2 /
(2 n_v m) with B_i = X_v A_i and gamma_i = X_v A_i w_i - alpha_t/n_t X_v X_t^T z_t + z_v
(Eqs. 66-68).
"""
from __future__ import annotations

from dataclasses import dataclass

from sympy import Identity, Symbol, Trace, sqrt

from ..moments import GaussianMatrix, gaussian_matrix, symmetric_matrix
from ..symbols import alpha_r, alpha_t, n_r, n_t, n_v, nu, p, sigma

__all__ = ["Task", "training_task", "TestTask", "test_task", "Sigma", "Sigma_w", "F",
           "n_s", "inner_matrix", "covariances"]

#: Theorem 3's matrices: input covariance, task covariance, fourth-moment matrix (Eq. 109-111)
Sigma = symmetric_matrix("Sigma", p)
Sigma_w = symmetric_matrix("Sigma_w", p)
F = symmetric_matrix("F", p)
#: test points per test task (drops out of every average)
n_s = Symbol("n_s")


def covariances(general: bool):
    """(input covariance, task-parameter covariance) of Theorems 1-2 or of Theorem 3."""
    if general:
        return Sigma, Sigma_w
    return Identity(p), nu**2 / p * Identity(p)


def _deviation(name, general):
    """w - w0 as a p x 1 matrix expression with covariance Sigma_w (Eq. 30 or Eq. 110)."""
    if general:
        return gaussian_matrix(name, 1, p, cov=Sigma_w).T
    return nu / sqrt(p) * gaussian_matrix(name, 1, p).T


def inner_matrix(X, alpha, n):
    """I - alpha/n X^T X: the one-step update's matrix (Eq. 21, Eq. 25)."""
    return Identity(p) - alpha / n * X.T * X


@dataclass(frozen=True)
class Task:
    """One training task i (Eqs. 18-19, 21, 67-68, 72-73)."""

    Xt: object
    Xv: object
    dw: object      # w_i - w0, p x 1
    zt: object      # n_t x 1 noise
    zv: object      # n_v x 1 noise

    @property
    def A(self):
        """A_i = I - alpha_t/n_t X_t^T X_t, the inner-loop update's matrix (Eq. 21)."""
        return inner_matrix(self.Xt, alpha_t, n_t)

    @property
    def B(self):
        """B_i = X_v A_i (Eq. 68)."""
        return self.Xv * self.A

    @property
    def dgamma(self):
        """gamma_i - E[gamma_i | X] = B_i (w_i - w0) - alpha_t/n_t X_v X_t^T z_t + z_v (Eq. 67)."""
        return self.B * self.dw - alpha_t / n_t * self.Xv * self.Xt.T * self.zt + self.zv

    @property
    def noise(self):
        """The Gaussian matrices averaged in Gamma (Eqs. 72-73): w_i, z_t, z_v."""
        return [next(iter(e.atoms(GaussianMatrix))) for e in (self.dw, self.zt, self.zv)]


def training_task(i, general=False) -> Task:
    """The random matrices of training task ``i`` (independent across tasks)."""
    cov, _ = covariances(general)
    cov = None if isinstance(cov, Identity) else cov
    return Task(Xt=gaussian_matrix(f"X_t{i}", n_t, p, cov=cov),
                Xv=gaussian_matrix(f"X_v{i}", n_v, p, cov=cov),
                dw=_deviation(f"g{i}", general),
                zt=sigma * gaussian_matrix(f"z_t{i}", n_t, 1),
                zv=sigma * gaussian_matrix(f"z_v{i}", n_v, 1))


@dataclass(frozen=True)
class TestTask:
    """The test task: target data (X_r, z_r), test data (X_s, z_s), parameters w' (Eqs. 23-26)."""

    Xr: object
    zr: object
    Xs: object
    zs: object
    dw: object

    def loss(self, d):
        """Test loss (Eq. 23) with omega* - w0 = d: 1/(2 n_s) |X_s (w' - theta') + z_s|^2."""
        Ar = inner_matrix(self.Xr, alpha_r, n_r)
        # w' - theta' = A_r (w' - omega*) - alpha_r/n_r X_r^T z_r   (Eq. 25)
        err = Ar * (self.dw - d) - alpha_r / n_r * self.Xr.T * self.zr
        u = self.Xs * err + self.zs
        return Trace(u.T * u) / (2 * n_s)


def test_task(general=False) -> TestTask:
    """The random matrices of the test task (Eqs. 23-26); ``general`` uses Sigma, Sigma_w
    (Section 7.4) instead of I and nu^2/p I."""
    cov, _ = covariances(general)
    cov = None if isinstance(cov, Identity) else cov
    return TestTask(Xr=gaussian_matrix("X_r", n_r, p, cov=cov),
                    zr=sigma * gaussian_matrix("z_r", n_r, 1),
                    Xs=gaussian_matrix("X_s", n_s, p, cov=cov),
                    zs=sigma * gaussian_matrix("z_s", n_s, 1),
                    dw=_deviation("g_test", general))

