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

:func:`direct_evaluate` is the straightforward reference (all p x p products per
parameter value).  :func:`gaussian_F` gives F = 2 Sigma^3 + Sigma Tr Sigma^2 (the value
of F for Gaussian x, Section 7.4) and :func:`wishart_draw` the covariances of Eq. 17.
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

from .backend import get_namespace
from .lambdify import CompiledExpr, compile_expr

__all__ = [
    "TraceEvaluator", "direct_evaluate", "expand_words", "canonical_word", "gaussian_F",
    "wishart_draw", "validate_matrices",
]


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


def canonical_word(word: tuple[int, ...]) -> tuple[int, ...]:
    """Least rotation of ``word`` or of its reversal (traces of symmetric letters)."""
    if not word:
        return word
    rev = word[::-1]
    n = len(word)
    return min(min(word[i:] + word[:i] for i in range(n)), min(rev[i:] + rev[:i] for i in range(n)))


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


# ----------------------------------------------------------------------------- validation

def _resolve_matrices(expr_symbols: Iterable, matrices: Mapping) -> dict:
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


# ----------------------------------------------------------------------------- helpers

def gaussian_F(S) -> np.ndarray:
    """F = E[(x^T S x) x x^T] for Gaussian x ~ N(0, S) (Eq. 111), at a numeric ``S``.

    Evaluates the moment engine's result (:func:`symmaml.theory.gaussian_F`, which is
    2 S^3 + S Tr S^2); the result is symmetrised to remove rounding asymmetry.
    """
    from .losses import gaussian_F_numeric
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"gaussian_F: S must be square 2-D, got shape {S.shape}")
    F = gaussian_F_numeric(S)
    return 0.5 * (F + F.T)


def wishart_draw(p: int, dof: int | None = None, scale: Any = 1.0, *, rng: np.random.Generator,
                 normalise: bool = True) -> np.ndarray:
    """One draw of the Wishart W(scale, dof) (p x p), divided by ``dof`` if ``normalise``.

    ``scale`` is a scalar c (meaning c * I) or a symmetric positive-definite p x p matrix;
    ``dof`` defaults to ``p``.  ``rng`` must be a ``numpy.random.Generator`` (e.g.
    ``numpy.random.default_rng(seed)``), passed explicitly for reproducibility.

    Eq. 17 (Fig. 4) draws Sigma ~ W(I, p) and Sigma_w ~ nu^2/p W(I, p); with the 1/dof
    normalisation (unnormalised losses come out near 1e6) these are
    ``wishart_draw(p, rng=rng)`` and ``wishart_draw(p, scale=nu**2 / p, rng=rng)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), got {type(rng).__name__}")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"p must be a positive integer, got {p!r}")
    dof = p if dof is None else dof
    if isinstance(dof, bool) or not isinstance(dof, (int, np.integer)) or dof < 1:
        raise ValueError(f"dof must be a positive integer, got {dof!r}")
    X = rng.standard_normal((int(dof), int(p)))
    if np.ndim(scale) == 0:
        c = float(scale)
        if not c > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        W = c * (X.T @ X)
    else:
        V = np.asarray(scale, dtype=np.float64)
        if V.shape != (p, p):
            raise ValueError(f"scale matrix must have shape ({p}, {p}), got {V.shape}")
        try:
            L = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            raise ValueError("scale matrix must be symmetric positive definite") from None
        Y = X @ L.T
        W = Y.T @ Y
    W = 0.5 * (W + W.T)
    if normalise:
        W /= dof
    return W


# ----------------------------------------------------------------------------- evaluator

def _blas_limit(limit):
    """Context manager limiting host BLAS threads (no-op without threadpoolctl or limit=None)."""
    import contextlib
    if limit is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(limit), user_api="blas")


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
        :func:`symmaml.numeric.backend.get_namespace`); set-up runs in NumPy.
    psd : matrix symbols that must be positive semi-definite (e.g. ``[S, Sw]``).
    sym_rtol, psd_rtol : tolerances of the checks (see :func:`validate_matrices`).
    check_finite : raise on NaN/inf results (e.g. where Tr(H_t) = 0).
    blas_threads : limit the BLAS/LAPACK threads during the set-up (eigh, products) via
        ``threadpoolctl`` (None: no limit).  On a small machine shared with other work,
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
        with _blas_limit(blas_threads):
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
        given = _resolve_matrices(msyms, matrices)
        arrays, p = validate_matrices(given, psd=(), sym_rtol=sym_rtol)
        self.p = p
        if basis is None:
            first = next(iter(matrices))
            basis = next(s for s in msyms if s == first or s.name == getattr(first, "name", first))
        basis_sym = next((s for s in msyms if s == basis or s.name == getattr(basis, "name", basis)), None)
        if basis_sym is None:
            # a basis matrix that the expression does not use: all letters are then dense
            try:
                extra = _resolve_matrices([basis], matrices) if hasattr(basis, "name") else {}
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


# ----------------------------------------------------------------------------- reference

def direct_evaluate(expr, matrices: Mapping, scalars_values: Mapping) -> Any:
    """Reference evaluation: substitute the numeric matrices, form every p x p product.

    ``scalars_values`` maps scalar symbols (or names) to numbers or arrays; arrays
    broadcast and the expression is evaluated once per element (each evaluation computes
    all matrix products, memoising repeated subexpressions within that one point).
    The matrices' dimension symbols are set to their size.  Returns a float, or an
    ndarray of the broadcast shape.
    """
    expr = sympy.sympify(expr)
    msyms = sorted(_matrix_symbols(expr), key=lambda s: s.name)
    given = _resolve_matrices(msyms, matrices)
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
    dims = {dim: p for s in msyms for dim in s.shape if isinstance(dim, sympy.Symbol)}
    named = {}
    for k, v in scalars_values.items():
        named[k if isinstance(k, str) else k.name] = v
    free = {s for s in expr.free_symbols if not isinstance(s, MatrixSymbol) and s not in dims}
    missing = sorted(s.name for s in free if s.name not in named)
    if missing:
        raise ValueError(f"no value given for the scalar symbol(s) {missing}")
    keys = sorted(named)
    vals = np.broadcast_arrays(*[np.asarray(named[k], dtype=np.float64) for k in keys]) if keys else []
    shape = vals[0].shape if keys else ()
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        point = {k: float(v[idx]) for k, v in zip(keys, vals)}
        out[idx] = _direct_point(expr, arrays, point, dims, p)
    return float(out) if out.ndim == 0 else out


def _direct_point(expr, arrays, point, dims, p):
    memo: dict = {}

    def ev(node):
        if node in memo:
            return memo[node]
        res = _ev(node)
        memo[node] = res
        return res

    def _ev(node):
        if isinstance(node, MatrixSymbol):
            return arrays[node]
        if isinstance(node, Identity):
            return np.eye(p)
        if isinstance(node, ZeroMatrix):
            return np.zeros((p, p))
        if isinstance(node, MatAdd):
            return sum(ev(a) for a in node.args)
        if isinstance(node, MatMul):
            scalar, mat = 1.0, None
            for a in node.args:
                if isinstance(a, MatrixExpr):
                    m = ev(a)
                    mat = m if mat is None else mat @ m
                else:
                    scalar *= ev(a)
            return scalar * mat
        if isinstance(node, MatPow):
            base, k = node.args
            return np.linalg.matrix_power(ev(base), int(k))
        if isinstance(node, Transpose):
            return ev(node.arg).T
        if isinstance(node, Trace):
            return float(np.trace(ev(node.arg)))
        if isinstance(node, MatrixExpr):
            raise ValueError(f"direct_evaluate: unsupported matrix expression {type(node).__name__}")
        if node.is_Number:
            return float(node)
        if isinstance(node, sympy.Symbol):
            if node in dims:
                return float(dims[node])
            return point[node.name]
        if node.is_Add:
            return sum(ev(a) for a in node.args)
        if node.is_Mul:
            r = 1.0
            for a in node.args:
                r *= ev(a)
            return r
        if node.is_Pow:
            base, e = ev(node.args[0]), ev(node.args[1])
            if base == 0 and e < 0:
                return np.inf
            return base ** e
        if node.is_NumberSymbol:
            return float(node)
        fn = getattr(np, type(node).__name__, None)
        if fn is not None and len(node.args) == 1:
            return float(fn(ev(node.args[0])))
        raise ValueError(f"direct_evaluate: unsupported expression {type(node).__name__} ({node})")

    return ev(expr)
