"""Fast evaluation of scalar expressions in traces of matrix words (Theorem 3, Eqs. 14-16).

Theorem 3 (Section 5.3) gives the average test loss for general input and task
covariances Sigma, Sigma_w and fourth-moment matrix F as a scalar expression in traces
(Eq. 14), built from the matrices H_t, H_r of Eqs. 15-16::

    L = 1/2 Tr(Sw Hr) + sigma^2/2 (1 + alpha_r^2/n_r Tr S^2)
        + n_v m/2 Tr(Hr Ht) (Tr(Sw Ht) + sigma^2 (1 + alpha_t^2/n_t Tr S^2)) / Tr(Ht)^2
    Ht = S (I - alpha_t S)^2 + alpha_t^2/n_t (F - S^3)                    (Eq. 15)
    Hr = S (I - alpha_r S)^2 + alpha_r^2/n_r (F - S^3)                    (Eq. 16)

The paper notes (below Eq. 16) that "computing the expression is very fast" for example
values of Sigma, Sigma_w, F (Fig. 4, with the Wishart draws of Eq. 17).
:class:`TraceEvaluator` makes this precise:

1. every ``Trace`` argument is expanded (noncommutatively) into a polynomial in the
   scalar symbols whose coefficients are *words* in the matrix symbols
   (:func:`expand_words`);
2. words are put in canonical form up to cyclic rotation and reversal (all matrices are
   symmetric, so ``Tr(ABC) = Tr(CBA)``) and each distinct trace is computed ONCE,
   numerically, in the eigenbasis of one matrix (``basis``, diagonalised once with
   ``numpy.linalg.eigh``): powers of the basis matrix are then diagonal, so a word with
   at most two other letters costs O(p^2), and one with r >= 3 other letters r - 2
   matrix products;
3. the expression becomes a rational function of the scalars whose coefficients are
   these numbers (passed as arguments, not baked in as SymPy floats), compiled once by
   :func:`symmaml.numeric.lambdify.compile_expr` and vectorised over parameter grids.

Elsewhere: the reference :func:`symmaml.numeric.reference.direct_evaluate` (all p x p
products per parameter value), the matrix checks :mod:`symmaml.matrices`, the canonical
form of words :func:`symmaml.moments.canonical_word`, Eq. 17's draws
:func:`symmaml.montecarlo.sampling.wishart_draw` and Gaussian F
:func:`symmaml.numeric.losses.gaussian_F`.
"""
from __future__ import annotations

import time
from typing import Any, Iterable, Mapping

import numpy as np
import sympy
from sympy import Trace
from sympy.matrices.expressions import (
    Identity, MatAdd, MatMul, MatPow, MatrixExpr, MatrixSymbol, Transpose, ZeroMatrix,
)

from ..backend import blas_threads as limit_blas_threads, get_namespace
from ..matrices import resolve_matrices, validate_matrices
from ..moments import canonical_word
from .lambdify import CompiledExpr, compile_expr

__all__ = ["TraceEvaluator", "expand_words"]


# ----------------------------------------------------------------------------- symbolic

def _mul_words(left: dict, right: dict) -> dict:
    out: dict = {}
    for wl, cl in left.items():
        for wr, cr in right.items():
            w = wl + wr
            out[w] = out.get(w, 0) + cl * cr
    return {w: c for w, c in out.items() if c != 0}


def expand_words(mexpr) -> dict:
    """Expand a matrix expression into ``{word: scalar coefficient}`` (noncommutatively).

    A word is a tuple of ``MatrixSymbol`` letters read as a product; ``()`` is the
    identity.  Supports ``MatrixSymbol``, ``Identity``, ``ZeroMatrix``, ``MatAdd``,
    ``MatMul`` (with scalar factors, which may themselves contain traces), ``MatPow``
    with a non-negative integer exponent and ``Transpose`` (letters are symmetric, so a
    transpose reverses the words).  Anything else raises ``ValueError``.

    >>> import sympy
    >>> S, F = sympy.MatrixSymbol("S", 3, 3), sympy.MatrixSymbol("F", 3, 3)
    >>> a = sympy.Symbol("a")
    >>> sorted(expand_words(S * (sympy.Identity(3) - a * F) ** 2).items(), key=str)
    [((S, F), -2*a), ((S, F, F), a**2), ((S,), 1)]
    """
    if isinstance(mexpr, MatrixSymbol):
        return {(mexpr,): sympy.Integer(1)}
    if isinstance(mexpr, Identity):
        return {(): sympy.Integer(1)}
    if isinstance(mexpr, ZeroMatrix):
        return {}
    if isinstance(mexpr, MatAdd):
        out: dict = {}
        for a in mexpr.args:
            for w, c in expand_words(a).items():
                out[w] = out.get(w, 0) + c
        return {w: c for w, c in out.items() if c != 0}
    if isinstance(mexpr, MatMul):
        scalar = sympy.Integer(1)
        acc = {(): sympy.Integer(1)}
        for a in mexpr.args:
            if isinstance(a, MatrixExpr):
                acc = _mul_words(acc, expand_words(a))
            else:
                scalar = scalar * a
        return {w: scalar * c for w, c in acc.items()} if scalar != 1 else acc
    if isinstance(mexpr, MatPow):
        base, k = mexpr.args
        if not (k.is_Integer and k >= 0):
            raise ValueError(f"only non-negative integer matrix powers are supported, got {mexpr}")
        out = {(): sympy.Integer(1)}
        b = expand_words(base)
        for _ in range(int(k)):
            out = _mul_words(out, b)
        return out
    if isinstance(mexpr, Transpose):
        return {tuple(reversed(w)): c for w, c in expand_words(mexpr.arg).items()}
    raise ValueError(
        f"unsupported matrix expression {type(mexpr).__name__} ({mexpr}) inside a trace; "
        "expected sums, products, integer powers and transposes of symmetric MatrixSymbols")


def _word_label(word: tuple, names: list[str]) -> str:
    if not word:
        return "Tr(I)"
    parts, i = [], 0
    while i < len(word):
        j = i
        while j < len(word) and word[j] == word[i]:
            j += 1
        k = j - i
        parts.append(names[word[i]] + (f"^{k}" if k > 1 else ""))
        i = j
    return "Tr(" + " ".join(parts) + ")"


def _matrix_symbols(expr) -> set:
    return {s for s in expr.atoms(MatrixSymbol)}


# ----------------------------------------------------------------------------- evaluator

class _Bound:
    """A compiled function of the scalars with the numeric trace values bound."""

    def __init__(self, compiled: CompiledExpr, n_scalars: int, arg_names, trace_values):
        self._compiled = compiled
        self._n = n_scalars
        self.arg_names = tuple(arg_names)
        self._traces = trace_values

    def __call__(self, *values, **kwargs):
        if len(values) > self._n:
            raise TypeError(f"expected at most {self._n} values {list(self.arg_names)}, got {len(values)}")
        unknown = [k for k in kwargs if k not in self.arg_names]
        if unknown:
            raise TypeError(f"unknown argument(s) {unknown}; arguments are {list(self.arg_names)}")
        return self._compiled(*values, **kwargs, **self._traces)


class TraceEvaluator:
    """Fast evaluator of a scalar expression in traces of symmetric matrices (Eq. 14).

    Parameters
    ----------
    expr : SymPy scalar expression containing ``Trace``s of sums/products/powers of
        ``MatrixSymbol``s (e.g. Eq. 14 with Eqs. 15-16 substituted, or its expanded form:
        a sum of scalar coefficients times products of ``Trace(word)`` factors).
    matrices : mapping ``{MatrixSymbol (or name): numeric p x p array}`` covering every
        matrix symbol of ``expr``; all symmetric (checked).
    scalars : the scalar symbols (or names) the callable takes, in positional order;
        every other free scalar symbol is an error, except the matrices' dimension
        symbol(s) (e.g. ``p``), which are fixed to the arrays' size.
    basis : the matrix whose eigenbasis is used (default: the first of ``matrices``);
        choose the one that appears most often (Sigma in Eq. 14).
    backend : array backend of the compiled callable (see
        :func:`symmaml.backend.get_namespace`); set-up runs in NumPy.
    psd : matrix symbols that must be positive semi-definite (e.g. ``[S, Sw]``).
    sym_rtol, psd_rtol : tolerances of the checks (see :func:`symmaml.matrices.validate_matrices`).
    check_finite : raise on NaN/inf results (e.g. where Tr(H_t) = 0).
    blas_threads : limit the BLAS/LAPACK threads during the set-up (eigh, products) via
        :func:`symmaml.backend.blas_threads` (None: no limit).  On a small machine shared with other work,
        1 is much faster than the default: multi-threaded OpenBLAS spins when a core is
        busy (eigh of a 2000 x 2000 matrix measured at 1.7 s with 1 thread and 7-10 s
        with 2 threads on a loaded 2-core machine).

    Calling ``ev(*values, **named)`` with scalar values or arrays (they broadcast)
    returns an array of the backend.  Attributes: ``arg_names``, ``p``, ``traces``
    (label -> value of each distinct trace), ``reduced_expr`` (the SymPy expression in
    the scalars and trace symbols), ``timings`` (seconds of each set-up phase: validate,
    eigh, transform, traces, symbolic, compile, total).
    """

    def __init__(self, expr, matrices: Mapping, scalars: Iterable = (), basis=None,
                 backend: Any = "numpy", psd: Iterable = (), sym_rtol: float = 1e-8,
                 psd_rtol: float = 1e-8, check_finite: bool = True, cse: bool = True,
                 blas_threads: int | None = None):
        with limit_blas_threads(blas_threads):
            self._setup(expr, matrices, scalars, basis, backend, psd, sym_rtol, psd_rtol,
                        check_finite, cse)

    def _setup(self, expr, matrices, scalars, basis, backend, psd, sym_rtol, psd_rtol,
               check_finite, cse):
        t_start = time.perf_counter()
        timings: dict = {}
        expr = sympy.sympify(expr)
        if isinstance(expr, MatrixExpr):
            raise ValueError("TraceEvaluator needs a scalar expression (wrap matrices in Trace)")
        self.backend = get_namespace(backend)
        scalars = [sympy.Symbol(s) if isinstance(s, str) else s for s in scalars]
        for s in scalars:
            if not isinstance(s, sympy.Symbol):
                raise ValueError(f"scalars must be symbols or names, got {s!r}")
        if len(set(scalars)) != len(scalars):
            raise ValueError(f"duplicate scalars in {scalars}")

        # -- symbolic: traces -> polynomials in the scalars over canonical words
        t0 = time.perf_counter()
        msyms = sorted(_matrix_symbols(expr), key=lambda s: s.name)
        if not msyms:
            raise ValueError("the expression contains no matrix symbols; use compile_expr")
        names = [s.name for s in msyms]
        if len(set(names)) != len(names):
            raise ValueError(f"two different matrix symbols share a name: {names}")
        letter = {s: i for i, s in enumerate(msyms)}
        word_index: dict = {}
        trace_syms: list = []
        memo: dict = {}

        def word_symbol(word_syms: tuple):
            w = canonical_word(tuple(letter[s] for s in word_syms))
            if w not in word_index:
                word_index[w] = len(trace_syms)
                trace_syms.append(sympy.Symbol(_word_label(w, names)))
            return trace_syms[word_index[w]]

        def reduce(scalar_expr):
            if not scalar_expr.has(Trace):
                return scalar_expr
            reps = {}
            # atoms() is a set: its order follows PYTHONHASHSEED and would fix the order
            # of the trace symbols, hence CSE and the float summation order
            for t in sorted(scalar_expr.atoms(Trace), key=sympy.default_sort_key):
                if t not in memo:
                    total = sympy.Integer(0)
                    for w, c in expand_words(t.arg).items():
                        total += reduce(c) * word_symbol(w)
                    memo[t] = total
                reps[t] = memo[t]
            return scalar_expr.xreplace(reps)

        reduced = reduce(expr)
        leftover = _matrix_symbols(reduced)
        if leftover:
            raise ValueError(
                f"matrix symbol(s) {sorted(s.name for s in leftover)} appear outside a Trace")
        timings["symbolic"] = time.perf_counter() - t0

        # -- numeric: validate, diagonalise the basis, compute each distinct trace once
        t0 = time.perf_counter()
        given = resolve_matrices(msyms, matrices)
        arrays, p = validate_matrices(given, psd=(), sym_rtol=sym_rtol)
        self.p = p
        if basis is None:
            first = next(iter(matrices))
            basis = next(s for s in msyms if s == first or s.name == getattr(first, "name", first))
        basis_sym = next((s for s in msyms if s == basis or s.name == getattr(basis, "name", basis)), None)
        if basis_sym is None:
            # a basis matrix that the expression does not use: all letters are then dense
            try:
                extra = resolve_matrices([basis], matrices) if hasattr(basis, "name") else {}
            except ValueError:
                extra = {}
            if not extra:
                raise ValueError(f"basis {getattr(basis, 'name', basis)} is not among the matrices")
            basis_sym = next(iter(extra))
            more, _ = validate_matrices({basis_sym: extra[basis_sym], **arrays}, sym_rtol=sym_rtol)
            arrays[basis_sym] = more[basis_sym]
        psd_syms = []
        for s in psd:
            match = next((m for m in msyms if m == s or m.name == getattr(s, "name", s)), None)
            if match is None:
                raise ValueError(f"psd names {getattr(s, 'name', s)}, which is not a matrix symbol of the expression")
            psd_syms.append(match)
        timings["validate"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        d, Q = np.linalg.eigh(arrays[basis_sym])
        timings["eigh"] = time.perf_counter() - t0
        validate_matrices({s: arrays[s] for s in psd_syms}, psd=psd_syms, sym_rtol=np.inf,
                          psd_rtol=psd_rtol, eigenvalues={basis_sym: d})

        t0 = time.perf_counter()
        rotated: dict = {}
        for s in msyms:
            if s == basis_sym:
                continue
            m = Q.T @ (arrays[s] @ Q)
            rotated[letter[s]] = 0.5 * (m + m.T)
        del arrays
        timings["transform"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        values = _word_traces(list(word_index), letter.get(basis_sym, -1), d, rotated)
        timings["traces"] = time.perf_counter() - t0

        # -- dimension symbols are fixed by the arrays
        dims = {dim for s in msyms for dim in s.shape if isinstance(dim, sympy.Symbol)}
        clash = [str(x) for x in dims if x in scalars]
        if clash:
            raise ValueError(f"dimension symbol(s) {clash} are fixed by the matrices (p = {p}); "
                             "remove them from scalars")
        reduced = reduced.xreplace({dim: sympy.Integer(p) for dim in dims})
        self.reduced_expr = reduced
        self.scalars = tuple(scalars)
        self.arg_names = tuple(s.name for s in scalars)
        self.trace_symbols = tuple(trace_syms)
        self.traces = {sym.name: float(v) for sym, v in zip(trace_syms, values)}
        self._trace_kw = {sym.name: self.backend.asarray(np.float64(v)) for sym, v in zip(trace_syms, values)}
        self._check_finite = check_finite
        self._cse = cse

        t0 = time.perf_counter()
        self._fn = self._bind(reduced)
        timings["compile"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        self.timings = timings

    def _bind(self, scalar_expr) -> _Bound:
        compiled = compile_expr(scalar_expr, [*self.scalars, *self.trace_symbols], backend=self.backend,
                                cse=self._cse, check_finite=self._check_finite)
        return _Bound(compiled, len(self.scalars), self.arg_names, self._trace_kw)

    @property
    def n_traces(self) -> int:
        """Number of distinct traces of words (up to rotation and reversal) computed."""
        return len(self.trace_symbols)

    def __call__(self, *values, **kwargs):
        """Evaluate at scalar values (positional in ``scalars`` order or by name); broadcasts."""
        return self._fn(*values, **kwargs)

    def derivative(self, wrt, order: int = 1) -> _Bound:
        """d^order expr / d wrt^order as a callable with the same signature (traces reused)."""
        wrt = sympy.Symbol(wrt) if isinstance(wrt, str) else wrt
        if wrt not in self.scalars:
            raise ValueError(f"{wrt} is not one of the scalars {list(self.arg_names)}")
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be a positive integer, got {order!r}")
        return self._bind(sympy.diff(self.reduced_expr, wrt, order))

    def __repr__(self):
        return (f"TraceEvaluator(p={self.p}, scalars={list(self.arg_names)}, "
                f"traces={self.n_traces}, backend={self.backend.name!r})")


def _word_traces(words: list, basis: int, d: np.ndarray, rotated: dict) -> list[float]:
    """Tr of each canonical word; ``basis`` letters are diag(d), others dense (rotated)."""
    pow_cache: dict = {0: None}

    def dpow(k):
        if k not in pow_cache:
            pow_cache[k] = d ** k
        return pow_cache[k]

    pair_cache: dict = {}
    out = []
    p = d.shape[0]
    for w in words:
        if not w:
            out.append(float(p))
            continue
        dense_pos = [i for i, x in enumerate(w) if x != basis]
        if not dense_pos:
            out.append(float(np.sum(dpow(len(w)))))
            continue
        # rotate so that the word starts with a dense letter; split into (M_i, D^k_i)
        r0 = dense_pos[0]
        w = w[r0:] + w[:r0]
        segs = []
        for x in w:
            if x != basis:
                segs.append([x, 0])
            else:
                segs[-1][1] += 1
        if len(segs) == 1:
            (m, k), = segs
            diag = np.diagonal(rotated[m])
            out.append(float(np.dot(diag, dpow(k))) if k else float(np.sum(diag)))
        elif len(segs) == 2:
            (m1, a), (m2, b) = segs
            # Tr(M1 D^a M2 D^b) = sum_ij M1_ij d_j^a M2_ji d_i^b  (M2 symmetric)
            key = (min(m1, m2), max(m1, m2))
            if key not in pair_cache:
                pair_cache[key] = rotated[m1] * rotated[m2]
            P = pair_cache[key]
            va = dpow(a) if a else np.ones(p)
            vb = dpow(b) if b else np.ones(p)
            out.append(float(vb @ (P @ va)))
        else:
            m, k = segs[0]
            acc = rotated[m] * dpow(k)[None, :] if k else rotated[m]
            for m, k in segs[1:-1]:
                acc = acc @ rotated[m]
                if k:
                    acc = acc * dpow(k)[None, :]
            m, k = segs[-1]
            last = rotated[m] * dpow(k)[None, :] if k else rotated[m]
            out.append(float(np.sum(acc * last.T)))
    return out
