"""Recover the structure of a PDF-extracted (or Markdown) document: masthead, running
headers, footnotes, headings, numbered paragraphs, sub-items, bullets and signature.

:func:`parse_layout` reads the masthead, sets footnotes and running headers apart, then
:class:`_BlockBuilder` decides line by line where each block starts, and ``_finish`` repairs
the text of each block into a :class:`rag.records.Block`.

The lines that say what the document is stay out of the text but not out of the document:
the first-page masthead (symbol, organ, distribution date, languages) with the symbols of
the running headers becomes a ``masthead`` block first, and an annex's ``[Original : …]``
line a ``masthead`` block where it stands, so that a document card (:mod:`rag.ingest.cards`) can
cite them like any other passage."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rag.ingest.cleaning import (
    is_footnote_rule,
    is_link_residue,
    is_page_header,
    join_wrapped_lines,
    normalize_unicode,
    repair_text,
    strip_footnote_markers,
)
from rag.records import Block

_MASTHEAD = re.compile(
    r"^\s*(?:\**\s*(?:Nations Unies|United Nations)\b.*|\**\s*(?:Conseil de sécurité|"
    r"Assemblée générale|Conseil économique et social)\s*\**|Distr\.\s*\w+.*|Français|"
    r"Original\s*:\s*\w+)\s*$"
)
_ORIGINAL = re.compile(r"^\s*\[?\s*Original\s*:\s*([^\]\s]+)\s*\]?\s*$")
_DISTR_DATE = re.compile(r"^\s*(\d{1,2}(?:er)?\s+\w+\s+\d{4})\s*$")
_DISTRIBUTION = re.compile(r"^\s*Distr\.\s*([^\W\d_]+)")
# a job number line of the masthead (``21-04084 (F)    310321    310321``, or bare as a PDF
# reader gives it from the page furniture)
_JOB_LINE = re.compile(r"^\s*(\d{2}-\d{5})(?:\s*\([A-Z]\))?(?:\s+\d{6})*\s*$")
_JOB_NUMBER = re.compile(r"\b(\d{2}-(?!00000)\d{5})\b")  # serials count from 00001
_SYMBOL_IN_MASTHEAD = re.compile(r"(?:Nations Unies|United Nations)\s+(\S+/\S+)")
_HEADER_SYMBOL = re.compile(r"^\s*[A-Z]+/")  # a running header that is a symbol (not a job number)
_PARA_NUMBER = re.compile(r"^(\d{1,3})\.\s+(?=\S)")
_ITEM_LETTER = re.compile(r"^([a-z])\)\s+(?=\S)")
_BULLET = re.compile(r"^[-•–]\s+(?=\S)")
_FOOTNOTE_START = re.compile(r"^\s*(\d{1,3})\s+(?=\S)")
_SIGNATURE_START = re.compile(r"^(?:L’Ambassadeur|La Représentante permanente|\(Signé\))")
_SIGNED = re.compile(r"^\(Signé\)")
_ROMAN_HEADING = re.compile(r"^[IVXL]+\.\s+\S")
_LETTER_HEADING = re.compile(r"^[A-H]\.\s+[A-ZÀ-Ý]")
_PART_TITLE = re.compile(r"^(?:Lettre datée|Annexe|Pièce jointe|Appendice)")
_SUBPART_TITLE = re.compile(
    r"^(?:Note de cadrage|Document de réflexion|Rapport du Secrétaire|Résumé|Note conceptuelle)"
)
_SENTENCE_END = re.compile(r"[.!?:;»)]\s*$")
_MAX_HEADING_CHARS = 400  # a longer block that opened like a heading is a paragraph
_STANDALONE_HEADING = re.compile(r"^(?:Résumé|Summary|Introduction|Contexte|Objectifs?)$")
_HEADING_MARKS = re.compile(r"^(#{1,6})\s+(?=\S)")  # a source's own heading level (``## ``)
_MAX_LEVEL = 4  # deepest heading level (``_heading_level``); deeper ``#`` marks share it
# A text with more than this share of empty lines is double-spaced: PDF extraction writes an
# empty line after every line (half the lines), Markdown one per paragraph of several lines.
_DOUBLE_SPACED_SHARE = 0.35
_HEADING_INDENT = 2  # a line indented this much after a break or a sentence end: heading
_SHORT_HEADING_CHARS = 80  # an isolated, indented, capitalised line shorter than this is one
_MAX_NUMBER_STEP = 2  # the next paragraph number may skip one (a number extraction lost)


@dataclass
class Masthead:
    """Facts read from a document's first-page masthead."""

    symbol: str | None = None
    distributed: str | None = None
    original_language: str | None = None
    distribution: str | None = None  # ``générale``, ``limitée``, ``restreinte``
    job_number: str | None = None  # ``21-04084``, from the ``21-04084 (F)`` line
    lines: list[str] = field(default_factory=list)  # as printed (no job number, no barcode)


@dataclass
class _Line:
    text: str
    indent: int
    after_break: bool  # a blank separator line came before this one
    before_break: bool = False  # a blank separator line follows this one


@dataclass
class _Draft:
    kind: str
    lines: list[str] = field(default_factory=list)
    number: int | None = None
    letter: str | None = None
    closed: bool = False  # a heading stops growing at the next separator
    level: int | None = None  # a heading's level given by the source (``#`` marks)


@dataclass
class Layout:
    """A parsed document before metadata: masthead facts, blocks, footnotes."""

    masthead: Masthead
    blocks: list[Block]
    footnotes: dict[int, str]
    page_symbols: list[str]


def is_double_spaced(text: str) -> bool:
    """PDF extraction writes an empty line after every line; Markdown does not."""
    lines = text.split("\n")
    return sum(1 for ln in lines if ln == "") > _DOUBLE_SPACED_SHARE * max(len(lines), 1)


def read_masthead(lines: list[str]) -> tuple[Masthead, int]:
    """Consume the first-page masthead; return its facts and the index of the first body line."""
    head = Masthead()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip().strip("*").strip()
        if not stripped or is_page_header(line) or _JOB_LINE.match(line):
            if _HEADER_SYMBOL.match(line):
                head.lines.append(" ".join(stripped.split()))
            elif (m := _JOB_NUMBER.search(line)) and head.job_number is None:
                head.job_number = m.group(1)
            i += 1
            continue
        if not (_MASTHEAD.match(line) or (head.distributed is None and _DISTR_DATE.match(line))):
            break
        head.lines.append(" ".join(stripped.split()))
        if m := _SYMBOL_IN_MASTHEAD.search(stripped):
            head.symbol = m.group(1)
        if m := _ORIGINAL.match(stripped):
            head.original_language = m.group(1).lower()
        if (m := _DISTRIBUTION.match(stripped)) and head.distribution is None:
            head.distribution = m.group(1).lower()
        if (m := _DISTR_DATE.match(stripped)) and head.distributed is None:
            head.distributed = m.group(1)
        i += 1
    return head, i


def split_footnotes(lines: list[str]) -> tuple[list[str], dict[int, str], list[str]]:
    """Separate body lines from footnotes, running headers and hyperlink residue.

    Returns the body lines, the footnotes by number, and the symbols seen in running headers.
    """
    body: list[str] = []
    notes: dict[int, list[str]] = {}
    symbols: list[str] = []
    in_notes = False
    current: int | None = None
    for line in lines:
        if is_page_header(line):
            if _HEADER_SYMBOL.match(line):
                symbols.append(line.strip())
            in_notes = False
            continue
        if is_link_residue(line):
            continue
        if is_footnote_rule(line):
            in_notes, current = True, None
            continue
        if in_notes:
            if m := _FOOTNOTE_START.match(line):
                current = int(m.group(1))
                notes[current] = [line[m.end():]]
            elif current is not None and line.strip():
                notes[current].append(line)
            continue
        body.append(line)
    footnotes = {n: repair_text(join_wrapped_lines(ls)) for n, ls in notes.items()}
    return body, footnotes, symbols


def _to_lines(raw: list[str], double_spaced: bool) -> list[_Line]:
    out: list[_Line] = []
    pending = False
    for line in raw:
        if line == "" and double_spaced:
            continue
        if not line.strip():
            pending = True
            continue
        if pending and out:
            out[-1].before_break = True
        indent = len(line) - len(line.lstrip(" "))
        out.append(_Line(line.strip(), indent, pending))
        pending = False
    if pending and out:
        out[-1].before_break = True
    return out


def _heading_level(text: str, is_first: bool) -> int:
    """0 document part (the first heading, a letter, an annex), 1 sub-part (a concept note),
    2 section (``I.``, ``Résumé``), 3 sub-section (``A.``), 4 any other heading."""
    if _STANDALONE_HEADING.match(text):
        return 2
    if is_first or _PART_TITLE.match(text):
        return 0
    if _SUBPART_TITLE.match(text):
        return 1
    if _ROMAN_HEADING.match(text):
        return 2
    if _LETTER_HEADING.match(text):
        return 3
    return 4


class _BlockBuilder:
    """Turns cleaned lines into drafts, deciding where each block starts."""

    def __init__(self, double_spaced: bool) -> None:
        self.double_spaced = double_spaced
        self.drafts: list[_Draft] = []
        self.last_number = 0
        self.last_letter: str | None = None

    @property
    def current(self) -> _Draft | None:
        return self.drafts[-1] if self.drafts else None

    def _open(self, kind: str, line: str, **kw: object) -> None:
        self.drafts.append(_Draft(kind, [line], **kw))  # type: ignore[arg-type]

    def _previous_ended(self) -> bool:
        cur = self.current
        if cur is None or cur.kind in ("heading", "masthead") or (cur.kind == "signature"
                                                                  and cur.closed):
            return True
        return bool(_SENTENCE_END.search(cur.lines[-1]))

    def _plausible_number(self, n: int) -> bool:
        return n == 1 or self.last_number < n <= self.last_number + _MAX_NUMBER_STEP

    def _plausible_letter(self, letter: str) -> bool:
        if letter == "a":
            return True
        return self.last_letter is not None and ord(letter) == ord(self.last_letter) + 1

    def _is_heading_start(self, line: _Line) -> bool:
        text = line.text
        if text.startswith("**") and (self.double_spaced is False):
            return line.after_break or self.current is None
        if text.startswith("#") or _STANDALONE_HEADING.match(text):
            return True
        isolated_short = (
            self.double_spaced and line.indent > 0 and line.before_break
            and len(text) < _SHORT_HEADING_CHARS and not _SENTENCE_END.search(text)
            and text[:1].isupper()
        )
        indented = (line.indent >= _HEADING_INDENT or isolated_short or _ROMAN_HEADING.match(text)
                    or _LETTER_HEADING.match(text))
        return bool(indented) and (line.after_break or self._previous_ended())

    def feed(self, line: _Line) -> None:
        text, cur = line.text, self.current
        if _ORIGINAL.match(text):  # an annex's [Original : …]: a masthead line of its own
            self._open("masthead", text, closed=True)
            return
        if cur is not None and cur.kind == "signature" and not cur.closed:
            cur.lines.append(text)
            cur.closed = bool(_SIGNED.match(text))
            return
        if (m := _PARA_NUMBER.match(text)) and self._plausible_number(int(m.group(1))):
            self.last_number, self.last_letter = int(m.group(1)), None
            self._open("paragraph", text[m.end():], number=self.last_number)
        elif (m := _ITEM_LETTER.match(text)) and self._plausible_letter(m.group(1)):
            self.last_letter = m.group(1)
            self._open("item", text[m.end():], letter=self.last_letter)
        elif _BULLET.match(text) and (line.after_break or self._previous_ended()
                                      or not self.double_spaced):
            self._open("bullet", _BULLET.sub("", text))
        elif _SIGNATURE_START.match(text) and self._previous_ended():
            self._open("signature", text, closed=bool(_SIGNED.match(text)))
        elif self._is_heading_start(line) and not (cur and cur.kind == "heading" and not cur.closed
                                                   and not line.after_break):
            standalone = bool(_STANDALONE_HEADING.match(text))
            marks = _HEADING_MARKS.match(text)
            self._open("heading", text.lstrip("#").strip(), closed=standalone,
                       level=min(len(marks.group(1)) - 1, _MAX_LEVEL) if marks else None)
        elif cur is None or self._starts_paragraph(line):
            self._open("paragraph", text)
        else:
            cur.lines.append(text)

    def _starts_paragraph(self, line: _Line) -> bool:
        cur = self.current
        assert cur is not None
        if cur.kind == "heading" and (line.after_break or cur.closed):
            return True
        if cur.kind in ("signature", "masthead") or (not self.double_spaced and line.after_break):
            return True
        if not self.double_spaced:
            return False
        ended = bool(_SENTENCE_END.search(cur.lines[-1]))
        if line.after_break and ended:
            return True
        starts_upper = bool(re.match(r"[«“A-ZÀ-Ý0-9(]", line.text))
        return line.indent > 0 and starts_upper and ended

    def close_headings_at_break(self, line: _Line) -> None:
        cur = self.current
        if cur is not None and cur.kind == "heading" and line.after_break:
            cur.closed = True


def build_blocks(lines: list[_Line], double_spaced: bool) -> list[_Draft]:
    """Group lines into drafts of blocks."""
    builder = _BlockBuilder(double_spaced)
    for line in lines:
        builder.close_headings_at_break(line)
        builder.feed(line)
    return builder.drafts


def _finish(drafts: list[_Draft], vocabulary: Counter[str], notes: set[int]) -> list[Block]:
    blocks: list[Block] = []
    seen_heading = False
    for d in drafts:
        if d.kind == "masthead":
            blocks.append(Block("masthead", " ".join(" ".join(d.lines).split())))
            continue
        text = repair_text(join_wrapped_lines(d.lines, vocabulary), vocabulary)
        text, refs = strip_footnote_markers(text, notes)
        if not text:
            continue
        kind = d.kind
        if kind == "heading" and (len(text) > _MAX_HEADING_CHARS or text.endswith(".")):
            kind = "paragraph"
        level = 0 if kind != "heading" else (
            d.level if d.level is not None else _heading_level(text, not seen_heading))
        seen_heading = seen_heading or kind == "heading"
        blocks.append(Block(kind, text, d.number, d.letter, level, refs))  # type: ignore[arg-type]
    return blocks


def parse_layout(raw_text: str, vocabulary: Counter[str] | None = None) -> Layout:
    """Parse raw extracted text into masthead facts, blocks and footnotes."""
    text = normalize_unicode(raw_text.replace("\r\n", "\n"))
    double_spaced = is_double_spaced(text)
    raw = text.split("\n")
    masthead, start = read_masthead(raw)
    body, footnotes, symbols = split_footnotes(raw[start:])
    original = [m.group(1).lower() for ln in body if (m := _ORIGINAL.match(ln))]
    if original and masthead.original_language is None:
        masthead.original_language = original[0]
    drafts = build_blocks(_to_lines(body, double_spaced), double_spaced)
    blocks = _finish(drafts, vocabulary or Counter(), set(footnotes))
    if front := front_masthead(masthead, symbols):
        blocks.insert(0, Block("masthead", "\n".join(front)))
    return Layout(masthead, blocks, footnotes, symbols)


def front_masthead(masthead: Masthead, page_symbols: list[str]) -> list[str]:
    """The lines of the first-page masthead, then the running-header symbols it does not
    already print (a report without masthead prints its symbols only there)."""
    lines = list(masthead.lines)
    for symbol in dict.fromkeys(" ".join(s.split()) for s in page_symbols):
        if not any(symbol in line for line in lines):
            lines.append(symbol)
    return lines
