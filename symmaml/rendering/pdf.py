"""Compiling a ``.tex`` file with ``pdflatex`` (used by :mod:`symmaml.latex`)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..io import atomic_write_bytes

__all__ = ["compile_pdf", "PdflatexNotFoundError"]


class PdflatexNotFoundError(FileNotFoundError):
    """``pdflatex`` is not on ``PATH`` (a ``FileNotFoundError``, so existing handlers of
    that still catch it); the message says what to install."""

    def __init__(self, message=None):
        super().__init__(message or (
            "pdflatex not found: install texlive-latex-base (Debian/Ubuntu: apt-get install "
            "texlive-latex-base), or any TeX distribution that puts pdflatex on PATH; the "
            ".tex file is complete without it"))


def _log_tail(log: Path, fallback: str, lines: int = 40) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        text = fallback
    return "\n".join(text.splitlines()[-lines:])


_RERUN_MARKERS = ("Rerun to get", "Label(s) may have changed", "Table widths have changed")


def compile_pdf(tex_path, outdir=None, timeout=120) -> Path:
    """Compile ``tex_path`` with ``pdflatex -interaction=nonstopmode -halt-on-error`` (run
    twice when LaTeX asks for it) in a temporary directory, and move the PDF atomically next
    to the ``.tex`` (or into ``outdir``), with pdflatex's ``.log`` beside it.  Returns the
    PDF's path.

    Raises :class:`PdflatexNotFoundError` (a ``FileNotFoundError``) when ``pdflatex`` is
    not installed, ``FileNotFoundError`` when ``tex_path`` does not exist, and
    ``RuntimeError`` (with the tail of the log) when compilation fails or times out."""
    tex_path = Path(tex_path).resolve()
    if not tex_path.is_file():
        raise FileNotFoundError(f"no such .tex file: {tex_path}")
    exe = shutil.which("pdflatex")
    if exe is None:
        raise PdflatexNotFoundError()
    target_dir = Path(outdir).resolve() if outdir is not None else tex_path.parent
    target = target_dir / (tex_path.stem + ".pdf")
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="symmaml-latex-") as tmp:
        tmp = Path(tmp)
        src = tmp / "document.tex"
        shutil.copyfile(tex_path, src)
        log = tmp / "document.log"
        for run in range(3):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"pdflatex timed out after {timeout} s\n"
                                   + _log_tail(log, ""))
            try:
                proc = subprocess.run(
                    [exe, "-interaction=nonstopmode", "-halt-on-error", "document.tex"],
                    cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, timeout=left,
                    env={**os.environ, "TEXINPUTS": f"{tex_path.parent}{os.pathsep}"
                         + os.environ.get("TEXINPUTS", "")})
            except subprocess.TimeoutExpired as exc:
                raise RuntimeError(f"pdflatex timed out after {timeout} s\n"
                                   + _log_tail(log, "")) from exc
            output = proc.stdout.decode("utf-8", errors="replace")
            if proc.returncode != 0:
                raise RuntimeError(f"pdflatex failed on {tex_path} (exit {proc.returncode}):\n"
                                   + _log_tail(log, output))
            text = log.read_text(errors="replace") if log.exists() else output
            if not any(m in text for m in _RERUN_MARKERS):
                break
        pdf = tmp / "document.pdf"
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise RuntimeError(f"pdflatex produced no PDF for {tex_path}:\n"
                               + _log_tail(log, output))
        atomic_write_bytes(target, pdf.read_bytes())
        if log.exists():
            atomic_write_bytes(target.with_suffix(".log"), log.read_bytes())
    return target
