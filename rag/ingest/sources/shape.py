"""Write extracted text in the shape of the seed documents, as rag.ingest.layout reads them.

:func:`render` writes blocks (sources whose paragraphs are known): one block per paragraph,
separated by a line holding a single space (a break that keeps rag.ingest.layout in single-spaced
mode); headings start with two spaces of indentation; forced line breaks inside a block
(signature lines) are kept. :func:`render_lines` writes hard-wrapped lines (a PDF set like the
UN's, line after line at one leading) exactly as PDF extraction gave the seed text files: every
line followed by an empty line, indentation as leading spaces, a vertical gap as a line holding
a single space, so that rag.ingest.layout finds paragraphs, items and headings as it does in
the text.
Both write footnotes after a ``____`` rule as `` N text`` lines and running-header symbols last
as page-header lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rag.ingest.cleaning import is_page_header

FOOTNOTE_RULE = "__________________"
BLOCK_BREAK = " "


@dataclass
class TextBlock:
    """A paragraph-level unit read from a source: its lines (forced breaks kept)."""

    lines: list[str] = field(default_factory=list)
    heading: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def render(blocks: Iterable[TextBlock], footnotes: Mapping[int, str] | None = None,
           header_lines: Iterable[str] = ()) -> str:
    """Seed-shaped text of ``blocks``, then ``footnotes`` and running-header lines."""
    parts: list[str] = []
    for block in blocks:
        lines = [" ".join(ln.split()) for ln in block.lines]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        if block.heading:
            lines[0] = "  " + lines[0]
        parts.append("\n".join(lines))
    out = f"\n{BLOCK_BREAK}\n".join(parts)
    notes = [(n, " ".join(t.split())) for n, t in sorted((footnotes or {}).items())]
    if notes:
        out += f"\n{BLOCK_BREAK}\n{FOOTNOTE_RULE}\n" + "\n".join(f" {n} {t}" for n, t in notes)
    headers = list(dict.fromkeys(h.strip() for h in header_lines if h.strip()))
    if headers:
        out += "\n" + "\n".join(headers)
    return out + "\n"


@dataclass
class TextLine:
    """A hard-wrapped line: its text, indentation level and whether a gap comes before it."""

    text: str
    indent: int = 0
    after_gap: bool = False


def _tail(footnotes: Mapping[int, str] | None, header_lines: Iterable[str]) -> list[str]:
    notes = [(n, " ".join(t.split())) for n, t in sorted((footnotes or {}).items())]
    lines = [FOOTNOTE_RULE, *(f" {n} {t}" for n, t in notes)] if notes else []
    return lines + list(dict.fromkeys(h.strip() for h in header_lines if h.strip()))


def render_lines(lines: Iterable[TextLine], footnotes: Mapping[int, str] | None = None,
                 header_lines: Iterable[str] = ()) -> str:
    """Seed-shaped (double-spaced) text of hard-wrapped ``lines``, then ``footnotes`` and
    running-header lines."""
    out: list[str] = []
    for line in lines:
        text = " ".join(line.text.split())
        if not text:
            continue
        if line.after_gap and out:
            out += [BLOCK_BREAK, ""]
        out += [" " * line.indent + text, ""]
    tail = _tail(footnotes, header_lines)
    if tail:
        out += [BLOCK_BREAK, ""]
        for text in tail:
            out += [text, ""]
    return "\n".join(out)


def symbol_headers(lines: Iterable[str]) -> list[str]:
    """The lines of page headers (or a page title) that are UN document symbols, which
    rag.ingest.layout records as the document's symbol."""
    return [ln.strip() for ln in lines if is_page_header(ln) and re.match(r"^\s*[A-Z]+/", ln)]


_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman_numeral(n: int) -> str:
    """``4`` → ``IV``: list and heading numbers that Word and HTML write in Roman numerals."""
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out
