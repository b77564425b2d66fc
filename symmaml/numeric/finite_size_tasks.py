"""Order-2 (finite-size) theory, underparameterized regime: the task recursion, vectorised.

The derivation is recorded in :mod:`symmaml.theory.finite_size_tasks` (steps 1-7 of its
module doc); this module evaluates the recursion's values

    R_sigma = m d/dlambda E[t + Tr K_sigma h(M_lambda)] |_0,   K_sigma = k (I - A),
    R_nu    = m d/dlambda E[Tr K_nu h(M_lambda)] |_0,          K_nu = A^2 / p,

(t = E Tr(I + X M X^T)^-1, M_lambda = A (F_{-1} + lambda)^-1 A), which the order-2 loss
matches at alpha_t = 0.  Per alpha_t:

* g_k(zeta) = E Tr(F_k + zeta)^-1 / p for k = 0 .. m - 1 (F_k: k tasks), g_0 = 1/zeta,
  g_k = g_{k-1} - D_k / p with D_k the Woodbury difference of step 5, held as a Chebyshev
  interpolant of y(u) = log(zeta g(zeta)) in u = log zeta over 14 decades (its derivatives
  g', g'' enter the equations: a spline's second derivative is too rough, see the
  reference);
* at each level and node zeta, the subordinated cDE is one equation in nu_2 (step 4):
  bisection in log nu_2 then safeguarded secant steps, or secant steps alone inside a
  narrow bracket predicted from the previous levels' roots; omega follows from
  G(omega) = 1 - nu_2 g by Newton steps that bracket it from both sides (the spectral sum
  G has 13 terms);
* step 4b's orthogonal correction, at every node and level from the same spectral sums:
  the cDE's residual takes -ds, the K-traces +t du, the Woodbury difference -dtau
  (``orthogonal=False``: free subordination alone, the previous theory, bit for bit);
* the lambda-derivatives at 0 by a one-sided five-point stencil on the last level (step 2).

Vectorised over alpha_t (float64; the quadrature of W_t's exact expected spectrum is shared).
Every alpha_t row is computed by elementwise operations and row sums only, so a row's value
does not depend on which other alpha_t are evaluated with it.  The slow, obviously-correct
reference (scalar root finding per node, a cubic spline table, derivatives by finite
differences) is :mod:`symmaml.numeric.finite_size_tasks_reference`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..stein import check_size
from ..theory import finite_size_tasks as eqs
from .spectral import DEFAULT_NODES, wishart_quadrature

__all__ = ["task_recursion", "level_resolvents", "recursion_at_zero", "CHEB_NODES", "DECADES",
           "check_sizes", "G_inverse"]

#: Chebyshev nodes of each level's table of log(zeta g) against log zeta
CHEB_NODES = 100
#: the table spans [1e-6, 1e8] x n_v phi (phi = E Tr A^2 / p)
DECADES = 14
_LOW = 1e-6
_BISECTIONS = 14
_SECANT = 12
#: a root is accepted at once below this residual (relative to n_v)
_TIGHT = 1e-13
_NEWTON = 60
#: largest accepted residual of the cDE, relative to n_v
_TOLERANCE = 1e-9
_EPS = np.finfo(float).eps
#: the widest predicted bracket (in log nu_2) that replaces the bisections
_WARM_WIDTH = 0.5


def check_sizes(n_t, n_v, m, p):
    """Sizes as ints; ValueError naming the argument outside the theory's range."""
    n_t, n_v, m, p = (check_size(k, v) for k, v in
                      (("n_t", n_t), ("n_v", n_v), ("m", m), ("p", p)))
    if not n_v * m > p + 1:
        raise ValueError(f"the underparameterized finite-size theory needs n_v m > p + 1 "
                         f"(E (B^T B)^-1 exists); got p = {p}, n_v m = {n_v * m}")
    if not (m - 1) * n_v > p + 1:
        raise ValueError(f"the task recursion needs the other m - 1 tasks' Gram matrix to be "
                         f"invertible with an inverse mean: (m - 1) n_v > p + 1; got m = {m}, "
                         f"n_v = {n_v}, p = {p}")
    return n_t, n_v, m, p


def _cheb_points(n):
    return np.cos(np.pi * (np.arange(n) + 0.5) / n)[::-1]


@lru_cache(maxsize=None)
def _cheb_fit_matrix(n):
    """V^-1 for interpolation at the Chebyshev points (coefficients = values @ V^-1.T)."""
    t = _cheb_points(n)
    V = np.cos(np.outer(np.arccos(t), np.arange(n)))
    return np.linalg.inv(V)


def _cheb_derivative(c, scale):
    """Coefficients of the derivative of a Chebyshev series, rows of ``c`` (last axis)."""
    n = c.shape[-1]
    d = np.zeros_like(c)
    if n > 1:
        d[..., n - 2] = 2 * (n - 1) * c[..., n - 1]
        for j in range(n - 3, -1, -1):
            d[..., j] = d[..., j + 2] + 2 * (j + 1) * c[..., j + 1]
        d[..., 0] *= 0.5
    return d * scale


def _clenshaw(c, t):
    """sum_j c[:, s, j] T_j(t) for per-row, per-series coefficients c (A, S, n) and points
    t (A, M): returns (A, S, M)."""
    t = t[:, None, :]
    b1 = np.zeros(c.shape[:2] + t.shape[-1:])
    b2 = np.zeros_like(b1)
    t2 = 2 * t
    for j in range(c.shape[-1] - 1, 0, -1):
        b1, b2 = c[:, :, j, None] + t2 * b1 - b2, b1
    return c[:, :, 0, None] + t * b1 - b2


class _Table:
    """g(zeta) of one level, per alpha_t row: y(u) = log(zeta g) in u = log zeta."""

    def __init__(self, ulo, uhi, yvals):
        self.ulo, self.uhi = ulo, uhi                    # (A,)
        self.zlo = np.exp(ulo)
        # an elementwise product and row sums, not a BLAS product: a row's coefficients
        # must not depend on how many rows there are
        c = (yvals[:, None, :] * _cheb_fit_matrix(yvals.shape[-1])[None, :, :]).sum(-1)
        scale = (2.0 / (uhi - ulo))[:, None]
        c1 = _cheb_derivative(c, scale)
        self.c = np.stack([c, c1, _cheb_derivative(c1, scale)], axis=1)   # y, y', y''

    def __call__(self, z):
        u = np.log(z)
        lo, hi = self.ulo[:, None], self.uhi[:, None]
        uc = np.clip(u, lo, hi)
        t = (2 * uc - lo - hi) / (hi - lo)
        y, y1, y2 = np.moveaxis(_clenshaw(self.c, t), 1, 0)
        over = u > hi                                    # beyond the top: zeta g = 1
        y1 = np.where(over, 0.0, y1)
        y2 = np.where(over, 0.0, y2)
        g = np.exp(y - u)
        e = y1 - 1
        return g, g * e / z, g * (e * e - e + y2) / (z * z)


class _Inverse:
    """g_0 = 1/zeta (no task yet)."""
    zlo = None

    def __call__(self, z):
        return 1 / z, -1 / z ** 2, 2 / z ** 3


def _G_derivatives(d, a, w, p):
    """G's first two omega-derivatives (G = Tr (I + omega A^2)^-1 / p) from d = 1/(1 +
    omega a), shape (A, M, K); a (A, K).  (1 - G itself is ``nu_2 g`` by construction, and
    :func:`G_inverse` sums it.)"""
    wad = w * a[:, None, :] * d * d
    return -wad.sum(-1) / p, 2.0 * (wad * a[:, None, :] * d).sum(-1) / p


def G_inverse(q, a, w, p, om0, h_inf):
    """omega with 1 - G(omega) = q; NaN where q is at or above 1 - G(infinity) =
    1 - (mass of A's zero eigenvalues)/p.

    H = 1 - G = sum_j w_j omega a_j / (1 + omega a_j) / p is increasing and concave in
    omega and decreasing and convex in v = 1/omega, so from *any* point a Newton step in
    omega lands below the root and a Newton step in v lands above it: every evaluation
    narrows a bracket from both sides, quadratically near the root.  The bracket starts in
    closed form (H <= omega sum(w a)/p; H >= h_inf - sum_{a > 0} w/a / (p omega)); while it
    is wider than a factor 4 the next point is its geometric mean, else the Newton point of
    the side the current point is on.  (Newton in omega alone crawled, up to 60 steps, where
    the root lay in H's saturated range far above the start.)"""
    ok = (q > 0) & (q < h_inf * (1 - 1e-12))
    aa = a[:, None, :]
    wa = (w * a)[:, None, :]
    s1 = wa.sum(-1) / p
    pos = a > 0
    s_inv = (np.where(pos, w / np.where(pos, a, 1.0), 0.0).sum(-1) / p)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(ok, q / s1, 1.0)
        hi = np.where(ok, s_inv / (h_inf - q), 1.0)
        guess = q / (np.maximum(1.0 - q, 1e-300) * s1)
    start = np.where(np.isfinite(om0) & (om0 > 0), om0, guess)
    om = np.clip(np.where(ok & (start > 0), start, 1.0), lo, hi)
    frozen = ~ok
    for _ in range(_NEWTON):
        d = 1.0 / (1.0 + om[..., None] * aa)
        x = wa * d                              # w a / (1 + omega a)
        f = x.sum(-1) * om / p - q
        H_w = (x * d).sum(-1) / p               # dH / d omega
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            below = om - f / H_w                # a lower bound of the root (concavity)
            v = 1.0 / om + f / (H_w * om * om)
            above = np.where(v > 0, 1.0 / v, np.inf)   # an upper bound (convexity in 1/omega)
        # (a frozen element's bracket may keep narrowing: its point no longer moves)
        lo = np.maximum(lo, np.where(np.isfinite(below), below, lo))
        hi = np.minimum(hi, np.where(np.isnan(above), hi, above))
        lo = np.where(f < 0, np.maximum(lo, om), lo)
        hi = np.where(f > 0, np.minimum(hi, om), hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = np.where(hi > 4.0 * lo, np.sqrt(lo * hi), np.where(f < 0, below, above))
        new = np.where(np.isfinite(new) & (new >= lo) & (new <= hi), new, 0.5 * (lo + hi))
        # an element stops at a rounding-level residual or bracket, or a negligible step
        # (never because of the others: a row's bits must not depend on the rows evaluated
        # with it)
        frozen |= np.abs(f) <= 4 * _EPS * q          # om is the root: keep it
        new = np.where(frozen, om, new)
        frozen |= (hi - lo <= 4e-14 * lo) | (np.abs(new - om) <= 4e-14 * om)
        om = new
        if np.all(frozen):
            break
    return np.where(ok, om, np.nan)


def _state(nu2, zeta, table, a, w, p, n_v, om0, h_inf, orthogonal=True):
    g0, g1, g2 = table(zeta + nu2)
    om = G_inverse(nu2 * g0, a, w, p, om0, h_inf)
    d = 1.0 / (1.0 + om[..., None] * a[:, None, :])
    G_w, G_ww = _G_derivatives(d, a, w, p)
    st = eqs.subordinated_cde(nu2, om, G_w, G_ww, g0, g1, g2, p, n_v)
    st.update(nu2=nu2, om=om, g0=g0, g1=g1, g2=g2, zeta=zeta, corr=None)
    if orthogonal:
        # step 4b: s -> s + ds in the cDE (its derivatives' corrections are O(p^-2))
        wd2 = w * d * d
        wd3 = wd2 * d
        aa = a[:, None, :]
        corr = eqs.orthogonal_correction(st["x"], om, zeta, nu2, g0, g1, g2,
                                         (wd2.sum(-1), (wd2 * aa).sum(-1), wd3.sum(-1),
                                          (wd3 * aa).sum(-1)), p)
        st["F"] = st["F"] - corr["ds"]
        st["corr"] = corr
    return st


def _solve(table, zeta, a, w, p, n_v, h_inf, zscale, guess=None, width=None, orthogonal=True):
    """The subordinated cDE at the shifts ``zeta`` (A, M): bisection in log nu_2, then
    safeguarded secant steps; ValueError if the bracket does not hold the root or the
    residual stays above the tolerance.

    ``guess``, ``width`` (A, M): a predicted log nu_2 (the previous levels' roots,
    extrapolated) and a half-width.  Where [guess - width, guess + width] brackets the root,
    that element skips the bisections and goes straight to the secant steps; the others
    bisect the full bracket.  Either way an element's path depends on its own values only."""
    zlo = getattr(table, "zlo", None)
    floor = zlo[:, None] if zlo is not None else 0.0
    lo = np.log(np.maximum(floor - zeta, 0.0) + 1e-13 * zscale[:, None])
    top = np.log(1e8 * zscale)[:, None] + np.zeros_like(zeta)
    om_guess = np.full_like(zeta, np.nan)

    def F_at(l, om0):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            st = _state(np.exp(l), zeta, table, a, w, p, n_v, om0, h_inf, orthogonal)
        F = np.where(np.isnan(st["F"]), np.inf, st["F"])   # no omega: beyond G(inf)
        return F, st["om"]

    need = np.ones(zeta.shape, dtype=bool)       # elements that bisect the full bracket
    if guess is not None:
        g_lo = np.clip(guess - width, lo, top)
        g_top = np.clip(guess + width, lo, top)
        fg_lo, _ = F_at(g_lo, om_guess)
        fg_top, omg_top = F_at(g_top, om_guess)
        # a wide prediction is no better than the full bracket: the secant steps alone
        # would not converge from it
        need = ~((fg_lo < 0) & (fg_top > 0) & np.isfinite(fg_top) & (width <= _WARM_WIDTH))
    if np.any(need):
        f_lo, _ = F_at(lo, om_guess)
        f_top, om_top = F_at(top, om_guess)
        if not (np.all(f_lo[need] < 0) and np.all(f_top[need] > 0)):
            raise ValueError("alpha_t: no bracket for the subordinated deterministic "
                             "equivalent")
    if guess is not None:
        if np.any(need):
            lo, f_lo = np.where(need, lo, g_lo), np.where(need, f_lo, fg_lo)
            top, f_top = np.where(need, top, g_top), np.where(need, f_top, fg_top)
            om_top = np.where(need, om_top, omg_top)
        else:
            lo, f_lo, top, f_top, om_top = g_lo, fg_lo, g_top, fg_top, omg_top
    om_cur = om_top
    best, f_best = top, f_top

    def keep(l, f, mask=True):
        nonlocal best, f_best
        better = (np.abs(f) < np.abs(f_best)) & mask
        best, f_best = np.where(better, l, best), np.where(better, f, f_best)

    for _ in range(_BISECTIONS if np.any(need) else 0):
        mid = 0.5 * (lo + top)
        f, om_new = F_at(mid, om_cur)
        om_cur = np.where(need, om_new, om_cur)
        keep(mid, f, need)
        up = (f > 0) & need
        dn = (f <= 0) & need
        top, f_top = np.where(up, mid, top), np.where(up, f, f_top)
        lo, f_lo = np.where(dn, mid, lo), np.where(dn, f, f_lo)
    # safeguarded secant steps on the true residuals (superlinear once inside the basin);
    # an element stops at its own convergence, never because of the others (a row's bits
    # must not depend on the rows evaluated with it)
    x0, f0, x1, f1 = lo, f_lo, top, f_top
    frozen = np.abs(f_best) <= _TIGHT * n_v
    for _ in range(_SECANT):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        x2 = np.where(np.isfinite(x2) & (x2 > lo) & (x2 < top), x2, 0.5 * (lo + top))
        x2 = np.where(frozen, best, x2)
        f2, om_new = F_at(x2, om_cur)
        om_cur = np.where(frozen, om_cur, om_new)
        f2 = np.where(frozen, f_best, f2)
        keep(x2, f2)
        pos = f2 > 0
        top = np.where(pos, np.minimum(top, x2), top)
        lo = np.where(pos, lo, np.maximum(lo, x2))
        x0, f0, x1, f1 = x1, f1, x2, f2
        frozen |= np.abs(f_best) <= _TIGHT * n_v
        if np.all(frozen):
            break
    l = best
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        st = _state(np.exp(l), zeta, table, a, w, p, n_v, om_cur, h_inf, orthogonal)
    if not np.all(np.abs(st["F"]) <= _TOLERANCE * n_v):
        raise ValueError("alpha_t: the subordinated deterministic equivalent did not converge "
                         f"(largest residual {np.nanmax(np.abs(st['F'])) / n_v:.1e} of n_v)")
    return st


def _trace_K(st, K, a, w):
    """Tr K h(M) for K = K(A) given at the nodes (A, K)."""
    d = 1.0 / (1.0 + st["om"][..., None] * a[:, None, :])
    wKd = (w * K)[:, None, :] * d
    ad = a[:, None, :] * d
    u = wKd.sum(-1)
    out = eqs.trace_h(st, *eqs.spectral_derivatives(st, u, -(wKd * ad).sum(-1),
                                                    2.0 * (wKd * ad * ad).sum(-1)))
    if st["corr"] is not None:         # step 4b: u -> u + du in the t u term
        wKad2 = wKd * ad
        out = out + st["x"] * eqs.orthogonal_trace(st["corr"], st["x"], st["zeta"],
                                                   wKad2.sum(-1), (wKad2 * d).sum(-1),
                                                   (wKad2 * ad).sum(-1))
    return out


def _setup(alpha_t, n_t, n_v, m, p, nodes, rule):
    """Checked sizes, alpha_t as a 1-D array, and the A spectrum shared by every level:
    (sizes, at, k, w, ell, a, h_inf, zscale)."""
    n_t, n_v, m, p = check_sizes(n_t, n_v, m, p)
    at = np.asarray(alpha_t, dtype=float).reshape(-1)
    lam, w = wishart_quadrature(n_t, p, nodes) if rule is None else _check_rule(rule, p)
    k = at / n_t
    ell = 1.0 - k[:, None] * lam
    a = ell * ell
    h_inf = 1.0 - (w * (a == 0)).sum(-1)[:, None] / p
    phi = (w * a).sum(-1) / p
    return (n_t, n_v, m, p), at, k, w, ell, a, h_inf, n_v * phi


def _levels(a, w, p, n_v, m, h_inf, zscale, cheb, orthogonal=True):
    """Yield the tables of g_k (k = 1 .. m - 1 tasks) in turn (module doc, step 5)."""
    ulo = np.log(_LOW * zscale)
    uhi = ulo + DECADES * np.log(10.0)
    u = ulo[:, None] + (_cheb_points(cheb) + 1.0) / 2.0 * (uhi - ulo)[:, None]
    zeta = np.exp(u)
    table, gvals = _Inverse(), 1.0 / zeta
    prev = prev2 = None
    for _ in range(1, m):
        guess = width = None
        if prev2 is not None:           # the roots move smoothly from level to level
            step = prev - prev2
            guess, width = prev + step, 2.0 * np.abs(step) + 1e-3
        st = _solve(table, zeta, a, w, p, n_v, h_inf, zscale, guess, width, orthogonal)
        prev2, prev = prev, np.log(st["nu2"])
        D = eqs.woodbury_difference(st, st["nu2"], table(zeta)[0], st["g0"], st["g1"],
                                    st["g2"], p)
        if orthogonal:                  # step 4b: t du = -dtau (u = (Tr R - Tr G)/x)
            D = D - st["corr"]["dtau"]
        gvals = gvals - D / p
        if not np.all(np.isfinite(gvals) & (gvals > 0)):
            raise ValueError("alpha_t: the task recursion left the resolvent's range "
                             "(non-positive or non-finite E Tr (F_k + zeta)^-1)")
        table = _Table(ulo, uhi, np.log(zeta * gvals))
        yield table


def task_recursion(alpha_t, *, n_t, n_v, m, p, nodes: int = DEFAULT_NODES,
                   cheb: int = CHEB_NODES, rule=None, resolvent=None, orthogonal: bool = True):
    """(R_sigma, R_nu) of the task recursion (module doc) at ``alpha_t`` (1-D array),
    unmatched.  Sizes are checked by :func:`check_sizes`.

    ``rule``: ``(lam, w)``, a spectrum of W_t to use instead of its exact expected one
    (step 6's quadrature): nodes lam >= 0 with multiplicities w > 0 summing to p -- e.g. one
    W_t's eigenvalues with w = 1, for the theory of tasks that all share that spectrum
    (``scripts/spectrum_average_probe.py``).

    ``resolvent``: a callable z -> (g, g', g'') giving g(z) = E Tr (F_{-1} + z)^-1 / p of the
    other m - 1 tasks and its z-derivatives, arrays shaped like z (len(alpha_t), M), used
    instead of the recursion's last level (steps 3-4 on a given law of F_{-1}, e.g. a
    simulated one: ``scripts/recursion_level_probe.py``).

    ``orthogonal``: include step 4b (the O(1/p) correction of free subordination for a
    Haar orthogonal rotation; the default); False gives free subordination alone."""
    (n_t, n_v, m, p), at, k, w, ell, a, h_inf, zscale = _setup(alpha_t, n_t, n_v, m, p,
                                                                 nodes, rule)
    if resolvent is not None and not callable(resolvent):
        raise ValueError(f"resolvent must be a callable z -> (g, g', g''), got {resolvent!r}")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if resolvent is None:
            for table in _levels(a, w, p, n_v, m, h_inf, zscale, cheb, orthogonal):
                pass
        else:
            table = resolvent
        # last task: lambda-derivatives at 0, one-sided five-point stencil (lambda >= 0:
        # F_{-1} + lambda stays away from its smallest eigenvalue) scaled by the root nu_2
        st0 = _solve(table, np.zeros((len(at), 1)), a, w, p, n_v, h_inf, zscale,
                     orthogonal=orthogonal)
        h = 1e-2 * st0["nu2"]
        st = _solve(table, h * np.arange(5.0), a, w, p, n_v, h_inf, zscale,
                    orthogonal=orthogonal)
        K_sigma = k[:, None] * (1.0 - ell)
        K_nu = a / p

        def d(v):
            return (-25 * v[:, 0] + 48 * v[:, 1] - 36 * v[:, 2] + 16 * v[:, 3]
                    - 3 * v[:, 4]) / (12 * h[:, 0])

        R_sigma = m * (d(st["x"]) + d(_trace_K(st, K_sigma, a, w)))
        R_nu = m * d(_trace_K(st, K_nu, a, w))
    if not (np.all(np.isfinite(R_sigma)) and np.all(np.isfinite(R_nu))):
        raise ValueError("alpha_t: the finite-size noise factors are not finite here")
    return R_sigma, R_nu


def level_resolvents(alpha_t, zeta, *, n_t, n_v, m, p, nodes: int = DEFAULT_NODES,
                     cheb: int = CHEB_NODES, rule=None, orthogonal: bool = True):
    """The recursion's g_k(zeta) = E Tr (F_k + zeta)^-1 / p for k = 1 .. m - 1 tasks (step
    5): an array (m - 1, len(alpha_t), len(zeta)), every level's table read at the shifts
    ``zeta`` (> 0) -- what ``scripts/recursion_level_probe.py`` compares with simulated
    Gram matrices.  Same tables as :func:`task_recursion`."""
    z = np.asarray(zeta, dtype=float).reshape(-1)
    if not (z.size and np.all(np.isfinite(z)) and np.all(z > 0)):
        raise ValueError(f"zeta must be finite shifts > 0, got {zeta!r}")
    (n_t, n_v, m, p), at, k, w, ell, a, h_inf, zscale = _setup(alpha_t, n_t, n_v, m, p,
                                                                 nodes, rule)
    zz = np.broadcast_to(z, (at.size, z.size))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.stack([table(zz)[0] for table in _levels(a, w, p, n_v, m, h_inf, zscale,
                                                          cheb, orthogonal)])


def _check_rule(rule, p):
    """``rule`` = (lam, w) as float arrays; ValueError naming ``rule`` unless lam >= 0,
    w > 0 (same length, finite) and sum(w) = p."""
    try:
        lam, w = (np.asarray(x, dtype=float).reshape(-1) for x in rule)
    except (TypeError, ValueError):
        raise ValueError(f"rule must be a pair (lam, w) of arrays, got {rule!r}") from None
    if not (lam.size and lam.shape == w.shape and np.all(np.isfinite(lam))
            and np.all(np.isfinite(w)) and np.all(lam >= 0) and np.all(w > 0)
            and abs(w.sum() - p) <= 1e-9 * p):
        raise ValueError(f"rule must be nodes lam >= 0 and weights w > 0 of one length, "
                         f"with sum(w) = p = {p}; got {lam.size} nodes, sum(w) = {w.sum():g}")
    return lam, w


@lru_cache(maxsize=256)
def _at_zero(n_t, n_v, m, p, nodes, cheb):
    s, n = task_recursion(np.zeros(1), n_t=n_t, n_v=n_v, m=m, p=p, nodes=nodes, cheb=cheb)
    return float(s[0]), float(n[0])


def recursion_at_zero(*, n_t, n_v, m, p, nodes: int = DEFAULT_NODES, cheb: int = CHEB_NODES):
    """(R_sigma, R_nu) of the recursion at alpha_t = 0 (A = I), where the order-2 theory is
    matched to the exact values; cached per sizes."""
    n_t, n_v, m, p = check_sizes(n_t, n_v, m, p)
    return _at_zero(n_t, n_v, m, p, nodes, cheb)
