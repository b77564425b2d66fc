"""Public helpers on trace words for the numeric layer (floor 1, beside the engine's words).

The engine keys a trace by a *cycle*: a word of tokens in canonical form
(:func:`symmaml.moments.words.canonical_cycle`, least rotation of the word or of its
transpose).  Callers outside the engine use:

* :func:`canonical_word` -- the same canonical form for a word of *symmetric* letters given
  as any comparable labels (e.g. small ints): the least rotation of the word or of its
  reversal, since ``Tr(ABC) = Tr((ABC)^T) = Tr(CBA)`` for symmetric A, B, C;
* :func:`word_symbols` -- decode a word of the engine's tokens (as found in the keys of
  :func:`symmaml.moments.canonical_form`) into its matrix symbols, so that no caller needs
  the token encoding (``2 * letter + transpose``).
"""
from __future__ import annotations

from .words import letter

__all__ = ["canonical_word", "word_symbols"]


def canonical_word(word: tuple) -> tuple:
    """Least rotation of ``word`` or of its reversal (traces of symmetric letters).

    >>> canonical_word((2, 1, 0))
    (0, 1, 2)
    """
    if not word:
        return word
    rev = word[::-1]
    n = len(word)
    return min(min(word[i:] + word[:i] for i in range(n)), min(rev[i:] + rev[:i] for i in range(n)))


def word_symbols(word) -> tuple:
    """The matrix symbols of a word of engine tokens, in order (transpose flags dropped)."""
    return tuple(letter(t >> 1).symbol for t in (word or ()))
