"""Parameter sweeps of theory and simulation, on Dask: phase diagrams of alpha_t*.

The layer above :mod:`symmaml.experiments` (it imports experiments, montecarlo, numeric and
theory; only the CLI imports it).  One module per job:

    spec      the TOML spec (tomllib), checked with errors naming the key; the grid points
              and the theorem at each (or why none applies)
    units     units of work (point x alpha-chunk, point x run-chunk) and their seeds
    store     the Parquet store (one atomic file per unit, manifest, lock)
    runner    run_sweep: a Dask LocalCluster, an existing cluster, or this process
    results   per-point records reduced from the stored units (alpha_t*, signs, MC)
    figures   the phase diagrams
    nonlinear the Fig. 5 study (nonlinear MAML) distributed over runs x alpha_t
    specs/    the shipped specs (``symmaml sweep NAME``; ``symmaml sweep --example``)

Dask (``dask.distributed``) and pyarrow are the optional extra ``symmaml[sweep]``; nothing
here imports them at module level.
"""
from .runner import SweepInterrupted, SweepRun, run_sweep
from .spec import Spec, SpecError, load_spec, parse_spec, shipped_specs
from .store import StoreError

__all__ = ["run_sweep", "SweepRun", "SweepInterrupted", "Spec", "SpecError", "load_spec",
           "parse_spec", "shipped_specs", "StoreError", "example_spec"]


def example_spec() -> str:
    """The text of the shipped example spec (``symmaml sweep --example``)."""
    from .spec import SPEC_DIR
    return (SPEC_DIR / "example.toml").read_text(encoding="utf-8")
