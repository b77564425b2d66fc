"""Derivation objects: chains of equation steps that cite the paper's equation numbers.

A :class:`Step` states ``lhs = rhs`` and says how it was obtained:

* ``"definition"`` -- a definition of the model (Eqs. 18-27, 66-68);
* ``"exact"`` -- an identity computed exactly by the moment engine (an average over
  Gaussian data, e.g. Eqs. 59-65), possibly checked against a second computation;
* ``"approximation"`` -- a named asymptotic step (Lemma 2/3 concentration, a Taylor
  expansion of an inverse) with its stated error order.

A :class:`Derivation` is the ordered chain for one theorem, ending in the average test
loss.  Everything in it is computed; nothing is transcribed from the paper.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sympy import Basic, MatrixSymbol, Symbol

from ..printing import paper_latex
from ..symbols import m, n_v, p

__all__ = ["Step", "Derivation", "KINDS", "display"]

KINDS = ("definition", "exact", "approximation")


def display():
    """Matrix symbols used only to *state* steps (stacked B, Gamma, omega0 - w0, ...)."""
    N = n_v * m
    return {
        "B": MatrixSymbol("B", N, p),
        "Gamma": MatrixSymbol("Gamma", N, N),
        "delta": MatrixSymbol("delta", p, 1),
        "omega": MatrixSymbol("omega^*", p, 1),
        "H_r": MatrixSymbol("H_r", p, p),
        "L": Symbol("L_test"),
    }


@dataclass(frozen=True)
class Step:
    """One equation step ``lhs = rhs`` (or ``lhs ~ rhs`` for an approximation).

    ``equation`` is the paper's equation number(s) it reproduces (e.g. ``"72-73"``),
    ``kind`` one of :data:`KINDS`, ``error`` the stated error order of an approximation
    (required for ``kind="approximation"``), ``note`` free text."""
    equation: str
    title: str
    lhs: Basic
    rhs: Basic
    kind: str
    error: str | None = None
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"step kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "approximation" and not self.error:
            raise ValueError(f"approximation step {self.equation} needs its error order")

    def latex(self) -> str:
        """The step as LaTeX, ``lhs = rhs`` (``\\simeq`` for an approximation), with its error."""
        rel = r"\simeq" if self.kind == "approximation" else "="
        err = f" + {self.error}" if self.error else ""
        return f"{paper_latex(self.lhs)} {rel} {paper_latex(self.rhs)}{err}"

    def __str__(self):
        rel = "≈" if self.kind == "approximation" else "="
        err = f"  [+ {self.error}]" if self.error else ""
        return f"({self.equation}) {self.title}: {self.lhs} {rel} {self.rhs}{err}"


@dataclass(frozen=True)
class Derivation:
    """The chain of steps of one theorem; ``result`` is the average test loss."""

    theorem: str
    assumptions: str
    steps: tuple
    result: Basic
    extras: dict = field(default_factory=dict)

    def step(self, equation: str) -> Step:
        """The step citing the paper's Eq. ``equation`` (e.g. ``"78"``); ``KeyError`` if none."""
        for s in self.steps:
            if s.equation == equation:
                return s
        raise KeyError(f"Theorem {self.theorem} has no step for Eq. {equation}")

    def __str__(self):
        return "\n".join([f"Theorem {self.theorem} ({self.assumptions})"]
                         + [f"  {s}" for s in self.steps])
