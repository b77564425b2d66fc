"""The theory curve of a figure (one home): the paper's theorem, K-step, or order 2.

:func:`theory_curve` evaluates a figure's theorem loss at (broadcast) learning rates;
:func:`has_order2` says whether the figure's theorem has an order-2 (finite-size) theory.
Used by :mod:`~symmaml.experiments.validation`, :mod:`~symmaml.experiments.figures` and
:mod:`~symmaml.experiments.optimum`.
"""
from __future__ import annotations

import numpy as np

from ..theory.finite_size import DERIVED_FOR as ORDER2_THEOREMS, check_order
from ..theory.finite_size_general import REGIME_RATIO
from .paper import get_figure as _figure

__all__ = ["theory_curve", "has_order2", "require_order2", "order2_regime", "order2_inside",
           "ORDER2_THEOREMS"]


def has_order2(figure) -> bool:
    """Whether the figure's theorem has an order-2 (finite-size) theory."""
    return str(_figure(figure).theorem) in ORDER2_THEOREMS


def require_order2(figure) -> None:
    """ValueError naming ``order`` unless the figure's theorem has an order-2 theory."""
    fig = _figure(figure)
    if not has_order2(fig):
        raise ValueError(f"order: Fig. {fig.name} (Theorem {fig.theorem}) has no order-2 "
                         f"theory yet; order=2 exists for Theorem(s) "
                         f"{', '.join(ORDER2_THEOREMS)}")


def order2_regime(figure, alpha_t):
    """(inside, p_eff) at ``alpha_t``: where the figure's order-2 theory is within its
    regime.  Theorems 1-2: everywhere (p_eff = None).  Theorem 3 (a truncation in the
    fluctuations of B B^T, :mod:`symmaml.theory.finite_size_general`): where
    n_v m / p_eff < 1/2, p_eff of one task's row covariance at the figure's Sigma."""
    fig = _figure(figure)
    at = np.asarray(alpha_t, dtype=float)
    if not fig.has_matrices:
        return np.ones(at.shape, dtype=bool), None
    pe = np.broadcast_to(np.asarray(fig.effective_dimension()(
        alpha_t=at, n_t=fig.params["n_t"]), float), at.shape)
    return fig.params["n_v"] * fig.params["m"] / pe < float(REGIME_RATIO), pe


def order2_inside(figure, swept) -> np.ndarray:
    """Per value of the figure's swept rate, whether it lies in the order-2 regime
    (:func:`order2_regime` at the alpha_t it implies)."""
    fig = _figure(figure)
    a = np.asarray(swept, dtype=float)
    return order2_regime(fig, a if fig.sweep == "alpha_t" else np.full_like(a, fig.fixed))[0]


def theory_curve(figure, alpha_t, alpha_r, steps_t=1, steps_r=1, order=1,
                 **overrides) -> np.ndarray:
    """The figure's theorem loss at (broadcast) ``alpha_t``, ``alpha_r`` (NumPy).

    ``overrides`` replace model parameters (n_t, ..., sigma, nu) in the *theory only*,
    e.g. ``sigma=math.sqrt(2) * fig.params["sigma"]`` for a deliberately wrong theory.
    ``steps_t``, ``steps_r``: K-step MAML (Theorems 1-2; :func:`symmaml.numeric.steps_loss_function`).
    ``order=2``: the finite-size theory (:func:`has_order2` says where it exists;
    :mod:`symmaml.theory.finite_size`).
    """
    fig = _figure(figure)
    order = check_order(order)
    if order == 2:
        require_order2(fig)
    if order == 2 and (steps_t, steps_r) != (1, 1):
        raise ValueError("order=2 is derived for one-step MAML only")
    P = {**fig.params, **overrides}
    at = np.asarray(alpha_t, dtype=float)
    ar = np.asarray(alpha_r, dtype=float)
    steps = (steps_t, steps_r) != (1, 1)
    if fig.has_matrices:
        if "nu" in overrides:
            if steps:
                raise ValueError("overriding nu at Fig. 4 with K steps is not supported")
            from ..numeric.losses import theorem3_evaluator
            S, Sw = fig.matrices()
            ev = theorem3_evaluator(S, Sw * (overrides["nu"] / fig.params["nu"]) ** 2,
                                    order=order)
        else:
            ev = fig.theorem3_evaluator(steps_t, steps_r, order)     # built once per figure
        kw = {k: P[k] for k in ("n_t", "n_v", "n_r", "m", "sigma")}
        out = ev(alpha_t=at, alpha_r=ar, **kw)
    else:
        from ..numeric.losses import loss_function, steps_loss_function
        kw = dict(P)
        if fig.theorem_object.regime == "over":
            kw["delta_sq"] = overrides.get("delta_sq", fig.delta_sq)
        if steps:
            out = steps_loss_function(fig.theorem, steps_t, steps_r, **kw)(at, ar)
        else:
            out = loss_function(fig.theorem, order=order)(alpha_t=at, alpha_r=ar, **kw)
    return np.broadcast_to(np.asarray(out, dtype=float), np.broadcast_shapes(at.shape, ar.shape)).copy()


