"""LaTeX layout: text escaping, width estimate, line breaking and ``align*`` displays.

Only plain ``amsmath`` constructs are produced (see :mod:`symmaml.latex`).
"""
from __future__ import annotations

import re
import unicodedata

from sympy import Add, Mul, fraction
from sympy.matrices.expressions import MatAdd, MatMul, MatrixExpr

from ..printing import paper_latex

#: Estimated width (in "characters" of 10pt math) of a display line on A4 with 2 cm margins.
_LINE_WIDTH = 72.0

# many sub-expressions are printed twice (width test, then the line) and the theorems share
# terms: paper_latex is deterministic in its argument, so a memo changes no output
_TEX_MEMO: dict = {}


def _tex(expr) -> str:
    """``paper_latex(expr)``, memoised."""
    got = _TEX_MEMO.get(expr)
    if got is None:
        got = _TEX_MEMO[expr] = paper_latex(expr)
    return got


# ------------------------------------------------------------------------------------------
# text escaping


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}",
    "#": r"\#", "%": r"\%", "&": r"\&", "~": r"\~{}", "$": r"\$",
    # OT1 text fonts have no | < > glyphs (they print as a dash and inverted ! ?)
    "|": r"\ensuremath{|}", "<": r"\ensuremath{<}", ">": r"\ensuremath{>}",
}


def _unicode(ch: str) -> str:
    """A LaTeX rendering of a non-ASCII character (Greek letters, a few symbols)."""
    special = {"≈": r"\ensuremath{\approx}", "≥": r"\ensuremath{\geq}",
               "≤": r"\ensuremath{\leq}", "≠": r"\ensuremath{\neq}", "−": "-",
               "×": r"\ensuremath{\times}", "·": r"\ensuremath{\cdot}", "ᵀ": r"\ensuremath{^T}",
               "→": r"\ensuremath{\to}", "±": r"\ensuremath{\pm}", "∞": r"\ensuremath{\infty}",
               "–": "--", "—": "---", "’": "'", "‘": "`", "“": "``", "”": "''", "…": "...",
               "²": r"\ensuremath{^2}", "³": r"\ensuremath{^3}", "√": r"\ensuremath{\surd}"}
    if ch in special:
        return special[ch]
    name = unicodedata.name(ch, "")
    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if m:
        letter = m.group(2).lower()
        if m.group(1) == "CAPITAL":
            letter = letter.capitalize()
        return r"\ensuremath{\%s}" % letter
    return "?"


def escape_text(text: str, breakable: bool = False) -> str:
    """Escape ``text`` for LaTeX's text mode (``_ ^ # % & ~ $ { } \\`` and non-ASCII).

    ``breakable`` allows line breaks after ``*``, ``/``, ``(`` and ``,`` (for long ASCII
    formulas set in ``\\texttt``)."""
    out = []
    for ch in str(text):
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ord(ch) > 127:
            out.append(_unicode(ch))
        elif ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
            if breakable and ch in "*/(,=":
                out.append(r"\allowbreak{}")
    return "".join(out)


def _tt(text: str) -> str:
    """ASCII formula text set in typewriter type, with break points."""
    return r"\texttt{%s}" % escape_text(text, breakable=True)


def _tag(equation) -> str:
    return r"\tag{%s}" % escape_text(str(equation)).replace("-", "--")


# ------------------------------------------------------------------------------------------
# width estimation and line breaking

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\s+|.")
_ZERO_WIDTH = {r"\left", r"\right", r"\Bigl", r"\Bigr", r"\bigl", r"\bigr", r"\displaystyle",
               r"\allowbreak", r"\!"}
_GROUP_COMMANDS = {r"\mathrm", r"\operatorname", r"\mathbb", r"\text", r"\mathcal",
                   r"\texttt", r"\mathbf", r"\boldsymbol"}


def _width(latex: str) -> float:
    """A rough visual width of a LaTeX math string, in characters."""
    toks = _TOKEN.findall(latex)
    pos = 0

    def arg():
        nonlocal pos
        if pos >= len(toks):
            return 0.0
        t = toks[pos]
        pos += 1
        if t == "{":
            return seq("}")
        return 1.0 if not t.isspace() else arg()

    def seq(until=None):
        nonlocal pos
        w = 0.0
        while pos < len(toks):
            t = toks[pos]
            pos += 1
            if t == until:
                break
            if t == "{":
                w += seq("}")
            elif t == "}" or t.isspace() or t in _ZERO_WIDTH:
                continue
            elif t in ("^", "_"):
                w += 0.7 * arg()
            elif t in (r"\frac", r"\dfrac", r"\tfrac"):
                w += max(arg(), arg()) + 0.4
            elif t in _GROUP_COMMANDS:
                w += arg()
            elif t in ("+", "-", "=", "<", ">", r"\simeq", r"\leq", r"\geq"):
                w += 2.2
            elif t == r"\quad":
                w += 2.0
            else:
                w += 1.0
        return w

    return seq()


def _signed(latex: str) -> tuple[str, str]:
    """Split a leading minus sign off a term's LaTeX: ``("-", rest)`` or ``("+", latex)``."""
    s = latex.strip()
    if s.startswith("-"):
        return "-", s[1:].lstrip()
    return "+", s


def _is_sum(expr) -> bool:
    return isinstance(expr, (Add, MatAdd))


def _terms(expr) -> list:
    if isinstance(expr, list):
        return expr
    if isinstance(expr, Add):
        return list(expr.as_ordered_terms())
    return list(expr.args)


def _lines(expr, width: float = _LINE_WIDTH) -> list[str]:
    """``expr`` (a SymPy expression, or a list of terms meaning their sum) as LaTeX lines
    that together form the expression; each fits ``width`` where a break point exists."""
    if not isinstance(expr, list):
        whole = _tex(expr)
        if _width(whole) <= width:
            return [whole]
    if isinstance(expr, list) or _is_sum(expr):
        return _sum_lines(_terms(expr), width)
    if isinstance(expr, Mul) and not isinstance(expr, MatrixExpr):
        num, den = fraction(expr)
        adds = [f for f in Mul.make_args(num) if isinstance(f, Add)]
        if adds:
            big = max(adds, key=lambda f: len(f.args))
            rest = expr / big
            prefix = {1: "", -1: "-"}.get(rest, None)
            if prefix is None:
                prefix = _tex(rest)
            if _width(prefix) < width / 2:
                inner = _lines(big, width - 4)
                inner[0] = r"%s \Bigl(%s" % (prefix, inner[0])
                inner[-1] += r"\Bigr)"
                return inner
    if isinstance(expr, MatMul):
        scalars = [a for a in expr.args if not isinstance(a, MatrixExpr)]
        mats = [a for a in expr.args if isinstance(a, MatrixExpr)]
        if scalars and mats:
            matrix = _tex(MatMul(*mats))
            inner = _lines(Mul(*scalars), width - 4 - _width(matrix))
            if len(inner) > 1 or _width(inner[0]) + _width(matrix) > width:
                inner[0] = r"\Bigl[%s" % inner[0]
                inner[-1] += r"\Bigr] %s" % matrix
                return inner
    whole = _tex(expr)
    if _width(whole) > 1.25 * width:
        return [r"\resizebox{0.92\linewidth}{!}{$\displaystyle %s$}" % whole]
    return [whole]


def _sum_lines(terms, width) -> list[str]:
    lines: list[str] = []
    current = ""
    for i, term in enumerate(terms):
        sign, body = _signed(_tex(term))
        joiner = ("- " if sign == "-" else "") if i == 0 else f"{sign} "
        piece = joiner + body
        if _width(piece) <= width:
            if current and _width(current + " " + piece) > width:
                lines.append(current)
                current = piece
            else:
                current = f"{current} {piece}".strip()
            continue
        if current:
            lines.append(current)
            current = ""
        sub = _lines(term if sign == "+" else -term, width - 2)
        sub[0] = joiner + sub[0]
        lines.extend(sub[:-1])
        current = sub[-1]
    if current or not lines:
        lines.append(current)
    return lines


def _display(lhs: str | None, rhs, rel: str = "=", tag=None, tail: str = "") -> str:
    """An ``align*`` display ``lhs rel rhs [tail]`` broken over lines, with ``\\tag``."""
    lhs = lhs or ""
    if _width(lhs) > 0.4 * _LINE_WIDTH:
        # a long left-hand side gets a line of its own
        lines = _lines(rhs, _LINE_WIDTH - 10)
        if tail:
            lines.append(tail)
        rows = ["&" + lhs + (" " + _tag(tag) if tag is not None else "")]
        rows += [(r"&\quad %s " % rel if i == 0 else r"&\qquad ") + ("{}" if i and
                 line.startswith(("+", "-")) else "") + line for i, line in enumerate(lines)]
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
    first_width = _LINE_WIDTH - _width(lhs) - 3
    lines = _lines(rhs, max(first_width, 40.0))
    if len(lines) > 1 and first_width < _LINE_WIDTH - 8:
        # continuation lines start at the relation sign: give them the full width again
        rest = _lines(rhs, _LINE_WIDTH - 10)
        if len(rest) < len(lines):
            lines = rest
    if tail:
        if _width(lines[-1] + tail) > _LINE_WIDTH - 6:
            lines.append(tail)
        else:
            lines[-1] += " " + tail
    rows = []
    for i, line in enumerate(lines):
        if line.startswith(("+", "-")) and i:
            line = "{}" + line
        rows.append((f"{lhs} &{rel} " if i == 0 else r"&\quad ") + line)
    if tag is not None:
        rows[0] += " " + _tag(tag)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
