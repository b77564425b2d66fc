"""The data model shared by both moment algorithms: letters, words, cycles, polynomials.

A *letter* is a matrix symbol: Gaussian (random) or deterministic.  Letters are interned
in a process-wide table so that words are tuples of small ints and can key memo tables.
A *token* is ``2 * letter + t`` where ``t = 1`` marks a transpose (always 0 for symmetric
letters).  A *word* is a tuple of tokens read as a matrix product; a *cycle* is a word under
a trace, kept in canonical form (least rotation of the word or of its transpose, since
``Tr(M) = Tr(M^T)``).

A *term* of an expectation is keyed by ``(open, traces)``: ``open`` is the surviving matrix
product (``None`` for scalar-valued expressions) and ``traces`` the sorted tuple of
canonical cycles.  Its coefficient is an integer polynomial in the dimension symbols,
stored sparsely as ``{monomial: int}`` with monomials packed into one int (one
``_BASE_BITS``-bit digit per dimension symbol) so that multiplying by a dimension is an
integer addition.  A digit that overflowed would carry into the next dimension and give a
wrong answer silently, so every request is checked first (:func:`check_exponent_capacity`):
a dimension's exponent in E[term] is at most half the number of Gaussian index slots of
that dimension (each free index cycle passes through at least two of them).
"""
from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

from sympy import Add, Identity, Integer, Mul, Pow, Symbol

__all__ = [
    "Letter", "letter_id", "letter", "token", "transpose_token", "is_gaussian_token",
    "reverse_transpose", "canonical_cycle", "dim_monomial", "poly_to_sympy",
    "left_dim", "right_dim", "check_exponent_capacity", "clear_cache",
]

#: bits per dimension in a packed monomial: a dimension may appear to power <= 2**16 - 1.
#: Wider digits only cost a few more bits per int; the cost guard (limits.py) refuses any
#: request that could reach this long before.
_BASE_BITS = 16


@dataclass(frozen=True)
class Letter:
    """Interned information about one matrix symbol."""

    index: int
    symbol: object          # the SymPy MatrixSymbol (or subclass)
    gaussian: bool
    symmetric: bool
    rows: object            # SymPy dimension expressions
    cols: object
    cov: int                # letter index of the row covariance, -1 for the identity


_lock = Lock()
_letters: list[Letter] = []
_by_symbol: dict[object, int] = {}
_dims: list[object] = []
_dim_index: dict[object, int] = {}


def _dim_id(dim) -> int:
    if dim not in _dim_index:
        if not (isinstance(dim, Symbol) or dim.is_Integer):
            raise ValueError(f"matrix dimensions must be symbols or integers, got {dim}")
        _dim_index[dim] = len(_dims)
        _dims.append(dim)
    return _dim_index[dim]


def letter_id(sym) -> int:
    """Intern a SymPy matrix symbol and return its letter index."""
    from .matrices import GaussianMatrix, SymmetricMatrixSymbol

    with _lock:
        found = _by_symbol.get(sym)
        if found is not None:
            return found
    gaussian = isinstance(sym, GaussianMatrix)
    cov = -1
    if gaussian and not isinstance(sym.cov, Identity):
        cov = letter_id(sym.cov)
    rows, cols = sym.shape
    with _lock:
        if sym in _by_symbol:
            return _by_symbol[sym]
        _dim_id(rows), _dim_id(cols)
        idx = len(_letters)
        _letters.append(Letter(idx, sym, gaussian, isinstance(sym, SymmetricMatrixSymbol),
                               rows, cols, cov))
        _by_symbol[sym] = idx
        return idx


def letter(idx: int) -> Letter:
    """The interned :class:`Letter` with index ``idx``."""
    return _letters[idx]


def token(sym, transposed: bool = False) -> int:
    """The token ``2 * letter + t`` of ``sym`` (interned on first use); ``t = 1`` marks
    a transpose and is always 0 for a symmetric letter."""
    idx = letter_id(sym)
    return 2 * idx + (0 if _letters[idx].symmetric else int(bool(transposed)))


def transpose_token(tok: int) -> int:
    """The token of the transposed letter (unchanged for a symmetric letter)."""
    return tok if _letters[tok >> 1].symmetric else tok ^ 1


def is_gaussian_token(tok: int) -> bool:
    """Whether the token's letter is a Gaussian (random) matrix."""
    return _letters[tok >> 1].gaussian


def left_dim(tok: int):
    """Dimension of the row index of a token (after its transpose flag)."""
    let = _letters[tok >> 1]
    return let.cols if tok & 1 else let.rows


def right_dim(tok: int):
    """Dimension of the column index of a token (after its transpose flag)."""
    let = _letters[tok >> 1]
    return let.rows if tok & 1 else let.cols


def reverse_transpose(word: tuple) -> tuple:
    """The word of the transposed product: (ABC)^T = C^T B^T A^T."""
    return tuple(transpose_token(t) for t in reversed(word))


def canonical_cycle(word: tuple) -> tuple:
    """Least representative of Tr(word) under rotation and transposition."""
    k = len(word)
    if k == 0:
        return word
    best = word
    for w in (word, reverse_transpose(word)):
        doubled = w + w
        for i in range(k):
            cand = doubled[i:i + k]
            if cand < best:
                best = cand
    return best


def check_exponent_capacity(open_word, cycles) -> None:
    """Raise ValueError if E[open_word * prod Tr(cycles)] could hold a dimension to a power
    that does not fit in one packed digit."""
    slots: dict = {}
    for word in ((open_word or ()),) + tuple(cycles):
        for tok in word:
            let = _letters[tok >> 1]
            if let.gaussian:
                for dim in (let.rows, let.cols):
                    slots[dim] = slots.get(dim, 0) + 1
    limit = (1 << _BASE_BITS) - 1
    for dim, count in slots.items():
        if count // 2 > limit:
            raise ValueError(
                f"the expectation may contain {dim}**{count // 2}, beyond the engine's "
                f"largest exponent {limit} of one dimension: split the product")


def dim_monomial(dim) -> int:
    """Packed monomial for one factor of the dimension ``dim``."""
    with _lock:
        return 1 << (_BASE_BITS * _dim_id(dim))


_mono_exprs: dict = {}


def _mono_expr(mono: int):
    """SymPy expression of a packed monomial (memoised: few distinct monomials occur)."""
    expr = _mono_exprs.get(mono)
    if expr is None:
        mask = (1 << _BASE_BITS) - 1
        factors, i, m = [], 0, mono
        while m:
            e = m & mask
            if e:
                factors.append(Pow(_dims[i], e))
            m >>= _BASE_BITS
            i += 1
        expr = _mono_exprs[mono] = Mul(*factors)
    return expr


def _term(c: int, mono: int):
    m = _mono_expr(mono)
    if c == 1:
        return m
    if m == 1:
        return Integer(c)
    # a number times a canonical product of powers is already canonical: skip Mul.flatten
    return Mul._from_args((Integer(c),) + (m.args if m.is_Mul else (m,)))


def clear_cache() -> None:
    """Forget the memoised monomial expressions (they depend on ``_BASE_BITS``)."""
    _mono_exprs.clear()


def poly_to_sympy(poly: dict) -> object:
    """Convert a packed ``{monomial: int}`` polynomial to a SymPy expression."""
    return Add(*[_term(c, mono) for mono, c in poly.items() if c])
