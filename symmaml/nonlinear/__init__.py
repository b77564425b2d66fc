"""Nonlinear MAML (Section 5.4, Fig. 5), Meta-SGD and the NTK link to Theorem 3.

torch is an optional dependency: importing this package does not import torch; the
submodules import it inside their functions.

    model       data model y = (w^T x + b)^2 + z, ReLU MLPs, seeded draws
    maml        one-step MAML with the exact second-order meta-gradient (torch.func),
                batched over models (runs x alpha_t) and tasks with vmap (the reference),
                and the outer training loop
    lowrank     the same meta-loss and gradients with the adapted network applied as
                rank-n corrections (never formed): the fast kernel for scalar rates
    metasgd     Meta-SGD (per-parameter inner learning rates), nonlinear and linear
    ntk         tangent features at initialisation -> Sigma, Sigma_w, F -> Theorem 3
    experiment  run_sweep / pool_sweeps / to_json / draw_figure5 (Fig. 5), run_metasgd,
                run_ntk_check
"""
__all__ = ["run_sweep", "to_json", "draw_figure5"]


def __getattr__(name):          # lazy: `import symmaml.nonlinear` never needs torch
    if name in __all__:
        from . import experiment
        return getattr(experiment, name)
    raise AttributeError(name)
