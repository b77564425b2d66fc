"""Theorem-3-shaped test expression (Eqs. 14-16), built here from SymPy primitives.

The theory layer owns the real derivation (``symmaml.theory``); the numeric layer is
tested on this hand-written copy of Eq. 14 with Eqs. 15-16 substituted.
"""
import numpy as np
import sympy
from sympy import Identity, MatrixSymbol, Trace

from symmaml.montecarlo.sampling import wishart_draw
from symmaml.numeric import gaussian_F
from symmaml.symbols import alpha_r, alpha_t, m, n_r, n_t, n_v, p, sigma

S = MatrixSymbol("S", p, p)
Sw = MatrixSymbol("Sw", p, p)
F = MatrixSymbol("F", p, p)
SCALARS = (alpha_t, alpha_r, n_t, n_v, n_r, m, sigma)


def H(alpha, n_samples):
    """Eqs. 15-16: H = S (I - alpha S)^2 + alpha^2/n (F - S^3)."""
    I = Identity(p)
    return S * (I - alpha * S) ** 2 + alpha ** 2 / n_samples * (F - S ** 3)


def theorem3_loss():
    """Eq. 14 (overparameterised, general covariances), unexpanded."""
    Ht, Hr = H(alpha_t, n_t), H(alpha_r, n_r)
    trS2 = Trace(S ** 2)
    return (sympy.Rational(1, 2) * Trace(Sw * Hr)
            + sigma ** 2 / 2 * (1 + alpha_r ** 2 / n_r * trS2)
            + n_v * m / 2 * Trace(Hr * Ht)
            * (Trace(Sw * Ht) + sigma ** 2 * (1 + alpha_t ** 2 / n_t * trS2)) / Trace(Ht) ** 2)


def fig4_matrices(pp, seed, nu_=0.5):
    """Eq. 17 with the 1/p normalisation: Sigma ~ W(I, p)/p, Sigma_w ~ nu^2/p W(I, p)/p."""
    rng = np.random.default_rng(seed)
    Sn = wishart_draw(pp, rng=rng)
    Swn = wishart_draw(pp, scale=nu_ ** 2 / pp, rng=rng)
    return {S: Sn, Sw: Swn, F: gaussian_F(Sn)}
