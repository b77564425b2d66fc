"""Reference moment algorithm: brute-force Wick/Isserlis pairing with index-cycle counting.

Slow and obviously correct, for small orders; the fast engine is tested against it.

Every Gaussian entry X_{ia} of the product is paired with another entry of the same matrix
in every possible way (Isserlis: E[x_1...x_2k] = sum over perfect matchings of products of
covariances); a pair contributes delta_{ij} (rows) times Sigma_{ab} (columns).  For each
matching we build the index graph explicitly: every token has a left and a right index
slot; neighbouring tokens share a slot; deterministic tokens are edges carrying their
letter; each Gaussian pair contributes an identity edge between its row slots and a Sigma
edge between its column slots.  Every slot then has degree two (the two ends of the open
word have degree one), so the graph is a union of one path (the surviving matrix product)
and cycles (traces, or a bare dimension when a cycle carries no letter).  Walking it gives
the term of that matching.  Cost: (2d - 1)!! matchings for d Gaussian pairs.
"""
from __future__ import annotations

from .words import canonical_cycle, dim_monomial, is_gaussian_token, letter, transpose_token

__all__ = ["expect_word_reference", "perfect_matchings"]


def perfect_matchings(items):
    """All perfect matchings of a list (as lists of pairs); none for odd length."""
    items = list(items)
    if not items:
        yield []
        return
    if len(items) % 2:
        return
    first, rest = items[0], items[1:]
    for k in range(len(rest)):
        pair = (first, rest[k])
        for tail in perfect_matchings(rest[:k] + rest[k + 1:]):
            yield [pair] + tail


def _all_matchings(groups):
    if not groups:
        yield []
        return
    head, tail = groups[0], groups[1:]
    for m in perfect_matchings(head):
        for rest in _all_matchings(tail):
            yield m + rest


def expect_word_reference(open_word, cycles):
    """E[open_word * prod Tr(cycles)] by enumerating every Wick pairing.

    Returns ``{(open, traces): {packed monomial: int}}`` like the fast engine.
    """
    words = ([("open", open_word)] if open_word is not None else []) + [("cyc", c) for c in cycles]
    # flat token list: (token, word index, position)
    toks, slots_dim = [], {}
    glue = {}  # slot -> neighbouring slot of the adjacent token
    start = end = None
    for w, (kind, word) in enumerate(words):
        base = len(toks)
        for pos, tok in enumerate(word):
            toks.append(tok)
            k = base + pos
            let = letter(tok >> 1)
            left, right = (let.cols, let.rows) if tok & 1 else (let.rows, let.cols)
            slots_dim[(k, 0)], slots_dim[(k, 1)] = left, right
        n_tok = len(word)
        for pos in range(n_tok - 1):
            glue[(base + pos, 1)] = (base + pos + 1, 0)
            glue[(base + pos + 1, 0)] = (base + pos, 1)
        if kind == "cyc":
            glue[(base + n_tok - 1, 1)] = (base, 0)
            glue[(base, 0)] = (base + n_tok - 1, 1)
        elif n_tok:
            start, end = (base, 0), (base + n_tok - 1, 1)

    by_letter: dict = {}
    for k, tok in enumerate(toks):
        if is_gaussian_token(tok):
            by_letter.setdefault(tok >> 1, []).append(k)
    groups = list(by_letter.values())

    # internal edges of deterministic tokens are fixed: slot -> (other slot, token read)
    fixed = {}
    for k, tok in enumerate(toks):
        if not is_gaussian_token(tok):
            fixed[(k, 0)] = ((k, 1), tok)
            fixed[(k, 1)] = ((k, 0), transpose_token(tok))

    acc: dict = {}
    for matching in _all_matchings(groups):
        internal = dict(fixed)
        for a, b in matching:
            ta, tb = toks[a], toks[b]
            let = letter(ta >> 1)
            row_a, col_a = ((a, 1), (a, 0)) if ta & 1 else ((a, 0), (a, 1))
            row_b, col_b = ((b, 1), (b, 0)) if tb & 1 else ((b, 0), (b, 1))
            internal[row_a] = (row_b, None)
            internal[row_b] = (row_a, None)
            sig = None if let.cov < 0 else 2 * let.cov
            internal[col_a] = (col_b, sig)
            internal[col_b] = (col_a, sig)
        seen = set()

        def walk(slot, stop):
            read = []
            while True:
                seen.add(slot)
                nxt, tok = internal[slot]
                if tok is not None:
                    read.append(tok)
                seen.add(nxt)
                if nxt == stop:
                    return read, nxt
                slot = glue[nxt]
                if slot == stop:
                    return read, nxt

        if open_word is None:
            open_read = None
        elif start is None:
            open_read = ()
        else:
            read, _ = walk(start, end)
            open_read = tuple(read)
        mono, traces = 0, []
        for slot in slots_dim:
            if slot in seen:
                continue
            read, _ = walk(slot, slot)
            if read:
                traces.append(canonical_cycle(tuple(read)))
            else:
                mono += dim_monomial(slots_dim[slot])
        key = (open_read, tuple(sorted(traces)))
        poly = acc.setdefault(key, {})
        poly[mono] = poly.get(mono, 0) + 1
    return acc
