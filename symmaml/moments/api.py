"""Public API of the moment engine.

* :func:`expectation` -- E[expr] for any polynomial in Gaussian matrices (independent rows
  N(0, Sigma)), deterministic matrices, transposes and traces, as an exact SymPy expression.
* :func:`wishart_moment` -- the scalar c(n, p) with E[W^k prod Tr W^l] = c I_p, Sigma = I.
* :func:`wishart_expectation` -- the same moment for a general covariance Sigma.
* :func:`canonical_form`, :func:`moments_equal` -- exact comparison of matrix expressions
  modulo the trace's cyclicity and transposition (expand(a - b) == 0 per basis term).
* :class:`Moment`, :func:`lemma1_table` -- moments with their left-hand side and LaTeX.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sympy import (Add, Identity, MatMul, MatrixSymbol, Mul, Trace, expand, factor, srepr,
                   sympify)

from ..printing import paper_latex
from ..symbols import n as _n, p as _p
from . import contraction, reference, wishart
from .cache import disk_cached
from .matrices import GaussianMatrix, gaussian_matrix, symmetric_matrix
from .parse import check_exponent, expand_terms, to_sympy
from .words import poly_to_sympy

__all__ = [
    "expectation", "expectation_terms", "canonical_form", "moments_equal", "difference",
    "wishart_moment", "wishart_expectation", "wishart_lhs", "Moment", "lemma1_table",
    "METHODS", "MAX_DEGREE_REFERENCE", "wishart_orders", "clear_caches",
    "identity_coefficient", "replace_traces",
]

METHODS = ("fast", "reference")
#: Brute force is refused above this many Gaussian pairs ((2d - 1)!! matchings).
MAX_DEGREE_REFERENCE = 8


def _combine(terms, per_term):
    """Sum coeff * E[term] over the terms, grouping by coefficient so that the packed
    integer polynomials are added as ints and converted to SymPy once per group."""
    groups: dict = {}
    for coeff, open_word, cycles in terms:
        if coeff == 0:
            continue
        for key, poly in per_term(open_word, cycles).items():
            dst = groups.setdefault(key, {}).setdefault(coeff, {})
            for mono, c in poly.items():
                dst[mono] = dst.get(mono, 0) + c
    out = {}
    for key, by_coeff in groups.items():
        if len(by_coeff) == 1 and 1 in by_coeff:
            value = poly_to_sympy(by_coeff[1])
        else:
            value = expand(Add(*[c * poly_to_sympy(poly) for c, poly in by_coeff.items()]))
        if value != 0:
            out[key] = value
    return out


def _gaussian_pairs(terms):
    from .words import is_gaussian_token
    worst = 0
    for _, open_word, cycles in terms:
        count = sum(is_gaussian_token(t) for w in ((open_word or ()),) + cycles for t in w)
        worst = max(worst, count // 2)
    return worst


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def expectation_terms(expr, method: str = "fast") -> tuple:
    """E[expr] in canonical form: ``(shape, {(open word, traces): SymPy coefficient})``."""
    _check_method(method)
    is_matrix, shape, terms = expand_terms(expr)
    if not terms and not is_matrix and sympify(expr) != 0:
        raise ValueError(f"empty product: nothing to average in {expr!r}")
    if method == "reference":
        pairs = _gaussian_pairs(terms)
        if pairs > MAX_DEGREE_REFERENCE:
            raise ValueError(
                f"the reference algorithm enumerates (2d-1)!! pairings; d = {pairs} Gaussian "
                f"pairs exceeds its limit {MAX_DEGREE_REFERENCE}: use method='fast'")
        per_term = reference.expect_word_reference
    else:
        per_term = contraction.expect_word
    return shape, _combine(terms, per_term)


@lru_cache(maxsize=4096)
def _expectation_cached(expr, method, factored):
    def compute():
        shape, form = expectation_terms(expr, method)
        if factored:
            form = {k: factor(v) for k, v in form.items()}
        return to_sympy(form, shape)
    return disk_cached("expectation", f"{method}\0{int(factored)}\0{srepr(expr)}", compute)


def expectation(expr, method: str = "fast", factored: bool = False, over=None):
    """Exact E[expr] as a SymPy expression.

    ``expr`` is built from :func:`gaussian_matrix` symbols (independent rows N(0, Sigma);
    distinct Gaussian matrices independent), deterministic ``MatrixSymbol`` /
    :func:`symmetric_matrix` symbols, ``+``, ``*``, non-negative integer powers, ``.T`` and
    ``Trace``.  The result is a polynomial in the dimension symbols times words in the
    deterministic matrices (and covariances) and traces of such words.  Coefficients are
    expanded polynomials, or factored ones (as the paper prints them) with
    ``factored=True``; factoring costs more than the expectation itself at high degree.

    >>> from symmaml.moments import gaussian_matrix, symmetric_matrix, expectation
    >>> X = gaussian_matrix("X"); D = symmetric_matrix("D", X.cols)
    >>> expectation(X.T * X * D * X.T * X, factored=True)        # Eq. 42
    (n*(n + 1))*D + (n*Trace(D))*I

    ``over``: average only over these Gaussian matrices (a conditional expectation); the
    other Gaussian matrices are held fixed and stay in the result.
    """
    _check_method(method)
    expr = sympify(expr)
    if over is None:
        return _expectation_cached(expr, method, bool(factored))
    over = set(over)
    for g in over:
        if not isinstance(g, GaussianMatrix):
            raise ValueError(f"over= takes Gaussian matrices, got {g!r}")
    held = {g: MatrixSymbol(g.name, *g.shape) for g in expr.atoms(GaussianMatrix) - over}
    if set(held.values()) & expr.atoms(MatrixSymbol):
        raise ValueError("a deterministic matrix shares its name with a held Gaussian matrix")
    result = _expectation_cached(expr.xreplace(held), method, bool(factored))
    return result.xreplace({v: k for k, v in held.items()})


def canonical_form(expr) -> dict:
    """A deterministic expression as ``{(open word, traces): coefficient}`` (no averaging).

    Two expressions are equal iff their canonical forms agree term by term; this is the
    exact comparison used by the tests and the claims registry.  Random letters are kept
    as letters (use :func:`expectation_terms` to average them out).
    """
    _, _, terms = expand_terms(expr)
    out: dict = {}
    for coeff, open_word, cycles in terms:
        key = (open_word, cycles)
        out[key] = out.get(key, 0) + coeff
    return {k: v for k, v in ((k, expand(v)) for k, v in out.items()) if v != 0}


def difference(a, b) -> dict:
    """Canonical form of ``a - b``: the basis terms where two expressions differ."""
    fa, fb = canonical_form(a), canonical_form(b)
    out = {}
    for key in set(fa) | set(fb):
        d = expand(fa.get(key, 0) - fb.get(key, 0))
        if d != 0:
            out[key] = d
    return out


def moments_equal(a, b) -> bool:
    """Exact equality of two (deterministic) matrix/scalar expressions."""
    a, b = sympify(a), sympify(b)
    if getattr(a, "shape", None) != getattr(b, "shape", None):
        return False
    return not difference(a, b)


def _check_traces(traces):
    if isinstance(traces, (str, bytes)) or not hasattr(traces, "__iter__"):
        raise ValueError(f"traces must be a sequence of non-negative integers, got {traces!r}")
    return tuple(check_exponent(t, "trace power") for t in traces)


def wishart_lhs(k, traces=(), X=None, scalar=False):
    """The SymPy expression W^k prod Tr W^{l} with W = X^T X (default X: n x p, Sigma = I).

    With k = 0 the product of traces is returned times I_p, or alone if ``scalar``.
    """
    k = check_exponent(k, "order k")
    traces = _check_traces(traces)
    X = gaussian_matrix("X") if X is None else X
    W = X.T * X
    mat = W ** k if k else Identity(X.cols)
    scal = Mul(*[Trace(W ** l) if l else Trace(Identity(X.cols)) for l in traces])
    if scalar and k == 0:
        return scal
    return mat if scal == 1 else MatMul(scal, mat)


def _partitions(total, largest):
    if total == 0:
        yield ()
        return
    for part in range(min(total, largest), 0, -1):
        for rest in _partitions(total - part, part):
            yield (part,) + rest


def wishart_orders(max_degree: int, min_degree: int = 1):
    """Every (k, traces) with min_degree <= k + sum(traces) <= max_degree (traces >= 1).

    These index all moments E[W^k prod Tr W^l] of a total degree; k = 0 gives the scalar
    trace moments.  Ordered by degree, then k descending, then traces.
    """
    max_degree = check_exponent(max_degree, "max_degree")
    out = []
    for d in range(max(1, min_degree), max_degree + 1):
        for k in range(d, -1, -1):
            for traces in sorted(_partitions(d - k, d - k)):
                out.append((k, tuple(sorted(traces))))
    return out


@lru_cache(maxsize=None)
def _wishart_moment_cached(k, traces, method):
    if method == "recurrence":
        return wishart.wishart_coefficient(k, traces).as_expr()
    _, form = expectation_terms(wishart_lhs(k, traces), method)
    if not form:
        return sympify(0)
    if set(form) != {((), ())}:
        raise AssertionError(f"Sigma = I moment is not a multiple of I: {form}")
    return form[((), ())]


def wishart_moment(k, traces=(), method: str = "recurrence"):
    """c(n, p) with E[W^k prod_j Tr(W^{l_j})] = c I_p for W = X^T X, X n x p, Sigma = I.

    ``traces=(l_1, l_2, ...)``.  ``method`` picks the algorithm: ``"recurrence"`` (Stein
    recurrence, the fastest), ``"fast"`` (memoised Wick contraction) or ``"reference"``
    (brute-force pairing); all return the same expanded polynomial in symbols ``n``, ``p``.

    >>> wishart_moment(2)
    n**2 + n*p + n
    """
    k = check_exponent(k, "order k")
    traces = tuple(sorted(_check_traces(traces)))
    if method not in ("recurrence",) + METHODS:
        raise ValueError(f"method must be 'recurrence', 'fast' or 'reference', got {method!r}")
    if k == 0 and not traces:
        raise ValueError("empty product: order k = 0 with no traces is the constant I")
    return _wishart_moment_cached(k, traces, method)


def wishart_expectation(k, traces=(), cov="Sigma", rows=None, cols=None, method="fast"):
    """E[W^k prod Tr W^l] for W = X^T X with X's rows ~ N(0, cov) (general covariance).

    ``cov`` is a name for a new symmetric covariance symbol, a symmetric matrix symbol, or
    ``None`` for the identity.
    """
    X = gaussian_matrix("X", rows if rows is not None else _n,
                        cols if cols is not None else _p, cov=cov)
    return expectation(wishart_lhs(k, traces, X), method=method)


@dataclass(frozen=True)
class Moment:
    """One derived moment: ``E[lhs] = value`` with an optional paper equation number."""

    lhs: object
    value: object
    equation: str | None = None

    def latex(self) -> str:
        """``\\mathbb{E}\\left[lhs\\right] = value`` in the paper's notation."""
        return r"\mathbb{E}\left[%s\right] = %s" % (paper_latex(self.lhs), paper_latex(self.value))

    def __str__(self):
        tag = f" (Eq. {self.equation})" if self.equation else ""
        return f"E[{self.lhs}] = {self.value}{tag}"


#: (equation, k, traces) of Lemma 1's Sigma = I moments, Eqs. 31-40.
LEMMA1_WISHART = (
    ("31", 1, ()), ("32", 2, ()), ("33", 3, ()), ("34-35", 4, ()),
    ("36", 1, (1,)), ("37", 2, (1,)), ("38", 1, (2,)), ("39-40", 2, (2,)),
)


def lemma1_table(method: str = "fast") -> list[Moment]:
    """Lemma 1 (Eqs. 31-42) derived by the engine, as :class:`Moment` objects."""
    X = gaussian_matrix("X")
    rows = []
    for eq, k, traces in LEMMA1_WISHART:
        lhs = wishart_lhs(k, traces, X)
        rows.append(Moment(lhs, expectation(lhs, method=method, factored=True), eq))
    C = symmetric_matrix("C", X.rows)
    D = symmetric_matrix("D", X.cols)
    for eq, lhs in (("41", X.T * C * X), ("42", X.T * X * D * X.T * X)):
        rows.append(Moment(lhs, expectation(lhs, method=method, factored=True), eq))
    return rows


def clear_caches() -> None:
    """Forget every in-memory result (for cold-start benchmarks); the disk cache stays."""
    contraction.clear_cache()
    wishart.cache_clear()
    _expectation_cached.cache_clear()
    _wishart_moment_cached.cache_clear()


def identity_coefficient(expr):
    """The scalar s with ``expr == s * I`` (exactly), or ValueError if there is none.

    Traces of deterministic words may appear in s (e.g. Tr(H_t) in Eq. 137).
    """
    expr = sympify(expr)
    form = canonical_form(expr)
    if any(key[0] for key in form):
        raise ValueError(f"{expr} is not a multiple of the identity")
    return to_sympy({((), key[1]): c for key, c in form.items()}, None)


def replace_traces(expr, replacements: dict):
    """Replace every Trace atom of ``expr`` equal (cyclically, up to transposition) to a
    key of ``replacements`` by its value, e.g. ``{Trace(d.T*d): delta_sq}``."""
    expr = sympify(expr)
    targets = [(canonical_form(k), v) for k, v in replacements.items()]
    mapping = {}
    for t in expr.atoms(Trace):
        ft = canonical_form(t)
        for fk, v in targets:
            if ft == fk:
                mapping[t] = v
                break
    return expr.xreplace(mapping)
