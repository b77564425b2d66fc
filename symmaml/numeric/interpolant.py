"""Adaptive Chebyshev interpolation in one variable, for functions that are costly to evaluate.

The order-2 losses (:mod:`symmaml.numeric.finite_size`) are not closed-form: Theorem 2's
costs a task recursion per alpha_t (about 0.14 s per value at Fig. 3's sizes).  They are
smooth in alpha_t, so on an interval fixed in advance they are interpolated once and then
evaluated at any number of points for the cost of a Chebyshev series
(:meth:`symmaml.numeric.finite_size.FiniteSizeLoss.interpolated`).

:func:`chebyshev_fit` samples the function at the Chebyshev-Lobatto points of the interval,
n = 16, 32, 64, ... (each level reuses the previous level's values: the points are nested),
until the upper quarter of every output's coefficients falls below ``tol`` times that
output's largest coefficient -- the usual test that the series has resolved the function
(Trefethen, *Approximation Theory and Approximation Practice*, ch. 3-4).  The error
estimate reported is the sum of the absolute values of that upper quarter, relative to the
output's scale: a bound on the truncation error when the coefficients keep decaying.  If
``max_nodes`` is reached first, ValueError says which error was reached: never a silently
inaccurate interpolant.
"""
from __future__ import annotations

import numpy as np
from scipy.fft import dct

__all__ = ["ChebyshevSeries", "chebyshev_fit", "lobatto_points"]


def lobatto_points(n: int) -> np.ndarray:
    """cos(pi j / n), j = 0 .. n: the n + 1 Chebyshev-Lobatto points on [-1, 1] (descending)."""
    return np.cos(np.pi * np.arange(n + 1) / n)


def _coefficients(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients (rows) of the interpolant through ``values`` (F, n + 1) given at
    :func:`lobatto_points` (a type-I DCT)."""
    n = values.shape[-1] - 1
    c = dct(values, type=1, axis=-1) / n
    c[..., 0] /= 2
    c[..., -1] /= 2
    return c


class ChebyshevSeries:
    """Named outputs, each a Chebyshev series on ``[lo, hi]``; call with points in that interval.

    Attributes: ``lo``, ``hi``, ``names``, ``coefficients`` (F, n + 1), ``nodes`` (the number
    of function evaluations it cost), ``error`` (per output, estimated relative error)."""

    def __init__(self, lo, hi, names, coefficients, nodes, error):
        self.lo, self.hi = float(lo), float(hi)
        self.names = tuple(names)
        self.coefficients = np.asarray(coefficients, dtype=float)
        self.nodes = int(nodes)
        self.error = dict(zip(self.names, (float(e) for e in error)))

    def __call__(self, x, name: str = "x") -> dict:
        """Every output at ``x`` (any shape): a dict name -> array of x's shape.  ValueError
        naming ``name`` for a non-finite point or one outside [lo, hi]."""
        x = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} must be finite")
        # the end points may carry a rounding error from whoever computed them
        slack = 8 * np.finfo(float).eps * max(abs(self.lo), abs(self.hi), 1.0)
        if x.size and (x.min() < self.lo - slack or x.max() > self.hi + slack):
            raise ValueError(f"{name} must lie in the interpolated interval [{self.lo:g}, "
                             f"{self.hi:g}]; got values in [{x.min():g}, {x.max():g}]")
        t = np.clip((2.0 * x - self.lo - self.hi) / (self.hi - self.lo), -1.0, 1.0)
        vals = np.polynomial.chebyshev.chebval(t.reshape(-1), self.coefficients.T)
        return {nm: v.reshape(x.shape) for nm, v in zip(self.names, vals)}

    def derivative(self) -> "ChebyshevSeries":
        """d/dx of every output, as a series on the same interval (exact differentiation of
        the series).  Its ``error`` is estimated like the fit's, from the upper quarter of
        the derivative's own coefficients: differentiation amplifies the truncation error
        by up to the square of the degree, and that estimate sees it."""
        c = self.coefficients
        n = c.shape[-1]
        if n < 2:
            d = np.zeros_like(c)
        else:
            d = np.polynomial.chebyshev.chebder(c.T, m=1, scl=2.0 / (self.hi - self.lo)).T
        scale = np.maximum(np.abs(d).max(-1), np.finfo(float).tiny)
        k = d.shape[-1]
        error = np.abs(d[:, k - max(k // 4, 1):]).sum(-1) / scale
        return ChebyshevSeries(self.lo, self.hi, self.names, d, self.nodes, error)

    def __repr__(self):
        worst = max(self.error.values()) if self.error else 0.0
        return (f"ChebyshevSeries([{self.lo:g}, {self.hi:g}], {self.nodes} nodes, "
                f"estimated relative error {worst:.1e})")


def chebyshev_fit(f, lo, hi, *, tol: float = 1e-7, min_nodes: int = 17,
                  max_nodes: int = 257, name: str = "x") -> ChebyshevSeries:
    """Interpolate ``f`` (1-D array of points -> dict name -> array) on ``[lo, hi]`` (module
    doc).  ``min_nodes`` / ``max_nodes``: the first and the largest number of
    Chebyshev-Lobatto points (n + 1 with n a power of two); ``name`` names the variable in
    errors."""
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or not lo < hi:
        raise ValueError(f"{name}: the interval must be finite with lo < hi, got ({lo}, {hi})")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    n = 1
    while n + 1 < min_nodes:
        n *= 2
    if n + 1 > max_nodes:
        raise ValueError(f"max_nodes ({max_nodes}) is below min_nodes ({min_nodes})")
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    names, values = None, None
    while True:
        t = lobatto_points(n)
        if values is None:
            out = f(mid + half * t)
            names = tuple(out)
            values = np.stack([np.asarray(out[k], dtype=float) for k in names])
        else:                        # the new points are the odd ones of the finer grid
            out = f(mid + half * t[1::2])
            new = np.stack([np.asarray(out[k], dtype=float) for k in names])
            grid = np.empty((len(names), n + 1))
            grid[:, 0::2], grid[:, 1::2] = values, new
            values = grid
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name}: the function is not finite on [{lo:g}, {hi:g}]")
        c = _coefficients(values)
        scale = np.maximum(np.abs(c).max(-1), np.finfo(float).tiny)
        tail = np.abs(c[:, n - n // 4:])
        error = tail.sum(-1) / scale
        if np.all(tail.max(-1) <= tol * scale):
            return ChebyshevSeries(lo, hi, names, c, n + 1, error)
        if 2 * n + 1 > max_nodes:
            raise ValueError(f"{name}: the Chebyshev series on [{lo:g}, {hi:g}] did not "
                             f"converge to tol = {tol:g} with {n + 1} nodes (estimated "
                             f"relative error {error.max():.1e}); narrow the interval, "
                             "raise tol or max_nodes")
        n *= 2
