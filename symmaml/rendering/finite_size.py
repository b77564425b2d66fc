"""The order-2 (finite-size) theory in the records and the LaTeX document: for Theorem 1
(:mod:`symmaml.theory.finite_size`), Theorem 2 (:mod:`symmaml.theory.finite_size_tasks`)
and Theorem 3 (:mod:`symmaml.theory.finite_size_general`), the derivation steps, the
equations as derived, and the proof of each one's exact limit (alpha_t = 0; for Theorem 3,
Sigma = I and alpha_t = 0 through O(1/p)).  Theorem 3's largest moments (tens of thousands
of terms' worth of text) are listed by size and content digest, not printed."""
from __future__ import annotations

from ..printing import paper_latex

__all__ = ["finite_size_items", "render_finite_size", "finite_size_latex"]

_INTRO = {
    "1": ("Theorem 1's E|omega* - w0|^2 (Eq. 74) with its finite-size corrections "
          "(`symmaml.theory.loss(1, order=2)`): the delta and nu^2 parts are exact for every "
          "alpha_t; the sigma^2 factor S_sigma is a corrected deterministic equivalent "
          "(block inversion, second-order leave-one-out expansion, free subordination for the "
          "other tasks' projection with its O(1/p) correction for a real, orthogonal "
          "rotation, exact expected spectrum of W_t), evaluated by "
          "`symmaml.numeric.loss_function(1, order=2)`."),
    "2": ("Theorem 2's E|omega* - w0|^2 (Eq. 85, p < n_v m) at finite sizes "
          "(`symmaml.theory.loss(2, order=2)`): leave one task out (Woodbury), the shifted "
          "corrected deterministic equivalent for the task's validation inputs, free "
          "multiplicative subordination against the other tasks' resolvent (with its O(1/p) "
          "correction for a real, orthogonal rotation), whose law comes "
          "from a task-by-task recursion of Woodbury differences, and the exact expected "
          "spectrum of W_t; the recursion's values R_sigma, R_nu are matched to the exact "
          "alpha_t = 0 values. Evaluated by `symmaml.numeric.loss_function(2, order=2)`."),
    "3": ("Theorem 3's E Tr(H_r omega* omega*^T) (Eq. 141, general Sigma, Gaussian inputs) "
          "carried to the next order of the paper's own expansion "
          "(`symmaml.theory.loss(3, order=2)`): G^-1 Y G^-1 to second order in the "
          "fluctuations D = G/s - I, E' = Y/y - I of G = B B^T and Y = B H_r B^T, every "
          "moment computed exactly by the engine (each task's A_i and the noise tied to its "
          "rows kept), then matched at alpha_t = 0: rescaled by rho_0 = E_0 / E^(2)_0, "
          "E_0 the value there from the corrected deterministic equivalent with N rows and "
          "M = Sigma (`symmaml.numeric.theorem3_alpha0`; exact at Sigma = I). Offered where "
          "n_v m / p_eff < 1/2 (p_eff of one task's row covariance), outside which the "
          "truncation overshoots. Closed form in traces and rho_0; evaluated by "
          "`symmaml.numeric.theorem3_evaluator(Sigma, Sigma_w, order=2)`."),
}
_EQUATIONS = {
    "1": ("The equations of S_sigma (F = 0 fixes omega; S_sigma = m [T + k (Tr g - Tr A g)], "
          "k = alpha_t/n_t)", "In the spectral sums G, G1, G2, U, U1, U2 over the eigenvalues "
          "of W_t (module doc of `symmaml.theory.finite_size`). Step 3b's orthogonal "
          "corrections delta s, delta U (Theorem 2's step 4b for the Haar projection: zeta = "
          "0, g(z) = c/(1 + z)) follow as a sequence of definitions, each in the symbols "
          "before it; F and the traces take them as s -> s + delta s, U -> U + delta U."),
    "2": ("The equations of the task recursion (F = 0 fixes nu_2 at each shift zeta)",
          "In nu_2, omega (with G(omega) = 1 - nu_2 g(zeta + nu_2)), G's omega-derivatives, "
          "g and its derivatives at zeta + nu_2 and at zeta, and a spectral sum u with its "
          "omega-derivatives (module doc of `symmaml.theory.finite_size_tasks`). Step 4b's "
          "orthogonal corrections delta s, delta tau follow as a sequence of definitions, "
          "each in the symbols before it, from the point t, the shift zeta and the sums "
          "Sigma_d2 ... Sigma_ad3 of w d^2, w a d^2, w d^3, w a d^3 over A^2's spectrum "
          "(d = 1/(1 + omega a)); F and the Woodbury difference take -delta s and "
          "-delta tau."),
    "3": ("The moments and the regime",
          "Q_X = E gamma^T X gamma for X = I, G, Y, G^2, G Y (H_r, H_t at their Gaussian "
          "values, F = F_G); a path through a second task is an average over an independent "
          "task, weighted m - 1. p_eff = (Tr H_t)^2 / E Tr (A Sigma A)^2."),
}
#: Theorem 3's moments printed in full up to this many characters (the rest: size + digest)
_PRINTED_CHARS = 6000


def _items_overparameterized():
    from ..theory import finite_size as fs
    eqs = fs.noise_equations(named=True)
    names = (("T", "T(\\omega)"), ("F", "F(\\omega)"), ("tau2", "T_2"),
             ("trace_g", "\\mathrm{Tr}\\,g(M)"), ("trace_Ag", "\\mathrm{Tr}\\,A\\,g(M)"))
    items = [(lhs, eqs[k]) for k, lhs in names]
    # step 3b as (subexpressions, main); its T is T(omega) above
    items += [(paper_latex(sym), rhs) for sym, rhs in fs.projection_steps()
              if sym.name != "T"]
    return items, fs.alpha0_proof(), ()


def _items_underparameterized():
    from ..theory import finite_size_tasks as ft
    eqs = ft.task_equations()
    names = (("x", "t(\\nu_2)"), ("t2", "t_2"), ("F", "F(\\nu_2)"),
             ("trace", "\\mathrm{Tr}\\,K h(M)"),
             ("woodbury", "\\mathbb{E}\\,\\mathrm{Tr}[(I + B R B^T)^{-1} B R^2 B^T]"))
    items = [(lhs, eqs[k]) for k, lhs in names]
    # step 4b as (subexpressions, main): each line in the symbols of the lines before it
    items += [(paper_latex(sym), rhs) for sym, rhs in ft.orthogonal_steps()]
    return items, ft.alpha0_proof(), ()


def _items_general():
    import hashlib
    from ..theory import finite_size as fs, finite_size_general as fg
    items = [("p_{\\mathrm{eff}}", fg.effective_dimension())]
    notes = []
    parts = fg.moment_parts()
    for name, value in fg.moments().items():
        lhs = paper_latex(fg.MOMENTS[name])
        # the engine's averages before H_r is substituted (M stands for it) are what is
        # derived; str() orders terms canonically (not by hash), so the digest is
        # reproducible, and it is far cheaper to print than the substituted moment
        text = "\n".join(str(q) for q in parts[name] if q is not None)
        if len(text) <= _PRINTED_CHARS:
            items.append((lhs, value))
        else:
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            notes.append(f"{name}: the engine's averages (H_r as a fixed matrix M) are "
                         f"{len(text)} characters as text: not printed (sha256 {digest}; "
                         "`symmaml.theory.finite_size_general.moment_parts()`)")
    return items, fs.general_limit_proof(), notes


_ITEMS = {"1": _items_overparameterized, "2": _items_underparameterized, "3": _items_general}


def finite_size_items(theorem: str = "1"):
    """(derivation, equations, proof, notes) of one theorem's order-2 theory; ``notes``:
    lines about the expressions too large to print."""
    from .. import theory
    eqs, proof, notes = _ITEMS[str(theorem)]()
    return theory.derivation(int(theorem), order=2), eqs, proof, notes


def _render_part(theorem: str) -> list:
    d, eqs, proof, notes = finite_size_items(theorem)
    out = [f"\n# Theorem {theorem}\n\n", _INTRO[theorem], "\n"]
    for s in d.steps:
        err = f", error {s.error}" if s.error else ""
        rel = r"\simeq" if s.kind == "approximation" else "="
        out.append(f"\n**Eq. {s.equation}: {s.title}** ({s.kind}{err})\n")
        out.append("$$\n%s %s %s\n$$\n" % (paper_latex(s.lhs), rel, paper_latex(s.rhs)))
        if s.note:
            out.append(f"\n_{s.note}_\n")
    title, sub = _EQUATIONS[theorem]
    out.append(f"\n## {title}\n\n{sub}\n")
    for lhs, rhs in eqs:
        out.append("$$\n%s = %s\n$$\n" % (lhs, paper_latex(rhs)))
    out += [f"\n- {n}\n" for n in notes]
    out.append(f"\n## {proof.claim}: {'proved' if proof.holds else 'NOT proved'}\n\n")
    out += [f"- {s}\n" for s in proof.steps]
    return out


def render_finite_size(header: str = "") -> str:
    """derivations/finite_size.md (after ``header``)."""
    out = [header, "# Finite-size theory (order 2, beyond the paper)\n"]
    for t in _ITEMS:
        out += _render_part(t)
    return "".join(out)


def finite_size_latex() -> str:
    """The LaTeX section of the finite-size theory (same content as the record)."""
    from .layout import _display, _tt, escape_text
    out = [r"\section{Beyond the paper: finite-size theory (order 2)}"]
    for t in _ITEMS:
        d, eqs, proof, notes = finite_size_items(t)
        out += [r"\subsection{Theorem %s}" % t, escape_text(_INTRO[t].replace("`", ""))]
        for s in d.steps:
            err = f" (error {s.error})" if s.error else ""
            out.append(r"\textbf{Eq.~%s: %s} (%s%s)" % (escape_text(s.equation),
                                                      escape_text(s.title), s.kind,
                                                      escape_text(err)))
            out.append(_display(paper_latex(s.lhs), s.rhs))
        out.append(r"\subsubsection*{%s}" % escape_text(_EQUATIONS[t][0]))
        for lhs, rhs in eqs:
            out.append(_display(lhs, rhs))
        out += [escape_text(n.replace("`", "")) for n in notes]
        items = "\n".join(r"\item %s" % _tt(s) for s in proof.steps)
        out.append(r"\textbf{%s: %s}{\raggedright\begin{itemize}\setlength{\itemsep}{0pt}"
                   "\n%s\n\\end{itemize}}" % (escape_text(proof.claim),
                                              "proved" if proof.holds else "NOT proved",
                                              items))
    return "\n\n".join(out)
