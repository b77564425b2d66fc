"""Theorem 3 (overparameterized, general Sigma, Sigma_w, F; omega0 = w0 = 0), Section 7.4.

Inputs need not be Gaussian.  Rows of X are independent with covariance Sigma, so in
E[X^T X M X^T X] = sum_{i,j} E[x_i x_i^T M x_j x_j^T] the n(n-1) terms with i != j give
Sigma M Sigma whatever the distribution, and only the n terms with i = j involve fourth
moments.  Every average in the proof has M = Sigma there, so the only fourth-moment
quantity is F = E[(x^T Sigma x) x x^T] (Eq. 111).  We therefore compute each average with the
moment engine for Gaussian rows and then replace the Gaussian value of F,
F_G = E[(x^T Sigma x) x x^T] (computed by the engine), by the symbol F:

    H = E[A Sigma A] = E_G[A Sigma A] + alpha^2/n (F - F_G),  A = I - alpha/n X^T X,

which is the definition of H_t, H_r (Eqs. 15-16, 124, 137); the i != j part is checked
exactly by the engine (E_G[W Sigma W] - n F_G = n(n-1) Sigma^3).
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Identity, ImmutableMatrix, MatrixBase, Symbol, Trace, ZeroMatrix

from ..moments import (expectation, gaussian_matrix, identity_coefficient, moments_equal,
                       symmetric_matrix)
from ..symbols import alpha_r, alpha_t, m, n, n_r, n_t, n_v, p, sigma
from .algebra import expand_traces
from .common import d_vector, test_average
from .derivation import Derivation, Step, display
from .model import F, Sigma, Sigma_w, inner_matrix, training_task
from .regime import check_matrix

__all__ = ["derive", "H", "gaussian_F", "specialise"]


@lru_cache(maxsize=None)
def gaussian_F():
    """F_G = E[(x^T Sigma x) x x^T] for x ~ N(0, Sigma) (Eq. 111, computed)."""
    x = gaussian_matrix("x", 1, p, cov=Sigma)
    return expectation(Trace(x * Sigma * x.T) * x.T * x)


def H(alpha, size):
    """H = Sigma (I - alpha Sigma)^2 + alpha^2/size (F - Sigma^3) (Eqs. 15-16), as derived."""
    return Sigma * (Identity(p) - alpha * Sigma) ** 2 + alpha ** 2 / size * (F - Sigma ** 3)


@lru_cache(maxsize=None)
def _check_H():
    """E_G[A Sigma A] equals H with F -> F_G, and the i != j part is distribution-free."""
    X = gaussian_matrix("X_H", n, p, cov=Sigma)
    A = inner_matrix(X, alpha_t, n)
    hg = expectation(A * Sigma * A)
    if not moments_equal(hg, H(alpha_t, n).xreplace({F: gaussian_F()})):
        raise AssertionError("E[A Sigma A] does not have the form of Eq. 15")
    W = X.T * X
    if not moments_equal(expectation(W * Sigma * W) - n * gaussian_F(),
                         n * (n - 1) * Sigma ** 3):
        raise AssertionError("the i != j part of E[W Sigma W] is not n(n-1) Sigma^3")
    return hg


@lru_cache(maxsize=None)
def derive() -> Derivation:
    """Derive Theorem 3 (Eqs. 14-16): the average test loss for p > n_v m with general
    Sigma, Sigma_w and F (Eq. 111), as a :class:`Derivation` (Section 7.4; cached)."""
    _check_H()
    steps = []
    FG = gaussian_F()
    steps.append(Step("111", "F for Gaussian rows (the engine's value, replaced by F)",
                      F, FG, "exact"))
    Ht, Hr = H(alpha_t, n_t), H(alpha_r, n_r)
    steps.append(Step("15", "H_t = E[A_t Sigma A_t]", Symbol("H_t"), Ht, "exact"))
    steps.append(Step("16", "H_r = E[A_r Sigma A_r]", Symbol("H_r"), Hr, "exact"))
    # Eqs. 115-124: exact average over the test task (Gaussian rows), then F_G -> F
    avg = test_average(True)
    form = (sigma ** 2 / 2 * (1 + alpha_r ** 2 / n_r * Trace(Sigma ** 2))
            + Trace(Sigma_w * Hr) / 2 + Trace(Hr * d_vector * d_vector.T) / 2)
    if not moments_equal(avg, form.xreplace({F: FG})):
        raise AssertionError("test average is not of the form of Eq. 123")
    D = display()
    B, G, Hr_s, om = D["B"], D["Gamma"], D["H_r"], D["omega"]
    steps.append(Step("115-124", "average over the test task (exact)", D["L"],
                      form, "exact",
                      note="checked: the engine's Gaussian average equals this with F = F_G"))
    t1, t2 = training_task(1, general=True), training_task(2, general=True)
    Gamma = expectation(t1.dgamma * t1.dgamma.T, over=t1.noise)
    steps.append(Step("130-131", "Gamma_i = E_{w,z}[gamma_i gamma_i^T] (exact)",
                      Symbol("Gamma_i"), Gamma, "exact"))
    # Eq. 137: B B^T ~ Tr(H_t) I ; Eq. 138: Gamma ~ (Tr(Sigma_w H_t) + ...) I ;
    # Eq. 139: B H_r B^T ~ Tr(H_r H_t) I.  Each is E_G[...] with F_G, then F.
    Hsym = symmetric_matrix("M", p)                     # a fixed matrix in place of H_r
    c_bb = identity_coefficient(expectation(t1.B * t1.B.T))
    c_gamma = identity_coefficient(expectation(Gamma))
    c_bhb = identity_coefficient(expectation(t1.B * Hsym * t1.B.T))
    if not moments_equal(expectation(t1.B * t2.B.T), ZeroMatrix(n_v, n_v)):
        raise AssertionError("E[B_i B_j^T] should vanish")
    want_bb = Trace(Ht)
    want_gamma = Trace(Sigma_w * Ht) + sigma ** 2 * (1 + alpha_t ** 2 / n_t * Trace(Sigma ** 2))
    want_bhb = Trace(Hsym * Ht)
    for got, want, eq in ((c_bb, want_bb, "137"), (c_gamma, want_gamma, "138"),
                          (c_bhb, want_bhb, "139")):
        if not moments_equal(got, want.xreplace({F: FG})):
            raise AssertionError(f"Eq. {eq}: engine average is not of the stated form")
    steps.append(Step("137", "B B^T", B * B.T, want_bb * Identity(n_v * m),
                      "approximation", "O(xi^{1/2})"))
    steps.append(Step("138", "Gamma", G, want_gamma * Identity(n_v * m),
                      "approximation", "O(xi^{-1/2})"))
    steps.append(Step("139", "B H_r B^T", B * Hr_s * B.T,
                      Trace(Hr * Ht) * Identity(n_v * m), "approximation", "O(xi^{1/2})"))
    steps.append(Step("140", "(B B^T)^-1 by Taylor expansion", (B * B.T) ** -1,
                      Identity(n_v * m) / Trace(Ht), "approximation", "O(xi^{-3/2})"))
    e_h = n_v * m * Trace(Hr * Ht) * want_gamma / Trace(Ht) ** 2
    steps.append(Step("141", "E Tr(H_r omega* omega*^T)", Trace(Hr_s * om * om.T), e_h,
                      "approximation", "O(xi^{-3/2})"))
    loss = (sigma ** 2 / 2 * (1 + alpha_r ** 2 / n_r * Trace(Sigma ** 2))
            + Trace(Sigma_w * Hr) / 2 + e_h / 2)
    steps.append(Step("14", "average test loss", D["L"], loss, "approximation",
                      "O(xi^{-3/2})"))
    return Derivation("3", "p > n_v m; omega0 = w0 = 0; p, n_t = O(xi); Tr Sigma_w^2 = "
                      "O(xi^-1); variances of rescaled input products O(xi^-1)",
                      tuple(steps), loss, extras={"H_t": Ht, "H_r": Hr, "F_G": FG})


def specialise(expr, Sigma_value=None, Sigma_w_value=None, F_value=None):
    """Substitute values (explicit SymPy matrices or matrix expressions such as
    ``nu**2/p * Identity(p)``) for Sigma, Sigma_w, F in a Theorem-3 expression.

    ``F_value="gaussian"`` uses the engine's Gaussian value 2 Sigma^3 + Sigma Tr Sigma^2.
    Explicit numeric matrices are checked: square, symmetric, and positive semi-definite
    for the covariances.  Used to reduce Theorem 3 (Eq. 14) to Theorem 1 (Eq. 5).
    """
    if isinstance(F_value, str):
        if F_value != "gaussian":
            raise ValueError(f"F_value must be a matrix or 'gaussian', got {F_value!r}")
        F_value = gaussian_F()
        if Sigma_value is not None:
            F_value = F_value.xreplace({Sigma: Sigma_value})
    sub = {}
    for sym, val, psd in ((Sigma, Sigma_value, True), (Sigma_w, Sigma_w_value, True),
                          (F, F_value, False)):
        if val is not None:
            check_matrix(str(sym), val, psd=psd)
            sub[sym] = val
    explicit = [v for v in sub.values() if isinstance(v, MatrixBase)]
    if explicit:
        sizes = {v.shape[0] for v in explicit}
        if len(sizes) != 1:
            raise ValueError(f"Sigma, Sigma_w, F must have the same size, got {sorted(sizes)}")
        # explicit matrices fix p; SymPy then evaluates every trace
        k = sizes.pop()
        out = expr.xreplace(sub).xreplace({p: k})
        return out.xreplace({Identity(k): ImmutableMatrix.eye(k)}).doit()
    out = expr.xreplace(sub)
    return expand_traces(out)        # matrix expressions (e.g. nu^2/p I): canonical traces
