"""Theorem 1 (overparameterized, p > n_v m), derived from the model (Sections 7.3, 7.3.1).

The average over the test task is exact (Eqs. 59-65).  Given the training inputs, the
average over task parameters and noise is exact too (Eqs. 69-74).  The remaining average
over X_t, X_v is done as in the paper, by replacing B B^T, Gamma and B dd^T B^T by their
expectations (Lemma 2, errors O(xi^-1/2) relative) and (B B^T)^-1 by its leading Taylor term
(Eq. 78, error O(xi^-3/2)).  Every expectation is computed by the moment engine.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Identity, MatrixSymbol, Symbol, Trace, ZeroMatrix, cancel, expand

from ..moments import expectation, identity_coefficient, moments_equal, replace_traces
from ..symbols import alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, p
from .common import E_d_sq, h, test_average
from .derivation import Derivation, Step, display
from .model import training_task

__all__ = ["derive"]

@lru_cache(maxsize=None)
def derive() -> Derivation:
    """Derive Theorem 1 (Eqs. 5-8): the average test loss for p > n_v m, as a
    :class:`Derivation` whose steps cite Eqs. 59-65 and 70-82 (Taylor step Eq. 78; cached)."""
    steps = []
    L65 = test_average(False)
    D = display()
    B, G, dl = D["B"], D["Gamma"], D["delta"]
    steps.append(Step("59-65", "average over the test task (exact)", D["L"], L65, "exact"))
    t1, t2 = training_task(1), training_task(2)
    # Gamma_i = E_{w, z_t, z_v}[dgamma dgamma^T] (Eqs. 72-73), X_t and X_v held fixed
    Gamma = expectation(t1.dgamma * t1.dgamma.T, over=t1.noise)
    steps.append(Step("72-73", "Gamma_i = E_{w,z}[dgamma_i dgamma_i^T] (exact)",
                      Symbol("Gamma_i"), Gamma, "exact"))
    omega_gap = MatrixSymbol("delta", p, 1)        # omega0 - w0
    steps.append(Step("70-74", "E_{w,z}|omega* - w0|^2 given the inputs (exact)",
                      E_d_sq, Trace(G * (B * B.T) ** -1) + delta_sq
                      - Trace((B * B.T) ** -1 * B * dl * dl.T * B.T), "exact",
                      note="B^T (BB^T)^-1 B is a projection (Eq. 69 with omega0)"))
    # Lemma 2 concentration: replace by expectations
    c_bb = expand(identity_coefficient(expectation(t1.B * t1.B.T)))
    off = expectation(t1.B * t2.B.T)
    if not moments_equal(off, ZeroMatrix(n_v, n_v)):
        raise AssertionError(f"E[B_i B_j^T] should vanish, got {off}")
    I = Identity(n_v * m)
    steps.append(Step("75", "B B^T (Lemma 2; off-diagonal blocks have zero mean)",
                      B * B.T, c_bb * I, "approximation", "p O(xi^{-1/2})"))
    c_gamma = expand(identity_coefficient(expectation(Gamma)))
    steps.append(Step("76", "Gamma (Lemma 2)", G, c_gamma * I, "approximation", "O(xi^{-1/2})"))
    c_bddb = replace_traces(identity_coefficient(expectation(
        t1.B * omega_gap * omega_gap.T * t1.B.T)), {Trace(omega_gap.T * omega_gap): delta_sq})
    c_bddb = expand(c_bddb)
    steps.append(Step("77", "B (omega0 - w0)(omega0 - w0)^T B^T (Lemma 2)", B * dl * dl.T * B.T,
                      c_bddb * I, "approximation", "O(xi^{-1/2})"))
    steps.append(Step("78", "(B B^T)^-1 by Taylor expansion", (B * B.T) ** -1,
                      1 / c_bb * Identity(n_v * m), "approximation", "O(xi^{-3/2})"))
    # Eq. 74 with every n_v m x n_v m matrix a multiple of I: traces give n_v m
    e_d = cancel(n_v * m * c_gamma / c_bb + delta_sq - n_v * m * c_bddb / c_bb)
    steps.append(Step("79", "E|omega* - w0|^2", E_d_sq, e_d, "approximation", "O(xi^{-3/2})"))
    loss = L65.subs(E_d_sq, e_d)
    steps.append(Step("80-82", "average test loss", D["L"], loss, "approximation",
                      "O(xi^{-3/2})"))
    return Derivation("1", "p > n_v m; p, n_t = O(xi); |omega0 - w0| = O(xi^{-1/4})",
                      tuple(steps), loss,
                      extras={"h_t": h(alpha_t, n_t), "h_r": h(alpha_r, n_r),
                              "E_d_sq": e_d, "c_BB": c_bb, "c_Gamma": c_gamma})


