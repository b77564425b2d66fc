"""Validated problem description and the random draws of one Monte Carlo run.

The data-generating model is the paper's Section 4 / 7.2 (Eqs. 18-19, 24-26,
28-30), generalised as in Section 7.4 (Eqs. 109-110):

* task parameters  w = w0 + Sigma_w^{1/2} g,  g ~ N(0, I_p)  (default Sigma_w = nu^2/p I, Eq. 30);
* inputs           x = Sigma^{1/2} g,  g with i.i.d. standardised entries
  (``x_dist``: "gaussian" (Eq. 28), "rademacher" (+-1), "student_t" (t with ``df``
  degrees of freedom scaled by sqrt((df-2)/df) to unit variance)); Sigma^{1/2} is
  the symmetric square root, default Sigma = I;
* label noise      z ~ N(0, sigma^2) (Eq. 29).

Random numbers are always drawn by NumPy (``numpy.random.Generator`` on PCG64),
one generator per run, seeded by ``SeedSequence(seed).spawn(runs)[i]``.  A run's
numbers therefore do not depend on the chunking, on the backend, nor on the total
number of runs (runs = 100 is a prefix of runs = 1000).  The backend only sees the
arrays after :func:`draw_chunk` (see :func:`symmaml.backend.resolve_backend`).

Seeding is per run rather than per chunk (each chunk simply takes its runs' seed
sequences), which is what makes results independent of the chunk size.

Draw order inside a run: meta-training inputs, then meta-training normals (task
parameters, z_t, z_v; not drawn by the "rao_blackwell" estimator, which integrates
them out), then (plain estimator only) the test-task draws.  Consequently the
estimators on the same seed see the *same* training inputs (and, plain vs
conditional, the same omega*) in every run, which makes paired comparisons between
them very sharp.

Reduced test draws ("reduce_draws", Gaussian x with Sigma = I only).  Exact
distributional identities replace the (n_r + n_s) p input entries of a test task
by five scalars, for e = omega* - w' (any fixed vector), a = alpha_r / n_r:

1. u = X_r e / |e| ~ N(0, I_{n_r}) and X_r = u e^T/|e| + X_perp with X_perp
   independent of u and living in e-perp; hence for v = |e| u - z_r,
   d = theta' - w' = e - a X_r^T v has
   |d|^2 = (|e| - a u.v)^2 + a^2 |v|^2 chi2_{p-1}.
2. (|u|^2, u.zeta, |zeta|^2) for u, zeta ~ N(0, I_{n_r}) is a 2x2 Wishart(n_r)
   matrix; Bartlett: L11^2 ~ chi2_{n_r}, L21 ~ N(0,1), L22^2 ~ chi2_{n_r - 1}
   give |u|^2 = L11^2, u.zeta = L11 L21, |zeta|^2 = L21^2 + L22^2.
3. X_s d - z_s ~ N(0, (|d|^2 + sigma^2) I_{n_s}) given d, so the test loss of
   Eq. 23 is (|d|^2 + sigma^2) chi2_{n_s} / (2 n_s).

So a test task costs p + 1 normals and 4 chi-square draws instead of
p + (n_r + n_s)(p + 1) normals.  The same scalars are reused for every alpha in
a sweep (common random numbers); each alpha's marginal law is exact.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..arguments import check_steps

from ..matrices import psd_sqrt

__all__ = ["Design", "make_design", "draw_run", "draw_chunk", "draws_per_run", "run_generators",
           "X_DISTS", "ESTIMATORS", "wishart_draw", "psd_sqrt"]

X_DISTS = ("gaussian", "rademacher", "student_t")
_X_ALIASES = {"normal": "gaussian", "t": "student_t", "student-t": "student_t", "studentt": "student_t"}
ESTIMATORS = ("plain", "conditional", "rao_blackwell")
#: largest steps_r of the exact test-task average ("conditional", "rao_blackwell"): it needs
#: the Wishart moments E[W^j] up to j = 2 K_r, whose Stein recurrence (symmaml.stein) costs
#: about 1 s at j = 30 and grows like the number of partitions of j beyond.
MAX_EXACT_STEPS_R = 15


@dataclass(frozen=True)
class Design:
    """Validated parameters of one simulation (all NumPy float64)."""

    n_t: int
    n_v: int
    n_r: int
    m: int
    p: int
    sigma: float
    alpha_t: np.ndarray          # (A_t,)
    alpha_r: np.ndarray          # (A_r,)
    w0: np.ndarray               # (p,)
    omega0: np.ndarray           # (p,)
    Sigma: np.ndarray | None     # (p, p) or None for I
    sqrt_Sigma: np.ndarray | None
    Sigma_w: np.ndarray          # (p, p), always explicit
    sqrt_Sigma_w: np.ndarray | None  # None when Sigma_w = w_scale^2 I
    w_scale: float
    x_dist: str
    df: float
    estimator: str
    test_tasks: int
    n_s: int
    reduce_draws: bool
    steps_t: int = 1             # K_t, inner gradient steps during meta-training
    steps_r: int = 1             # K_r, adaptation steps on the test task
    shapes: dict = field(default_factory=dict, compare=False)

    @property
    def N(self) -> int:
        """Total number of validation points n_v m (rows of B, Eq. 68)."""
        return self.n_v * self.m


# ----------------------------------------------------------------------------- validation
def _count(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer() and not isinstance(value, bool):
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _steps(name, value):
    """A number of gradient steps (:func:`symmaml.arguments.check_steps`, the one home)."""
    return check_steps(name, value)


def _real(name, value, *, nonneg=True):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v) or (nonneg and v < 0):
        raise ValueError(f"{name} must be a finite{' non-negative' if nonneg else ''} number, got {value!r}")
    return v


def _rates(name, value):
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(f"{name} must be a scalar or a non-empty 1-D sequence, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr.reshape(-1), arr.ndim == 1


def _vector(name, value, p):
    if value is None:
        return np.zeros(p)
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(p, float(arr))
    if arr.shape != (p,):
        raise ValueError(f"{name} must be a scalar or have shape ({p},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def make_design(*, n_t, n_v, n_r, m, p, sigma, nu, alpha_t, alpha_r, w0=None, omega0=None,
                Sigma=None, Sigma_w=None, x_dist="gaussian", df=5.0, estimator="plain",
                test_tasks=100, n_s=50, reduce_draws=None, steps_t=1, steps_r=1):
    """Validate the arguments of :func:`symmaml.montecarlo.simulate` (ValueError on bad input)."""
    steps_t, steps_r = _steps("steps_t", steps_t), _steps("steps_r", steps_r)
    n_t, n_v, n_r, m, p = (_count(k, v) for k, v in
                           (("n_t", n_t), ("n_v", n_v), ("n_r", n_r), ("m", m), ("p", p)))
    test_tasks, n_s = _count("test_tasks", test_tasks), _count("n_s", n_s)
    sigma = _real("sigma", sigma)
    at, _ = _rates("alpha_t", alpha_t)
    ar, _ = _rates("alpha_r", alpha_r)
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; expected one of {ESTIMATORS}")
    if not isinstance(x_dist, str):
        raise ValueError(f"x_dist must be a string, got {x_dist!r}")
    x_dist = _X_ALIASES.get(x_dist.lower(), x_dist.lower())
    if x_dist not in X_DISTS:
        raise ValueError(f"unknown x_dist {x_dist!r}; expected one of {X_DISTS}")
    df = _real("df", df)
    if x_dist == "student_t" and not df > 2:
        raise ValueError(f"student_t inputs need df > 2 for a finite covariance, got df={df}")
    if x_dist == "student_t" and estimator != "plain" and not df > 4:
        raise ValueError(f"the conditional estimator with student_t inputs needs df > 4, got df={df}")

    if Sigma is None:
        Sig, sqrt_Sig = None, None
    else:
        Sig, sqrt_Sig = psd_sqrt("Sigma", Sigma, p)
        if np.array_equal(Sig, np.eye(p)):
            Sig, sqrt_Sig = None, None
    if Sigma_w is None:
        if nu is None:
            raise ValueError("give the task variability: nu (Sigma_w = nu^2/p I) or Sigma_w")
        nu = _real("nu", nu)
        w_scale = nu / math.sqrt(p)
        Sw, sqrt_Sw = w_scale**2 * np.eye(p), None
    else:
        if nu is not None:
            raise ValueError("give either nu or Sigma_w, not both")
        Sw, sqrt_Sw = psd_sqrt("Sigma_w", Sigma_w, p)
        w_scale = 1.0

    eligible = x_dist == "gaussian" and Sig is None
    if steps_r > 1 and estimator != "plain" and not eligible:
        raise ValueError(
            f"steps_r={steps_r} with estimator={estimator!r}: the exact test-task average for "
            "K_r > 1 adaptation steps needs Sigma = I and Gaussian x (x_dist='gaussian'); "
            "use estimator=\"plain\" for other inputs")
    if steps_r > MAX_EXACT_STEPS_R and estimator != "plain":
        raise ValueError(
            f"steps_r={steps_r} with estimator={estimator!r}: the exact test-task average is "
            f"implemented up to steps_r={MAX_EXACT_STEPS_R} (it needs Wishart moments of order "
            "2 steps_r); use estimator=\"plain\"")
    if reduce_draws is None:
        reduce_draws = eligible and steps_r == 1
    elif reduce_draws and steps_r > 1:
        raise ValueError(f"reduce_draws=True is only valid for one adaptation step (steps_r=1), "
                         f"got steps_r={steps_r}: the reduced-draw identities are for one test "
                         "step; use reduce_draws=False")
    elif reduce_draws and not eligible:
        raise ValueError("reduce_draws=True needs x_dist='gaussian' and Sigma = I "
                         "(the identities rely on rotation invariance)")
    d = Design(n_t=n_t, n_v=n_v, n_r=n_r, m=m, p=p, sigma=sigma, alpha_t=at, alpha_r=ar,
               w0=_vector("w0", w0, p), omega0=_vector("omega0", omega0, p),
               Sigma=Sig, sqrt_Sigma=sqrt_Sig, Sigma_w=Sw, sqrt_Sigma_w=sqrt_Sw, w_scale=w_scale,
               x_dist=x_dist, df=df, estimator=estimator, test_tasks=test_tasks, n_s=n_s,
               reduce_draws=bool(reduce_draws) and estimator == "plain",
               steps_t=steps_t, steps_r=steps_r)
    d.shapes.update(_shapes(d))
    return d


# ----------------------------------------------------------------------------- draws
def _shapes(d: Design) -> dict:
    """name -> (kind, shape) of the per-run draws, in draw order."""
    T = d.test_tasks
    s = {"Gx": ("x", (d.m, d.n_t + d.n_v, d.p))}   # standardised inputs, training rows first
    if d.estimator == "rao_blackwell":               # w, z_t, z_v are integrated out exactly
        return s
    s.update({
        "gw": ("normal", (d.m, d.p)),              # task parameters, Eq. 30
        "zt": ("normal", (d.m, d.n_t)),
        "zv": ("normal", (d.m, d.n_v)),
    })
    if d.estimator == "plain":
        if d.reduce_draws:
            s.update({
                "gwp": ("normal", (T, d.p)),       # test-task parameters w'
                "L21": ("normal", (T,)),
                "c_r": ("chisquare", (T,), d.n_r),
                "c_r1": ("chisquare", (T,), d.n_r - 1),
                "c_p1": ("chisquare", (T,), d.p - 1),
                "c_s": ("chisquare", (T,), d.n_s),
            })
        else:
            s.update({
                "gwp": ("normal", (T, d.p)),
                "Gr": ("x", (T, d.n_r, d.p)),
                "zr": ("normal", (T, d.n_r)),
                "Gs": ("x", (T, d.n_s, d.p)),
                "zs": ("normal", (T, d.n_s)),
            })
    return s


def _draw_x(rng, d: Design, shape):
    if d.x_dist == "gaussian":
        return rng.standard_normal(shape)
    if d.x_dist == "rademacher":
        return rng.integers(0, 2, size=shape, dtype=np.int8).astype(float) * 2.0 - 1.0
    return rng.standard_t(d.df, size=shape) * math.sqrt((d.df - 2.0) / d.df)


def draw_run(rng: np.random.Generator, d: Design) -> dict:
    """All random numbers of one run, as standardised NumPy arrays (see ``Design.shapes``)."""
    out = {}
    for name, spec in d.shapes.items():
        kind, shape = spec[0], spec[1]
        if kind == "x":
            out[name] = _draw_x(rng, d, shape)
        elif kind == "normal":
            out[name] = rng.standard_normal(shape)
        else:
            dof = spec[2]
            out[name] = rng.chisquare(dof, size=shape) if dof > 0 else np.zeros(shape)
    return out


def run_generators(seed, runs: int) -> list:
    """One independent ``SeedSequence`` per run: ``SeedSequence(seed).spawn(runs)``."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(runs)


def draw_chunk(seqs, d: Design) -> dict:
    """Stack :func:`draw_run` over the runs whose seed sequences are ``seqs``."""
    per_run = [draw_run(np.random.Generator(np.random.PCG64(s)), d) for s in seqs]
    return {k: np.stack([r[k] for r in per_run]) for k in d.shapes}


def draws_per_run(d: Design) -> dict:
    """Number of random variates of each kind drawn per run.

    Keys: ``normal`` (standard normals, including Gaussian inputs), ``x`` (non-Gaussian
    input entries), ``chisquare``.
    """
    counts = {"normal": 0, "x": 0, "chisquare": 0}
    for spec in d.shapes.values():
        kind, shape = spec[0], spec[1]
        if kind == "x":
            kind = "normal" if d.x_dist == "gaussian" else "x"
        counts[kind] += int(np.prod(shape))
    return counts


def wishart_draw(p: int, dof: int | None = None, scale=1.0, *, rng: np.random.Generator,
                 normalise: bool = True) -> np.ndarray:
    """One draw of the Wishart W(scale, dof) (p x p), divided by ``dof`` if ``normalise``.

    ``scale`` is a scalar c (meaning c * I) or a symmetric positive-definite p x p matrix;
    ``dof`` defaults to ``p``.  ``rng`` must be a ``numpy.random.Generator`` (e.g.
    ``numpy.random.default_rng(seed)``), passed explicitly for reproducibility.

    Eq. 17 (Fig. 4) draws Sigma ~ W(I, p) and Sigma_w ~ nu^2/p W(I, p); with the 1/dof
    normalisation (unnormalised losses come out near 1e6) these are
    ``wishart_draw(p, rng=rng)`` and ``wishart_draw(p, scale=nu**2 / p, rng=rng)``.
    (Re-exported as :func:`symmaml.numeric.wishart_draw`.)
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), got {type(rng).__name__}")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"p must be a positive integer, got {p!r}")
    dof = p if dof is None else dof
    if isinstance(dof, bool) or not isinstance(dof, (int, np.integer)) or dof < 1:
        raise ValueError(f"dof must be a positive integer, got {dof!r}")
    X = rng.standard_normal((int(dof), int(p)))
    if np.ndim(scale) == 0:
        c = float(scale)
        if not c > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        W = c * (X.T @ X)
    else:
        V = np.asarray(scale, dtype=np.float64)
        if V.shape != (p, p):
            raise ValueError(f"scale matrix must have shape ({p}, {p}), got {V.shape}")
        try:
            L = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            raise ValueError("scale matrix must be symmetric positive definite") from None
        Y = X @ L.T
        W = Y.T @ Y
    W = 0.5 * (W + W.T)
    if normalise:
        W /= dof
    return W
