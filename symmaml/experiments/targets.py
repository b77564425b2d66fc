"""The accuracy targets of the order-2 (finite-size) theory, judged with the Monte Carlo error.

The targets (README, "Beyond the paper's accuracy: finite-size theory"):

* where the paper's theorem applies (every validated figure but Figs. 6b, 6c), the order-2
  relative gap at least :data:`GAP_RATIO` = 10 times smaller than the paper's theorem's,
  at every alpha of the figure's grid;
* where the paper says its theorem is inaccurate (Figs. 6b, 6c, next to the interpolation
  threshold: :attr:`~symmaml.experiments.paper.Figure.expected_inaccurate`), the order-2
  relative gap under :data:`GAP_BOUND` = 3 % at every alpha.

Each alpha gets one verdict of :data:`TARGET_VERDICTS`: ``"met"``, ``"missed"``,
``"unresolved"`` (the runs cannot tell), or ``"outside"`` (Theorem 3's points outside its
order-2 regime, where no order-2 theory is offered: not met).

Statistics.  Let mu be the expectation of the simulated mean; the gap of a theory T is
mu/T - 1.  The runs give the interval mc +- z* stderr for mu, z* the validation's
Bonferroni threshold over the figure's rows (so the verdicts of one figure hold jointly at
its family-wise level).  A target is *met* when it holds for every mu in that interval,
*missed* when it fails for every mu in it, and *unresolved* otherwise.  Both conditions
are piecewise linear in mu (``|mu/T1 - 1| - R |mu/T2 - 1|`` and ``|mu/T2 - 1|``), so their
extremes over the interval lie at its ends or at a kink (mu = T1, mu = T2) inside it: the
judgement is exact given the interval, with no normal approximation of a ratio of gaps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .paper import get_figure

__all__ = ["GAP_RATIO", "GAP_BOUND", "TARGET_VERDICTS", "Target", "target_for", "judge",
           "count"]

#: where the paper's theorem applies: |order-2 gap| <= |paper's gap| / GAP_RATIO
GAP_RATIO = 10.0
#: where the paper says its theorem is inaccurate: |order-2 gap| < GAP_BOUND
GAP_BOUND = 0.03
TARGET_VERDICTS = ("met", "missed", "unresolved", "outside")


@dataclass(frozen=True)
class Target:
    """One figure's target: ``kind`` "ratio" (order-2 gap <= paper's gap / value) or
    "bound" (order-2 gap < value)."""

    kind: str
    value: float

    @property
    def text(self) -> str:
        # no "|": it goes into Markdown table cells
        if self.kind == "ratio":
            return f"order-2 gap at most 1/{self.value:g} of the paper's"
        return f"order-2 gap under {100 * self.value:g} %"


def target_for(figure) -> Target:
    """The target of ``figure`` (a name of the registry or a
    :class:`~symmaml.experiments.paper.Figure`)."""
    fig = get_figure(figure)
    return Target("bound", GAP_BOUND) if fig.expected_inaccurate else Target("ratio", GAP_RATIO)


def _margin(target: Target, mu, t1, t2):
    """How far the target holds at true mean ``mu`` (>= 0: holds; bound: strictly > 0)."""
    g2 = np.abs(mu / t2 - 1.0)
    if target.kind == "ratio":
        return np.abs(mu / t1 - 1.0) - target.value * g2
    return target.value - g2


def judge(target: Target, theory1, theory2, mc, stderr, z_crit: float, outside=None) -> tuple:
    """One verdict of :data:`TARGET_VERDICTS` per row (module doc).

    ``theory1``: the paper's theorem at the rows; ``theory2``: the order-2 theory; ``mc``,
    ``stderr``: the simulated means and their standard errors; ``z_crit``: the family-wise
    threshold; ``outside``: optional per-row mask of points outside the order-2 regime."""
    if not isinstance(target, Target) or target.kind not in ("ratio", "bound"):
        raise ValueError(f"target: expected a Target of kind 'ratio' or 'bound', got {target!r}")
    arrays = {name: np.asarray(x, dtype=float).reshape(-1) for name, x in (
        ("theory1", theory1), ("theory2", theory2), ("mc", mc), ("stderr", stderr))}
    if len({a.shape for a in arrays.values()}) != 1:
        raise ValueError(f"theory1, theory2, mc, stderr: one value per row each, got shapes "
                         f"{[a.shape for a in arrays.values()]}")
    t1, t2, y, se = arrays["theory1"], arrays["theory2"], arrays["mc"], arrays["stderr"]
    try:
        out = (np.zeros(y.shape, bool) if outside is None
               else np.broadcast_to(np.asarray(outside, dtype=bool), y.shape))
    except ValueError:
        raise ValueError(f"outside: one flag per row ({y.size}), got shape "
                         f"{np.shape(outside)}") from None
    judged = ~out
    for name, a in arrays.items():       # rows outside the regime are not read
        if not np.all(np.isfinite(a[judged])):
            raise ValueError(f"{name}: every value must be finite")
    if np.any(se[judged] < 0):
        raise ValueError("stderr: must be >= 0")
    if np.any(t1[judged] == 0) or np.any(t2[judged] == 0):
        raise ValueError("theory1, theory2: a relative gap needs nonzero theory values")
    if not (isinstance(z_crit, (int, float, np.floating)) and np.isfinite(z_crit) and z_crit > 0):
        raise ValueError(f"z_crit: must be finite and > 0, got {z_crit!r}")
    lo, hi = y - z_crit * se, y + z_crit * se
    verdicts = []
    for i in range(y.size):
        if out[i]:
            verdicts.append("outside")
            continue
        mus = [lo[i], hi[i]] + [k for k in (t1[i], t2[i]) if lo[i] < k < hi[i]]
        m = _margin(target, np.asarray(mus), t1[i], t2[i])
        strict = target.kind == "bound"
        if (m.min() > 0) if strict else (m.min() >= 0):
            verdicts.append("met")
        elif (m.max() <= 0) if strict else (m.max() < 0):
            verdicts.append("missed")
        else:
            verdicts.append("unresolved")
    return tuple(verdicts)


def count(verdicts) -> str:
    """``"met 5, missed 1, unresolved 1 of 7"`` (verdicts that occur, in
    :data:`TARGET_VERDICTS` order)."""
    verdicts = tuple(verdicts)
    parts = [f"{v} {verdicts.count(v)}" for v in TARGET_VERDICTS if verdicts.count(v)]
    return ", ".join(parts) + f" of {len(verdicts)}"
