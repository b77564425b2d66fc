"""Data model and network of Section 5.4.

Tasks: w ~ N(w0, nu^2/p I_p), b ~ N(0, 1); data x ~ N(0, I_p), z ~ N(0, sigma^2),
y = (w^T x + b)^2 + z.

Network: a ReLU MLP p -> hidden... -> 1.  The paper's "2-layer feed-forward neural
network ... width of 400 in both layers" is read by default as two hidden layers of
width 400 (p -> 400 -> 400 -> 1, ``hidden=(400, 400)``); ``hidden=(400,)`` gives the
other reading (one hidden layer).  Initialisation: weights N(0, 1/fan_in) ("variance
equal to the inverse number of inputs", every layer including the output one), biases
zero (the paper does not say; we state it).

Parameters are dicts {name: tensor} used with ``torch.func.functional_call``; a
*batched* dict has a leading model axis (one network per run x alpha_t).
All draws take an explicit ``torch.Generator``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict


@dataclass(frozen=True)
class Problem:
    """Section 5.4's sizes (n_s: points per test task, not given in 5.4; Section 7.1 uses 50)."""
    p: int = 60
    n_t: int = 30
    n_v: int = 2
    n_r: int = 20
    n_s: int = 50
    m: int = 3
    sigma: float = 1.0
    nu: float = 0.5
    w0: float = 0.0
    target: str = "quadratic"       # "quadratic": (w^T x + b)^2 + z; "linear": w^T x + z

    def asdict(self):
        """The sizes and noise levels as a plain dict."""
        return asdict(self)


def generator(seed) -> "torch.Generator":
    """A CPU torch.Generator seeded from an int or a numpy SeedSequence."""
    import numpy as np
    import torch
    if isinstance(seed, np.random.SeedSequence):
        seed = int(seed.generate_state(1, dtype=np.uint64)[0] >> 1)
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


def sample_task_params(gen, shape, prob: Problem, dtype=None):
    """(w, b) with w: shape + (p,), b: shape."""
    import torch
    dtype = dtype or torch.get_default_dtype()
    w = prob.w0 + prob.nu / math.sqrt(prob.p) * torch.randn(*shape, prob.p, generator=gen, dtype=dtype)
    b = torch.randn(*shape, generator=gen, dtype=dtype)
    if prob.target == "linear":
        b = torch.zeros_like(b)
    return w, b


def target(x, w, b, prob: Problem):
    """Noise-free target for x: (..., n, p), w: (..., p), b: (...)."""
    u = (x @ w.unsqueeze(-1)).squeeze(-1) + b.unsqueeze(-1)
    return u * u if prob.target == "quadratic" else u


def sample_points(gen, w, b, n, prob: Problem):
    """x: w.shape[:-1] + (n, p), y: w.shape[:-1] + (n,)."""
    import torch
    shape = tuple(w.shape[:-1])
    x = torch.randn(*shape, n, prob.p, generator=gen, dtype=w.dtype)
    z = prob.sigma * torch.randn(*shape, n, generator=gen, dtype=w.dtype)
    return x, target(x, w, b, prob) + z


def sample_tasks(gen, shape, prob: Problem, sizes=("n_t", "n_v"), dtype=None):
    """Draw tasks of leading shape ``shape``; returns [x_1, y_1, x_2, y_2, ...] for the
    point counts named in ``sizes`` (all points of a task share its w, b)."""
    w, b = sample_task_params(gen, shape, prob, dtype)
    out = []
    for s in sizes:
        x, y = sample_points(gen, w, b, getattr(prob, s) if isinstance(s, str) else int(s), prob)
        out += [x, y]
    return out


def make_mlp(p: int, hidden=(400, 400), bias: bool = True):
    """nn.Sequential of Linear/ReLU (a template for functional_call; its own weights unused).
    ``hidden=()`` and ``bias=False`` give the linear model f(x) = omega^T x."""
    import torch.nn as nn
    layers, fan_in = [], p
    for h in hidden:
        layers += [nn.Linear(fan_in, h, bias=bias), nn.ReLU()]
        fan_in = h
    layers.append(nn.Linear(fan_in, 1, bias=bias))
    return nn.Sequential(*layers).to("meta")


def init_params(net, gen, batch: int | None = None, dtype=None, zero: bool = False):
    """Weights N(0, 1/fan_in), biases 0; with ``batch`` a leading model axis.
    ``zero=True``: all zeros (the linear model's omega0 = w0 = 0 of Section 5.1)."""
    import torch
    dtype = dtype or torch.get_default_dtype()
    lead = () if batch is None else (batch,)
    out = {}
    for name, t in net.named_parameters():
        if name.endswith("weight") and not zero:
            fan_in = t.shape[1]
            out[name] = torch.randn(*lead, *t.shape, generator=gen, dtype=dtype) / math.sqrt(fan_in)
        else:
            out[name] = torch.zeros(*lead, *t.shape, dtype=dtype)
    return out


def forward(net, params, x):
    """Network output f(x, params) for x: (..., p) -> (...)."""
    from torch.func import functional_call
    return functional_call(net, params, (x,)).squeeze(-1)
