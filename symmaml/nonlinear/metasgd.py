"""Meta-SGD (Li et al. 2017): per-parameter inner learning rates learned by the outer loop.

The inner step is theta = omega - alpha o grad L_in(omega) with ``alpha`` a dict shaped
like the parameters; the outer loop runs SGD on (omega, alpha) jointly with the exact
second-order meta-gradient (:func:`symmaml.nonlinear.maml.train` with
``learn_alpha=True``).  :func:`rate_table` summarises the learned rates per layer in the
study's Table 1 format (mean, std, fraction negative).
"""
from __future__ import annotations

import math


def init_alpha(params, value: float):
    """alpha = value everywhere, shaped like (batched) params."""
    import torch
    return {k: torch.full_like(v, float(value)) for k, v in params.items()}


def rate_table(alpha, names=None):
    """Per parameter tensor ("layer"): mean, std, fraction negative, count; pooled over
    the model axis.  Returns a list of dicts (and an 'all' row)."""
    import torch
    rows = []
    names = names or list(alpha)
    flat_all = []
    for k in names:
        a = alpha[k].detach().double().flatten()
        flat_all.append(a)
        rows.append(_row(k, a))
    rows.append(_row("all", torch.cat(flat_all)))
    return rows


def _row(name, a):
    a = a[a.isfinite()]
    if a.numel() == 0:          # every model diverged
        return dict(layer=name, mean=math.nan, std=math.nan, frac_negative=math.nan, count=0,
                    min=math.nan, max=math.nan)
    return dict(layer=name, mean=float(a.mean()), std=float(a.std()) if a.numel() > 1 else 0.0,
                frac_negative=float((a < 0).double().mean()), count=int(a.numel()),
                min=float(a.min()), max=float(a.max()))


def format_table(rows) -> str:
    out = [f"{'layer':<12}{'mean':>12}{'std':>12}{'frac<0':>9}{'count':>9}"]
    for r in rows:
        out.append(f"{r['layer']:<12}{r['mean']:>12.4g}{r['std']:>12.4g}{r['frac_negative']:>9.3f}{r['count']:>9d}")
    return "\n".join(out)
