"""A fast exact zero test for scalar rational expressions (the claims' comparison).

``expand`` on the numerator of ``derived - printed`` over the product of the
denominators was 80 % of ``symmaml verify``: SymPy's ``Mul``/``Add`` constructors are slow
on expressions with thousands of terms.  Here the expression is instead evaluated in
sparse polynomial arithmetic over QQ (:class:`sympy.polys.rings.PolyRing`, dicts from
monomials to exact rationals):

* a rational function is held as ``numerator / prod(factor**e)``: a numerator polynomial
  and a denominator kept *factored* as a dict of monic polynomial factors.  Multiplying
  adds exponents; adding brings both terms over the least common multiple of the two
  factor dicts (the larger exponent of each factor), so equal denominators -- the common
  case, e.g. every term over h_t^2 -- are never multiplied out.  No polynomial gcd is ever
  computed, so the representation need not be reduced; that does not matter for a zero
  test, because the denominator is a product of nonzero polynomials and the function is
  zero iff its numerator polynomial is the zero polynomial (a dict with no terms);
* symbols are the ring's generators; every other non-rational sub-expression (``sqrt(..)``,
  ``Trace(..)``, a function, ``pi``) becomes one more generator, the same one for
  structurally equal sub-expressions.

Why it is exact.  Each step is exact rational arithmetic, so a zero numerator proves
``derived - printed = 0`` as a rational function of the symbols and of the opaque
sub-expressions treated as *independent* indeterminates -- and an identity in independent
indeterminates stays an identity after substituting anything for them (e.g. ``sqrt(x)``).
The converse can fail only through an algebraic relation between opaque generators
(``sqrt(x)**2 == x``), so :func:`is_zero` answers ``True`` (proved zero), ``False``
(proved nonzero: no opaque generators, a nonzero polynomial) or ``None`` (undecided:
nonzero with opaque generators, a float, or a denominator that vanishes); callers fall
back to SymPy's ``cancel`` on anything but ``True``.  No random evaluation is involved.
"""
from __future__ import annotations

from contextlib import contextmanager

from sympy import Add, Basic, Dummy, Mul, Pow, Rational, Symbol, sympify
from sympy.polys.domains import QQ
from sympy.polys.orderings import lex
from sympy.polys.rings import PolyRing

__all__ = ["is_zero", "RationalEvaluator", "seeded_sympy_random"]


class _Undecided(Exception):
    """The expression is outside what the polynomial path represents exactly."""


class RationalEvaluator:
    """Evaluates SymPy expressions as (numerator, factored denominator) over a QQ ring.

    The ring's generators are the free symbols of the expressions, plus one dummy for
    every opaque sub-expression (recorded in :attr:`opaque`)."""

    def __init__(self, *exprs):
        self.opaque: dict = {}
        gens: set = set()
        for e in exprs:
            self._collect(e, gens)
        self._gens = sorted(gens, key=lambda s: (s.name, s.dummy_index if isinstance(s, Dummy)
                                                 else 0))
        # lex order: the generators only label monomials, the order is irrelevant
        self.ring = PolyRing(self._gens or [Dummy("unused")], QQ, lex)
        self._gen = dict(zip(self._gens, self.ring.gens))
        self._memo: dict = {}
        self._pow_memo: dict = {}

    # -- the generators --------------------------------------------------------------------
    def _collect(self, e, gens):
        if isinstance(e, Symbol):
            gens.add(e)
        elif isinstance(e, Rational):
            pass
        elif e.is_Number:
            raise _Undecided("a float or other non-rational number")
        elif isinstance(e, (Add, Mul)):
            for a in e.args:
                self._collect(a, gens)
        elif isinstance(e, Pow) and e.exp.is_Integer:
            self._collect(e.base, gens)
        else:
            if e not in self.opaque:
                self.opaque[e] = Dummy("opaque")
            gens.add(self.opaque[e])

    # -- evaluation ------------------------------------------------------------------------
    def _monic(self, poly):
        """``poly = c * q`` with ``q`` monic: returns (c, q), so that equal factors up to a
        constant share one key of the denominator dict."""
        c = poly.LC
        return c, (poly if c == 1 else poly.quo_ground(c))

    def _power(self, poly, e):
        key = (poly, e)
        got = self._pow_memo.get(key)
        if got is None:
            got = self._pow_memo[key] = poly ** e
        return got

    def _den_poly(self, den: dict):
        out = self.ring.one
        for f, e in den.items():
            out = out * self._power(f, e)
        return out

    def value(self, e):
        """``(numerator, {monic factor: exponent})`` of expression ``e`` (memoised per
        sub-expression: derivations share many)."""
        got = self._memo.get(e)
        if got is None:
            got = self._memo[e] = self._value(e)
        return got

    def _value(self, e):
        R = self.ring
        if isinstance(e, Rational):
            return R.ground_new(QQ(int(e.p), int(e.q))), {}
        if e in self.opaque:
            return self._gen[self.opaque[e]], {}
        if isinstance(e, Symbol):
            return self._gen[e], {}
        if isinstance(e, Mul):
            num, den = R.one, {}
            for a in e.args:
                n, d = self.value(a)
                num = num * n
                for f, k in d.items():
                    den[f] = den.get(f, 0) + k
            return num, den
        if isinstance(e, Add):
            parts = [self.value(a) for a in e.args]
            den: dict = {}
            for _, d in parts:
                for f, k in d.items():
                    if k > den.get(f, 0):
                        den[f] = k
            num = R.zero
            for n, d in parts:
                missing = {f: k - d.get(f, 0) for f, k in den.items() if k > d.get(f, 0)}
                num = num + (n * self._den_poly(missing) if missing else n)
            return num, den
        if isinstance(e, Pow):
            n, d = self.value(e.base)
            k = int(e.exp)
            if k >= 0:
                return self._power(n, k), {f: j * k for f, j in d.items()}
            if not n:
                raise _Undecided("division by zero")
            c, q = self._monic(n)
            # (n/d)^-k = d^k / (c q)^k: the constant goes to the numerator
            scale = QQ.one / c ** -k
            return self._den_poly({f: j * -k for f, j in d.items()}).mul_ground(scale), {q: -k}
        raise _Undecided(f"unexpected node {type(e).__name__}")  # pragma: no cover


def is_zero(expr, other=0):
    """Is ``expr - other`` identically zero?  ``True`` (proved), ``False`` (proved
    nonzero) or ``None`` (undecided; see the module docstring)."""
    expr, other = sympify(expr), sympify(other)
    if not isinstance(expr, Basic) or not isinstance(other, Basic):
        return None
    try:
        ev = RationalEvaluator(expr, other)
        (na, da), (nb, db) = ev.value(expr), ev.value(other)
    except _Undecided:
        return None
    # a/A - b/B over lcm(A, B): each numerator times the factors its denominator lacks
    den = {f: max(da.get(f, 0), db.get(f, 0)) for f in set(da) | set(db)}
    lhs = na * ev._den_poly({f: k - da.get(f, 0) for f, k in den.items() if k > da.get(f, 0)})
    rhs = nb * ev._den_poly({f: k - db.get(f, 0) for f, k in den.items() if k > db.get(f, 0)})
    if lhs == rhs:
        return True
    return None if ev.opaque else False


@contextmanager
def seeded_sympy_random(seed: int = 0):
    """Run a block with SymPy's random generator seeded, then restore its state.

    SymPy's multivariate factorisation (Wang's EEZ algorithm, behind ``factor``,
    ``factor_list`` and so the theory's positivity proofs) draws its evaluation points
    from SymPy's global generator, which is seeded from the OS at import.  The factors are
    unique, so no result depends on the draws -- but the time does: the same coefficient
    of Theorem 2's loss took 0.1 s or 45 s depending on the process, and
    ``symmaml latex`` anywhere from 11 s to 10 min.  A fixed seed makes the cost
    reproducible (seed 0: ~1 s for the document's 100 factorisations; measured against
    seeds 1-7, of which one took 12 s).  The state is restored afterwards, so code
    outside the block sees the generator as it was."""
    from sympy.core.random import rng
    state = rng.getstate()
    rng.seed(seed)
    try:
        yield
    finally:
        rng.setstate(state)
