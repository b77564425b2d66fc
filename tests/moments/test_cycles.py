"""symmaml.moments.canonical_word / word_symbols (re-exported by symmaml.numeric)."""
from symmaml import numeric
from symmaml.moments import canonical_form, canonical_word, expectation, gaussian_matrix, word_symbols
from symmaml.moments import symmetric_matrix
from sympy import Trace


def test_canonical_word_rotation_and_reversal():
    w = (0, 1, 2, 1)
    forms = {canonical_word(w[i:] + w[:i]) for i in range(4)}
    forms |= {canonical_word(tuple(reversed(w[i:] + w[:i]))) for i in range(4)}
    assert len(forms) == 1
    assert canonical_word((0, 1, 2)) == canonical_word((2, 1, 0)) == (0, 1, 2)
    assert canonical_word(()) == ()


def test_numeric_reexports_the_moments_function():
    assert numeric.canonical_word is canonical_word


def test_word_symbols_decodes_the_engine_tokens():
    X = gaussian_matrix("X")
    D = symmetric_matrix("D", X.cols)
    terms = canonical_form(expectation(Trace(X.T * X * D)))
    names = {sym.name for (open_word, traces) in terms for w in ((open_word or ()),) + traces
             for sym in word_symbols(w)}
    assert names == {"D"}
    assert word_symbols(()) == () and word_symbols(None) == ()
