"""LaTeX in the paper's notation (floor 0: depends only on SymPy).

The paper writes ``X^T X``, ``\\mathrm{Tr}`` and ``\\mathbb{E}``; SymPy's default printer writes
``X^{T}`` and ``\\operatorname{tr}``.  :class:`PaperLatexPrinter` is a small subclass of SymPy's
printer that closes the gap, so every formula symmaml prints can be pasted into a paper.
"""
from __future__ import annotations

from sympy import Basic, MatrixSymbol, Symbol
from sympy.printing.latex import LatexPrinter

__all__ = ["PaperLatexPrinter", "paper_latex"]

_SYMBOL_NAMES = {
    "Sigma": r"\Sigma",
    "Sigma_w": r"\Sigma_w",
    "delta_sq": r"|\omega_0 - w_0|^2",
    "E_d_sq": r"\mathbb{E}|\omega^* - w_0|^2",
    "L_test": r"L^{\mathrm{test}}",
    "omega^*": r"{\omega^{*}}",
    "delta": r"(\omega_0 - w_0)",
}


class PaperLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the paper's conventions (``^T``, ``\\mathrm{Tr}``)."""

    def _print_Trace(self, expr):
        return r"\mathrm{Tr}\left(%s\right)" % self._print(expr.arg)

    def _print_Transpose(self, expr):
        arg = expr.arg
        base = self._print(arg)
        if not isinstance(arg, (Symbol, MatrixSymbol)):
            base = r"\left(%s\right)" % base
        return "%s^T" % base

    def _print_Identity(self, expr):
        return r"I_{%s}" % self._print(expr.shape[0])

    def _print_MatrixSymbol(self, expr):
        name = expr.name
        return _SYMBOL_NAMES.get(name, self._deal_with_super_sub(name))

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in _SYMBOL_NAMES:
            return _SYMBOL_NAMES[expr.name]
        return super()._print_Symbol(expr, style=style)


def paper_latex(expr: Basic, **settings) -> str:
    """Render ``expr`` as LaTeX in the paper's notation."""
    return PaperLatexPrinter(settings).doprint(expr)
