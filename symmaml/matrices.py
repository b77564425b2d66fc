"""Checks of numeric matrices (floor 0: NumPy only, no SymPy): the package's one place for them.

* :func:`resolve_matrices` -- map each matrix symbol of an expression to the array given for
  it (by object, then by name);
* :func:`square_matrices` -- float64 views, square 2-D and one common size (the reference
  evaluator :func:`symmaml.numeric.reference.direct_evaluate`);
* :func:`validate_matrices` -- finite, square, one size, symmetric, positive semi-definite
  where asked (:class:`~symmaml.numeric.traces.TraceEvaluator`, with relative tolerances);
* :func:`psd_sqrt` -- a covariance of the simulator checked (shape, finite, symmetric and
  PSD to rounding) and its symmetric square root (:mod:`symmaml.montecarlo.sampling`).

The symbolic counterpart for SymPy matrices is :func:`symmaml.theory.regime.check_matrix`.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

__all__ = ["resolve_matrices", "square_matrices", "validate_matrices", "psd_sqrt"]


def resolve_matrices(expr_symbols: Iterable, matrices: Mapping) -> dict:
    """Map each matrix symbol of the expression to its numeric array (by object, then name)."""
    by_name: dict = {}
    for k in matrices:
        name = k if isinstance(k, str) else getattr(k, "name", None)
        if name is None:
            raise ValueError(f"matrices keys must be MatrixSymbols or names, got {k!r}")
        by_name.setdefault(name, []).append(k)
    out, missing = {}, []
    for s in expr_symbols:
        if s in matrices:
            out[s] = matrices[s]
        elif len(by_name.get(s.name, [])) == 1:
            out[s] = matrices[by_name[s.name][0]]
        else:
            missing.append(s.name)
    if missing:
        raise ValueError(f"no numeric value given for the matrix symbol(s) {sorted(missing)}")
    return out


def square_matrices(given: Mapping) -> tuple[dict, int | None]:
    """``{symbol: float64 array}`` (no copy where possible) and their common size ``p``.

    Each array must be square 2-D and of the size of the ones before it (``ValueError``
    naming the matrix otherwise); ``p`` is None for no matrices.
    """
    arrays = {}
    p = None
    for s, v in given.items():
        a = np.asarray(v, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"matrix {s.name}: must be square 2-D, got shape {a.shape}")
        if p is not None and a.shape[0] != p:
            raise ValueError(f"matrix {s.name}: shape {a.shape} does not match ({p}, {p})")
        p = a.shape[0]
        arrays[s] = a
    return arrays, p


def validate_matrices(matrices: Mapping, psd: Iterable = (), sym_rtol: float = 1e-8,
                      psd_rtol: float = 1e-8, eigenvalues: Mapping | None = None) -> tuple[dict, int]:
    """Check numeric matrices: finite, square 2-D, one common size, symmetric, PSD where asked.

    ``matrices`` maps symbols (or names) to array-likes.  Returns ``(arrays, p)`` with
    float64 copies.  Symmetry: ``max|M - M^T| <= sym_rtol * max|M|``.  PSD (for the
    symbols in ``psd``): the smallest eigenvalue is >= ``-psd_rtol * max|eigenvalue|``
    (from ``eigenvalues[sym]`` if given, else tested by a Cholesky factorisation of
    ``M + psd_rtol * max|diag M| * I``).  Each failure raises ``ValueError`` naming the
    matrix and the condition.
    """
    arrays: dict = {}
    converted = {}
    for sym, value in matrices.items():
        name = getattr(sym, "name", str(sym))
        try:
            a = np.array(value, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"matrix {name}: not convertible to a float array ({exc})") from exc
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"matrix {name}: must be square 2-D, got shape {a.shape}")
        converted[sym] = a
    sizes = [a.shape[0] for a in converted.values()]
    p = max(sizes, key=sizes.count) if sizes else None   # the majority size; name the odd one
    for sym, a in converted.items():
        name = getattr(sym, "name", str(sym))
        if a.shape[0] != p:
            raise ValueError(f"matrix {name}: shape {a.shape} does not match the other matrices' ({p}, {p})")
        shape = getattr(sym, "shape", None)
        if shape is not None:
            for dim in shape:
                if getattr(dim, "is_Integer", False) and int(dim) != a.shape[0]:
                    raise ValueError(f"matrix {name}: declared size {shape} but the array has shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"matrix {name}: contains NaN or inf")
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        asym = float(np.max(np.abs(a - a.T))) if a.size else 0.0
        if asym > sym_rtol * scale:
            raise ValueError(
                f"matrix {name}: not symmetric (max |M - M^T| = {asym:.3g} > {sym_rtol:g} * max|M| = "
                f"{sym_rtol * scale:.3g})")
        arrays[sym] = a
    psd_set = list(psd)
    for sym in psd_set:
        key = sym if sym in arrays else next((k for k in arrays if getattr(k, "name", k) == getattr(sym, "name", sym)), None)
        if key is None:
            raise ValueError(f"psd names {getattr(sym, 'name', sym)}, which is not among the matrices")
        a = arrays[key]
        name = getattr(key, "name", str(key))
        if eigenvalues is not None and key in eigenvalues:
            ev = np.asarray(eigenvalues[key])
            top = float(np.max(np.abs(ev))) if ev.size else 0.0
            if ev.size and float(ev.min()) < -psd_rtol * top:
                raise ValueError(
                    f"matrix {name}: not positive semi-definite (smallest eigenvalue {float(ev.min()):.3g})")
            continue
        top = float(np.max(np.abs(np.diag(a)))) if a.size else 0.0
        if top == 0.0:
            if np.any(a != 0):
                raise ValueError(f"matrix {name}: not positive semi-definite (zero diagonal, nonzero entries)")
            continue
        shifted = a + (psd_rtol * top) * np.eye(a.shape[0])
        try:
            np.linalg.cholesky(shifted)
        except np.linalg.LinAlgError:
            detail = ""
            if a.shape[0] <= 500:
                detail = f"; smallest eigenvalue {float(np.linalg.eigvalsh(a)[0]):.3g}"
            raise ValueError(f"matrix {name}: not positive semi-definite (Cholesky failed{detail})") from None
    return arrays, (p if p is not None else 0)


def psd_sqrt(name, M, p):
    """Validate a covariance matrix and return ``(M, M^{1/2})`` (symmetric root).

    ``M`` must have shape ``(p, p)``, be finite, symmetric and positive semi-definite up to
    ``100 p eps max|M|``; the returned ``M`` is symmetrised and the root's negative
    rounding eigenvalues are clipped to 0.
    """
    M = np.asarray(M, dtype=float)
    if M.shape != (p, p):
        raise ValueError(f"{name} must have shape ({p}, {p}), got {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{name} must be finite")
    scale = max(float(np.max(np.abs(M))), np.finfo(float).tiny)
    tol = 100 * p * np.finfo(float).eps * scale
    if np.max(np.abs(M - M.T)) > tol:
        raise ValueError(f"{name} must be symmetric (max |M - M^T| = {np.max(np.abs(M - M.T)):.3g})")
    M = 0.5 * (M + M.T)
    lam, vec = np.linalg.eigh(M)
    if lam[0] < -tol:
        raise ValueError(f"{name} must be positive semi-definite (smallest eigenvalue {lam[0]:.3g})")
    root = (vec * np.sqrt(np.clip(lam, 0.0, None))) @ vec.T
    return M, root
