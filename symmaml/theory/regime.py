"""Validation of parameters: sizes, regimes of the theorems, covariance matrices.

The one home of "which parameter values does a theorem accept".  The same rules serve the
symbolic path (:func:`check_values`, used by :func:`symmaml.theory.loss` and the optima) and
the numeric path (:func:`check_arrays`, used by every compiled function of
:mod:`symmaml.numeric`), so the two can never disagree.

The rules:

* sizes ``n_t, n_v, n_r, m, p`` are positive integers; ``sigma, nu, delta_sq`` are real and
  non-negative; ``alpha_t, alpha_r`` are real; every number is finite;
* Theorems 1 and 3 need p > n_v m (overparameterized), Theorem 2 p < n_v m;
* the expected test loss itself must exist.  The outer-loop solution involves the inverse of
  the Gram matrix of the N = n_v m validation rows (Eqs. 22-27): (B B^T)^{-1}, N x N, for
  p > N and (B^T B)^{-1}, p x p, for p < N.  At alpha_t = 0, B has Gaussian rows and these are
  inverse-Wishart matrices, whose mean exists iff dof - dim - 1 > 0: p - N - 1 > 0,
  respectively N - p - 1 > 0.  The divergence comes from the smallest singular value of B,
  P(s_min^2 < eps) ~ eps^{c/2} with c = |p - N| + 1, so |p - N| <= 1 gives an infinite loss
  for every alpha_t.  One more case for p < N: with alpha_t > 0 and p < n_v, each task's
  A_t = I - alpha_t X_t^T X_t / n_t can be singular, c becomes min(|p - N| + 1,
  (m - 1) p + 1), and the loss is infinite when (m - 1) p <= 1 (m = 1, or m = 2 with p = 1).
  The argument, with a tail-index check by simulation, is in
  :mod:`symmaml.montecarlo.existence`; the simulator refuses the same points.  The
  theorems' asymptotic expressions stay finite there, which would be a silent wrong answer.

User values may be Python or NumPy numbers, SymPy objects, or strings holding a plain number
(``"1/5"``, ``"0.2"``), which are parsed by :class:`sympy.Rational`, never evaluated.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from sympy import Basic, ImmutableMatrix, MatrixBase, Rational, sympify

__all__ = ["check_values", "check_arrays", "check_matrix", "as_value", "SIZE_SYMBOLS",
           "NONNEGATIVE_SYMBOLS", "REAL_SYMBOLS", "REGIMES", "finite_loss_condition",
           "InnerLoopDivergenceWarning", "inner_loop_growth", "check_steps_values", "MAX_GROWTH"]

SIZE_SYMBOLS = ("n_t", "n_v", "n_r", "m", "p")
NONNEGATIVE_SYMBOLS = ("sigma", "nu", "delta_sq")
REAL_SYMBOLS = ("alpha_t", "alpha_r")
#: theorem -> "over" (p > n_v m) or "under" (p < n_v m)
REGIMES = {"1": "over", "2": "under", "3": "over"}


def finite_loss_condition(theorem: str) -> str:
    """The condition, in words, under which the theorem's expected test loss exists."""
    return ("p > n_v m + 1" if REGIMES[str(theorem)] == "over" else "n_v m > p + 1")


def as_value(name: str, value):
    """A user-supplied parameter value as a SymPy object, without evaluating strings.

    Numbers (Python, NumPy, SymPy) and SymPy expressions are accepted; a string must be a
    plain number (``"1/5"``); booleans, other strings and other types raise ``TypeError``
    naming the parameter.
    """
    if isinstance(value, bool) or isinstance(value, np.bool_):
        raise TypeError(f"{name} must be a number, got the boolean {value!r}")
    if isinstance(value, Basic):
        return value
    if isinstance(value, str):
        try:
            return Rational(value.strip())
        except (TypeError, ValueError, SyntaxError):
            raise TypeError(f"{name} must be a number or a SymPy expression; the string "
                            f"{value!r} is not a plain number (strings are never "
                            "evaluated)") from None
    if isinstance(value, (numbers.Number, np.number)):
        return sympify(value)
    raise TypeError(f"{name} must be a number or a SymPy expression, got "
                    f"{type(value).__name__}")


def _number(name: str, value) -> float | None:
    """The float value of a numeric SymPy object, None for a symbolic one."""
    if not value.is_number:
        return None
    if value.is_real is False or value.has(sympify("zoo")):
        raise ValueError(f"{name} must be a finite real number, got {value}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite real number, got {value}") from None


def check_values(theorem: str, values: dict) -> dict:
    """Raise if ``values`` are not valid for ``theorem``; return them as SymPy objects.

    ``values`` maps parameter names (or symbols) to numbers or expressions; symbolic values
    are left unchecked.  See the module docstring for the rules.
    """
    out, numeric = {}, {}
    for k, v in values.items():
        name = str(k)
        out[k] = val = as_value(name, v)
        x = _number(name, val)
        if x is not None:
            numeric[name] = np.asarray(x, dtype=float)
            if name in SIZE_SYMBOLS and not val.is_integer:
                raise ValueError(f"{name} must be a positive integer, got {val}")
    check_arrays(theorem, numeric)
    return out


def check_arrays(theorem: str, values: dict) -> None:
    """The rules of the module docstring on NumPy arrays (every element must satisfy them).

    ``values`` maps parameter names to arrays or scalars; parameters not given are not
    checked (e.g. the regime needs all of p, n_v and m).
    """
    t = str(theorem)
    if t not in REGIMES:
        raise ValueError(f"theorem must be one of 1, 2, 3; got {theorem!r}")
    arr = {}
    for name, v in values.items():
        a = np.asarray(v)
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.number)):
            raise TypeError(f"{name} must be numeric, got an array of {a.dtype}")
        if np.iscomplexobj(a):
            if np.any(a.imag != 0):
                raise ValueError(f"{name} must be real, got a complex value")
            a = a.real
        a = a.astype(float)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite, got {_first(a, ~np.isfinite(a))}")
        arr[name] = a
    for name in SIZE_SYMBOLS:
        a = arr.get(name)
        if a is not None:
            bad = (a <= 0) | (a != np.round(a))
            if np.any(bad):
                raise ValueError(f"{name} must be a positive integer, got {_first(a, bad)}")
    for name in NONNEGATIVE_SYMBOLS:
        a = arr.get(name)
        if a is not None and np.any(a < 0):
            raise ValueError(f"{name} must be non-negative, got {_first(a, a < 0)}")
    if not all(k in arr for k in ("p", "n_v", "m")):
        return
    pv, nvm = np.broadcast_arrays(arr["p"], arr["n_v"] * arr["m"])
    if REGIMES[t] == "over":
        wrong, infinite = pv <= nvm, pv <= nvm + 1
        need = ("p > n_v m (overparameterized)", "use Theorem 2")
    else:
        wrong, infinite = pv >= nvm, pv >= nvm - 1
        need = ("p < n_v m (underparameterized)", "use Theorem 1")
        if "alpha_t" in arr:
            # singular A_t in every task (see the module docstring)
            at, pv, nvm, nv, mv = np.broadcast_arrays(arr["alpha_t"], pv, nvm, arr["n_v"],
                                                      arr["m"])
            infinite = infinite | ((at > 0) & (pv < nv) & ((mv - 1) * pv <= 1))
    if np.any(wrong):
        i = np.argwhere(wrong)[0]
        raise ValueError(f"Theorem {t} needs {need[0]}; got p = {_int(pv[tuple(i)])}, "
                         f"n_v m = {_int(nvm[tuple(i)])}: {need[1]}")
    if np.any(infinite):
        i = tuple(np.argwhere(infinite)[0])
        why = (f"the inverse Gram matrix of the validation data has no mean unless "
               f"{finite_loss_condition(t)}")
        if REGIMES[t] == "under" and abs(float(pv[i]) - float(nvm[i])) > 1:
            why = ("with alpha_t > 0, p < n_v and (m - 1) p <= 1 the adapted inputs are "
                   "singular in every task")
        raise ValueError(
            f"Theorem {t}: the expected test loss is infinite at p = {_int(pv[i])}, "
            f"n_v m = {_int(nvm[i])} ({why})")


def _int(x) -> str:
    x = float(x)
    return str(int(x)) if np.isfinite(x) and x == int(x) else str(x)


def _first(a, mask) -> str:
    """The first offending value, as text."""
    a = np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape))
    return _int(a[tuple(np.argwhere(mask)[0])] if a.ndim else a[()])


def check_matrix(name: str, value, psd: bool = True) -> None:
    """A substituted matrix must be square and symmetric, and PSD if ``psd``."""
    if not isinstance(value, Basic) and (isinstance(value, (list, tuple))
                                         or hasattr(value, "__array__")):
        value = ImmutableMatrix(value)
    if not isinstance(value, (MatrixBase, Basic)) or not hasattr(value, "shape"):
        raise ValueError(f"{name} must be a matrix, got {type(value).__name__}")
    rows, cols = value.shape
    if rows != cols:
        raise ValueError(f"{name} must be square, got shape {value.shape}")
    if isinstance(value, MatrixBase):
        if not value.is_symmetric():
            raise ValueError(f"{name} must be symmetric")
        if psd and all(x.is_number for x in value) and value.is_positive_semidefinite is False:
            raise ValueError(f"{name} must be positive semi-definite")


class InnerLoopDivergenceWarning(RuntimeWarning):
    """K > 1 inner gradient steps at a positive rate beyond 2 / lambda_+: the inner loop
    diverges (|1 - alpha lambda| > 1 at the spectrum's upper edge) and the loss grows
    geometrically with K."""


#: growth rho^{2K} of the K-step map beyond which a loss value is refused (see check_steps_values)
MAX_GROWTH = 1e150


def inner_loop_growth(alpha, n, p):
    """rho = max |1 - alpha lambda| over the spectrum of X^T X / n (X n x p, Sigma = I):
    the Marchenko-Pastur bulk [(1 - sqrt(p/n))^2, (1 + sqrt(p/n))^2], plus lambda = 0 when
    p > n.  The K-step map A^K multiplies errors by up to rho^K (asymptotic edges; finite
    samples fluctuate slightly beyond them)."""
    alpha, n, p = (np.asarray(x, dtype=float) for x in (alpha, n, p))
    c = p / n
    lo, hi = (1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2
    rho = np.maximum(np.abs(1 - alpha * lo), np.abs(1 - alpha * hi))
    return np.where(c > 1, np.maximum(rho, 1.0), rho)


def check_steps_values(values: dict, steps_t: int, steps_r: int, *, stacklevel=3) -> None:
    """Where the K-step loss stops being meaningful (one home for theory and numeric).

    For K > 1 steps at a rate alpha > 2 / lambda_+ (gradient descent overshooting at the top
    of the spectrum) the inner loop diverges as K grows: :class:`InnerLoopDivergenceWarning`.
    Negative rates expand too (|1 - alpha lambda| = 1 + |alpha| lambda) -- that is the
    regime the paper studies and it is not warned about -- but any rate whose growth
    rho^{2K} exceeds :data:`MAX_GROWTH` is refused with ValueError: the loss is then
    dominated by the spectrum's edge and not representable in floating point.
    ``values``: names to numbers/arrays (sizes and rates not given are not checked).
    """
    for K, rate, n in ((steps_t, "alpha_t", "n_t"), (steps_r, "alpha_r", "n_r")):
        if K == 1 or not all(k in values for k in (rate, n, "p")):
            continue
        try:
            a = np.asarray(values[rate], dtype=float)
            nn, pp = float(values[n]), float(values["p"])
        except (TypeError, ValueError):
            continue                                   # symbolic: nothing to check
        rho = inner_loop_growth(a, nn, pp)
        with np.errstate(over="ignore"):
            growth = rho ** (2.0 * K)
        if np.any(growth > MAX_GROWTH):
            bad = a[growth > MAX_GROWTH] if a.ndim else a
            raise ValueError(
                f"{rate} = {np.ravel(bad)[0]:g} with {'steps_t' if rate == 'alpha_t' else 'steps_r'}"
                f" = {K}: the inner loop multiplies errors by up to |1 - {rate} lambda|^K = "
                f"{float(np.max(rho)):.3g}^{K}; the loss (~{float(np.max(growth)):.2e}) is not "
                "meaningful there")
        hi = (1 + np.sqrt(pp / nn)) ** 2
        if np.any((a > 0) & (rho > 1)):
            warnings.warn(
                f"{rate} > 2/lambda_+ = {2 / hi:.3g} with {K} steps: the inner loop diverges "
                f"(|1 - {rate} lambda| up to {float(np.max(rho)):.3g} > 1)",
                InnerLoopDivergenceWarning, stacklevel=stacklevel)
