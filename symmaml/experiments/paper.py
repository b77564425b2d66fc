"""The paper's figures, in one place: every number that defines a panel.

:data:`FIGURES` holds one :class:`Figure` per panel of Bernacchia (ICLR 2021) that the
package redraws and validates -- Figs. 2a/2b (Theorem 1), 3a/3b (Theorem 2), 4a/4b
(Theorem 3) and 6a-6d: its theorem, the swept learning rate and its grid of 7 values,
the fixed value of the other rate, the model parameters, w0 / omega0, the Wishart seed of
Fig. 4, whether the paper says the theory is inaccurate there, a note, the figure's
title, and its Monte Carlo run counts:

* ``runs`` -- the default of ``symmaml validate``, ``symmaml figures`` and
  ``symmaml report`` (:data:`DEFAULT_RUNS`): the larger of the paper's count and the
  count the validation's allowances were calibrated at (all ten figures in about a minute
  on a 2-core machine with the Rao-Blackwell estimator);
* ``paper_runs`` -- the paper's counts (captions of Figs. 2, 3, 4, 6; ``--full``,
  :data:`PAPER_RUNS`);
* ``quick_runs`` -- ``--quick`` (:data:`QUICK_RUNS`, few runs for tests and notebooks).

:mod:`symmaml.experiments.validation` (theory vs simulation), :mod:`~.figures` (the
drawings), :mod:`~.report` (the derived numbers at Figs. 2 and 3) and the CLI read this
registry.  The objects that are expensive to build -- the Wishart draws of Fig. 4 and the
compiled Theorem-3 evaluator at them -- are built once per parameter set and cached
(:meth:`Figure.matrices`, :meth:`Figure.theorem3_evaluator`).  SymPy is loaded only
by :meth:`Figure.theorem3_evaluator` (through :mod:`symmaml.numeric`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

import numpy as np

__all__ = ["Figure", "FIGURES", "FIGURE_NAMES", "DEFAULT_RUNS", "PAPER_RUNS", "QUICK_RUNS",
           "FIG2_PARAMS", "FIG3_PARAMS", "FIG6_PARAMS", "get_figure", "exact_params",
           "check_options"]

#: Figs. 2 and 4 (overparameterized, Theorems 1 and 3)
FIG2_PARAMS = dict(n_t=30, n_v=2, n_r=20, m=3, p=60, sigma=1.0, nu=0.5)
#: Fig. 3 (underparameterized, Theorem 2)
FIG3_PARAMS = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=0.2, nu=0.2)
#: Fig. 6, less m and n_v (which vary by panel)
FIG6_PARAMS = dict(n_t=40, n_r=40, p=50, sigma=0.5, nu=0.5)


def _grid(lo, hi, k=7):
    return tuple(float(x) + 0.0 for x in np.round(np.linspace(lo, hi, k), 10))


_ALPHA_R_GRID = _grid(-0.2, 1.0)          # -0.2, 0, ..., 1.0
_ALPHA_T_GRID_1 = _grid(-1.5, 1.5)        # covers alpha_t^- ~ -1.0
_ALPHA_T_GRID_2 = _grid(-1.0, 1.0)

#: ``quick=True``: runs per point of every figure
QUICK_RUNS = 40


@lru_cache(maxsize=None)
def _wishart(seed: int, p: int, nu: float):
    from ..montecarlo.sampling import wishart_draw
    rng = np.random.default_rng(seed)
    S = wishart_draw(p, rng=rng)
    Sw = wishart_draw(p, scale=nu ** 2 / p, rng=rng)
    S.flags.writeable = False
    Sw.flags.writeable = False
    return S, Sw


@lru_cache(maxsize=None)
def _theorem3_evaluator(seed: int, p: int, nu: float, steps_t: int = 1, steps_r: int = 1,
                        order: int = 1):
    from ..numeric.losses import theorem3_evaluator
    S, Sw = _wishart(seed, p, nu)
    return theorem3_evaluator(S.copy(), Sw.copy(), steps_t=steps_t, steps_r=steps_r,
                              order=order)


@lru_cache(maxsize=None)
def _effective_dimension(seed: int, p: int, nu: float):
    from ..numeric.losses import theorem3_effective_dimension
    S, _ = _wishart(seed, p, nu)
    return theorem3_effective_dimension(S.copy())


@dataclass(frozen=True)
class Figure:
    """One panel of the paper: model parameters, the swept learning rate and its grid.

    ``params``: n_t, n_v, n_r, m, p, sigma, nu.  ``sweep`` is ``"alpha_t"`` or
    ``"alpha_r"``; ``fixed`` the value of the other rate.  ``w0`` / ``omega0``: scalars
    (all components equal).  ``wishart_seed`` (Theorem 3 only): seed of the draws
    Sigma = W(I, p)/p, Sigma_w = nu^2/p W(I, p)/p (see :meth:`matrices`).
    ``runs``: the default number of Monte Carlo runs (validate, figures, report);
    ``paper_runs``: the paper's; ``quick_runs``: ``quick=True``.  ``title``: the drawn
    figure's title.
    """

    name: str
    theorem: int
    sweep: str
    alphas: tuple
    fixed: float
    params: dict
    w0: float = 0.0
    omega0: float = 0.0
    wishart_seed: int | None = None
    expected_inaccurate: bool = False
    runs: int = 1000
    note: str = ""
    paper_runs: int = 100
    quick_runs: int = QUICK_RUNS
    title: str = ""

    @property
    def delta_sq(self) -> float:
        """|omega0 - w0|^2 (Theorem 1's delta_sq), p (omega0 - w0)^2 for scalar vectors."""
        return float(self.params["p"] * (self.omega0 - self.w0) ** 2)

    @property
    def theorem_object(self):
        """The figure's :class:`symmaml.theory.Theorem` (``theory.theorem(self.theorem)``)."""
        from .. import theory
        return theory.theorem(self.theorem)

    @property
    def has_matrices(self) -> bool:
        """Whether the theory is evaluated at drawn covariance matrices (Fig. 4: Theorem 3,
        Eq. 14, at Sigma, Sigma_w of Eq. 17) rather than by a compiled scalar formula."""
        return self.wishart_seed is not None

    @property
    def closed_form_optimum(self) -> str:
        """How the theory's optimum over the swept rate is known in closed form:
        ``"closed form"`` (optimal alpha_r of Theorems 1-2, Section 5.1), ``"Eq. 8"``
        (alpha_t^- of Theorem 1, :meth:`~symmaml.theory.Theorem.alpha_t_extrema`), or ``""``
        (numeric minimisation: Theorem 3 at drawn matrices, alpha_t of Theorems 2-3)."""
        if self.has_matrices:
            return ""
        if self.sweep == "alpha_r":
            return "closed form"
        try:
            self.theorem_object.alpha_t_extrema()
        except ValueError:
            return ""
        return "Eq. 8"

    def _wishart_key(self):
        """(seed, p, nu) of the figure's Wishart draws; ValueError for Theorems 1-2."""
        if self.wishart_seed is None:
            raise ValueError(f"Fig. {self.name} has no Wishart covariances (Theorem {self.theorem})")
        return int(self.wishart_seed), int(self.params["p"]), float(self.params["nu"])

    def matrices(self):
        """(Sigma, Sigma_w) for Theorem 3, else (None, None).

        Eq. 17 / the caption of Fig. 4 print Sigma ~ W(I, p) and Sigma_w ~ nu^2/p W(I, p);
        taken literally both are p times too large (E W(I, p) = p I, losses near 1e6), so
        both draws are divided by p (``symmaml.montecarlo.sampling.wishart_draw`` normalises by the
        degrees of freedom): E Sigma = I and E Sigma_w = nu^2/p I, Theorem 1's scale.
        Seeded: ``numpy.random.default_rng(wishart_seed)``, Sigma drawn first.  Drawn once
        per (seed, p, nu); each call returns fresh copies.
        """
        if self.wishart_seed is None:
            return None, None
        S, Sw = _wishart(*self._wishart_key())
        return S.copy(), Sw.copy()

    def theorem3_evaluator(self, steps_t: int = 1, steps_r: int = 1, order: int = 1):
        """Theorem 3's compiled loss at :meth:`matrices` (built once per (seed, p, nu),
        steps and order); a function of alpha_t, alpha_r, n_t, n_v, n_r, m, sigma.  With K
        steps: the K-step loss for Gaussian inputs; ``order=2``: the next order of the
        paper's expansion (:mod:`symmaml.theory.finite_size_general`)."""
        from ..theory.finite_size import check_order
        return _theorem3_evaluator(*self._wishart_key(), int(steps_t), int(steps_r),
                                   check_order(order))

    def effective_dimension(self):
        """p_eff(alpha_t, n_t) of Theorem 3's order 2 at :meth:`matrices` (built once per
        (seed, p, nu)): :func:`symmaml.numeric.theorem3_effective_dimension`."""
        return _effective_dimension(*self._wishart_key())

    def with_params(self, **kw) -> "Figure":
        """A copy with some of ``params`` replaced (e.g. ``m=80``)."""
        return replace(self, params={**self.params, **kw})

    def run_count(self, *, quick: bool = False, full: bool = False) -> int:
        """``paper_runs`` if ``full``, ``quick_runs`` if ``quick``, else ``runs``."""
        return self.paper_runs if full else self.quick_runs if quick else self.runs


_T3_NOTE = "Theorem 3, Sigma = W(I,p)/p, Sigma_w = nu^2/p W(I,p)/p"


def _fig6(name, m, n_v, theorem, inaccurate, runs, note, title):
    return Figure(name, theorem, "alpha_t", _ALPHA_T_GRID_1, 0.2, dict(FIG6_PARAMS, m=m, n_v=n_v),
                  w0=0.1, omega0=0.0, expected_inaccurate=inaccurate, runs=runs, note=note,
                  paper_runs=100, title=title)


#: the paper's figures (Theorem 3 with Wishart covariances divided by p; see Figure.matrices)
FIGURES: dict[str, Figure] = {f.name: f for f in (
    Figure("2a", 1, "alpha_r", _ALPHA_R_GRID, 0.2, FIG2_PARAMS, runs=2000, paper_runs=100,
           note="overparameterized, Theorem 1; alpha_t = 0.2",
           title="Fig. 2a: Theorem 1, overparameterized, adaptation learning rate"),
    Figure("2b", 1, "alpha_t", _ALPHA_T_GRID_1, 0.2, FIG2_PARAMS, runs=2000, paper_runs=1000,
           note="overparameterized, Theorem 1; alpha_r = 0.2",
           title="Fig. 2b: Theorem 1, overparameterized, training learning rate"),
    Figure("3a", 2, "alpha_r", _ALPHA_R_GRID, 0.2, FIG3_PARAMS, runs=200, paper_runs=100,
           note="underparameterized, Theorem 2; alpha_t = 0.2",
           title="Fig. 3a: Theorem 2, underparameterized, adaptation learning rate"),
    Figure("3b", 2, "alpha_t", _ALPHA_T_GRID_2, 0.2, FIG3_PARAMS, runs=1000, paper_runs=1000,
           note="underparameterized, Theorem 2; alpha_r = 0.2",
           title="Fig. 3b: Theorem 2, underparameterized, training learning rate"),
    Figure("4a", 3, "alpha_r", _ALPHA_R_GRID, 0.2, FIG2_PARAMS, wishart_seed=2021, runs=2000,
           paper_runs=100, note=f"{_T3_NOTE}; alpha_t = 0.2",
           title="Fig. 4a: Theorem 3, Wishart covariances, adaptation learning rate"),
    Figure("4b", 3, "alpha_t", _ALPHA_T_GRID_1, 0.2, FIG2_PARAMS, wishart_seed=2021, runs=2000,
           paper_runs=500, note=f"{_T3_NOTE}; alpha_r = 0.2",
           title="Fig. 4b: Theorem 3, Wishart covariances, training learning rate"),
    _fig6("6a", 1, 2, 1, False, 1000, "p = 50 > n_v m = 2, Theorem 1, |omega0 - w0|^2 = 0.5",
          "Fig. 6a: Theorem 1, strongly overparameterized ($p = 50 > n_v m = 2$)"),
    _fig6("6b", 5, 5, 1, True, 1000,
          "weakly overparameterized, p = 50 > n_v m = 25, Theorem 1: paper says inaccurate",
          "Fig. 6b: Theorem 1, weakly overparameterized ($p = 50 > n_v m = 25$)"),
    _fig6("6c", 10, 10, 2, True, 200,
          "weakly underparameterized, n_v m = 100 > p = 50, Theorem 2: paper says inaccurate",
          "Fig. 6c: Theorem 2, weakly underparameterized ($n_v m = 100 > p = 50$)"),
    _fig6("6d", 10, 40, 2, False, 200, "n_v m = 400 > p = 50, Theorem 2",
          "Fig. 6d: Theorem 2, strongly underparameterized ($n_v m = 400 > p = 50$)"),
)}

FIGURE_NAMES = tuple(FIGURES)
#: the paper's run counts per point (captions of Figs. 2, 3, 4, 6)
PAPER_RUNS = {k: f.paper_runs for k, f in FIGURES.items()}
#: the default run counts (validate, figures, report)
DEFAULT_RUNS = {k: f.runs for k, f in FIGURES.items()}


def get_figure(figure) -> Figure:
    """A :class:`Figure` itself, or the one named ``figure`` ("2b", "fig2b", "Fig.2b")."""
    if isinstance(figure, Figure):
        return figure
    key = str(figure).lower().removeprefix("fig").removeprefix(".").strip()
    if key not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; known: {sorted(FIGURES)}")
    return FIGURES[key]


def exact_params(figure, with_fixed: bool = True) -> dict:
    """The figure's model parameters as exact numbers for SymPy: integers as ``int``, the
    others as ``"p/q"`` strings (0.2 -> "1/5"); with ``with_fixed`` the fixed rate too
    (``alpha_r`` or ``alpha_t``)."""
    fig = get_figure(figure)
    out = dict(fig.params)
    if with_fixed:
        out["alpha_r" if fig.sweep == "alpha_t" else "alpha_t"] = fig.fixed

    def exact(x):
        q = Fraction(str(x))
        return int(q) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"
    return {k: exact(v) for k, v in out.items()}


def _name(name) -> str:
    key = str(name).strip().lower().removeprefix("fig").removeprefix(".").strip()
    if key not in FIGURE_NAMES:
        raise ValueError(f"unknown figure {name!r}; known: {list(FIGURE_NAMES)} "
                         "(Figure 5, the nonlinear experiment, is not drawn here)")
    return key


def check_options(figures=None, runs=None, seed=0, backend="numpy", quick: bool = False,
                  full: bool = False) -> tuple:
    """Validate the simulation options of figures/validate/report before any work starts.

    Returns the normalised figure names.  Raises ``ValueError`` naming the option: an
    unknown figure, ``runs`` below 2 (one run has no standard error), a negative or
    non-integer ``seed``, an unknown or uninstalled ``backend``, ``quick`` with ``full``.
    """
    from ..backend import get_namespace
    if quick and full:
        raise ValueError("quick and full exclude each other (--quick / --full)")
    names = FIGURE_NAMES if figures is None else tuple(_name(f) for f in figures)
    if not names:
        raise ValueError("figures: no figure selected")
    per = runs.values() if isinstance(runs, dict) else ([] if runs is None else [runs])
    for r in per:
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 2:
            raise ValueError(f"runs must be an integer of at least 2 (one run has no standard "
                             f"error), got {r!r}")
    if isinstance(runs, dict):
        for k in runs:
            _name(k)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        get_namespace(backend)
    except ImportError as exc:
        raise ValueError(f"backend {backend!r} is not available: {exc}") from None
    return names
