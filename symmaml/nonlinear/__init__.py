"""Nonlinear MAML (Section 5.4, Fig. 5), Meta-SGD and the NTK link to Theorem 3.

torch is an optional dependency: importing this package does not import torch; the
submodules import it inside their functions.

    model       data model y = (w^T x + b)^2 + z, ReLU MLPs, seeded draws
    maml        one-step MAML with the exact second-order meta-gradient (torch.func),
                batched over models (runs x alpha_t) and tasks with vmap (the reference),
                and the outer training loop
    lowrank     the same meta-loss and gradients with the adapted network applied as
                rank-n corrections (never formed): the fast kernel for scalar rates
    sweep       run_sweep: the Fig. 5 alpha_t sweep (SweepResult, to_json, summary_text)
    stats       argmin_with_uncertainty (bootstrap), paired_differences, pool_sweeps
    metasgd     Meta-SGD (per-parameter inner learning rates), nonlinear and linear:
                run_metasgd
    ntk         tangent features at initialisation -> Sigma, Sigma_w, F -> Theorem 3:
                run_ntk_check
    experiment  re-exports of the above (the former all-in-one module)

Fig. 5 itself and the ``symmaml nonlinear`` runner are in the layer above,
:mod:`symmaml.experiments.nonlinear_figure` (this package never imports it).
"""
__all__ = ["run_sweep", "to_json", "pool_sweeps", "run_metasgd", "run_ntk_check"]

_HOME = {"run_sweep": "sweep", "to_json": "sweep", "pool_sweeps": "stats", "run_metasgd": "metasgd",
         "run_ntk_check": "ntk"}


def __getattr__(name):          # lazy: `import symmaml.nonlinear` never needs torch
    """The names of ``__all__``, imported from their modules on first use."""
    if name in _HOME:
        from importlib import import_module
        return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(name)
