"""Slow reference for :mod:`symmaml.numeric.finite_size_tasks` (tests only).

The same equations (steps 3-5 of :mod:`symmaml.theory.finite_size_tasks`), evaluated the
obvious way, one node at a time: nu_2 is the unknown, omega(nu_2) a scalar root
(``scipy.optimize.brentq``), x(nu_2) and s(nu_2) = p G(omega) follow; every derivative in x
is a central finite difference in nu_2 divided by dx/dnu_2 (no chain-rule formulas), and
the cDE's root in log nu_2 is another ``brentq``.  Each level's table is a Chebyshev
interpolant (``numpy.polynomial.chebyshev``) of log(zeta g) on the same nodes as the fast
code, evaluated without derivatives (the derivatives of g come in through the finite
differences).  Minutes for m = 3; for tests at small sizes.

Step 4b (the orthogonal correction of free subordination) is evaluated the obvious way too
(:func:`orthogonal_reference`): the additive system E Tr G = sum w/(D + Omega) = p g(Omega~),
Omega + Omega~ = p/E Tr G solved as it stands (``brentq``), Omega's derivatives by central
differences of re-solved systems, and the corrected system solved as it stands with its
sources scaled by +-eta: the first-order response by a central difference.
"""
from __future__ import annotations

import numpy as np
from numpy.polynomial import chebyshev as C
from scipy.optimize import brentq

from .finite_size_tasks import CHEB_NODES, DECADES, _LOW, check_sizes
from .spectral import DEFAULT_NODES, wishart_quadrature

__all__ = ["task_recursion_reference", "orthogonal_reference"]


def _cheb_points(n):
    return np.cos(np.pi * (np.arange(n) + 0.5) / n)[::-1]


class _Table:
    def __init__(self, ulo, uhi, zeta, g):
        self.ulo, self.uhi = ulo, uhi
        self.c = C.chebfit(_cheb_points(len(zeta)), np.log(zeta * g), len(zeta) - 1)

    def __call__(self, z):
        # clipped to the table's range: zeta g continued flat beyond both ends
        u = min(max(np.log(z), self.ulo), self.uhi)
        y = C.chebval((2 * u - self.ulo - self.uhi) / (self.uhi - self.ulo), self.c)
        return float(np.exp(y) / z)


def _diffs(f, x, h):
    """f(x), f'(x), f''(x) by five-point central differences."""
    v = [f(x + k * h) for k in (-2, -1, 0, 1, 2)]
    d1 = (v[0] - 8 * v[1] + 8 * v[3] - v[4]) / (12 * h)
    d2 = (-v[0] + 16 * v[1] - 30 * v[2] + 16 * v[3] - v[4]) / (12 * h * h)
    return v[2], d1, d2


def _root(f, x0):
    """A root of f near x0: a symmetric bracket widened geometrically until f changes
    sign (f is monotone near its root; 60 doublings at most)."""
    step = 1e-3 * abs(x0) + 1e-9
    for _ in range(60):
        lo, hi = x0 - step, x0 + step
        flo, fhi = f(lo), f(hi)
        if np.isfinite(flo) and np.isfinite(fhi) and flo * fhi <= 0:
            return brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        step *= 2
    raise ValueError("orthogonal_reference: no bracket for the additive system")


def orthogonal_reference(g, zeta, x, a, w, p, omega0, K_list=()):
    """(ds, dtau, [du for K in K_list]) of step 4b at one shift ``zeta`` and point ``x``,
    the obvious way (module doc); g a scalar function (the resolvent of F / p), ``omega0``
    a start for Omega near the free root (the root search widens a bracket around it; far
    from it the system has poles).  The corrected minus the free values of s = Tr(I +
    x A R A)^-1 = tau (Omega + zeta), tau = E Tr G, and u = Tr K (I + x A R A)^-1."""
    D0 = zeta + x * a

    def lead(eps=0.0, z=0.0, eF=0.0, start=None):
        D = (1 + eps) * D0 - z

        def res(Om):
            tau = float(np.sum(w / (D + Om)))
            y = p / tau - Om
            return p * g(y / (1 + eF)) / (1 + eF) - tau
        Om = _root(res, start if start is not None else omega0)
        tau = float(np.sum(w / (D + Om)))
        return Om, p / tau - Om, tau

    Om, Omt, tau = lead()
    h = 1e-5
    Om_e = (lead(eps=h, start=Om)[0] - lead(eps=-h, start=Om)[0]) / (2 * h)
    # a shift small against both sides' scales (Omega = 0 with no other task yet; Omega~
    # -> 0 at the far end of the root search)
    hz = h * min(abs(Om) + float(np.mean(D0)), abs(Omt))
    up, down = lead(z=hz, start=Om), lead(z=-hz, start=Om)
    Om_z, Omt_z = (up[0] - down[0]) / (2 * hz), (up[1] - down[1]) / (2 * hz)
    Omt_e = (lead(eF=h, start=Om)[1] - lead(eF=-h, start=Om)[1]) / (2 * h)

    def f_sums(y):                                 # sum 1/(f + y)^3, sum f/(f + y)^3
        g0, g1, g2 = _diffs(g, y, 1e-3 * y)      # by central differences
        return p * g2 / 2, -p * g1 - y * p * g2 / 2

    def corrected(e):
        """The corrected system with its sources scaled by e: (Omega, tau)."""
        def tau_of(Om_):
            T0 = float(np.sum(w / (D0 + Om_)))
            C = e * float(np.sum(w * (Om_e + Om_z * D0) / (D0 + Om_) ** 3))
            return (T0 + np.sqrt(T0 * T0 + 4 * C)) / 2

        def res(Om_):
            t = tau_of(Om_)
            y = p / t - Om_
            s3, s3f = f_sums(y)
            return p * g(y) + e * (Omt_e * s3 + (1 + Omt_z) * s3f) / t - t
        Om_ = _root(res, Om)
        return Om_, tau_of(Om_)

    def observables(e):
        Om_, t = corrected(e)
        extra = e * (Om_e + Om_z * D0) / (t * (D0 + Om_) ** 3)
        us = [float(np.sum(w * K) - x * np.sum(w * K * a * (1 / (D0 + Om_) + extra)))
              for K in K_list]
        return np.array([t * (Om_ + zeta), t] + us)

    # the first-order response (the theory keeps O(1/p) and drops O(p^-2)): a central
    # difference in the sources' scale
    eta = 1e-3
    first = (observables(eta) - observables(-eta)) / (2 * eta)
    ds, dtau, dus = first[0], first[1], list(first[2:])
    return ds, dtau, dus


def _node(g, zeta, a, w, p, n_v, K_list=(), table_floor=0.0, zscale=1.0, orthogonal=True):
    """Solve the subordinated cDE at the shift ``zeta``; return t, D (Woodbury difference)
    and Tr K h(M) for each K in ``K_list``."""
    H = lambda om: float(np.sum(w * om * a / (1 + om * a)) / p)        # 1 - G(omega)

    h_inf = 1 - float(np.sum(w * (a == 0)) / p)

    def om_of(nu):
        q = nu * g(zeta + nu)
        if q >= h_inf:
            raise OverflowError          # no omega: 1 - G cannot reach q
        return brentq(lambda lo: H(np.exp(lo)) - q, -300.0, 300.0, xtol=1e-15, maxiter=500)

    def x_of(nu):
        om = np.exp(om_of(nu))
        q = H(om)
        return om * nu * (1 - q) / q

    def derivs_in_x(f, nu):
        """f and its first two x-derivatives at nu_2 = ``nu`` (x = x(nu_2))."""
        h = 1e-4 * nu
        x, x1, x2 = _diffs(x_of, nu, h)
        v, v1, v2 = _diffs(f, nu, h)
        return v, v1 / x1, (v2 * x1 - v1 * x2) / x1 ** 3, x

    s_of = lambda nu: p * (1 - H(np.exp(om_of(nu))))

    def correction(nu, x, K_list=()):
        if not orthogonal:
            return 0.0, 0.0, [0.0] * len(K_list)
        om = np.exp(om_of(nu))
        return orthogonal_reference(g, zeta, x, a, w, p, x / om - zeta, K_list)

    def F(lnu):
        try:
            s, s1, s2, x = derivs_in_x(s_of, np.exp(lnu))
            ds = correction(np.exp(lnu), x)[0]
        except OverflowError:
            return 1e300                 # beyond 1 - G(infinity): nu_2 too large
        return x + p - s - ds - x / (1 - s1) * s2 / 2 - n_v

    lo = np.log(max(table_floor - zeta, 0.0) + 1e-8 * zscale)
    nu = np.exp(brentq(F, lo, np.log(1e8 * zscale), xtol=1e-14, maxiter=500))
    s, s1, s2, x = derivs_in_x(s_of, nu)
    t2 = x / (1 - s1)

    def trace(u_of):
        u, u1, u2, _ = derivs_in_x(u_of, nu)
        return x * u + t2 * (u1 + x * u2 / 2)

    _, dtau, dus = correction(nu, x, K_list)
    if zeta <= 0:           # the last task's shifts: no Woodbury difference needed
        D = float("nan")
    else:
        gz = g(zeta)
        D = trace(lambda n: p * (gz - g(zeta + n)) / x_of(n)) - dtau
    spectral = [lambda n, K=K: float(np.sum(w * K / (1 + np.exp(om_of(n)) * a)))
                for K in K_list]
    return x, D, [trace(u) + x * du for u, du in zip(spectral, dus)]


def task_recursion_reference(alpha_t: float, *, n_t, n_v, m, p, nodes: int = DEFAULT_NODES,
                             cheb: int = CHEB_NODES, orthogonal: bool = True):
    """(R_sigma, R_nu) at one ``alpha_t``, the slow way (module doc)."""
    n_t, n_v, m, p = check_sizes(n_t, n_v, m, p)
    lam, w = wishart_quadrature(n_t, p, nodes)
    lam, w = np.asarray(lam), np.asarray(w)
    k = alpha_t / n_t
    ell = 1 - k * lam
    a = ell ** 2
    zscale = n_v * float(np.sum(w * a)) / p
    ulo = np.log(_LOW * zscale)
    uhi = ulo + DECADES * np.log(10.0)
    zeta = np.exp(ulo + (_cheb_points(cheb) + 1) / 2 * (uhi - ulo))
    g, floor = (lambda z: 1.0 / z), 0.0
    gv = 1.0 / zeta
    for _ in range(1, m):
        D = np.array([_node(g, z, a, w, p, n_v, table_floor=floor, zscale=zscale,
                            orthogonal=orthogonal)[1] for z in zeta])
        gv = gv - D / p
        g, floor = _Table(ulo, uhi, zeta, gv), zeta[0]
    t0, _, _ = _node(g, 0.0, a, w, p, n_v, table_floor=floor, zscale=zscale,
                     orthogonal=orthogonal)
    h = 1e-2 * t0
    ts, ks, ns = [], [], []
    for j in range(5):
        t, _, (kt, nt) = _node(g, j * h, a, w, p, n_v, (k * (1 - ell), a / p), floor, zscale,
                               orthogonal)
        ts.append(t)
        ks.append(kt)
        ns.append(nt)
    d = lambda v: (-25 * v[0] + 48 * v[1] - 36 * v[2] + 16 * v[3] - 3 * v[4]) / (12 * h)
    return m * (d(ts) + d(ks)), m * d(ns)
