"""symmaml.matrices: the numeric matrix checks (TraceEvaluator's, direct_evaluate's, the
simulator's covariances)."""
import numpy as np
import pytest
from sympy import MatrixSymbol, Trace

from symmaml import numeric
from symmaml.matrices import psd_sqrt, resolve_matrices, square_matrices, validate_matrices
from symmaml.montecarlo import sampling
from symmaml.numeric import TraceEvaluator
from symmaml.symbols import p
from t3_expr import SCALARS, F, S, Sw, fig4_matrices, theorem3_loss


def test_non_symmetric_matrix():
    mats = fig4_matrices(4, 0)
    mats[Sw] = mats[Sw] + np.triu(np.ones((4, 4)), 1) * 1e-3
    with pytest.raises(ValueError, match="matrix Sw: not symmetric"):
        TraceEvaluator(theorem3_loss(), mats, scalars=SCALARS)


def test_non_psd_matrices():
    mats = fig4_matrices(4, 0)
    bad = dict(mats)
    bad[Sw] = mats[Sw] - 2 * np.linalg.eigvalsh(mats[Sw]).max() * np.eye(4)
    with pytest.raises(ValueError, match="matrix Sw: not positive semi-definite"):
        TraceEvaluator(theorem3_loss(), bad, scalars=SCALARS, psd=[S, Sw])
    TraceEvaluator(theorem3_loss(), bad, scalars=SCALARS, psd=[S])  # not declared: accepted
    bad = dict(mats)
    bad[S] = -mats[S]
    with pytest.raises(ValueError, match="matrix S: not positive semi-definite"):
        TraceEvaluator(theorem3_loss(), bad, scalars=SCALARS, psd=[S, Sw], basis=S)
    # a singular PSD matrix (rank 1) is accepted
    v = np.arange(1.0, 5.0)
    ok = dict(mats)
    ok[Sw] = np.outer(v, v)
    TraceEvaluator(theorem3_loss(), ok, scalars=SCALARS, psd=[S, Sw])


def test_shape_errors():
    mats = fig4_matrices(4, 0)
    bad = dict(mats)
    bad[F] = np.eye(5)
    with pytest.raises(ValueError, match=r"matrix F: shape \(5, 5\) does not match"):
        TraceEvaluator(theorem3_loss(), bad, scalars=SCALARS)
    bad[F] = np.zeros((4, 3))
    with pytest.raises(ValueError, match="matrix F: must be square"):
        TraceEvaluator(theorem3_loss(), bad, scalars=SCALARS)
    bad[F] = np.full((4, 4), np.nan)
    with pytest.raises(ValueError, match="matrix F: contains NaN"):
        TraceEvaluator(theorem3_loss(), bad, scalars=SCALARS)
    S3 = MatrixSymbol("S", 3, 3)
    with pytest.raises(ValueError, match="declared size"):
        TraceEvaluator(Trace(S3), {S3: np.eye(4)})


def test_one_module_for_the_checks():
    assert numeric.validate_matrices is validate_matrices
    assert sampling.psd_sqrt is psd_sqrt


def test_resolve_and_square_matrices():
    A = MatrixSymbol("A", p, p)
    got = resolve_matrices([A], {"A": np.eye(2)})
    assert list(got) == [A]
    with pytest.raises(ValueError, match=r"\['A'\]"):
        resolve_matrices([A], {})
    arrays, size = square_matrices({A: [[1, 2], [2, 1]]})
    assert size == 2 and arrays[A].dtype == np.float64
    with pytest.raises(ValueError, match="matrix A: must be square 2-D"):
        square_matrices({A: np.ones((2, 3))})
    assert square_matrices({}) == ({}, None)


def test_psd_sqrt():
    M = np.array([[2.0, 0.5], [0.5, 1.0]])
    M2, root = psd_sqrt("Sigma", M, 2)
    np.testing.assert_allclose(root @ root, M, rtol=1e-14)
    with pytest.raises(ValueError, match=r"Sigma must have shape \(3, 3\)"):
        psd_sqrt("Sigma", M, 3)
    with pytest.raises(ValueError, match="Sigma must be finite"):
        psd_sqrt("Sigma", np.full((2, 2), np.nan), 2)
    with pytest.raises(ValueError, match="Sigma must be symmetric"):
        psd_sqrt("Sigma", np.array([[1.0, 0.5], [0.0, 1.0]]), 2)
    with pytest.raises(ValueError, match="Sigma must be positive semi-definite"):
        psd_sqrt("Sigma", -M, 2)
