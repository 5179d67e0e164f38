"""Word documents with docx2python: one block per paragraph, Word's automatic numbering kept
as ``12.`` / ``a)`` / ``•``, headings from paragraph styles, footnotes as seed footnotes."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx2python import docx2python
from lxml import etree

from rag.errors import DocumentRejected
from rag.sources.shape import TextBlock, render, symbol_headers

_LIST_PREFIX = re.compile(r"^(?:(\d+)|([a-z]{1,2})|([A-Z]{1,2})|([ivxlcdm]+|[IVXLCDM]+)|--)\)?\t")
_NOTE_REF = re.compile(r"\s*----(?:footnote|endnote)(\d+)----")
_NOTE_TEXT = re.compile(r"^(?:footnote|endnote)(\d+)\)\t\s*")
_HEADING_STYLE = re.compile(r"^(?:Heading|Title|Titre|Subtitle)", re.IGNORECASE)


def _paragraphs(tree: Any) -> Iterator[Any]:
    """Paragraph objects of docx2python's nested lists, in document order."""
    if isinstance(tree, list):
        for item in tree:
            yield from _paragraphs(item)
    else:
        yield tree


def _text(par: Any) -> str:
    return "".join(run.text for run in par.runs)


def list_marker(text: str) -> tuple[str, str]:
    """Turn docx2python's list prefix (``12)\\t``, ``b)\\t``, ``--\\t``) into the marker the
    layout parser reads (``12. ``, ``b) ``, ``• ``); returns ``(marker, rest)``."""
    m = _LIST_PREFIX.match(text)
    if not m:
        return "", text
    rest = text[m.end():]
    if m.group(1):
        return f"{int(m.group(1))}. ", rest
    if m.group(2) and len(m.group(2)) == 1:
        return f"{m.group(2)}) ", rest
    if m.group(3) or m.group(4) or m.group(2):
        return f"{(m.group(3) or m.group(4) or m.group(2)).upper()}. ", rest
    return "• ", rest


def _block(par: Any) -> TextBlock | None:
    text = _NOTE_REF.sub(r"\1", _text(par))
    style = par.style or ""
    marker = ""
    if par.list_position and par.list_position[0] is not None:
        marker, text = list_marker(text)
    elif "bullet" in style.lower() or "puce" in style.lower():
        marker = "• "
    lines = [" ".join(ln.split()) for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        return None
    lines[0] = marker + lines[0]
    return TextBlock(lines, heading=bool(_HEADING_STYLE.match(style)) and not marker)


def _notes(pars: Any) -> dict[int, str]:
    notes: dict[int, str] = {}
    current: int | None = None
    for par in _paragraphs(pars):
        text = _text(par)
        if m := _NOTE_TEXT.match(text):
            current = int(m.group(1))
            notes.setdefault(current, text[m.end():])
        elif current is not None and text.strip():
            notes[current] += " " + text
    return {n: t.strip() for n, t in notes.items() if t.strip()}


def read_docx(path: Path) -> str:
    """Seed-shaped text of a ``.docx`` file (``DocumentRejected`` if it cannot be parsed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            etree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError) as exc:
        raise DocumentRejected(path.name, "corrupt Word document, word/document.xml cannot "
                               f"be read ({type(exc).__name__})") from None
    try:
        with docx2python(path) as doc:
            blocks = [b for par in _paragraphs(doc.body_pars) if (b := _block(par))]
            notes = {**_notes(doc.endnotes_pars), **_notes(doc.footnotes_pars)}
            headers = symbol_headers(_text(p) for p in _paragraphs(doc.header_pars))
    except Exception as exc:  # docx2python raises many kinds on damaged files
        raise DocumentRejected(path.name, f"corrupt Word document, cannot be parsed "
                               f"({type(exc).__name__})") from None
    return render(blocks, notes, headers)
