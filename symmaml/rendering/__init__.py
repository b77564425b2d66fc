"""Rendering: everything symmaml typesets, as Markdown records, LaTeX and PDF.

* :mod:`~symmaml.rendering.layout`: text escaping, a width estimate of LaTeX math, line
  breaking of long sums and ``align*`` displays;
* :mod:`~symmaml.rendering.forms`: readable forms of long derived expressions (grouped by
  sigma^2, nu^2, |omega_0 - w_0|^2, factored coefficients, h_t, h_r, H_t, H_r named);
* :mod:`~symmaml.rendering.shown`: what is shown of each Theorem object beyond its
  derivation;
* :mod:`~symmaml.rendering.cache`: rendered texts cached on disk;
* :mod:`~symmaml.rendering.records`: the Markdown records ``derivations/*.md``;
* :mod:`~symmaml.rendering.document`: the LaTeX document's content;
* :mod:`~symmaml.rendering.pdf`: running ``pdflatex``.

:mod:`symmaml.latex` and :mod:`symmaml.records` re-export the public names.
"""
