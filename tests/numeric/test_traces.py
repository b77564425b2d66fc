"""TraceEvaluator (Eqs. 14-16) against the direct p x p evaluation; bad expressions.

The matrix checks are tested in test_matrices.py, canonical words in ../moments/test_cycles.py,
the Wishart draws in ../montecarlo/test_sampling.py, gaussian_F in test_num_losses.py."""
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Identity, MatrixSymbol, Trace

from symmaml.numeric import (
    NonFiniteError, TraceEvaluator, direct_evaluate, expand_words, grid, to_numpy,
)
from symmaml.symbols import alpha_r, alpha_t, n_r, n_t, nu, p, sigma
from t3_expr import SCALARS, F, H, S, Sw, fig4_matrices, theorem3_loss

EPS = np.finfo(np.float64).eps
FIG4 = dict(alpha_r=0.2, n_t=30, n_v=2, n_r=20, m=3, sigma=1.0)


def rel_tol(pp):
    # each trace is a sum of p products of O(1)-conditioned terms; the rational function
    # on top adds O(100) operations on positive quantities (H_t, H_r are PSD for Gaussian F)
    return 200 * pp * EPS


# ----------------------------------------------------------------------------- symbolic part

def test_expand_words_noncommutative():
    a = sympy.Symbol("a")
    e = expand_words((S + a * Sw) ** 2)
    assert e == {(S, S): 1, (S, Sw): a, (Sw, S): a, (Sw, Sw): a ** 2}
    assert expand_words(Identity(p) - Identity(p)) == {}
    assert expand_words((S * Sw).T) == {(Sw, S): 1}
    with pytest.raises(ValueError, match="integer matrix powers"):
        expand_words(S.I)
    with pytest.raises(ValueError, match="HadamardProduct"):
        expand_words(sympy.HadamardProduct(S, Sw))
    with pytest.raises(ValueError, match="integer matrix powers"):
        expand_words(S ** a)


def test_distinct_traces_are_deduplicated():
    ev = TraceEvaluator(Trace(S * Sw * F) + Trace(F * S * Sw) + Trace(Sw * S * F) + Trace(S),
                        fig4_matrices(5, 0), scalars=[])
    assert ev.n_traces == 2
    assert set(ev.traces) == {"Tr(S)", "Tr(F S Sw)"}


# ----------------------------------------------------------------------------- agreement

@pytest.mark.parametrize("pp", [3, 7, 20])
@pytest.mark.parametrize("seed", [0, 1])
def test_theorem3_fast_matches_direct(pp, seed):
    mats = fig4_matrices(pp, seed)
    expr = theorem3_loss()
    ev = TraceEvaluator(expr, mats, scalars=SCALARS, basis=S, psd=[S, Sw])
    at = np.linspace(-1, 1, 9)
    fast = ev(alpha_t=at, **FIG4)
    ref = direct_evaluate(expr, mats, dict(alpha_t=at, **FIG4))
    assert fast.shape == (9,)
    np.testing.assert_allclose(fast, ref, rtol=rel_tol(pp), atol=0)


@pytest.mark.parametrize("pp", [3, 7, 20])
def test_expanded_form_and_other_basis(pp):
    """The expanded form of Eq. 14's numerator/denominator, basis Sw instead of S."""
    mats = fig4_matrices(pp, 10 + pp)
    Ht, Hr = H(alpha_t, n_t), H(alpha_r, n_r)
    num = sympy.expand(Trace(Hr * Ht).arg)  # a MatAdd of scalar * words
    expr = Trace(num) * (Trace(Sw * Ht) + sigma ** 2) / Trace(Ht) ** 2 + Trace(Sw)
    scal = [alpha_t, alpha_r, n_t, n_r, sigma]
    vals = dict(alpha_t=np.array([-0.7, 0.1, 0.9]), alpha_r=0.3, n_t=30, n_r=20, sigma=1.0)
    ref = direct_evaluate(expr, mats, vals)
    for basis in (S, Sw, F):
        ev = TraceEvaluator(expr, mats, scalars=scal, basis=basis)
        np.testing.assert_allclose(ev(**vals), ref, rtol=rel_tol(pp))


def test_long_words_nested_traces_transposes_and_dimension():
    """Words with >= 3 non-basis letters, traces inside coefficients, Tr(I) = p, transposes."""
    mats = fig4_matrices(6, 3)
    a = sympy.Symbol("a")
    I = Identity(p)
    expr = (Trace(Sw * F * Sw * S * F * S ** 2) + a * Trace((S * Trace(S ** 2) - a * F).T * Sw * F)
            + Trace(I) * a ** 2 + p + Trace((I + a * Sw) ** 3 * F * (I - a * S)))
    ev = TraceEvaluator(expr, mats, scalars=[a], basis=S)
    av = np.array([-1.5, 0.0, 0.25, 2.0])
    np.testing.assert_allclose(ev(av), direct_evaluate(expr, mats, {a: av}), rtol=1e-12)


@st.composite
def words(draw):
    letters = draw(st.lists(st.sampled_from([S, Sw, F]), min_size=1, max_size=7))
    return letters


@settings(max_examples=30, deadline=None)
@given(w=words(), seed=st.integers(0, 10 ** 6), pp=st.sampled_from([3, 7, 20]))
def test_single_word_traces(w, seed, pp):
    mats = fig4_matrices(pp, seed)
    expr = Trace(sympy.MatMul(*w)) if len(w) > 1 else Trace(w[0])
    ev = TraceEvaluator(expr, mats, scalars=[], basis=S)
    direct = float(np.trace(np.linalg.multi_dot([mats[x] for x in w]) if len(w) > 1 else mats[w[0]]))
    # |Tr(M_1 ... M_k)| <= p prod ||M_i||_2; the rounding error is O(k p eps) times that
    bound = pp * np.prod([np.linalg.norm(mats[x], 2) for x in w])
    assert abs(float(ev()) - direct) <= 20 * len(w) * pp * EPS * bound


def test_theorem1_reduction():
    """S = I, Sw = nu^2/p I, F = (p + 2) I: Eq. 14 reduces to Eqs. 80-82 (Theorem 1, w0 = omega0)."""
    pp = 60
    mats = {S: np.eye(pp), Sw: 0.25 / pp * np.eye(pp), F: (pp + 2) * np.eye(pp)}
    ev = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS)
    at = np.linspace(-1, 1, 11)
    kw = dict(FIG4)
    h_t = (1 - at) ** 2 + at ** 2 * (pp + 1) / kw["n_t"]
    ar = kw["alpha_r"]
    h_r = (1 - ar) ** 2 + ar ** 2 * (pp + 1) / kw["n_r"]
    nvm = kw["n_v"] * kw["m"]
    eq80 = (kw["sigma"] ** 2 / 2 * (1 + ar ** 2 * pp / kw["n_r"])
            + h_r * (0.25 / 2 * (1 + nvm / pp)
                     + kw["sigma"] ** 2 * nvm / (2 * pp) * (1 + at ** 2 * pp / kw["n_t"]) / h_t))
    np.testing.assert_allclose(ev(alpha_t=at, **kw), eq80, rtol=1e-13)


def test_grid_and_derivative():
    mats = fig4_matrices(7, 4)
    ev = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS, basis=S)
    at, ar = np.linspace(-1, 1, 11), np.array([0.0, 0.2, 0.4])
    g = grid(ev, alpha_r=ar, alpha_t=at, n_t=30, n_v=2, n_r=20, m=3, sigma=1.0)
    assert g.shape == (3, 11)
    np.testing.assert_allclose(g[1], ev(alpha_t=at, **FIG4), rtol=4 * EPS)
    d = ev.derivative(alpha_t)
    h = 1e-6
    fd = (ev(alpha_t=at + h, **FIG4) - ev(alpha_t=at - h, **FIG4)) / (2 * h)
    np.testing.assert_allclose(d(alpha_t=at, **FIG4), fd, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="not one of the scalars"):
        ev.derivative(nu)


def test_backends_agree():
    mats = fig4_matrices(7, 5)
    at = np.linspace(-1, 1, 5)
    ref = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS)(alpha_t=at, **FIG4)
    strict = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS, backend="array_api_strict")
    out = strict(alpha_t=at, **FIG4)
    assert type(out).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(to_numpy(out), ref, rtol=16 * EPS)


def test_torch_backend_agrees():
    torch = pytest.importorskip("torch")
    mats = fig4_matrices(7, 5)
    at = np.linspace(-1, 1, 5)
    ref = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS)(alpha_t=at, **FIG4)
    ev = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS, backend="torch")
    out = ev(alpha_t=torch.tensor(at), **FIG4)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=16 * EPS)


def test_pole_raises():
    # S = F = 0: H_t = 0, so Eq. 14's last term is 0/0 (a pole hit exactly in floating point;
    # e.g. S = diag(1, 0), F = S^3 at alpha_t = 1 leaves a rounding residue of 1e-17 instead)
    mats = {S: np.zeros((2, 2)), Sw: np.eye(2), F: np.zeros((2, 2))}
    ev = TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS)
    with pytest.raises(NonFiniteError, match="nan at alpha_t=0.5"):
        ev(alpha_t=np.array([0.5, 1.0]), **FIG4)


# ----------------------------------------------------------------------------- bad input

def test_expression_errors():
    mats = fig4_matrices(4, 0)
    with pytest.raises(ValueError, match=r"\['F'\]"):
        TraceEvaluator(theorem3_loss(), {S: mats[S], Sw: mats[Sw]}, scalars=SCALARS)
    with pytest.raises(ValueError, match=r"\['sigma'\]"):
        TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS[:-1])
    with pytest.raises(ValueError, match="dimension symbol"):
        TraceEvaluator(Trace(S) * p, mats, scalars=[p])
    with pytest.raises(ValueError, match="basis G is not among the matrices"):
        TraceEvaluator(Trace(S), mats, basis=MatrixSymbol("G", p, p))
    # a basis that the expression does not use is allowed (every letter is then dense)
    ev = TraceEvaluator(Trace(S * S * F), mats, basis=Sw)
    assert float(ev()) == pytest.approx(float(np.trace(mats[S] @ mats[S] @ mats[F])), rel=1e-12)
    with pytest.raises(ValueError, match="scalar expression"):
        TraceEvaluator(S * Sw, mats)
    with pytest.raises(ValueError, match="outside a Trace"):
        TraceEvaluator(Trace(S) + Sw[0, 0], mats)
    # matrices may be keyed by name, e.g. from another MatrixSymbol class
    ev = TraceEvaluator(Trace(S * Sw), {"S": mats[S], "Sw": mats[Sw]})
    assert float(ev()) == pytest.approx(float(np.trace(mats[S] @ mats[Sw])), rel=1e-13)
