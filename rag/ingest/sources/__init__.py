"""Turn a source file (text, Markdown, PDF, DOCX, HTML) into plain text that
:func:`rag.ingest.layout.parse_layout` reads like the PDF-extracted seed documents (``.txt`` as it
is), with the title the file declares, if any.

Every failure is a :class:`rag.errors.DocumentRejected` that names the file and says why
(``too_large``, ``unsupported_type`` or ``unreadable``); no raw traceback escapes.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import DocumentRejected
from rag.ingest.sources.docx import read_docx_source
from rag.ingest.sources.html import parse_html
from rag.ingest.sources.markdown import parse_markdown
from rag.ingest.sources.pdf import pdf_title, read_pdf
from rag.ingest.sources.text import decode_text

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
_FORMATS = {".txt": "text", ".md": "markdown", ".pdf": "pdf", ".docx": "docx", ".html": "html",
            ".htm": "html"}


@dataclass(frozen=True)
class SourceText:
    """A source file read into text for the layout parser."""

    text: str  # text for rag.ingest.layout.parse_layout
    format: str  # "text" | "markdown" | "pdf" | "docx" | "html"
    pages: int | None = None
    title: str | None = None  # the title the file declares (HTML <title>, DOCX properties…)


def _size_text(n: int) -> str:
    """``123,456 bytes (123.5 kB)``: the exact count, so two different sizes never read the
    same, with a rounded figure for scale."""
    exact = f"{n:,} byte{'s' if n != 1 else ''}"
    if n < 1000:
        return exact
    scaled = f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"
    return f"{exact} ({scaled})"


def _check_size(path: Path, max_bytes: int) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentRejected(path.name, f"cannot be read ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise DocumentRejected(path.name, f"file is {_size_text(size)}, over the "
                               f"{_size_text(max_bytes)} limit", "too_large")
    if size == 0:
        raise DocumentRejected(path.name, "file is empty (0 bytes)")
    return size


#: the most a Word document's zip parts may inflate to, in all, and per compressed byte of
#: a part (a real document.xml inflates 5 to 20 times; a zip bomb, hundreds of times)
MAX_UNPACKED_BYTES = 200_000_000
MAX_PACKING_RATIO = 100
_RATIO_FLOOR = 1_000_000  # parts smaller than this unpacked are not held to the ratio


def check_archive(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse (``too_large``) an archive whose parts would inflate beyond the limits, from
    the sizes its directory declares — before anything is inflated (zipfile never inflates
    a part beyond its declared size)."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and \
                info.file_size > MAX_PACKING_RATIO * max(info.compress_size, 1):
            raise DocumentRejected(name, f"part {info.filename} would inflate "
                                   f"{info.file_size // max(info.compress_size, 1)} times "
                                   f"(to {_size_text(info.file_size)}); refused as a "
                                   "decompression bomb", "too_large")
    if total > MAX_UNPACKED_BYTES:
        raise DocumentRejected(name, f"would inflate to {_size_text(total)}, over the "
                               f"{_size_text(MAX_UNPACKED_BYTES)} limit", "too_large")


def _sniff(path: Path, fmt: str, data: bytes) -> None:
    """Refuse (as ``unreadable``) a file whose content does not match its extension; only an
    unknown extension is ``unsupported_type``."""
    if fmt == "pdf" and not data.lstrip(b"\x00\t\r\n ").startswith(b"%PDF"):
        raise DocumentRejected(path.name, "has a .pdf extension but is not a PDF file "
                               "(no %PDF header)")
    if fmt == "docx":
        if not data.startswith(b"PK"):
            raise DocumentRejected(path.name, "has a .docx extension but is not a Word document "
                                   "(not a zip archive)")
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                check_archive(archive, path.name)
        except (zipfile.BadZipFile, OSError):
            raise DocumentRejected(path.name, "corrupt Word document (damaged zip archive)") \
                from None
        if "word/document.xml" not in names:
            raise DocumentRejected(path.name, "has a .docx extension but is not a Word document "
                                   "(no word/document.xml)")
    if fmt in ("text", "markdown", "html") and data.startswith((b"%PDF", b"PK\x03\x04")):
        raise DocumentRejected(path.name, f"has a {path.suffix} extension but holds a "
                               f"{'PDF' if data.startswith(b'%PDF') else 'zip/Office'} file; "
                               "rename it with the right extension")


def read_source(path: Path, *, max_bytes: int = 20_000_000) -> SourceText:
    """Read ``path`` into text in the shape of the seed documents (see module docstring)."""
    suffix = path.suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        raise DocumentRejected(path.name, f"unsupported file type {suffix or '(no extension)'}; "
                               f"supported: {', '.join(SUPPORTED_SUFFIXES)}", "unsupported_type")
    _check_size(path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentRejected(path.name, f"cannot be read ({exc.strerror or exc})") from None
    _sniff(path, fmt, data)
    title: str | None = None
    pages: int | None = None
    if fmt == "pdf":
        text, pages = read_pdf(data, path.name)
        title = pdf_title(data)
    elif fmt == "docx":
        text, title = read_docx_source(path)
    else:
        text = decode_text(data, path.name)
        if fmt == "html":
            text, title = parse_html(text)
        elif fmt == "markdown":
            text, title = parse_markdown(text)
    if not text.strip():
        raise DocumentRejected(path.name, "contains no text (only whitespace or markup)")
    return SourceText(text, fmt, pages, title)
