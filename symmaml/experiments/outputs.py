"""Result objects of the command-line commands that have no result class of their own.

Each holds what a command computed and says how it is printed: ``to_json()`` (the
``--json`` payload, indented JSON text) and ``summary_text()`` (the plain output), so that
:mod:`symmaml.cli` only parses, calls one function and prints.

* :class:`MomentTable` -- ``symmaml moments``: the exact Gaussian moments
  E[W^k prod_j Tr W^{l_j}] (Lemma 1, Eqs. 30-37, and beyond), :func:`moment_table`;
* :class:`ClaimVerdicts` -- ``symmaml verify``: the verdicts on the paper's printed
  equations, :func:`verify_claims`;
* :class:`WrittenFigures` -- ``symmaml figures``: the files of the redrawn Figs. 2-4 and 6
  (``{name: [paths]}``), :func:`draw_figures`; :func:`paths_json` for Fig. 5's files.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["MomentTable", "moment_table", "ClaimVerdicts", "verify_claims",
           "WrittenFigures", "draw_figures", "paths_json"]


@dataclass(frozen=True)
class MomentTable:
    """Rows ``(k, traces, moment)`` of :func:`symmaml.moments.moment_table`."""

    rows: list

    def records(self) -> list:
        """One dict per moment: ``k``, ``traces`` (the l_j), ``lhs``, ``value``, ``latex``."""
        return [{"k": k, "traces": list(t), "lhs": str(m.lhs), "value": str(m.value),
                 "latex": m.latex()} for k, t, m in self.rows]

    def to_json(self) -> str:
        """:meth:`records` as indented JSON."""
        return json.dumps(self.records(), indent=1)

    def summary_text(self, latex: bool = False) -> str:
        """One moment a line, as text or (``latex``) LaTeX."""
        return "\n".join(m.latex() if latex else str(m) for _, _, m in self.rows)


def moment_table(max_degree: int, sigma: str = "identity",
                 method: str | None = None) -> MomentTable:
    """Every moment up to total degree ``max_degree`` for row covariance ``sigma``
    (``"identity"`` or ``"general"``); ``method`` defaults to ``"recurrence"`` for Sigma = I,
    ``"fast"`` otherwise (:func:`symmaml.moments.moment_table`)."""
    from ..moments import moment_table as table
    method = method or ("recurrence" if sigma == "identity" else "fast")
    return MomentTable(table(max_degree, sigma, method))


@dataclass(frozen=True)
class ClaimVerdicts:
    """The verdicts of :func:`symmaml.claims.verify_all`, one per printed claim."""

    verdicts: list

    @property
    def ok(self) -> bool:
        """Every verdict is the established one (``as_expected``)."""
        return all(v.as_expected for v in self.verdicts)

    def to_json(self) -> str:
        """The verdicts' ``record()`` dicts as indented JSON."""
        return json.dumps([v.record() for v in self.verdicts], indent=1)

    def summary_text(self) -> str:
        """One line per claim (equation, status, statement, a flag if unexpected), and the
        detail of every claim that does not hold."""
        width = max(len(v.claim.equation) for v in self.verdicts)
        lines = []
        for v in self.verdicts:
            flag = "" if v.as_expected else "   <-- UNEXPECTED (expected %s)" % v.claim.expected
            lines.append(f"Eq. {v.claim.equation:<{width}}  {v.status:<22} "
                         f"{v.claim.statement}{flag}")
            if v.status != "holds":
                lines.append(f"      {v.detail}")
        return "\n".join(lines)


def verify_claims(equations=None) -> ClaimVerdicts:
    """Verify the paper's printed claims (all, or only ``equations``)."""
    from ..claims import verify_all
    return ClaimVerdicts(verify_all(equations or None))


class WrittenFigures(dict):
    """``{figure name: [paths]}`` of :func:`symmaml.experiments.figures.draw_all`."""

    def to_json(self) -> str:
        """``{name: [path, ...]}`` as indented JSON."""
        return json.dumps({k: [str(p) for p in v] for k, v in self.items()}, indent=1)

    def summary_text(self) -> str:
        """``Fig. <name>: <paths>``, one figure a line."""
        return "\n".join(f"Fig. {name}: " + ", ".join(str(p) for p in paths)
                         for name, paths in self.items())


def draw_figures(out_dir, **kw) -> WrittenFigures:
    """The options checked (:func:`~symmaml.experiments.paper.check_options`), ``out_dir``
    prepared, then :func:`~symmaml.experiments.figures.draw_all` (Figs. 2, 3, 4, 6) with
    ``kw`` (runs, seed, quick, full, figures, backend, progress)."""
    from ..io import prepare_dir
    from .figures import draw_all
    from .paper import check_options
    check_options(kw.get("figures"), kw.get("runs"), kw.get("seed", 0),
                  kw.get("backend", "numpy"), kw.get("quick", False), kw.get("full", False))
    prepare_dir(out_dir)
    return WrittenFigures(draw_all(out_dir, **kw))


def paths_json(paths) -> str:
    """A list of paths (e.g. Fig. 5's, ``None`` for none) as an indented JSON list."""
    return json.dumps([str(p) for p in paths or []], indent=1)
