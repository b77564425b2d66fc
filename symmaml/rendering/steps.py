"""K-step MAML in the records and the LaTeX document (:mod:`symmaml.theory.steps`).

No closed form in a symbolic K was found for the Wishart averages (E[A^{2K}] is a sum over
the moments of W of degree up to 2K), so the K-step theorems are written out for K = 2 and
3 (Theorem 1), K = 2 (Theorem 2; K = 3 is computed by ``theory.loss(2, steps_t=3)`` but
runs to pages) and Theorem 3's H_t at K = 2, together with what holds for every K: the K-step map (derived by
iteration), dL/d alpha_t(0) = K_t x the one-step value (proved), and the phase statement.
"""
from __future__ import annotations

from sympy import Symbol, collect, expand

from ..printing import paper_latex
from ..symbols import alpha_r, alpha_t
from .forms import _factor

__all__ = ["STEPS_SHOWN", "steps_items", "render_steps", "steps_latex"]

#: (theorem, K_t) written out in full
STEPS_SHOWN = (("1", 2), ("1", 3), ("2", 2))


def _form(expr):
    return collect(expand(expr), [alpha_t, alpha_r], _factor)


def steps_items() -> list:
    """(heading, [(name, lhs LaTeX, SymPy rhs or text)]) blocks shared by both outputs."""
    from .. import theory
    from ..theory import steps
    k = Symbol("k")
    out = []
    rows = []
    for K in (1, 2, 3):
        P, Q, N = steps.inner_loop(K, k)
        rows.append((f"K = {K}", r"A^{%d},\ Q_{%d},\ S S^T" % (K, K),
                     (P, Q, N)))
    out.append(("The K-step map (Eq. 21 iterated; W = X^T X, k = alpha/n)", rows))
    for t, K in STEPS_SHOWN:
        d = theory.derivation(t, steps_t=K)
        names = (("c_BB", r"B B^T / I"), ("c_Gamma", r"\Gamma / I"),
                 ("c_BddB", r"B\delta\delta^T B^T / I")) if t == "1" else (
                 ("c_BtB", r"B_i^T B_i / I"), ("c_BGB", r"B_i^T \Gamma_i B_i / I"))
        rows = [(n, lhs, _form(d.extras[n])) for n, lhs in names]
        out.append((f"Theorem {t}, K_t = {K} (K_r = 1): the Lemma {2 if t == '1' else 3} "
                    "averages", rows))
    d3 = theory.derivation(3, steps_t=2)
    out.append(("Theorem 3, K_t = 2 (Gaussian inputs, general Sigma): Eqs. 15 and 138 extended",
                [("H_t", r"H_t = \mathbb{E}[A_t^2 \Sigma A_t^2]", d3.extras["H_t"]),
                 ("N_t", r"\mathbb{E}\,\mathrm{Tr}(S_t^T \Sigma S_t)", _form(d3.extras["N_t"]))]))
    for K in (2, 3):
        L_test = theory.steps.test_loss(K)[0]
        from ..theory.common import E_d_sq
        rows = [("h_r", r"2\,\partial L^{\mathrm{test}}/\partial\mathbb{E}|\omega^*-w_0|^2",
                 _form(2 * L_test.diff(E_d_sq))),
                ("L_test", r"L^{\mathrm{test}}", _form(L_test))]
        out.append((f"Test side, K_r = {K} (Eqs. 59-65 with A_r^{K})", rows))
    T1, T2 = theory.theorem(1), theory.theorem(2)
    proofs = [T1.steps_derivative_proof(4), T2.steps_derivative_proof(3),
              theory.theorem(3).steps_derivative_proof(2),
              T1.steps_phase(3, 2), T2.steps_phase(3, 2)]
    out.append(("For every K", [(p.claim, "", "\n".join(p.steps)
                                 + f"\n=> {'proved' if p.holds else 'NOT proved'}")
                                for p in proofs]))
    return out


def render_steps(header: str = "") -> str:
    """derivations/steps.md (after ``header``): the K-step theorems (module doc)."""
    out = [header, "# K-step MAML (beyond the paper)\n\n",
           "Theorems 1-2 with K_t inner gradient steps in meta-training and K_r at test time "
           "(`symmaml.theory.loss(t, steps_t=K_t, steps_r=K_r)`). Every average below is "
           "computed by the moment engine (stand-ins for the polynomials in W, then Stein's "
           "recurrence); the asymptotic steps are the paper's (Lemmas 2-3, Taylor step).\n"]
    for head, rows in steps_items():
        out.append(f"\n## {head}\n")
        for name, lhs, rhs in rows:
            if isinstance(rhs, str):
                out.append(f"\n**{name}**\n\n" + "\n".join(f"- {line}" for line in rhs.split("\n"))
                           + "\n")
            elif isinstance(rhs, tuple):
                out.append(f"\n**{name}**: $A^K = {paper_latex(rhs[0])}$, "
                           f"$Q = {paper_latex(rhs[1])}$, $S S^T = {paper_latex(rhs[2])}$\n")
            else:
                out.append(f"\n**{name}**\n$$\n{lhs} = {paper_latex(rhs)}\n$$\n")
    return "".join(out)


def steps_latex() -> str:
    """The LaTeX section of the K-step theorems (same content as :func:`render_steps`)."""
    from .layout import _display, _tt, escape_text
    out = [r"\section{Beyond the paper: K-step MAML}",
           escape_text("Theorems 1-2 with K_t inner gradient steps in meta-training and K_r "
                       "at test time, derived by symmaml.theory.steps; approximations are the "
                       "paper's.")]
    for head, rows in steps_items():
        out.append(r"\subsection*{%s}" % escape_text(head))
        for name, lhs, rhs in rows:
            if isinstance(rhs, str):
                items = "\n".join(r"\item %s" % _tt(s) for s in rhs.split("\n"))
                out.append(r"\textbf{%s}{\raggedright\begin{itemize}\setlength{\itemsep}{0pt}"
                           "\n%s\n\\end{itemize}}" % (escape_text(name), items))
            elif isinstance(rhs, tuple):
                out.append(r"\textbf{%s}: $A^K = %s$, $Q = %s$, $S S^T = %s$"
                           % (escape_text(name), *(paper_latex(x) for x in rhs)))
            else:
                out.append(_display(lhs, rhs))
    return "\n\n".join(out)
