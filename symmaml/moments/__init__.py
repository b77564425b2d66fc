"""Exact moments of Gaussian matrices (floor 1): Lemma 1, Lemmas 2-3 and Theorem 3's F.

Two independent algorithms compute every expectation: a brute-force Wick pairing
(:mod:`~symmaml.moments.reference`) and a memoised one-pair contraction
(:mod:`~symmaml.moments.contraction`); for Sigma = I scalar Wishart moments a Stein
recurrence (:mod:`~symmaml.moments.wishart`) is faster still.  Every request's cost is
estimated before it is computed (:mod:`~symmaml.moments.limits`, ``SYMMAML_MAX_COST``);
results are cached in memory and, as verified JSON data, on disk
(:mod:`~symmaml.moments.cache`).
"""
from .api import (MAX_DEGREE_REFERENCE, METHODS, Moment, canonical_form, clear_caches,
                  identity_coefficient, replace_traces, difference, expectation,
                  expectation_terms, lemma1_table, moments_equal, wishart_expectation,
                  wishart_lhs, wishart_moment, wishart_orders)
from .cycles import canonical_word, word_symbols
from .limits import CostLimitError
from .matrices import GaussianMatrix, SymmetricMatrixSymbol, gaussian_matrix, symmetric_matrix
from .table import moment_table

__all__ = [
    "METHODS", "Moment", "canonical_form", "clear_caches", "identity_coefficient",
    "replace_traces", "difference", "expectation", "expectation_terms",
    "lemma1_table", "moments_equal", "wishart_expectation", "wishart_lhs", "wishart_moment",
    "wishart_orders", "moment_table", "CostLimitError", "MAX_DEGREE_REFERENCE",
    "GaussianMatrix", "SymmetricMatrixSymbol", "gaussian_matrix", "symmetric_matrix",
    "canonical_word", "word_symbols",
]
