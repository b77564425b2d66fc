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

from sympy import (Add, Identity, MatMul, MatrixExpr, MatrixSymbol, Mul, S, Trace, expand, factor,
                   srepr)

from ..printing import paper_latex
from ..symbols import n as _n, p as _p
from . import contraction, limits, reference, serial, wishart, words
from .cache import disk_cached
from .matrices import GaussianMatrix, SymmetricMatrixSymbol, gaussian_matrix, symmetric_matrix
from .parse import as_expr, check_exponent, expand_terms, to_sympy
from .words import check_exponent_capacity, is_gaussian_token, letter, poly_to_sympy

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


def _term_letters(open_word, cycles):
    """({Gaussian letter: (pairs, has covariance)}, tokens) of one term."""
    counts, tokens = {}, 0
    for word in ((open_word or ()),) + tuple(cycles):
        tokens += len(word)
        for tok in word:
            if is_gaussian_token(tok):
                counts[tok >> 1] = counts.get(tok >> 1, 0) + 1
    return {i: (c // 2, letter(i).cov >= 0) for i, c in counts.items()}, tokens


def _guard_terms(terms, method, what="expr"):
    """Refuse a request before computing it (limits.py); returns the contraction's budget
    of new states (the cost limit over the squared degree)."""
    total, lower, worst = 0, False, 0
    for _, open_word, cycles in terms:
        letters, tokens = _term_letters(open_word, cycles)
        pairs = sum(d for d, _ in letters.values())
        worst = max(worst, pairs)
        if pairs > limits.MAX_PAIRS:
            raise limits.CostLimitError(
                f"{what}: {pairs} Gaussian pairs in one product exceed the engine's limit "
                f"MAX_PAIRS = {limits.MAX_PAIRS} (the contraction recurses once per pair)")
        if method == "reference" and pairs > MAX_DEGREE_REFERENCE:
            raise ValueError(
                f"the reference algorithm enumerates (2d-1)!! pairings; d = {pairs} Gaussian "
                f"pairs exceeds its limit {MAX_DEGREE_REFERENCE}: use method='fast'")
        check_exponent_capacity(open_word, cycles)
        if method == "reference":
            cost, exact = limits.reference_cost(letters, tokens), True
        else:
            cost, exact = limits.fast_cost(letters)
        total, lower = total + cost, lower or not exact
    limits.check_cost(total, f"{what} (degree {worst} in the Gaussian matrices, method "
                             f"{method!r})", lower_bound=lower)
    return limits.max_cost() // max(1, worst) ** 2


def _check_method(method, allowed=METHODS):
    if not isinstance(method, str) or method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")


def expectation_terms(expr, method: str = "fast") -> tuple:
    """E[expr] in canonical form: ``(shape, {(open word, traces): SymPy coefficient})``.

    The cost is estimated first (:mod:`~symmaml.moments.limits`): a request over the limit
    raises :class:`~symmaml.moments.limits.CostLimitError` before any work.
    """
    _check_method(method)
    expr = as_expr(expr)
    is_matrix, shape, terms = expand_terms(expr)
    if not terms and not is_matrix and expr != 0:
        raise ValueError(f"empty product: nothing to average in {expr!r}")
    budget = _guard_terms(terms, method)
    if method == "reference":
        return shape, _combine(terms, reference.expect_word_reference)
    with contraction.state_budget(budget, "expr"):
        return shape, _combine(terms, contraction.expect_word)


@lru_cache(maxsize=4096)
def _expectation_cached(expr, method, factored):
    def compute():
        shape, form = expectation_terms(expr, method)
        if factored:
            form = {k: factor(v) for k, v in form.items()}
        return to_sympy(form, shape)
    if not serial.storable(expr):
        # e.g. a Float or a function of a symbol in a coefficient: the result would hold
        # it too, and only the classes the serialiser knows are written to disk
        return compute()
    shape = expr.shape if isinstance(expr, MatrixExpr) else None

    def plausible(value):
        # a checksummed entry can still be forged: at least its kind and shape must fit
        if shape is None:
            return not isinstance(value, MatrixExpr) and value.is_commutative is not False
        return isinstance(value, MatrixExpr) and value.shape == shape
    return disk_cached("expectation", f"{method}\0{int(factored)}\0{srepr(expr)}", compute,
                       check=plausible)


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

    ``over``: average only over these Gaussian matrices (one, or a list/tuple/set of them;
    a conditional expectation); the other Gaussian matrices are held fixed and stay in the
    result, e.g. Eqs. 91 and 93.

    Strings are not accepted for ``expr`` (they would be parsed and evaluated): TypeError.
    The cost of the request is estimated first; see :mod:`~symmaml.moments.limits`.
    """
    _check_method(method)
    expr = as_expr(expr, "expr")
    if over is None:
        return _expectation_cached(expr, method, bool(factored))
    if isinstance(over, MatrixExpr):
        over = [over]         # one matrix, not an iterable of its entries
    elif isinstance(over, (str, bytes)) or not hasattr(over, "__iter__"):
        raise TypeError(f"over= takes a Gaussian matrix or a list of them, got {over!r}")
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
    _, _, terms = expand_terms(as_expr(expr, "expr"))
    out: dict = {}
    for coeff, open_word, cycles in terms:
        key = (open_word, cycles)
        out[key] = out.get(key, 0) + coeff
    return {k: v for k, v in ((k, expand(v)) for k, v in out.items()) if v != 0}


def difference(a, b) -> dict:
    """Canonical form of ``a - b``: the basis terms where two expressions differ."""
    fa, fb = canonical_form(as_expr(a, "a")), canonical_form(as_expr(b, "b"))
    out = {}
    for key in set(fa) | set(fb):
        d = expand(fa.get(key, 0) - fb.get(key, 0))
        if d != 0:
            out[key] = d
    return out


def moments_equal(a, b) -> bool:
    """Exact equality of two (deterministic) matrix/scalar expressions."""
    a, b = as_expr(a, "a"), as_expr(b, "b")
    if getattr(a, "shape", None) != getattr(b, "shape", None):
        return False
    return not difference(a, b)


def _check_traces(traces):
    """The trace powers (l_1, l_2, ...) as a tuple of positive ints (Tr W^0 = p is not a
    moment: multiply by p instead)."""
    if isinstance(traces, (str, bytes)) or not hasattr(traces, "__iter__"):
        raise ValueError(f"traces must be a sequence of positive integers, got {traces!r}")
    return tuple(check_exponent(t, "trace power in traces", minimum=1) for t in traces)


def _check_order(k, traces):
    return check_exponent(k, "order k"), tuple(sorted(_check_traces(traces)))


def _wishart_guard(k, traces, method, cov=False):
    """Refuse E[W^k prod Tr W^l] up front when its estimated cost is over the limit."""
    degree = k + sum(traces)
    what = f"order k = {k} with traces = {traces} (total degree {degree}, method {method!r})"
    if method == "recurrence":
        cost, exact = limits.recurrence_cost(degree)
    elif method == "reference":
        if degree > MAX_DEGREE_REFERENCE:
            raise ValueError(
                f"{what}: the reference algorithm enumerates (2d-1)!! pairings and is "
                f"refused above degree {MAX_DEGREE_REFERENCE}: use method='fast'")
        cost, exact = limits.reference_cost({0: (degree, cov)}, 2 * degree), True
    else:
        cost, exact = limits.fast_cost({0: (degree, cov)})
    limits.check_cost(cost, what, lower_bound=not exact)
    if degree > limits.MAX_PAIRS:    # the recurrence and the contraction recurse per degree
        raise limits.CostLimitError(f"{what}: over the engine's limit of "
                                    f"{limits.MAX_PAIRS} Gaussian pairs")


def wishart_lhs(k, traces=(), X=None, scalar=False):
    """The SymPy expression W^k prod Tr W^{l} with W = X^T X (default X: n x p, Sigma = I).

    With k = 0 the product of traces is returned times I_p, or alone if ``scalar``.
    """
    k = check_exponent(k, "order k")
    traces = _check_traces(traces)
    X = gaussian_matrix("X") if X is None else X
    if not isinstance(X, GaussianMatrix):
        raise TypeError(f"X must be a Gaussian matrix (see gaussian_matrix), got {X!r}")
    W = X.T * X
    mat = W ** k if k else Identity(X.cols)
    scal = Mul(*[Trace(W ** l) for l in traces])
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
        return S.Zero
    if set(form) != {((), ())}:
        raise AssertionError(f"Sigma = I moment is not a multiple of I: {form}")
    return form[((), ())]


def wishart_moment(k, traces=(), method: str = "recurrence"):
    """c(n, p) with E[W^k prod_j Tr(W^{l_j})] = c I_p for W = X^T X, X n x p, Sigma = I.

    ``traces=(l_1, l_2, ...)``.  ``method`` picks the algorithm: ``"recurrence"`` (Stein
    recurrence, the fastest), ``"fast"`` (memoised Wick contraction) or ``"reference"``
    (brute-force pairing); all return the same expanded polynomial in symbols ``n``, ``p``.
    ``k = 0`` with no traces is E[W^0] = I_p, so c = 1 (as :func:`wishart_expectation`).

    ``k`` is a non-negative int and ``traces`` positive ints (TypeError for strings and
    other non-numbers, ValueError for other values).  The cost is estimated before any
    work (:mod:`~symmaml.moments.limits`): e.g. ``wishart_moment(60)`` is refused at once.

    >>> wishart_moment(2)
    n**2 + n*p + n
    >>> wishart_moment(0)
    1
    """
    k, traces = _check_order(k, traces)
    _check_method(method, ("recurrence",) + METHODS)
    _wishart_guard(k, traces, method)
    return _wishart_moment_cached(k, traces, method)


def wishart_expectation(k, traces=(), cov="Sigma", rows=None, cols=None, method="fast"):
    """E[W^k prod Tr W^l] for W = X^T X with X's rows ~ N(0, cov) (general covariance).

    ``cov`` is a name for a new symmetric covariance symbol, a symmetric matrix symbol, or
    ``None`` for the identity.  ``k = 0`` with no traces gives I_p, as
    ``wishart_moment(0) = 1``.  Arguments are checked, and the cost estimated, before any
    work, as for :func:`wishart_moment`.
    """
    k, traces = _check_order(k, traces)
    _check_method(method)
    if not (cov is None or isinstance(cov, (str, SymmetricMatrixSymbol))):
        raise TypeError(f"cov must be a name, a symmetric matrix symbol or None, got {cov!r}")
    X = gaussian_matrix("X", rows if rows is not None else _n,
                        cols if cols is not None else _p, cov=cov)
    _wishart_guard(k, traces, method, cov=cov is not None)
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
    words.clear_cache()
    wishart.cache_clear()
    _expectation_cached.cache_clear()
    _wishart_moment_cached.cache_clear()


def identity_coefficient(expr):
    """The scalar s with ``expr == s * I`` (exactly), or ValueError if there is none.

    Traces of deterministic words may appear in s (e.g. Tr(H_t) in Eq. 137).
    """
    expr = as_expr(expr, "expr")
    form = canonical_form(expr)
    if any(key[0] for key in form):
        raise ValueError(f"{expr} is not a multiple of the identity")
    return to_sympy({((), key[1]): c for key, c in form.items()}, None)


def replace_traces(expr, replacements: dict):
    """Replace every Trace atom of ``expr`` equal (cyclically, up to transposition) to a
    key of ``replacements`` by its value, e.g. ``{Trace(d.T*d): delta_sq}``."""
    expr = as_expr(expr, "expr")
    if not isinstance(replacements, dict):
        raise TypeError(f"replacements must be a dict, got {type(replacements).__name__}")
    targets = [(canonical_form(as_expr(k, "a key of replacements")),
                as_expr(v, "a value of replacements")) for k, v in replacements.items()]
    mapping = {}
    for t in expr.atoms(Trace):
        ft = canonical_form(t)
        for fk, v in targets:
            if ft == fk:
                mapping[t] = v
                break
    return expr.xreplace(mapping)
