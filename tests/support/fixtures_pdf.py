"""A small reportlab typesetter for seed documents: A4 pages in one or two columns, running
header and footer, bold headings, words hyphenated at line ends, ligatures, superscript
footnote calls and footnotes at the bottom of the column that calls them (``pdf``, ``pdf2``);
and the seed text set verbatim, line by line, the way UN PDFs look (``pdfraw``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from rag.ingest.cleaning import is_footnote_rule, is_link_residue, is_page_header
from rag.ingest.layout import is_double_spaced
from rag.records import Block
from tests.support.fixtures_sources import SeedStructure, marker, words_with_calls

REGULAR, BOLD = "FixtureVera", "FixtureVeraBd"
BODY, LEADING, NOTE, NOTE_LEADING, CALL = 10.5, 13.0, 8.0, 10.0, 6.5
MARGIN, TOP, BOTTOM, GUTTER = 72.0, A4[1] - 90, 72.0, 18.0
_VOWELS = set("aeiouyàâäéèêëîïôöùûüœ")
_LIGATURES = (("fi", "ﬁ"), ("fl", "ﬂ"))  # glyphs the bundled Vera font has


def _register_fonts() -> None:
    fonts = Path(reportlab.__file__).parent / "fonts"
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(fonts / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "VeraBd.ttf")))


def _width(text: str, font: str, size: float = BODY) -> float:
    return pdfmetrics.stringWidth(text, font, size)


@dataclass
class _Word:
    text: str
    call: str = ""
    tail: str = ""

    def width(self, font: str) -> float:
        return _width(self.text + self.tail, font) + _width(self.call, font, CALL)


@dataclass
class _Frame:
    """A column of a page: lines placed top-down, footnotes reserved at its bottom."""

    x: float
    width: float
    y: float = TOP
    lines: list[tuple[float, float, list[_Word], str]] = field(default_factory=list)
    notes: list[tuple[str, list[str]]] = field(default_factory=list)

    def notes_height(self, extra: list[list[str]] | None = None) -> float:
        rows = sum(len(ls) for _, ls in self.notes) + sum(len(ls) for ls in extra or [])
        return rows * NOTE_LEADING + (8.0 if rows else 0.0)


def _hyphenate(word: _Word, room: float, font: str) -> tuple[_Word, _Word] | None:
    """Split ``word`` so that its head plus a hyphen fits in ``room``: at its own hyphen, or
    between a vowel and a consonant followed by a vowel."""
    text = word.text
    if word.call or not re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*", text) or len(text) < 7:
        return None
    cuts = [i + 1 for i, c in enumerate(text) if c == "-"]
    lower = text.lower()
    cuts += [k for k in range(3, len(text) - 2) if "-" not in text[k - 1:k + 1]
             and lower[k - 1] in _VOWELS and lower[k] not in _VOWELS and lower[k + 1] in _VOWELS]
    for k in sorted(cuts, reverse=True):
        head = text[:k] if text[k - 1] == "-" else text[:k] + "-"
        if _width(head, font) <= room:
            return _Word(head), _Word(text[k:], word.call, word.tail)
    return None


class _Typesetter:
    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.pages: list[list[_Frame]] = []
        self.col = columns - 1
        self._new_frame()

    @property
    def frame(self) -> _Frame:
        return self.pages[-1][self.col]

    def _new_frame(self) -> None:
        self.col += 1
        if self.col >= self.columns:
            width = (A4[0] - 2 * MARGIN - GUTTER * (self.columns - 1)) / self.columns
            self.pages.append([_Frame(MARGIN + c * (width + GUTTER), width)
                               for c in range(self.columns)])
            self.col = 0

    def keep_lines(self, lines: int) -> None:
        """Start a new column unless ``lines`` more lines fit (a heading keeps with the text
        that follows it)."""
        frame = self.frame
        if frame.lines and frame.y - (lines + 1) * LEADING < BOTTOM + frame.notes_height():
            self._new_frame()

    def _note_lines(self, number: str, text: str) -> list[str]:
        return _wrap_plain(f"{number} {text}", self.frame.width, NOTE)

    def _place(self, words: list[_Word], indent: float, font: str, gap: float,
               notes: dict[int, str]) -> None:
        calls = [w.call for w in words if w.call]
        extra = [self._note_lines(c, notes.get(int(c), "")) for c in calls]
        frame = self.frame
        if frame.lines and frame.y - gap - LEADING < BOTTOM + frame.notes_height(extra):
            self._new_frame()
            frame, gap = self.frame, 0.0
            extra = [self._note_lines(c, notes.get(int(c), "")) for c in calls]
        frame.y -= gap + LEADING if frame.lines else 0.0
        frame.lines.append((frame.x + indent, frame.y, words, font))
        frame.notes += list(zip(calls, extra, strict=True))

    def paragraph(self, words: list[_Word], font: str, first: float, left: float,
                  gap: float, notes: dict[int, str]) -> None:
        """Wrap ``words`` into lines (hyphenating when a word does not fit) and place them."""
        line: list[_Word] = []
        used, indent = 0.0, first
        queue = list(words)
        space = _width(" ", font)
        first_line = True
        while queue:
            word = queue.pop(0)
            room = self.frame.width - indent - used - (space if line else 0.0)
            if word.width(font) <= room or (not line and room >= self.frame.width / 2):
                used += (space if line else 0.0) + word.width(font)
                line.append(word)
                continue
            split = _hyphenate(word, room, font) if line else None
            if split:
                line.append(split[0])
                queue.insert(0, split[1])
            else:
                queue.insert(0, word)
            self._place(line, indent, font, gap if first_line else 0.0, notes)
            line, used, indent, first_line = [], 0.0, left, False
        if line:
            self._place(line, indent, font, gap if first_line else 0.0, notes)


def _wrap_plain(text: str, width: float, size: float) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if cur and _width(trial, REGULAR, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return [*lines, cur] if cur else lines


def _ligatures(text: str) -> str:
    for plain, joined in _LIGATURES:
        text = text.replace(plain, joined)
    return text


def _words(text: str, calls: tuple[int, ...]) -> list[_Word]:
    return [_Word(_ligatures(w), c, t) for w, c, t in words_with_calls(text, calls)]


def _heading_run(blocks: list[Block]) -> list[Block]:
    run = []
    for block in blocks:
        if block.kind != "heading":
            break
        run.append(block)
    return run


def _typeset(structure: SeedStructure, columns: int) -> list[list[_Frame]]:
    setter = _Typesetter(columns)
    notes = structure.footnotes
    for line in structure.masthead:
        setter.paragraph([_Word(w) for w in line.split()], REGULAR, 0, 0, 8.0, notes)
    blocks = structure.blocks
    for i, block in enumerate(blocks):
        text = marker(block) + block.text
        if block.kind == "heading" and (i == 0 or blocks[i - 1].kind != "heading"):
            run = _heading_run(blocks[i:])
            width = setter.frame.width
            setter.keep_lines(sum(len(_wrap_plain(b.text, width, BODY)) + 1 for b in run) + 2)
        if block.kind == "heading":
            setter.paragraph(_words(text, block.footnotes), BOLD, 0, 0, 14.0, notes)
        elif block.kind == "signature":
            for part in re.split(r" (?=\(Signé\))", text):
                setter.paragraph(_words(part, block.footnotes), REGULAR, 0, 0, 8.0, {})
        elif block.kind == "item":
            setter.paragraph(_words(text, block.footnotes), REGULAR, 36, 36, 6.0, notes)
        elif block.kind == "bullet":
            setter.paragraph(_words(text, block.footnotes), REGULAR, 18, 30, 6.0, notes)
        else:
            setter.paragraph(_words(text, block.footnotes), REGULAR, 18, 0, 6.0, notes)
    return setter.pages


def _draw_frame(canvas: Canvas, frame: _Frame) -> None:
    for x, y, words, font in frame.lines:
        cursor = x
        for word in words:
            canvas.setFont(font, BODY)
            canvas.drawString(cursor, y, word.text)
            cursor += _width(word.text, font)
            if word.call:
                canvas.setFont(font, CALL)
                canvas.drawString(cursor, y + 4, word.call)
                cursor += _width(word.call, font, CALL)
            canvas.setFont(font, BODY)
            canvas.drawString(cursor, y, word.tail)
            cursor += _width(word.tail + " ", font)
    if frame.notes:
        y = BOTTOM + frame.notes_height()
        canvas.line(frame.x, y - 3, frame.x + frame.width / 3, y - 3)
        for _, lines in frame.notes:
            for text in lines:
                y -= NOTE_LEADING
                canvas.setFont(REGULAR, NOTE)
                canvas.drawString(frame.x, y, text)


def render_pdf(structure: SeedStructure, path: Path, *, columns: int = 1) -> Path:
    """Typeset ``structure`` into an A4 PDF at ``path`` (one or two columns)."""
    _register_fonts()
    pages = _typeset(structure, columns)
    header = structure.symbol or f"Document {structure.stem[:3]}"
    job = structure.job or "00-00000"
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    canvas.setTitle(structure.stem)
    for n, frames in enumerate(pages, start=1):
        canvas.setFont(REGULAR, 9)
        canvas.drawString(MARGIN if n % 2 == 0 else A4[0] - MARGIN - _width(header, REGULAR, 9),
                          A4[1] - 50, header)
        footer = f"{job} {n}/{len(pages)}"
        canvas.drawString(MARGIN if n % 2 == 0 else A4[0] - MARGIN - _width(footer, REGULAR, 9),
                          40, footer)
        for frame in frames:
            _draw_frame(canvas, frame)
        canvas.showPage()
    canvas.save()
    return path


# --- "pdfraw": the seed text set verbatim, line by line ---------------------------------------
#
# What the seed .txt files were extracted from looks like this: hard-wrapped lines at one
# leading, paragraphs that start with ``12.`` or a first-line indent (no gap between them),
# headings set in the body font, running headers/footers with the symbol, the job number and
# ``n/N``, footnotes in smaller type under a short rule at the foot of the page.

RAW_FONT, RAW_BOLD = "Times-Roman", "Times-Bold"  # standard fonts, WinAnsi (cp1252) text
RAW_BODY, RAW_LEADING, RAW_NOTE, RAW_NOTE_LEADING = 10.0, 12.0, 8.0, 9.5
RAW_MARGIN, RAW_INDENT = 66.0, 28.0  # one leading space of the .txt = one indent step
RAW_TOP, RAW_BOTTOM = A4[1] - 80, 84.0
_RAW_WIDTH = A4[0] - 2 * RAW_MARGIN
_SYMBOL_HEADER = re.compile(r"^\s*[A-Z]+/")


@dataclass
class _RawLine:
    """One line of the .txt: its indent (leading spaces) and (text, bold) segments."""

    indent: int
    segments: list[tuple[str, bool]]
    note: bool = False

    def width(self) -> float:
        size = RAW_NOTE if self.note else RAW_BODY
        return self.indent * RAW_INDENT + sum(
            _width(t, RAW_BOLD if b else RAW_FONT, size) for t, b in self.segments)


@dataclass
class _RawPage:
    rows: list[_RawLine | None] = field(default_factory=list)  # None: a blank line
    notes: list[_RawLine] = field(default_factory=list)
    leading: float = RAW_LEADING

    def height(self, extra_notes: int = 0) -> float:
        notes = len(self.notes) + extra_notes
        return len(self.rows) * self.leading + (notes * RAW_NOTE_LEADING + 12 if notes else 0)


def _raw_segments(text: str, bold: bool) -> tuple[list[tuple[str, bool]], bool]:
    """Split ``**bold**`` Markdown emphasis into font runs (the markers are not drawn)."""
    segments = []
    for k, part in enumerate(text.split("**")):
        if k:
            bold = not bold
        if part:
            segments.append((part, bold))
    return segments, bold


def _raw_wrap(line: _RawLine) -> list[_RawLine]:
    """Lines wider than the text column (unwrapped Markdown paragraphs) are wrapped at word
    boundaries; every other line is kept as it is."""
    if line.width() <= _RAW_WIDTH:
        return [line]
    words = [(w, b) for t, b in line.segments for w in t.split()]
    size = RAW_NOTE if line.note else RAW_BODY
    out = [_RawLine(line.indent, [], line.note)]
    used = line.indent * RAW_INDENT
    for word, bold in words:
        w = _width(" " + word, RAW_BOLD if bold else RAW_FONT, size)
        if out[-1].segments and used + w > _RAW_WIDTH:
            out.append(_RawLine(0, [], line.note))
            used = 0.0
        text = f" {word}" if out[-1].segments else word
        out[-1].segments.append((text, bold))
        used += w
    return out


def raw_lines(text: str) -> list[tuple[str, _RawLine | None]]:
    """The .txt as ``(kind, line)``: kind ``body``, ``blank`` or ``notes`` (a footnote block,
    ``line`` None, its lines following as ``note``). Page headers/footers and hyperlink residue
    are dropped; in a double-spaced file the empty line after every line is an extraction
    artefact, a whitespace-only line is a real blank line."""
    double = is_double_spaced(text)
    out: list[tuple[str, _RawLine | None]] = []
    in_notes, bold = False, False
    for raw in text.split("\n"):
        if double and raw == "":
            continue
        if is_page_header(raw):
            in_notes = False
            continue
        if is_link_residue(raw):
            continue
        if is_footnote_rule(raw):
            in_notes = True
            out.append(("notes", None))
            continue
        if not raw.strip():
            if not in_notes:
                out.append(("blank", None))
            continue
        stripped = raw.strip()
        segments, bold = _raw_segments(stripped, bold)
        if not segments:
            continue
        line = _RawLine(len(raw) - len(raw.lstrip(" ")), segments, in_notes)
        out += [("note" if in_notes else "body", part) for part in _raw_wrap(line)]
    return out


def _raw_pages(items: list[tuple[str, _RawLine | None]],
               leading: float = RAW_LEADING) -> list[_RawPage]:
    """Fill pages with the lines (``leading`` apart); a footnote block goes to the foot of the
    page holding the body line before it (body lines move on to the next page to make room)."""
    room = RAW_TOP - RAW_BOTTOM
    pages = [_RawPage(leading=leading)]
    k = 0
    while k < len(items):
        kind, line = items[k]
        page = pages[-1]
        if kind == "notes":
            block = []
            k += 1
            while k < len(items) and items[k][0] == "note":
                block.append(items[k][1])
                k += 1
            carry: list[_RawLine | None] = []
            while page.rows and page.height(len(block)) > room:
                carry.insert(0, page.rows.pop())
            page.notes += [ln for ln in block if ln is not None]
            while carry and carry[0] is None:
                carry.pop(0)
            if carry:
                pages.append(_RawPage(carry, leading=leading))
            continue
        k += 1
        if kind == "blank" and not page.rows:
            continue  # no blank line at the top of a page
        if page.height() + leading > room:
            page = _RawPage(leading=leading)
            pages.append(page)
            if kind == "blank":
                continue
        page.rows.append(line)
    return pages


def _draw_raw_line(canvas: Canvas, line: _RawLine, y: float) -> None:
    size = RAW_NOTE if line.note else RAW_BODY
    x = RAW_MARGIN + line.indent * RAW_INDENT
    for text, bold in line.segments:
        font = RAW_BOLD if bold else RAW_FONT
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)
        x += _width(text, font, size)


def render_pdf_raw(seed: Path, structure: SeedStructure, path: Path, *,
                   spacing: float = 1.0) -> Path:
    """Set the seed text ``seed`` verbatim into an A4 PDF at ``path``: its own lines in reading
    order at one leading (blank lines kept, no paragraph gaps added), its page headers and
    footers replaced by running ones on every page (symbol, job number, ``n/N``), its footnote
    lines in smaller type under a short rule at the foot of the page. ``spacing`` 2 prints the
    text double-spaced (each line followed by an empty one), as a text file printed as is."""
    text = seed.read_text(encoding="utf-8")
    pages = _raw_pages(raw_lines(text), RAW_LEADING * spacing)
    symbols = list(dict.fromkeys(ln.strip() for ln in text.split("\n")
                                 if is_page_header(ln) and _SYMBOL_HEADER.match(ln)))
    header = symbols or [structure.symbol or f"Document {structure.stem[:3]}"]
    job = structure.job or "00-00000"
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    canvas.setTitle(structure.stem)
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        canvas.setFont(RAW_FONT, 9)
        right = n % 2 == 1

        def put(text: str, y: float, *, on_right: bool = right) -> None:
            x = A4[0] - RAW_MARGIN - _width(text, RAW_FONT, 9) if on_right else RAW_MARGIN
            canvas.drawString(x, y, text)

        for k, symbol in enumerate(header):
            put(symbol, A4[1] - 50 - 11 * k)
        put(f"{n}/{total} {job}" if right else f"{job} {n}/{total}", 52 if n == 1 else 40)
        if n == 1:
            put(f"*{job.replace('-', '')}*", 40)
        y = RAW_TOP
        for row in page.rows:
            if row is not None:
                _draw_raw_line(canvas, row, y)
            y -= page.leading
        if page.notes:
            y = RAW_BOTTOM + len(page.notes) * RAW_NOTE_LEADING + 4
            canvas.line(RAW_MARGIN, y, RAW_MARGIN + _RAW_WIDTH / 4, y)
            for note in page.notes:
                y -= RAW_NOTE_LEADING
                _draw_raw_line(canvas, note, y)
        canvas.showPage()
    canvas.save()
    return path
