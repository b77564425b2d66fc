"""Theorem 2 (underparameterized, p < n_v m), derived from the model (Section 7.3.2).

omega* = (B^T B)^-1 B^T gamma (Eq. 83), so E_{w,z}|omega* - w0|^2 =
Tr((B^T B)^-1 B^T Gamma B (B^T B)^-1) exactly (Eqs. 84-85).  As in the paper, B^T B and
B^T Gamma B are replaced by their expectations (Lemma 3; sums of m independent terms, error
O((m xi)^-1/2) relative) and (B^T B)^-1 by its leading Taylor term (Eq. 87).

The polynomials g_1 ... g_4 of Eq. 9 (Eqs. 95-108 are missing from the extracted text) come
out of the average over X_v: Lemma 1's Eq. 42, E[X_v^T X_v M X_v^T X_v] = n_v(n_v + 1) M +
n_v Tr(M) I, splits E[B^T Gamma B] into an (n_v + 1) part and a trace part, each averaged
over X_t by the moment engine:

    g_1 = E[A W_t A] / n_t,  g_2 = E[A^2 Tr W_t] / (n_t p),
    g_3 = E[A^4],            g_4 = E[A^2 Tr A^2] / p            (all / I_p)

with A = I - alpha_t/n_t W_t, W_t = X_t^T X_t.  The split is checked exactly against the
full expectation.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Identity, MatrixSymbol, Symbol, Trace, cancel, expand

from ..moments import expectation, identity_coefficient
from ..symbols import alpha_r, alpha_t, m, n_r, n_t, n_v, nu, p, sigma
from .common import E_d_sq, h, test_average
from .derivation import Derivation, Step, display
from .model import training_task

__all__ = ["derive", "g_polynomials"]


def _coef(expr):
    return expand(identity_coefficient(expectation(expr)))


@lru_cache(maxsize=None)
def g_polynomials() -> dict:
    """g_1..g_4 of Theorem 2 (Eq. 9) as polynomials in alpha_t, n_t, p (derived)."""
    t = training_task(1)
    A, W = t.A, t.Xt.T * t.Xt
    return {
        "g1": expand(_coef(A * W * A) / n_t),
        "g2": expand(_coef(A * A * Trace(W)) / (n_t * p)),
        "g3": _coef(A ** 4),
        "g4": expand(_coef(A * A * Trace(A * A)) / p),
    }


@lru_cache(maxsize=None)
def derive() -> Derivation:
    """Derive Theorem 2 (Eqs. 9-10): the average test loss for p < n_v m, as a
    :class:`Derivation` whose steps cite Eqs. 59-65, 72-73, 83-85, 86-94 and 9 (cached)."""
    steps = []
    L65 = test_average(False)
    D = display()
    B, G = D["B"], D["Gamma"]
    BtBi = (B.T * B) ** -1
    steps.append(Step("59-65", "average over the test task (exact)", D["L"], L65, "exact"))
    t = training_task(1)
    Gamma = expectation(t.dgamma * t.dgamma.T, over=t.noise)
    steps.append(Step("72-73", "Gamma_i = E_{w,z}[dgamma_i dgamma_i^T] (exact)",
                      Symbol("Gamma_i"), Gamma, "exact"))
    steps.append(Step("83-85", "E_{w,z}|omega* - w0|^2 given the inputs (exact)", E_d_sq,
                      Trace(BtBi * B.T * G * B * BtBi), "exact"))
    c_btb = _coef(t.B.T * t.B)            # per task; B^T B sums m of them
    Ip = Identity(p)
    steps.append(Step("86", "B^T B (Lemma 3)", B.T * B, m * c_btb * Ip,
                      "approximation", "n_v m O((m xi)^{-1/2})"))
    steps.append(Step("87", "(B^T B)^-1 by Taylor expansion", BtBi,
                      1 / (m * c_btb), "approximation", "O((m xi)^{-1/2})"))
    # Eqs. 89-94: average over X_v first (held X_t), then over X_t
    sandwich = t.B.T * Gamma * t.B
    over_v = expectation(sandwich, over=[t.Xv])
    steps.append(Step("89-93", "E_{X_v}[B_i^T Gamma_i B_i] (exact, Eqs. 41-42)",
                      t.B.T * MatrixSymbol("Gamma_i", n_v, n_v) * t.B, over_v, "exact"))
    c_bgb = _coef(over_v)
    if cancel(c_bgb - _coef(sandwich)) != 0:
        raise AssertionError("iterated and joint averages of B^T Gamma B differ")
    g = g_polynomials()
    split = n_v * (sigma**2 * h(alpha_t, n_t)
                   + alpha_t**2 * sigma**2 / n_t * ((n_v + 1) * g["g1"] + p * g["g2"])
                   + nu**2 / p * ((n_v + 1) * g["g3"] + p * g["g4"]))
    if expand(split - c_bgb) != 0:
        raise AssertionError("the g-polynomial split does not reproduce E[B^T Gamma B]")
    steps.append(Step("88-94", "B^T Gamma B (Lemma 3)", B.T * G * B, m * c_bgb * Ip,
                      "approximation", "n_v m O((m xi)^{-1/2})"))
    e_d = cancel(p * m * c_bgb / (m * c_btb) ** 2)
    steps.append(Step("85", "E|omega* - w0|^2", E_d_sq, e_d, "approximation",
                      "O((m xi)^{-3/2})"))
    loss = L65.subs(E_d_sq, e_d)
    steps.append(Step("9", "average test loss", D["L"], loss, "approximation",
                      "O((m xi)^{-3/2})"))
    return Derivation("2", "p < n_v m; n_v, n_t = O(xi); m large", tuple(steps), loss,
                      extras={"h_t": h(alpha_t, n_t), "h_r": h(alpha_r, n_r), "E_d_sq": e_d,
                              "g": g, "c_BGB": c_bgb, "c_BtB": c_btb})
