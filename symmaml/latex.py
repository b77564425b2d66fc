"""The LaTeX document of everything symmaml derives: :mod:`symmaml.rendering.document`,
re-exported here (with :func:`~symmaml.rendering.forms.readable` and ``paper_latex``)."""
from .printing import paper_latex  # noqa: F401
from .rendering.document import (SECTIONS, PdflatexNotFoundError, compile_pdf,  # noqa: F401
                                 document, escape_text, write_document)
from .rendering.forms import readable  # noqa: F401

__all__ = ["SECTIONS", "document", "write_document", "compile_pdf", "escape_text",
           "PdflatexNotFoundError"]
