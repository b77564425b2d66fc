"""symmaml.numeric.reference.direct_evaluate: the slow truth, against plain NumPy.

(TraceEvaluator is tested against it in test_traces.py.)"""
import numpy as np
import pytest
import sympy
from sympy import Identity, MatrixSymbol, Trace

from symmaml import numeric
from symmaml.numeric.reference import direct_evaluate
from symmaml.symbols import p

A = MatrixSymbol("A", p, p)
B = MatrixSymbol("B", p, p)


def test_matches_numpy_products():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4)); a = a + a.T
    b = rng.standard_normal((4, 4)); b = b + b.T
    x = sympy.Symbol("x")
    expr = Trace(A * (Identity(p) - x * B) ** 2) / Trace(A.T * A) + p * x
    xs = np.array([-1.0, 0.5])
    want = [np.trace(a @ np.linalg.matrix_power(np.eye(4) - v * b, 2)) / np.trace(a @ a) + 4 * v
            for v in xs]
    np.testing.assert_allclose(direct_evaluate(expr, {A: a, "B": b}, {x: xs}), want, rtol=1e-13)
    assert isinstance(direct_evaluate(Trace(A), {A: a}, {}), float)
    assert numeric.direct_evaluate is direct_evaluate


def test_errors():
    x = sympy.Symbol("x")
    with pytest.raises(ValueError, match=r"\['x'\]"):
        direct_evaluate(x * Trace(A), {A: np.eye(2)}, {})
    with pytest.raises(ValueError, match=r"\['B'\]"):
        direct_evaluate(Trace(A * B), {A: np.eye(2)}, {})
    with pytest.raises(ValueError, match="matrix A: must be square"):
        direct_evaluate(Trace(A), {A: np.ones((2, 3))}, {})
    with pytest.raises(ValueError, match=r"does not match \(2, 2\)"):
        direct_evaluate(Trace(A * B), {A: np.eye(2), B: np.eye(3)}, {})
