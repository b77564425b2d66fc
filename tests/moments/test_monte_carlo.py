"""Seeded Monte Carlo agreement for a few moments, judged by Bonferroni-corrected z-scores."""
import numpy as np
from scipy.stats import norm
from sympy import ImmutableMatrix, Integer, MatrixSymbol, Rational, Symbol, Trace

from symmaml.moments import expectation, gaussian_matrix

n_val, p_val, N = 4, 3, 200_000
SIGMA = np.array([[1.0, 0.3, -0.2], [0.3, 0.8, 0.1], [-0.2, 0.1, 0.5]])
D_NUM = np.array([[0.5, -1.0, 0.0], [0.3, 0.2, 0.7], [-0.4, 0.0, 1.1]])   # not symmetric
ALPHA = 1e-3  # family-wise false-alarm rate of this whole test module


def _exact(expr, X, D):
    """Evaluate a derived expectation at the numeric Sigma, D, n, p (exactly, then float)."""
    sub = {X.cov: ImmutableMatrix(SIGMA.tolist()).applyfunc(Rational),
           D: ImmutableMatrix(D_NUM.tolist()).applyfunc(Rational),
           Symbol("n"): Integer(n_val), Symbol("p"): Integer(p_val)}
    val = expr.xreplace(sub).doit()
    val = val.as_explicit() if hasattr(val, "as_explicit") else val
    return np.array(val.tolist() if hasattr(val, "tolist") else float(val), dtype=float)


def _samples():
    rng = np.random.default_rng(np.random.SeedSequence(20210201))
    L = np.linalg.cholesky(SIGMA)
    Z = rng.standard_normal((N, n_val, p_val))
    X = Z @ L.T                                     # rows ~ N(0, Sigma)
    W = np.einsum("kia,kib->kab", X, X)
    return W


def test_monte_carlo_agrees_with_engine():
    X = gaussian_matrix("X", cov="Sigma")
    D = MatrixSymbol("D", X.cols, X.cols)
    Wsym = X.T * X
    W = _samples()
    trW = np.trace(W, axis1=1, axis2=2)
    W2 = W @ W
    cases = {
        "E[W^2]": (Wsym * Wsym, W2),
        "E[W Tr W]": (Trace(Wsym) * Wsym, W * trW[:, None, None]),
        "E[W D W]": (Wsym * D * Wsym, W @ D_NUM @ W),
        "E[W^3]": (Wsym ** 3, W2 @ W),
        "E[Tr(W D) W^2]": (Trace(Wsym * D) * Wsym * Wsym,
                           np.einsum("kab,ba->k", W, D_NUM)[:, None, None] * W2),
        "E[(Tr W)^2]": (Trace(Wsym) ** 2, trW ** 2),
    }
    n_comparisons = sum(np.size(s[0]) for _, s in cases.values())
    threshold = norm.isf(ALPHA / (2 * n_comparisons))
    worst = 0.0
    for name, (sym, samples) in cases.items():
        exact = _exact(expectation(sym), X, D)
        mean = samples.mean(axis=0)
        se = samples.std(axis=0, ddof=1) / np.sqrt(N)
        z = np.abs(mean - exact) / se
        worst = max(worst, float(z.max()))
        assert z.max() < threshold, f"{name}: max |z| = {z.max():.2f} >= {threshold:.2f}"
    assert worst > 0.0   # the comparison really ran


def test_monte_carlo_detects_a_wrong_moment():
    """Power check: dropping the n Tr(Sigma) Sigma term of E[W^2] must be rejected."""
    X = gaussian_matrix("X", cov="Sigma")
    D = MatrixSymbol("D", X.cols, X.cols)
    W = _samples()
    wrong = _exact(expectation(X.T * X * X.T * X) - X.cov * Symbol("n") * Trace(X.cov), X, D)
    mean = (W @ W).mean(axis=0)
    se = (W @ W).std(axis=0, ddof=1) / np.sqrt(N)
    assert (np.abs(mean - wrong) / se).max() > norm.isf(ALPHA / 18)
