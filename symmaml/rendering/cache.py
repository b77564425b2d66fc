"""Texts rendered from derivations (records, the LaTeX document), cached on disk."""
from __future__ import annotations

__all__ = ["cached_text"]


def cached_text(namespace: str, name: str, render) -> str:
    """``render()``, a text rendered from derivations, cached on disk under ``name``.

    :func:`~symmaml.moments.cache.disk_cached` keys the entry by the hash of the package's
    source, so any code change re-renders; SymPy's version is added to the key because
    its printer and ``factor`` shape the text too.  A cached value that is not a string
    (a foreign entry) is ignored."""
    import sympy
    from ..claims.exact import seeded_sympy_random
    from ..moments.cache import disk_cached

    def seeded():
        # the renderers factor multivariate polynomials, whose cost is random otherwise
        with seeded_sympy_random():
            return render()
    key = f"{name}|sympy {sympy.__version__}"
    text = disk_cached(namespace, key, seeded)
    return text if isinstance(text, str) else seeded()
