"""Monte Carlo layer: simulation of MAML on mixed linear regression (one or K inner steps).

A pure array layer (NumPy / array API, no SymPy) that re-runs the experiments of
Bernacchia (ICLR 2021), Section 7.1, and checks them against exact finite-sample
results.

* :func:`simulate` -- vectorised simulator ("plain", "conditional" and
  "rao_blackwell" estimators, ``steps_t`` / ``steps_r`` inner gradient steps,
  learning-rate sweeps with common random numbers, NumPy / torch / array-api-strict);
* :func:`reference_simulate` -- per-run Python-loop reference consuming the same draws;
* :mod:`~symmaml.montecarlo.exact` -- exact conditional test loss and exact alpha_t = 0
  results (inverse-Wishart / Haar-projection moments);
* :mod:`~symmaml.montecarlo.existence` -- where the expected test loss and the estimators'
  variance are finite (:class:`InfiniteVarianceWarning`);

Theory vs simulation (which needs SymPy, through :mod:`symmaml.numeric`) lives outside this
package, in :mod:`symmaml.experiments.validation`; nothing here imports SymPy.
"""
from .exact import (conditional_test_loss, expected_outer_error_alpha0,
                    expected_test_loss_alpha0)
from .existence import InfiniteVarianceWarning, loss_moments
from .reference import reference_simulate
from .simulate import (IllConditionedWarning, SimulationInterrupted, SimulationResult,
                       SingularOuterProblemError, outer_solve, simulate)

__all__ = [
    "simulate", "reference_simulate", "SimulationResult", "SimulationInterrupted", "outer_solve",
    "IllConditionedWarning", "SingularOuterProblemError", "InfiniteVarianceWarning",
    "loss_moments", "conditional_test_loss", "expected_outer_error_alpha0",
    "expected_test_loss_alpha0",
]
