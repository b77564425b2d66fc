"""The standalone LaTeX document (symmaml.latex): content, atomic writes, pdflatex build."""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from sympy import Add, Rational

from symmaml import latex
from symmaml.rendering import document as rendering_document, layout


@pytest.fixture(scope="module")
def full_document() -> str:
    # computed once for the module: derivations and claim verification take ~30 s cold
    return latex.document()


def test_document_is_a_standalone_article(full_document):
    assert full_document.startswith(r"\documentclass")
    assert full_document.rstrip().endswith(r"\end{document}")
    for name in ("Gaussian moments", "Theorems 1--3", "Derived quantities",
                 "printed equations, checked"):
        assert name in full_document


def test_document_has_every_theorem_step_and_equation(full_document):
    from symmaml.theory import derivation
    for t in ("1", "2", "3"):
        assert r"\subsection{Theorem %s}" % t in full_document
        for step in derivation(t).steps:
            assert layout._tag(step.equation) in full_document, (t, step.equation)
            assert latex.escape_text(step.title) in full_document
    for eq in ("31", "32", "33", "34--35", "36", "37", "38", "39--40", "41", "42", "111"):
        assert r"\tag{%s}" % eq in full_document
    assert r"\simeq" in full_document and r"\mathcal{O}(\xi^{-1/2})" in full_document


def test_document_has_every_claim_with_its_status(full_document):
    from symmaml.claims import verify_all
    verdicts = verify_all()
    for v in verdicts:
        heading = r"\subsubsection*{Eq.~%s (%s): %s}" % (
            latex.escape_text(v.claim.equation), latex.escape_text(v.claim.section),
            latex.escape_text(v.status))
        assert heading in full_document, v.claim.equation
        if v.status == "fails" and v.claim.note:
            assert latex.escape_text(v.claim.note) in full_document
    assert any(v.status == "fails" for v in verdicts)


def test_document_rejects_unknown_sections():
    with pytest.raises(ValueError, match="unknown sections"):
        latex.document(["nope"])


def test_escape_text():
    text = r"alpha_t^2 # 50% & ~x $y {z} \w Σ≈"
    out = latex.escape_text(text)
    for raw in ("_", "#", "%", "&", "$"):
        assert f"\\{raw}" in out
    assert r"\^{}" in out and r"\~{}" in out and r"\textbackslash{}" in out
    assert r"\ensuremath{\Sigma}" in out and r"\ensuremath{\approx}" in out
    assert all(ord(c) < 128 for c in out)


def test_readable_form_equals_the_derived_loss():
    from symmaml.symbols import alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma
    from symmaml.theory import h_r, h_t, loss
    from sympy import Symbol
    rng = random.Random(0)
    expr = loss("1")
    form = latex.readable(expr)
    total = Add(*form) if isinstance(form, list) else form
    total = total.subs({Symbol("h_t"): h_t(), Symbol("h_r"): h_r()})
    for _ in range(3):
        values = {s: Rational(rng.randint(1, 40), rng.randint(1, 7))
                  for s in (alpha_r, alpha_t, delta_sq, m, n_r, n_t, n_v, nu, p, sigma)}
        assert (total - expr).subs(values) == 0


def test_long_formulas_are_broken_over_lines(full_document):
    from symmaml.theory import loss
    lines = layout._lines(latex.readable(loss("2")))
    assert len(lines) > 5
    assert max(layout._width(line) for line in lines) < 1.3 * layout._LINE_WIDTH


def test_write_document_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "out" / "doc.tex"
    path = latex.write_document(target, sections=["lemmas"])
    assert path == target and target.read_text().startswith(r"\documentclass")
    assert sorted(p.name for p in target.parent.iterdir()) == ["doc.tex"]

    # an exception in the middle of the write leaves the old file and no temporary file
    import symmaml.io as io
    real_fdopen = os.fdopen

    def broken_fdopen(fd, mode):
        real = real_fdopen(fd, mode)

        class Half:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                real.close()
                return False

            def write(self, data):
                real.write(data[: len(data) // 2])
                raise OSError("disk full")

        return Half()

    monkeypatch.setattr(io.os, "fdopen", broken_fdopen)
    old = target.read_text()
    with pytest.raises(OSError, match="disk full"):
        latex.write_document(target, sections=["lemmas", "derived"])
    with pytest.raises(OSError, match="disk full"):
        latex.write_document(tmp_path / "new.tex", sections=["lemmas"])
    monkeypatch.undo()
    assert target.read_text() == old
    assert not (tmp_path / "new.tex").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["doc.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_compile_pdf_reports_missing_pdflatex(tmp_path, monkeypatch):
    tex = latex.write_document(tmp_path / "d.tex", sections=["lemmas"])
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(latex.PdflatexNotFoundError,
                       match="pdflatex not found: install texlive-latex-base") as info:
        latex.compile_pdf(tex)
    # a FileNotFoundError, so callers that caught that before still do
    assert isinstance(info.value, FileNotFoundError)
    assert "\n" not in str(info.value)                  # one line, for the CLI
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.tex"]


def test_document_text_is_cached_on_disk(disk_cache, monkeypatch):
    calls = []
    real = rendering_document._BUILDERS["lemmas"]
    monkeypatch.setitem(rendering_document._BUILDERS, "lemmas", lambda: calls.append(1) or real())
    first = latex.document(["lemmas"])
    assert latex.document("lemmas") == first and calls == [1]      # read back, not rebuilt
    assert first.startswith(r"\documentclass") and r"\section{Gaussian moments" in first
    assert [p.name for p in disk_cache.iterdir()] == ["latex"]
    # another choice of sections is another entry; the cache switched off rebuilds
    assert latex.document(["lemmas", "claims"]) != first and calls == [1, 1]
    monkeypatch.setenv("SYMMAML_NO_DISK_CACHE", "1")
    assert latex.document(["lemmas"]) == first and calls == [1, 1, 1]


def test_memoised_factor_and_printing_match_sympy():
    from sympy import collect, expand, factor
    from symmaml.printing import paper_latex
    from symmaml.rendering.forms import _factor
    from symmaml.rendering.layout import _tex
    from symmaml.symbols import delta_sq, nu, sigma
    from symmaml.theory import loss
    expr = loss("1")
    assert _tex(expr) == paper_latex(expr) and _tex(expr) is _tex(expr)
    groups = collect(expand(expr), [sigma**2, nu**2, delta_sq], evaluate=False)
    for coeff in groups.values():
        assert _factor(coeff) == factor(coeff) and _factor(coeff) is _factor(coeff)


@pytest.mark.slow
def test_the_document_is_the_same_whatever_the_hash_seed():
    """Set iteration order must not leak into the text (the disk cache relies on it)."""
    import subprocess
    import sys
    code = "from symmaml import latex; print(latex.document(['derived']), end='')"
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SYMMAML_NO_DISK_CACHE": "1"}
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                   capture_output=True, text=True, timeout=600).stdout)
    assert outs[0] == outs[1] and r"\section{Derived quantities}" in outs[0]


def _require_pdflatex():
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing on CI (install texlive-latex-base)")
        pytest.skip("pdflatex is not installed")


def test_compile_pdf_failure_raises_with_log(tmp_path):
    _require_pdflatex()
    tex = tmp_path / "bad.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(RuntimeError, match="Undefined control sequence"):
        latex.compile_pdf(tex, timeout=60)
    assert not (tmp_path / "bad.pdf").exists()


def test_document_compiles_with_pdflatex(tmp_path, full_document):
    _require_pdflatex()
    tex = tmp_path / "symmaml.tex"
    from symmaml.io import atomic_write_text
    atomic_write_text(tex, full_document)
    outdir = tmp_path / "pdf"
    pdf = latex.compile_pdf(tex, outdir=outdir, timeout=120)
    assert pdf == outdir / "symmaml.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")
    log = Path(pdf).with_suffix(".log").read_text(errors="replace")
    assert "Undefined control sequence" not in log
    assert "Output written" in log
    assert not [p for p in outdir.iterdir() if p.name.startswith(".")]
