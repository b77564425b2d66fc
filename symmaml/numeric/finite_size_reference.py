"""Slow reference for the order-2 noise factor S (:mod:`symmaml.numeric.finite_size`).

One alpha_t at a time, in mpmath: the subordination parameter omega(T) is solved for each T
by ``findroot``, the spectral sums of M = A Q A are functions of T, their T-derivatives are
taken by ``mpmath.diff`` (no chain rule through omega, no compiled equations), and the
corrected deterministic equivalent is solved for T by ``findroot``.  The fast, vectorised
evaluation is tested against it.

Step 3b (``orthogonal=True``, the O(1/p) orthogonal correction of free subordination for
the Haar projection) is added the obvious way: at each T the correction of s and of
Tr A (I + T A Q A)^-1 comes from Theorem 2's reference
(:func:`symmaml.numeric.finite_size_tasks_reference.orthogonal_reference`: the additive
system re-solved, derivatives and the first-order response by central differences) with
the projection's resolvent g(z) = c/(1 + z) at zeta = 0, and the cDE's root is then found
in float64 (``scipy.optimize.brentq``): the differences limit it to about 1e-8 of the
correction.
"""
from __future__ import annotations

import mpmath
import numpy as np
from scipy.optimize import brentq

from .finite_size_tasks_reference import orthogonal_reference
from .spectral import DEFAULT_NODES, wishart_quadrature

__all__ = ["finite_size_noise_reference"]


def finite_size_noise_reference(alpha_t: float, *, n_t: int, n_v: int, m: int, p: int,
                                nodes: int = DEFAULT_NODES, dps: int = 30,
                                orthogonal: bool = False) -> float:
    """S(alpha_t) = E Tr[(B B^T)^-1 Gamma_sigma] at order 2, the slow way (module doc);
    ``orthogonal``: with step 3b (default False: free subordination, in mpmath throughout)."""
    lam, w = wishart_quadrature(n_t, p, nodes)
    with mpmath.workdps(dps):
        N = n_v * m
        c = mpmath.mpf(p - N + n_v) / p
        k = mpmath.mpf(alpha_t) / n_t
        ell = [1 - k * mpmath.mpf(float(x)) for x in lam]
        a = [e * e for e in ell]
        wt = [mpmath.mpf(float(x)) for x in w]

        def G(om):
            return mpmath.fsum(wj / (1 + om * aj) for wj, aj in zip(wt, a)) / p

        def omega(T):
            if c == 1:
                return T
            # omega - T (1 - (1 - c)/G(omega)) is -T c < 0 at 0 and > 0 at T: bracketed
            f = lambda om: om - T * (1 - (1 - c) / G(om))
            return mpmath.findroot(f, (mpmath.mpf(0), T), solver="illinois")

        def s(T):                         # E_Q Tr (I + T A Q A)^-1
            return p * G(omega(T))

        def uA(T):                        # E_Q Tr A (I + T A Q A)^-1
            om = omega(T)
            return mpmath.fsum(wj * ej / (1 + om * aj) for wj, ej, aj in zip(wt, ell, a))

        cf = float(c)

        def correction(T):                # step 3b: (ds, dU) at T
            if not orthogonal or c == 1:
                return 0.0, 0.0
            Tf = float(T)
            ds, _, (dU,) = orthogonal_reference(
                lambda z: cf / (1.0 + z), 0.0, Tf, np.array([float(x) for x in a]),
                np.array([float(x) for x in wt]), p, Tf / float(omega(T)),
                K_list=(np.array([float(x) for x in ell]),))
            return ds, dU

        def F(T):
            S1 = p - s(T)
            S2 = -mpmath.diff(s, T)
            S3 = mpmath.diff(s, T, 2) / 2
            return S1 - S3 * T / S2 - n_v - correction(T)[0]

        def bracketed(f):                 # f < 0 near 0, > 0 for large T: grow, then bisect
            lo, hi = mpmath.mpf(n_v) / (4 * p), mpmath.mpf(n_v) / p
            while f(hi) <= 0:
                lo, hi = hi, 2 * hi
            while f(lo) >= 0:
                lo /= 2
            return mpmath.findroot(f, (lo, hi), solver="illinois")

        if orthogonal:
            lo, hi = mpmath.mpf(n_v) / (4 * p), mpmath.mpf(n_v) / p
            while F(hi) <= 0:
                lo, hi = hi, 2 * hi
            while F(lo) >= 0:
                lo /= 2
            T = mpmath.mpf(brentq(lambda x: float(F(mpmath.mpf(x))), float(lo), float(hi),
                                  xtol=1e-15, rtol=1e-13))
        else:
            T = bracketed(F)
        tau2 = T / (-mpmath.diff(s, T))
        ds, dU = correction(T)

        def trace_g(u):                   # Tr f g(M) = T u + tau2 (u' + T/2 u'')
            return T * u(T) + tau2 * (mpmath.diff(u, T) + T / 2 * mpmath.diff(u, T, 2))

        S = m * (T + k * (trace_g(s) + T * ds - trace_g(uA) - T * dU))
        return float(S)
