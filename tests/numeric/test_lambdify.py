"""compile_expr / derivative_function / grid: accuracy, broadcasting, backends, bad input."""
import random

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symmaml.numeric import (
    CompiledExpr, NonFiniteError, compile_expr, derivative_function, grid, to_numpy,
)
from symmaml.symbols import alpha_r, alpha_t, n_r, n_t, nu, sigma

EPS = np.finfo(np.float64).eps
X = sympy.symbols("x0:6")


def random_rational(seed, nvars=6, terms=6, degree=3):
    """Ratio of two polynomials with positive rational coefficients (well conditioned on x > 0)."""
    r = random.Random(seed)

    def poly():
        out = sympy.Integer(r.randint(1, 9))
        for _ in range(terms):
            mono = sympy.Integer(1)
            for _ in range(r.randint(1, degree)):
                mono *= r.choice(X[:nvars])
            out += sympy.Rational(r.randint(1, 99), r.randint(1, 97)) * mono
        return out

    return poly() / poly() + sympy.sqrt(poly())


@pytest.mark.parametrize("seed", range(6))
def test_matches_evalf_on_random_points(seed):
    expr = random_rational(seed)
    f = compile_expr(expr, X)
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0.1, 3.0, size=(6, 8))
    got = f(*pts)
    assert isinstance(got, np.ndarray) and got.shape == (8,) and got.dtype == np.float64
    # every operation has relative error <= eps on positive data: bound by the op count
    tol = 4 * sympy.count_ops(expr) * EPS
    for j in range(8):
        ref = expr.evalf(30, subs={s: sympy.Float(float(v), 30) for s, v in zip(X, pts[:, j])})
        assert abs(got[j] - float(ref)) <= tol * abs(float(ref))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.05, 5.0), min_size=6, max_size=6))
def test_matches_evalf_hypothesis(values):
    expr = random_rational(99)
    f = _cached(99)
    ref = float(expr.evalf(30, subs={s: sympy.Float(v, 30) for s, v in zip(X, values)}))
    assert abs(float(f(*values)) - ref) <= 4 * sympy.count_ops(expr) * EPS * abs(ref)


_CACHE = {}


def _cached(seed):
    if seed not in _CACHE:
        _CACHE[seed] = compile_expr(random_rational(seed), X)
    return _CACHE[seed]


def test_cse_and_no_cse_agree():
    expr = random_rational(3)
    pts = np.random.default_rng(1).uniform(0.1, 2, size=(6, 50))
    a = compile_expr(expr, X, cse=True)(*pts)
    b = compile_expr(expr, X, cse=False)(*pts)
    np.testing.assert_allclose(a, b, rtol=50 * EPS)


def test_exact_rationals_are_correctly_rounded():
    big = sympy.Rational(10 ** 40 + 7, 3 * 10 ** 40 + 1)
    f = compile_expr(big * alpha_t + sympy.Integer(2) ** 80, [alpha_t])
    assert float(f(0.0)) == float(2 ** 80)
    assert float(f(1.0)) == float(big + sympy.Integer(2) ** 80)
    g = compile_expr(sympy.Rational(1, 3) * alpha_t, [alpha_t])
    assert float(g(3.0)) == 1.0 / 3.0 * 3.0
    assert float(compile_expr(sympy.Rational(1, 10), [alpha_t])(0.0)) == 0.1


def test_broadcasting_over_grids():
    expr = alpha_t ** 2 * alpha_r + alpha_r / (1 + alpha_t ** 2)
    f = compile_expr(expr, [alpha_t, alpha_r])
    at = np.linspace(-1, 1, 1000)
    ar = np.linspace(0, 1, 5)[:, None]
    out = f(at, ar)
    assert out.shape == (5, 1000)
    np.testing.assert_allclose(out, at ** 2 * ar + ar / (1 + at ** 2), rtol=4 * EPS)
    # keyword call, any order
    np.testing.assert_array_equal(f(alpha_r=ar, alpha_t=at), out)


def test_constant_and_ignored_arguments_broadcast():
    c = compile_expr(sympy.Rational(7, 2), [alpha_t, alpha_r])
    out = c(np.zeros(4), np.zeros((3, 1)))
    assert out.shape == (3, 4) and np.all(out == 3.5)
    out.flat[0] = 0.0  # a writable array, not a read-only broadcast view
    g = compile_expr(alpha_t * 2, [alpha_t, alpha_r])
    assert g(np.arange(4.0), np.zeros((3, 1))).shape == (3, 4)
    assert compile_expr(sympy.Integer(1), [])().shape == ()


def test_dtypes():
    f = compile_expr(alpha_t / 3 + 1, [alpha_t])
    assert f(np.arange(3)).dtype == np.float64          # ints -> float64
    assert f(2).dtype == np.float64 and f(2).shape == ()
    assert f(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert f([1, 2]).dtype == np.float64


def test_derivative_vs_finite_differences():
    expr = (1 - alpha_t) ** 2 * nu ** 2 + sigma ** 2 * alpha_t ** 2 / n_t / ((1 - alpha_t) ** 2 + alpha_t ** 2 * 61 / n_t)
    args = [alpha_t, nu, sigma, n_t]
    f = compile_expr(expr, args)
    df = derivative_function(expr, alpha_t, args)
    d2f = derivative_function(expr, "alpha_t", args, order=2)
    at = np.linspace(-1, 1, 21)
    h = 1e-5
    fd = (f(at + h, 0.5, 1.0, 30) - f(at - h, 0.5, 1.0, 30)) / (2 * h)
    np.testing.assert_allclose(df(at, 0.5, 1.0, 30), fd, rtol=1e-7, atol=1e-8)
    fd2 = (df(at + h, 0.5, 1.0, 30) - df(at - h, 0.5, 1.0, 30)) / (2 * h)
    np.testing.assert_allclose(d2f(at, 0.5, 1.0, 30), fd2, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="order"):
        derivative_function(expr, alpha_t, args, order=0)


def test_singular_point_raises_with_values():
    f = compile_expr(1 / (alpha_t - 1) + alpha_r, [alpha_t, alpha_r])
    f(np.array([0.0, 0.5]), 0.2)  # fine away from the pole
    with pytest.raises(FloatingPointError, match=r"alpha_t=1\.0, alpha_r=0\.2"):
        f(np.array([0.0, 1.0, 2.0]), 0.2)
    g = compile_expr(alpha_t / alpha_t, [alpha_t])  # SymPy simplifies this to 1: finite
    assert float(g(0.0)) == 1.0
    h = compile_expr(alpha_t / (alpha_t * alpha_r), [alpha_t, alpha_r])
    with pytest.raises(ValueError, match="inf|nan"):
        h(1.0, 0.0)
    assert issubclass(NonFiniteError, FloatingPointError) and issubclass(NonFiniteError, ValueError)
    # the check can be switched off
    k = compile_expr(1 / alpha_t, [alpha_t], check_finite=False)
    assert np.isinf(k(0.0))


def test_uncovered_free_symbols_listed():
    with pytest.raises(ValueError, match=r"\['n_r', 'sigma'\]"):
        compile_expr(alpha_t + sigma * n_r, [alpha_t])


def test_bad_arguments():
    with pytest.raises(ValueError, match="duplicate"):
        compile_expr(alpha_t, [alpha_t, alpha_t])
    with pytest.raises(ValueError, match="matrix"):
        compile_expr(sympy.MatrixSymbol("S", 2, 2), [])
    f = compile_expr(alpha_t + alpha_r, [alpha_t, alpha_r])
    with pytest.raises(TypeError, match="missing"):
        f(1.0)
    with pytest.raises(TypeError, match="unknown"):
        f(1.0, beta=2)
    with pytest.raises(TypeError, match="twice"):
        f(1.0, 2.0, alpha_t=1.0)


def test_unknown_backend_and_missing_package():
    with pytest.raises(ValueError, match="'jax-ish'"):
        compile_expr(alpha_t, [alpha_t], backend="jax-ish")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="cupy"):
            compile_expr(alpha_t, [alpha_t], backend="cupy")


def test_no_sympy_in_generated_code():
    f = compile_expr(sympy.sin(alpha_t) + sympy.pi * alpha_r ** sympy.Rational(3, 2), [alpha_t, alpha_r])
    assert "sympy" not in f.source and "Symbol" not in f.source
    assert isinstance(f, CompiledExpr)
    out = f(np.array([0.3]), np.array([0.7]))
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, np.sin(0.3) + np.pi * 0.7 ** 1.5, rtol=4 * EPS)


def _strict_expr():
    return sympy.atan(alpha_t) + sympy.exp(-alpha_r) / (1 + alpha_t ** 2) + sympy.sqrt(alpha_r) - sympy.pi


def test_array_api_strict_backend():
    xps = pytest.importorskip("array_api_strict")
    f = compile_expr(_strict_expr(), [alpha_t, alpha_r], backend="array_api_strict")
    ref = compile_expr(_strict_expr(), [alpha_t, alpha_r])
    at, ar = np.linspace(-1, 1, 7), np.array([[0.1], [0.4]])
    out = f(xps.asarray(at), ar)
    assert type(out).__module__.startswith("array_api_strict")
    assert out.shape == (2, 7) and out.dtype == xps.float64
    np.testing.assert_allclose(to_numpy(out), ref(at, ar), rtol=4 * EPS)
    g = compile_expr(1 / alpha_t, [alpha_t], backend=xps)
    with pytest.raises(NonFiniteError, match="alpha_t=0.0"):
        g(np.array([1.0, 0.0]))


def test_torch_backend():
    torch = pytest.importorskip("torch")
    f = compile_expr(_strict_expr(), [alpha_t, alpha_r], backend="torch")
    ref = compile_expr(_strict_expr(), [alpha_t, alpha_r])
    at = np.linspace(-1, 1, 7)
    out = f(torch.tensor(at), [[0.1], [0.4]])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64 and tuple(out.shape) == (2, 7)
    np.testing.assert_allclose(out.numpy(), ref(at, np.array([[0.1], [0.4]])), rtol=4 * EPS)
    assert f(torch.ones(3, dtype=torch.float32), 0.5).dtype == torch.float32
    # Python scalars are float64 even though torch's default dtype is float32
    assert f(0.5, 0.5).dtype == torch.float64
    with pytest.raises(NonFiniteError):
        compile_expr(1 / alpha_t, [alpha_t], backend="torch")(torch.zeros(2))


def test_grid_axes_in_keyword_order():
    expr = alpha_t + 10 * alpha_r + 100 * sigma
    f = compile_expr(expr, [alpha_t, alpha_r, sigma])
    out = grid(f, alpha_r=[0.0, 1.0], sigma=0.5, alpha_t=np.array([0.1, 0.2, 0.3]))
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, np.array([[0.1, 0.2, 0.3]]) + 10 * np.array([[0.0], [1.0]]) + 50, rtol=4 * EPS)
    g = compile_expr(alpha_t * 0 + 1, [alpha_t, n_r])
    assert grid(g, n_r=[1, 2, 3], alpha_t=[0.0, 1.0]).shape == (3, 2)
    with pytest.raises(ValueError, match="sigma"):
        grid(f, alpha_r=[0.0], alpha_t=[0.0])
    with pytest.raises(ValueError, match="unknown"):
        grid(f, alpha_r=[0.0], alpha_t=[0.0], sigma=1.0, beta=2.0)
    with pytest.raises(ValueError, match="1-D"):
        grid(f, alpha_r=np.zeros((2, 2)), alpha_t=[0.0], sigma=1.0)


def test_raw_is_the_generated_function():
    """``raw`` skips the call's conversions and checks, not the arithmetic: on float64
    arrays it gives the call's bits."""
    x, y = sympy.symbols("x y")
    f = compile_expr(sympy.exp(x) / (1 + y ** 2) - x * y, [x, y])
    a = np.linspace(-2.0, 2.0, 11)
    b = np.linspace(0.5, 3.0, 11)
    assert np.array_equal(f.raw(a, b), f(a, b))
