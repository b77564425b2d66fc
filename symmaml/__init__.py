"""symmaml: re-derive, check and extend "Meta-learning with negative learning rates"
(Bernacchia, ICLR 2021) from first principles.

The flow runs one way, each layer importing only those above it in this list (checked by
``tests/test_layers.py``)::

    symbols, printing, io,      fixed public symbols, LaTeX printer, atomic writes,
    backend, matrices           array namespaces, numeric matrix checks (NumPy only)
    arguments                   argument checks shared across layers (steps K)
    stein                       Stein's recurrence for Wishart moments, over any ring
    inverse_wishart             exact E|omega* - w0|^2 at alpha_t = 0 (plain arithmetic)
    moments                     exact Gaussian matrix moments (reference, fast, recurrence),
                                the disk cache
    theory                      Theorems 1-3 derived from the model (Eqs. 18-27), as objects
    claims                      the paper's printed equations, verified exactly
    numeric                     compiled losses (checked), Theorem 3's trace evaluator
    montecarlo                  the seeded simulator of MAML (no SymPy)
    rendering                   Markdown records, the LaTeX document and PDF
    records, latex              re-exports of rendering (older import paths)
    nonlinear                   Fig. 5: nonlinear MAML, Meta-SGD (torch)
    experiments                 the paper's figures (one registry), validation, the report
    sweep                       parameter sweeps on Dask: phase diagrams of alpha_t*
    cli                         thin command-line shell
"""
__version__ = "0.1.0"
