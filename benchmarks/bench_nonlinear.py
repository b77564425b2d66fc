"""Benchmark: batched exact second-order MAML meta-gradients (low-rank, vmap) vs a per-task loop.

    python benchmarks/bench_nonlinear.py [--hidden 400 400] [--models 8] [--repeats 5] [--threads 1]

Both compute, for ``--models`` networks (one per alpha_t, Section 5.4's sizes: p=60,
n_t=30, n_v=2, m=3), the meta-loss and its exact second-order gradient:

  lowrank  symmaml.nonlinear.lowrank.step: all models and tasks in batched einsums, the
           adapted network applied as rank-n corrections (never formed); autograd
  batched  symmaml.nonlinear.maml.batched_step: vmap over models of torch.func.grad of a
           vmap over tasks (one call)
  loop     symmaml.nonlinear.maml.meta_grad_loop: Python loop over models and tasks with
           torch.autograd.grad(create_graph=True)

The gradients are checked equal (float32 tolerance), then timed in the same process;
the ratios are (loop time) / (time) for the same work.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--hidden", type=int, nargs="*", default=[400, 400])
    ap.add_argument("--models", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    import torch
    from symmaml.nonlinear import lowrank
    from symmaml.nonlinear.maml import batched_step, meta_grad_loop
    from symmaml.nonlinear.model import Problem, generator, init_params, make_mlp, sample_tasks
    torch.set_num_threads(a.threads)
    prob = Problem()
    net = make_mlp(prob.p, tuple(a.hidden))
    g = generator(0)
    B = a.models
    P = init_params(net, g, batch=B)
    data = sample_tasks(g, (B, prob.m), prob)
    alphas = torch.linspace(-0.02, 0.01, B)
    step = batched_step(net)

    def batched():
        return step(P, alphas, *data)

    def loop():
        out = []
        for b in range(B):
            out.append(meta_grad_loop(net, {k: v[b] for k, v in P.items()}, alphas[b], *[t[b] for t in data]))
        return out
    def fast():
        return lowrank.step(P, alphas, *data)
    gb, lb = batched()
    gf, lf = fast()
    gl = loop()
    err = max(float((g[k][b] - gl[b][0][k]).abs().max() / (gl[b][0][k].abs().max() + 1e-12))
              for g in (gb, gf) for b in range(B) for k in gb)
    assert err < 1e-3, err

    def timeit(f):
        f()
        ts = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return min(ts)
    tf, tb, tl = timeit(fast), timeit(batched), timeit(loop)
    n = sum(v[0].numel() for v in P.values())
    print(f"network p={prob.p} -> {a.hidden} -> 1 ({n} parameters), {B} models x m={prob.m} tasks, "
          f"threads={a.threads}, best of {a.repeats}")
    print(f"max relative difference of the gradients (both batched vs loop): {err:.2e}")
    print(f"lowrank (batched): {tf * 1e3:8.1f} ms/step  = {B / tf:8.1f} model-steps/s  {tl / tf:6.2f}x loop")
    print(f"vmap (batched):    {tb * 1e3:8.1f} ms/step  = {B / tb:8.1f} model-steps/s  {tl / tb:6.2f}x loop")
    print(f"loop (autograd):   {tl * 1e3:8.1f} ms/step  = {B / tl:8.1f} model-steps/s  (baseline)")
    return dict(lowrank=tl / tf, vmap=tl / tb)


if __name__ == "__main__":
    main()
