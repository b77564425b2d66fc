"""The order-2 (finite-size) theory in the records and the LaTeX document
(:mod:`symmaml.theory.finite_size`): its derivation steps, the equations of the noise factor
S_sigma as derived, and the proof that it is exact at alpha_t = 0."""
from __future__ import annotations

from ..printing import paper_latex

__all__ = ["finite_size_items", "render_finite_size", "finite_size_latex"]

_INTRO = ("Theorem 1's E|omega* - w0|^2 (Eq. 74) with its finite-size corrections "
          "(`symmaml.theory.loss(1, order=2)`): the delta and nu^2 parts are exact for every "
          "alpha_t; the sigma^2 factor S_sigma is a corrected deterministic equivalent "
          "(block inversion, second-order leave-one-out expansion, free subordination for the "
          "other tasks' projection, exact expected spectrum of W_t), evaluated by "
          "`symmaml.numeric.loss_function(1, order=2)`.")


def finite_size_items():
    """(steps, equations, proof) shared by both outputs."""
    from .. import theory
    from ..theory import finite_size as fs
    d = theory.derivation(1, order=2)
    eqs = fs.noise_equations()
    names = (("T", "T(\\omega)"), ("F", "F(\\omega)"), ("tau2", "T_2"),
             ("trace_g", "\\mathrm{Tr}\\,g(M)"), ("trace_Ag", "\\mathrm{Tr}\\,A\\,g(M)"))
    return d, [(lhs, eqs[k]) for k, lhs in names], fs.alpha0_proof()


def render_finite_size(header: str = "") -> str:
    """derivations/finite_size.md (after ``header``)."""
    d, eqs, proof = finite_size_items()
    out = [header, "# Finite-size theory (order 2, beyond the paper)\n\n", _INTRO, "\n"]
    for s in d.steps:
        err = f", error {s.error}" if s.error else ""
        rel = r"\simeq" if s.kind == "approximation" else "="
        out.append(f"\n**Eq. {s.equation}: {s.title}** ({s.kind}{err})\n")
        out.append("$$\n%s %s %s\n$$\n" % (paper_latex(s.lhs), rel, paper_latex(s.rhs)))
        if s.note:
            out.append(f"\n_{s.note}_\n")
    out.append("\n## The equations of S_sigma (F = 0 fixes omega; S_sigma = m [T + k (Tr g - "
               "Tr A g)], k = alpha_t/n_t)\n\nIn the spectral sums G, G1, G2, U, U1, U2 over "
               "the eigenvalues of W_t (module doc of `symmaml.theory.finite_size`).\n")
    for lhs, rhs in eqs:
        out.append("$$\n%s = %s\n$$\n" % (lhs, paper_latex(rhs)))
    out.append(f"\n## {proof.claim}: {'proved' if proof.holds else 'NOT proved'}\n\n")
    out += [f"- {s}\n" for s in proof.steps]
    return "".join(out)


def finite_size_latex() -> str:
    """The LaTeX section of the finite-size theory (same content as the record)."""
    from .layout import _display, _tt, escape_text
    d, eqs, proof = finite_size_items()
    out = [r"\section{Beyond the paper: finite-size theory (order 2)}",
           escape_text(_INTRO.replace("`", ""))]
    for s in d.steps:
        err = f" (error {s.error})" if s.error else ""
        out.append(r"\textbf{Eq.~%s: %s} (%s%s)" % (escape_text(s.equation),
                                                  escape_text(s.title), s.kind,
                                                  escape_text(err)))
        out.append(_display(paper_latex(s.lhs), s.rhs))
    out.append(r"\subsection*{The equations of $S_\sigma$}")
    for lhs, rhs in eqs:
        out.append(_display(lhs, rhs))
    items = "\n".join(r"\item %s" % _tt(s) for s in proof.steps)
    out.append(r"\textbf{%s: %s}{\raggedright\begin{itemize}\setlength{\itemsep}{0pt}"
               "\n%s\n\\end{itemize}}" % (escape_text(proof.claim),
                                          "proved" if proof.holds else "NOT proved", items))
    return "\n\n".join(out)
