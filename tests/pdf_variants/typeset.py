"""A parametrised reportlab typesetter for seed documents, in the ways real producers set a
UN document: line spacing 1, 1.5 or 2; justified or ragged; paragraph numbers hanging in the
margin or inline after a first-line indent; with or without space between paragraphs; UN
running headers and footers (the symbol alternating sides, ``21-04084 3/12`` / ``3/12
21-04084``, ``21-04084 (F)`` and ``*2104084*`` on the first page); footnotes at small or at
body size; one or two columns. Standard Times fonts (nothing embedded: small files)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from rag.ingest.cleaning import word_counts
from rag.ingest.layout import parse_layout
from rag.records import Block
from tests.support.fixtures_sources import SeedStructure, marker, words_with_calls

FONT, BOLD = "Times-Roman", "Times-Bold"
MARGIN, TOP, BOTTOM, GUTTER = 70.0, A4[1] - 95.0, 80.0, 20.0
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
HANG = 34.0  # where the text of a paragraph with a hanging number starts


@dataclass(frozen=True)
class Style:
    """How one variant sets a document."""

    spacing: float = 1.0  # 1, 1.5 or 2 line heights
    justified: bool = True
    hanging: bool = True  # paragraph numbers in the margin (else inline after an indent)
    para_gap: float = 0.0  # points between paragraphs (0: none, as UN documents)
    note_size: float = 8.0  # footnote size (the body size: footnotes at body size)
    columns: int = 1
    size: float = 11.0

    @property
    def leading(self) -> float:
        return round(self.size * 1.15 * self.spacing, 2)


@dataclass
class _Line:
    x: float
    words: list[tuple[str, str, str]]  # (word, footnote call, trailing punctuation)
    font: str
    width: float  # room to justify into; 0: set ragged
    gap: float  # space before the line
    number: str = ""  # a paragraph number hanging in the margin, drawn at ``number_x``
    number_x: float = 0.0


@dataclass
class _Page:
    columns: list[list[_Line]]
    notes: list[list[str]] = field(default_factory=list)  # per column, at its foot


def _w(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _word_width(word: tuple[str, str, str], font: str, style: Style) -> float:
    text, call, tail = word
    return _w(text + tail, font, style.size) + _w(call, font, 0.6 * style.size)


class _Setter:
    def __init__(self, style: Style, notes: dict[int, str]) -> None:
        self.s = style
        self.width = (A4[0] - 2 * MARGIN - GUTTER * (style.columns - 1)) / style.columns
        self.pages: list[_Page] = []
        self.col = style.columns
        self.used = 0.0
        self.top = 0.0  # room the full-width masthead takes on the first page
        self.notes = notes

    def _frame(self) -> list[_Line]:
        if self.col >= self.s.columns:
            self.pages.append(_Page([[] for _ in range(self.s.columns)],
                                    [[] for _ in range(self.s.columns)]))
            self.col = 0
        if not self.pages[-1].columns[self.col]:
            self.used = self.top if len(self.pages) == 1 else 0.0
        return self.pages[-1].columns[self.col]

    def _notes_height(self, extra: int = 0) -> float:
        n = len(self.pages[-1].notes[self.col]) + extra if self.pages else extra
        return n * self.s.note_size * 1.2 + (12 if n else 0)

    def _note_lines(self, calls: list[str]) -> list[str]:
        lines: list[str] = []
        width = self.width - 20
        for call in calls:
            cur = f"{call} "
            for word in self.notes.get(int(call), "").split():
                if _w(cur + word, FONT, self.s.note_size) > width and cur.strip():
                    lines.append(cur.rstrip())
                    cur = ""
                cur += word + " "
            lines.append(cur.rstrip())
        return lines

    def place(self, line: _Line) -> None:
        frame = self._frame()
        notes = self._note_lines([c for _, c, _ in line.words if c])
        need = (line.gap if frame else 0.0) + self.s.leading
        if frame and self.used + need > TOP - BOTTOM - self._notes_height(len(notes)):
            self.col += 1
            frame = self._frame()
            need = self.s.leading
        if not frame:
            line.gap = 0.0
        self.used += need
        frame.append(line)
        self.pages[-1].notes[self.col] += notes

    def paragraph(self, words: list[tuple[str, str, str]], font: str, first: float,
                  rest: float, gap: float, justify: bool, number: str = "",
                  number_x: float = 0.0) -> None:
        """Wrap ``words`` (first line at ``first``, the others at ``rest``) and place them."""
        lines: list[list[tuple[str, str, str]]] = [[]]
        space = _w(" ", font, self.s.size)
        used, room = 0.0, self.width - first
        for word in words:
            w = _word_width(word, font, self.s)
            if lines[-1] and used + space + w > room:
                lines.append([])
                used, room = 0.0, self.width - rest
            used += (space if lines[-1] else 0.0) + w
            lines[-1].append(word)
        for k, ws in enumerate(lines):
            x = first if k == 0 else rest
            last = k == len(lines) - 1
            self.place(_Line(x, ws, font, 0.0 if last or not justify else self.width - x,
                             gap if k == 0 else 0.0, number if k == 0 else "", number_x))


_ORIGINAL = re.compile(r"^\s*\[?\s*Original\s*:")


def blocks_in_place(structure: SeedStructure) -> list[Block]:
    """The seed's blocks with its annexes' ``[Original : …]`` lines where they stand (the
    structure sets them in the masthead)."""
    path = SEEDS / f"{structure.stem}.txt"
    raw = path.read_text(encoding="utf-8")
    blocks = parse_layout(raw, word_counts([raw])).blocks
    return [b for k, b in enumerate(blocks) if b.kind != "masthead" or
            (k > 0 and _ORIGINAL.match(b.text))]


def masthead_lines(structure: SeedStructure, blocks: list[Block]) -> list[str]:
    """The first-page masthead lines (an annex's ``[Original : …]`` is set where it stands)."""
    later = [b.text for b in blocks if b.kind == "masthead"]
    out = []
    for line in structure.masthead:
        if line in later:
            later.remove(line)
        else:
            out.append(line)
    return out


def _words(block: Block) -> list[tuple[str, str, str]]:
    return words_with_calls(block.text, block.footnotes)


def typeset(structure: SeedStructure, style: Style) -> list[_Page]:
    """Lay ``structure`` out in pages of columns, footnotes at the foot of their page."""
    setter = _Setter(style, structure.footnotes)
    gap, indent = style.para_gap, 20.0
    blocks = blocks_in_place(structure)
    setter.top = len(masthead_lines(structure, blocks)) * 1.15 * style.size + 12
    for block in blocks:
        number = marker(block).strip()
        level = HANG if block.kind == "item" else 0.0
        if block.kind == "masthead":  # an annex's [Original : …], where it stands
            setter.paragraph([(w, "", "") for w in block.text.split()], FONT,
                             setter.width - _w(block.text, FONT, style.size) - 2, 0, gap, False)
        elif block.kind == "heading":
            setter.paragraph(_words(block), BOLD, 0, 0, style.leading + gap, False)
        elif block.kind == "signature":
            for part in block.text.replace(" (Signé)", "\n(Signé)").split("\n"):
                setter.paragraph([(w, "", "") for w in part.split()], FONT, 0, 0, gap, False)
        elif number and style.hanging:
            setter.paragraph(_words(block), FONT, level + HANG, level + HANG, gap,
                             style.justified, number, level)
        elif number:
            setter.paragraph([(number, "", ""), *_words(block)], FONT, level + indent, level,
                             gap, style.justified)
        else:
            left = HANG if style.hanging else 0.0
            setter.paragraph(_words(block), FONT, left + indent, left, gap, style.justified)
    return setter.pages


def _draw_line(canvas: Canvas, line: _Line, x0: float, y: float, style: Style) -> None:
    """One text object per line; justification as word spacing (``Tw``), calls as raised
    small digits (small files: few operators)."""
    size = style.size
    if line.number:
        canvas.setFont(FONT, size)
        canvas.drawString(x0 + line.number_x, y, line.number)
    natural = sum(_word_width(w, line.font, style) for w in line.words)
    space = _w(" ", line.font, size)
    extra = 0.0
    if line.width and len(line.words) > 1:
        extra = max(0.0, (line.width - natural) / (len(line.words) - 1) - space)
    text = canvas.beginText(x0 + line.x, y)
    text.setFont(line.font, size)
    text.setWordSpace(extra)
    run = ""
    for k, (word, call, tail) in enumerate(line.words):
        sep = " " if k < len(line.words) - 1 else ""
        if not call:
            run += word + tail + sep
            continue
        text.textOut(run + word)
        text.setFont(line.font, 0.6 * size)
        text.setRise(0.35 * size)
        text.textOut(call)
        text.setRise(0)
        text.setFont(line.font, size)
        run = tail + sep
    text.textOut(run)
    canvas.drawText(text)


def _furniture(canvas: Canvas, n: int, total: int, symbol: str | None, job: str) -> None:
    """UN running header and footer: the symbol at the top, on the outer side (right on odd
    pages); ``job n/N`` (even) or ``n/N job`` (odd) at the foot; on the first page the job
    line ``21-04084 (F)`` and the barcode text ``*2104084*`` instead."""
    canvas.setFont(FONT, 9)
    odd = n % 2 == 1

    def put(text: str, y: float, right: bool) -> None:
        x = A4[0] - MARGIN - _w(text, FONT, 9) if right else MARGIN
        canvas.drawString(x, y, text)

    if n == 1:
        put(f"{job} (F)", 52, False)
        put(f"*{job.replace('-', '')}*", 40, False)
        return
    for k, part in enumerate((symbol or "").split("-")):  # A/75/345-S/2020/898: stacked
        if part:
            put(part, A4[1] - 55 - 11 * k, odd)
    put(f"{n}/{total} {job}" if odd else f"{job} {n}/{total}", 40, odd)


def render(structure: SeedStructure, style: Style, path: Path) -> Path:
    """Typeset ``structure`` with ``style`` into an A4 PDF at ``path``."""
    pages = typeset(structure, style)
    job = structure.job or "21-00000"
    canvas = Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(structure.stem + ".docx")  # what a word processor leaves: says nothing
    width = (A4[0] - 2 * MARGIN - GUTTER * (style.columns - 1)) / style.columns
    masthead = masthead_lines(structure, blocks_in_place(structure))
    for n, page in enumerate(pages, start=1):
        _furniture(canvas, n, len(pages), structure.symbol, job)
        top = TOP
        if n == 1:  # the masthead across the page, above the columns
            canvas.setFont(FONT, style.size)
            for line in masthead:
                canvas.drawString(MARGIN, top, line)
                top -= 1.15 * style.size
            top -= 12 - 1.15 * style.size
        for c, column in enumerate(page.columns):
            y = top + style.leading
            for line in column:
                y -= line.gap + style.leading
                _draw_line(canvas, line, MARGIN + c * (width + GUTTER), y, style)
        for c, notes in enumerate(page.notes):
            if not notes:
                continue
            x = MARGIN + c * (width + GUTTER)
            y = BOTTOM + len(notes) * style.note_size * 1.2 + 4
            canvas.line(x, y, x + 100, y)
            canvas.setFont(FONT, style.note_size)
            for text in notes:
                y -= style.note_size * 1.2
                canvas.drawString(x, y, text)
        canvas.showPage()
    canvas.save()
    return path
