"""Validation of parameters: sizes, regimes of the theorems, covariance matrices."""
from __future__ import annotations

from sympy import Basic, ImmutableMatrix, MatrixBase, sympify

__all__ = ["check_values", "check_matrix", "SIZE_SYMBOLS"]

SIZE_SYMBOLS = ("n_t", "n_v", "n_r", "m", "p")


def check_values(theorem: str, values: dict) -> None:
    """Raise ValueError if ``values`` are not valid for ``theorem``.

    Sizes must be positive integers; Theorems 1 and 3 need p > n_v m, Theorem 2 p < n_v m;
    sigma, nu must be non-negative.
    """
    vals = {str(k): sympify(v) for k, v in values.items()}
    for name in SIZE_SYMBOLS:
        v = vals.get(name)
        if v is not None and v.is_number and not (v.is_integer and v > 0):
            raise ValueError(f"{name} must be a positive integer, got {v}")
    for name in ("sigma", "nu", "delta_sq"):
        v = vals.get(name)
        if v is not None and v.is_number and (not v.is_real or v < 0):
            raise ValueError(f"{name} must be non-negative, got {v}")
    pv, nvv, mv = vals.get("p"), vals.get("n_v"), vals.get("m")
    if all(x is not None and x.is_number for x in (pv, nvv, mv)):
        if theorem in ("1", "3") and not pv > nvv * mv:
            raise ValueError(f"Theorem {theorem} needs p > n_v m (overparameterized); got "
                             f"p = {pv}, n_v m = {nvv * mv}: use Theorem 2")
        if theorem == "2" and not pv < nvv * mv:
            raise ValueError(f"Theorem 2 needs p < n_v m (underparameterized); got "
                             f"p = {pv}, n_v m = {nvv * mv}: use Theorem 1")


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
