"""Typesetting behind :mod:`symmaml.latex` (which re-exports the public names).

* :mod:`~symmaml.rendering.layout`: text escaping, a width estimate of LaTeX math, line
  breaking of long sums and ``align*`` displays;
* :mod:`~symmaml.rendering.forms`: readable forms of long derived expressions (grouped by
  sigma^2, nu^2, |omega_0 - w_0|^2, factored coefficients, h_t, h_r, H_t, H_r named);
* :mod:`~symmaml.rendering.pdf`: running ``pdflatex``.
"""
