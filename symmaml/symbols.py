"""The fixed public symbols of symmaml (floor 0).

Every layer builds its expressions from these objects so that users and tests can
substitute values by name.  They are plain SymPy symbols (no assumptions), so that
``sympy.Symbol("n")`` typed by a user is the same object as :data:`n`.

Names follow the paper (Bernacchia, ICLR 2021, Sections 3-4 and 7.1):

========== ==================================================================
``n``      rows of a generic Gaussian data matrix X (Lemma 1)
``p``      number of parameters = input dimension
``n_t``    training points per task;  ``n_v`` validation points per task
``n_r``    target points of the test task
``m``      number of training tasks
``alpha_t`` inner-loop (training) learning rate;  ``alpha_r`` adaptation rate
``sigma``  label noise;  ``nu`` task variability;  ``delta_sq`` = |omega0 - w0|^2
========== ==================================================================
"""
from sympy import Symbol

n = Symbol("n")
p = Symbol("p")
n_t = Symbol("n_t")
n_v = Symbol("n_v")
n_r = Symbol("n_r")
m = Symbol("m")
alpha_t = Symbol("alpha_t")
alpha_r = Symbol("alpha_r")
sigma = Symbol("sigma")
nu = Symbol("nu")
delta_sq = Symbol("delta_sq")

__all__ = ["n", "p", "n_t", "n_v", "n_r", "m", "alpha_t", "alpha_r", "sigma", "nu", "delta_sq"]
