"""Matrix symbols the moment engine understands.

* :func:`gaussian_matrix` makes an ``rows x cols`` random matrix whose rows are independent
  N(0, Sigma) vectors (the X of Lemma 1, the X^t, X^v of Lemmas 2-3).  Distinct Gaussian
  matrices are independent of each other.
* :func:`symmetric_matrix` makes a deterministic matrix that equals its transpose (the C, D
  of Eqs. 41-42, the covariances Sigma, Sigma_w of Theorem 3).
* Any other :class:`sympy.MatrixSymbol` is a deterministic matrix with no symmetry.
"""
from __future__ import annotations

import numbers

from sympy import Basic, Identity, MatrixSymbol, sympify
from sympy.core.symbol import Str
from sympy.core.symbol import Symbol

__all__ = ["GaussianMatrix", "SymmetricMatrixSymbol", "gaussian_matrix", "symmetric_matrix"]


def _check_dim(value, what):
    # a name is made a Symbol directly: sympify would evaluate arbitrary text
    if isinstance(value, str):
        if not value.isidentifier():
            raise TypeError(f"{what} must be a positive integer, a symbol or a symbol's name, "
                            f"got the string {value!r}")
        return Symbol(value)
    if isinstance(value, bool) or not isinstance(value, (Basic, numbers.Number)):
        raise TypeError(f"{what} must be a positive integer or a symbol, got "
                        f"{type(value).__name__} {value!r}")
    dim = sympify(value, strict=True)
    if dim.is_Integer:
        if dim <= 0:
            raise ValueError(f"{what} must be a positive integer or a symbol, got {value!r}")
    elif not dim.is_Symbol:
        if dim.is_number:
            raise ValueError(f"{what} must be a positive integer or a symbol, got {value!r}")
    return dim


class SymmetricMatrixSymbol(MatrixSymbol):
    """A square deterministic matrix symbol with ``M.T == M``."""

    def __new__(cls, name, n, m=None):
        m = n if m is None else m
        if isinstance(name, str):
            name = Str(name)
        n, m = _check_dim(n, "size"), _check_dim(m, "size")
        if n != m:
            raise ValueError(f"a symmetric matrix must be square, got shape ({n}, {m})")
        return Basic.__new__(cls, name, n, m)

    def _eval_transpose(self):
        return self

    def _eval_subs(self, old, new):
        n = self.args[1]._subs(old, new)
        return type(self)(self.name, n)

    def doit(self, **hints):
        """A matrix symbol is already evaluated: return ``self``."""
        return self


class GaussianMatrix(MatrixSymbol):
    """A ``rows x cols`` random matrix with independent N(0, cov) rows.

    ``cov`` is a :class:`SymmetricMatrixSymbol` of size ``cols`` or ``Identity(cols)``.
    """

    def __new__(cls, name, rows, cols, cov=None):
        if isinstance(name, str):
            name = Str(name)
        rows, cols = _check_dim(rows, "rows"), _check_dim(cols, "cols")
        if cov is None:
            cov = Identity(cols)
        if isinstance(cov, Identity):
            if cov.shape[0] != cols:
                raise ValueError(f"covariance Identity({cov.shape[0]}) does not match cols={cols}")
        elif isinstance(cov, SymmetricMatrixSymbol):
            if cov.shape != (cols, cols):
                raise ValueError(
                    f"covariance {cov} has shape {cov.shape}, expected ({cols}, {cols})")
        else:
            raise ValueError(
                "cov must be Identity(cols) or a symmetric matrix symbol "
                f"(see symmetric_matrix), got {cov!r}")
        return Basic.__new__(cls, name, rows, cols, cov)

    @property
    def cov(self):
        """Row covariance: Identity or a symmetric matrix symbol."""
        return self.args[3]

    @property
    def rows(self):
        """Number of rows (one per sample), a SymPy dimension."""
        return self.args[1]

    @property
    def cols(self):
        """Number of columns (the dimension of each row), a SymPy dimension."""
        return self.args[2]

    def _eval_subs(self, old, new):
        rows = self.args[1]._subs(old, new)
        cols = self.args[2]._subs(old, new)
        cov = self.args[3]._subs(old, new)
        return type(self)(self.name, rows, cols, cov)

    def doit(self, **hints):
        """A matrix symbol is already evaluated: return ``self``."""
        return self


def symmetric_matrix(name: str, size) -> SymmetricMatrixSymbol:
    """A deterministic symmetric ``size x size`` matrix symbol (e.g. Eqs. 41-42's C, D)."""
    return SymmetricMatrixSymbol(name, size)


def gaussian_matrix(name: str, rows=None, cols=None, cov=None) -> GaussianMatrix:
    """A Gaussian random matrix with independent rows ~ N(0, cov).

    ``rows`` and ``cols`` default to the public symbols ``n`` and ``p``; ``cov`` may be
    ``None`` (identity), a :class:`SymmetricMatrixSymbol`, or a string naming a new one.
    """
    rows = Symbol("n") if rows is None else rows
    cols = Symbol("p") if cols is None else cols
    if isinstance(cov, str):
        cov = SymmetricMatrixSymbol(cov, cols)
    return GaussianMatrix(name, rows, cols, cov)
