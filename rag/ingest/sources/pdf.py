"""PDF text with pypdfium2: characters → lines → columns in reading order; running headers,
footers and page numbers dropped; footnotes gathered. Where paragraphs are set apart by vertical
space, lines are joined into blocks (paragraph breaks from gaps, indentation and style;
line-end hyphenation undone); where the text is hard-wrapped at one leading, as in UN PDFs,
the lines go to rag.layout as they are, in the shape of the PDF-extracted seed text (words
hyphenated at a line end rejoined where it is a syllable break). The first page's UN masthead,
however it is set (one line, two columns), is written first, one field per line, as
rag.layout.read_masthead reads it. Footnote calls and note numbers typed as superscript
characters (``¹``) are read like those set as small digits."""

from __future__ import annotations

import ctypes
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from rag.errors import DocumentRejected
from rag.ingest.cleaning import (
    is_footnote_rule,
    is_page_header,
    join_wrapped_lines,
    joins_at_hyphen,
    word_counts,
)
from rag.ingest.sources.shape import (
    TextBlock,
    TextLine,
    render,
    render_lines,
    roman_numeral,
    symbol_headers,
)

_HYPHENS = {"-", "\u00ad", "\ufffe", "\u0002", "\u2010"}
_LIGATURES = str.maketrans({c: unicodedata.normalize("NFKC", c) for c in "ﬀﬁﬂﬃﬄﬅﬆ"})
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}(?:\s*/\s*\d{1,4})?|(?:page|p\.)\s*\d{1,4}"
    r"(?:\s*(?:/|sur|of|de)\s*\d{1,4})?)\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;»)]$")
_MARKER = re.compile(r"^(?:\d{1,3}\.|[a-z]\)|[-•–])\s")
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPT_DIGITS, "0123456789")
_NOTE_START = re.compile(rf"^([\d{_SUPERSCRIPT_DIGITS}]{{1,3}})(?:\s+|(?=[^\W\d_]))")
_SUPERSCRIPT_CALL = re.compile(rf"(?<=\S)([{_SUPERSCRIPT_DIGITS}]{{1,3}})(?=[\s.,;:)»]|$)")
# the fields of a UN masthead, as rag.layout.read_masthead reads them one per line
_MASTHEAD_FIELD = re.compile(
    r"(?P<un>Nations\s+Unies|United\s+Nations)"
    r"|(?P<organ>Assemblée\s+générale|Conseil\s+de\s+sécurité|Conseil\s+économique\s+et\s+social)"
    r"|(?P<distr>Distr\.\s*[^\W\d_]+)|(?P<date>\d{1,2}(?:er)?\s+[^\W\d_]+\s+\d{4})"
    r"|(?P<language>Français)|(?P<original>\[?\s*Original\s*:\s*[^\W\d_]+\s*\]?)"
    r"|(?P<symbol>\b[A-Z]{1,6}(?:/[A-Z0-9.()-]+)+)"
    r"|(?P<furniture>\d{2}-\d{5}\s*\([A-Z]\)(?:\s+\d{6})*|\*\d{6,}\*)")
_MIN_TEXT_CHARS = 20
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running text


@dataclass
class _Line:
    """One text line of a page with its geometry and style."""

    chars: list[str] = field(default_factory=list)
    x0: float = 1e9
    x1: float = -1e9
    y: float = 0.0  # baseline
    sizes: list[float] = field(default_factory=list)
    bold: list[bool] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # font family and colour, per character
    set_apart: bool = False  # the whole line in a heading style other than the body's
    first_word_x1: float | None = None
    indent: float = 0.0  # from the left edge of its column

    @property
    def text(self) -> str:
        return "".join(self.chars).strip()

    @cached_property
    def size(self) -> float:  # read once the line is complete
        return statistics.median(self.sizes) if self.sizes else 0.0

    @property
    def is_bold(self) -> bool:
        """Set in bold, or wholly in another typeface or colour than the body text (Word's
        and Writer's heading styles: a blue sans-serif heading over black serif text)."""
        return self.set_apart or (bool(self.bold) and sum(self.bold) > 0.8 * len(self.bold))

    def first_word_width(self) -> float:
        return (self.first_word_x1 or self.x1) - self.x0

    def prepend(self, marker: str, x0: float, marker_x1: float, size: float) -> None:
        """Put ``marker`` (a bullet, a paragraph number that OCR read apart) before the
        line's text, in ``size`` type: the line now starts at ``x0``, its first word (the
        marker) ending at ``marker_x1``."""
        self.chars[:0] = [marker]
        self.sizes[:0] = [size] * len(marker)
        self.bold[:0] = [False] * len(marker)
        self.styles[:0] = self.styles[:1] * len(marker)
        self.x0, self.first_word_x1 = x0, marker_x1


_WEIGHT_OR_SLANT = re.compile(
    r"[-, ]?(?:bold|black|heavy|semibold|demi|medium|regular|roman|book|light|italic|oblique"
    r"|mt|ps)\b.*$|^[a-z]{6}\+")  # and a subset prefix (``ABCDEF+``)


def _font_style(tp: object, i: int, buf: ctypes.Array[ctypes.c_char]) -> tuple[bool, str]:
    """Whether character ``i`` is bold, and its style: font family (weight and slant aside)
    and fill colour."""
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(tp, i, buf, len(buf), ctypes.byref(flags))
    name = buf.value.decode("latin-1").lower()
    bold = pdfium_c.FPDFText_GetFontWeight(tp, i) >= 600 or any(
        w in name for w in ("bold", "black", "heavy", "semibold"))
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not pdfium_c.FPDFText_GetFillColor(tp, i, *(ctypes.byref(x) for x in (r, g, b, a))):
        r.value = g.value = b.value = 0
    family = _WEIGHT_OR_SLANT.sub("", name)
    return bold, f"{family}|{r.value // 32},{g.value // 32},{b.value // 32}"


def mark_heading_styles(pages: list[list[_Line]]) -> None:
    """Lines set wholly in a style other than the body text's (the most used one), that end
    no sentence, are headings: Word and Writer set heading styles apart by typeface and
    colour as often as by weight."""
    used: Counter[str] = Counter()
    for lines in pages:
        for ln in lines:
            used.update(ln.styles)
    if len(used) < 2:
        return
    body = used.most_common(1)[0][0]
    for lines in pages:
        for ln in lines:
            if ln.styles and body not in ln.styles and len(ln.text) <= 150 \
                    and not re.search(r"[.!?:;]$", ln.text):
                ln.set_apart = True


def _page_chars(textpage: pdfium.PdfTextPage) -> str:
    """The characters of a text page, one per index (one call, not one per character)."""
    n = textpage.count_chars()
    text = textpage.get_text_range(0, n) if n else ""
    if len(text) != n:  # characters outside the BMP: ask one by one
        tp = textpage.raw
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(tp, i)) for i in range(n))
    return text


def _runs(text: str, tp: object) -> Iterator[tuple[int, int, float]]:
    """``(start, end, size)`` of the runs of non-space characters of one type size, and
    ``(i, i + 1, 0.0)`` for each space, in content-stream order; ``(i, i, 0.0)`` at a line break
    of the text layer. The size is read at the start of a word, at every character that is not
    a letter (footnote calls, punctuation) and after a change; a letter keeps the size before it
    (PDFium only generates spaces and line breaks, which are handled as such)."""
    font_size = pdfium_c.FPDFText_GetFontSize
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\r\n":
            yield i, i, 0.0
            i += 1
            continue
        if ch.isspace():
            yield i, i + 1, 0.0
            i += 1
            continue
        start, size = i, font_size(tp, i)
        i += 1
        changed = False
        while i < n and not text[i].isspace():
            if text[i - 1] in _HYPHENS:  # PDFium may join a hyphenated line to the next
                yield start, i, size
                start, size, changed = i, font_size(tp, i), False
            elif changed or not text[i].isalpha():
                char_size = font_size(tp, i)
                changed = char_size != size
                if changed:
                    yield start, i, size
                    start, size = i, char_size
            i += 1
        yield start, i, size


def _page_lines(page: pdfium.PdfPage) -> list[_Line]:
    """Lines of one page in content-stream order (a new line when the baseline moves).

    Geometry and weight are read per run of characters of one size inside a word (its first
    and last character), not per character: PDFium calls are what reading costs."""
    textpage = page.get_textpage()
    tp = textpage.raw
    text = _page_chars(textpage)
    buf = ctypes.create_string_buffer(128)
    lines: list[_Line] = []
    cur: _Line | None = None
    line_size = 0.0  # the most frequent type size of the current line so far
    counts: dict[float, int] = {}
    ox, oy = ctypes.c_double(), ctypes.c_double()
    p_ox, p_oy = ctypes.byref(ox), ctypes.byref(oy)
    box = pdfium_c.FS_RECTF()
    p_box = ctypes.byref(box)
    origin, loose_box = pdfium_c.FPDFText_GetCharOrigin, pdfium_c.FPDFText_GetLooseCharBox
    runs = list(_runs(text, tp))
    runs.reverse()
    while runs:
        start, end, size = runs.pop()
        if end == start or size == 0.0:  # a line break or a space
            if end > start and cur is not None and cur.chars and cur.chars[-1] != " ":
                origin(tp, start, p_ox, p_oy)
                if abs(oy.value - cur.y) <= 0.5 * line_size:
                    cur.chars.append(" ")
                    if cur.first_word_x1 is None:
                        cur.first_word_x1 = cur.x1
            continue
        chars = text[start:end]
        origin(tp, start, p_ox, p_oy)
        loose_box(tp, start, p_box)
        left, y, bottom = box.left, oy.value, box.bottom
        if end - start > 1:
            loose_box(tp, end - 1, p_box)
            if abs(box.bottom - bottom) > 0.25 * size or box.right < left:
                runs += [(k, k + 1, size) for k in range(end - 1, start - 1, -1)]
                continue  # not on one line after all: character by character
        right = box.right
        em = max(line_size, size) if cur is not None and cur.sizes else size
        new_line = cur is None or abs(y - cur.y) > 0.5 * em \
            or left < cur.x1 - em or (left - cur.x1 > 1.8 * em
                                      and not _hangs(cur, left - cur.x1, em))
        superscript = cur is not None and not new_line and size < 0.85 * line_size \
            and y > cur.y + 1
        if new_line and superscript:
            continue
        if new_line:
            cur = _Line(y=y)
            lines.append(cur)
            line_size, counts = size, {}
        assert cur is not None
        if superscript and cur.chars and cur.chars[-1] == " " and chars[0].isdigit():
            cur.chars.pop()  # a footnote call is glued to its word
        elif cur.chars and cur.chars[-1] != " " and left - cur.x1 > 0.2 * size:
            cur.chars.append(" ")  # a gap the PDF leaves without a space character
            if cur.first_word_x1 is None:
                cur.first_word_x1 = cur.x1
        cur.chars.append(chars)
        cur.x0, cur.x1 = min(cur.x0, left), max(cur.x1, right)
        if not superscript:
            bold, style = _font_style(tp, start, buf)
            cur.sizes += [size] * len(chars)
            cur.bold += [bold] * len(chars)
            cur.styles += [style] * len(chars)
            counts[size] = counts.get(size, 0) + len(chars)
            if counts[size] > counts.get(line_size, 0):
                line_size = size
    textpage.close()
    for ln in lines:
        _symbol_bullet(ln)
    return [ln for ln in lines if ln.text]


def _symbol_bullet(line: _Line) -> None:
    """A line opened by a private-use glyph (Word's bullets in the Symbol or Wingdings font,
    such as U+F0B7, that have no Unicode meaning) opens a bullet item: ``•``."""
    text = "".join(line.chars).lstrip()
    if text and 0xE000 <= ord(text[0]) <= 0xF8FF:
        line.chars = ["• ", text[1:].lstrip()]


_LETTER_DOT = re.compile(r"^([a-z])\.\s+(?=\S)")
_HANGING_MARKER = re.compile(r"^(?:\d{1,3}\.|[a-z]\)|\(?[ivx]{1,5}\)|[•–-])$")


def _hangs(line: _Line, gap: float, em: float) -> bool:
    """A paragraph number or item letter hanging in the margin (``12.`` then a tab): the
    text after it on the baseline is the same line, not another column."""
    return gap < 6 * em and bool(_HANGING_MARKER.match("".join(line.chars).strip()))


#: what OCR makes of a bullet (``•``, ``–``, ``o``) printed small in the margin
_BULLET_GLYPHS = frozenset("°oO0.,·•«»*-–—e")


def ocr_structure(pages: list[list[_Line]]) -> None:
    """Structure that a scan's OCR text layer loses, read back from its geometry (in place):
    a lone glyph hanging left of a line on its baseline (``°``, ``.``, ``«``: what OCR makes
    of a bullet) becomes that line's ``•``; on a page whose body is indented, a run of at most
    three lines at the left margin, not an item, is a heading, set bold as a PDF sets it.
    Where bullets were found, a line that starts where their text does, after a line that
    ends short, is an item whose bullet OCR dropped."""
    items: list[tuple[float, float]] = []  # (bullet x, text x) of the items found
    for lines in pages:
        for mark in [ln for ln in lines if len(ln.text) <= 2 and set(ln.text) <= _BULLET_GLYPHS]:
            em = mark.size or 10.0
            item = min((ln for ln in lines if ln is not mark and abs(ln.y - mark.y) <= 0.5 * em
                        and 0 <= ln.x0 - mark.x1 < 6 * em), key=lambda ln: ln.x0, default=None)
            if item is None:
                continue
            items.append((mark.x0, item.x0))
            item.prepend("• ", mark.x0, mark.x1, em)
            lines.remove(mark)
        if not lines:
            continue
        em = statistics.median(ln.size for ln in lines) or 10.0
        margin = min(ln.x0 for ln in lines)
        at_margin = [ln.x0 <= margin + 0.5 * em and not ln.text.startswith("•")
                     and _MASTHEAD_FIELD.sub("", ln.text).strip(" ,;:|·–—-") != ""
                     for ln in lines]
        if sum(at_margin) > 0.5 * len(lines):
            continue  # the body is set at the margin: nothing tells a heading there
        run: list[_Line] = []
        for ln, flush in zip([*lines, None], [*at_margin, False], strict=True):
            if flush and ln is not None and (not run or run[-1].y - ln.y < 2 * em):
                run.append(ln)
                continue
            if 0 < len(run) <= 3:
                for heading in run:
                    heading.bold = [True] * len(heading.bold)
            run = [ln] if flush and ln is not None else []
    if len(items) >= 2:
        _dropped_bullets(pages, items)
    for lines in pages:
        _isolated_headings(lines)
    _paragraph_number_misreadings(pages)
    _heading_number_misreadings(pages)


def _isolated_headings(lines: list[_Line]) -> None:
    """On a scan's page, one or two lines at the left margin after a gap (or at the top),
    opening with a capital and ending no sentence, followed by a gap or by the start of a
    paragraph (a number, a bullet, a first-line indent), are a heading: OCR keeps no weight to
    tell it, and the body may start at the margin too. A last line that runs to the right
    edge must be followed by more text on the page (else it is a paragraph going on
    overleaf)."""
    drops = [a.y - b.y for a, b in pairwise(lines) if 0 < a.y - b.y < 4 * (a.size or 10.0)]
    if len(drops) < 4:
        return
    pitch = statistics.median(drops)
    margin = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)

    def gap_before(k: int) -> bool:
        return k == 0 or k >= len(lines) or lines[k - 1].y - lines[k].y > 1.5 * pitch

    def opens_paragraph(k: int) -> bool:
        ln = lines[k]
        return bool(_MARKER.match(ln.text)) or ln.x0 > margin + 0.5 * (ln.size or 10.0)

    for k in range(len(lines)):
        if not gap_before(k) or not lines[k].text[:1].isupper() \
                or _MARKER.match(lines[k].text) or is_page_header(lines[k].text):
            continue
        for n in (1, 2):
            run, after = lines[k:k + n], k + n
            em = run[0].size or 10.0
            if len(run) < n or (n == 2 and gap_before(k + 1)) \
                    or not all(ln.x0 <= margin + 0.5 * em for ln in run) \
                    or re.search(r"[.!?:;,]$", run[-1].text) \
                    or (run[-1].x1 >= right - 0.2 * (right - margin) and after >= len(lines)):
                continue
            if gap_before(after) or opens_paragraph(after):
                for ln in run:
                    ln.bold = [True] * len(ln.bold)
                break


#: what OCR reads for a digit in a paragraph number (``S1.`` for ``51.``)
_DIGIT_LOOKALIKES = {"S": "58", "s": "5", "l": "1", "I": "1", "i": "1", "O": "0", "o": "0",
                     "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9"}
_NUMBER_LIKE = re.compile(rf"^([\d{''.join(_DIGIT_LOOKALIKES)}]{{1,3}})\.(?=\s)")


def _hanging_partner(token: _Line, lines: list[_Line], margin: float) -> _Line | None:
    """The line a lone short token at the left margin hangs before: on its baseline, starting
    more than an em and less than six to its right (a paragraph number set in the margin,
    which OCR reads as a word of its own, often wrongly: ``A.``, ``2°``, ``5:``, ``TE``)."""
    em = token.size or 10.0
    text = token.text
    if len(text) > 3 or " " in text or token.x0 > margin + em \
            or re.fullmatch(r"[a-z]\)|\(?[ivx]{1,5}\)|[•–-]", text):
        return None
    return min((ln for ln in lines if ln is not token and abs(ln.y - token.y) <= 0.3 * em
                and em < ln.x0 - token.x1 < 6 * em), key=lambda ln: ln.x0, default=None)


def _paragraph_number_misreadings(pages: list[list[_Line]]) -> None:
    """Paragraph numbers OCR misread are the number that follows the one before: one read in
    the line (``S1.`` between ``50.`` and ``52.``) where each wrong character is a look-alike;
    one hanging in the margin as a word of its own (``A.``, ``2°``) whatever it was read as,
    joined to its line."""
    last = 0
    for lines in pages:
        if not lines:
            continue
        margin = min(ln.x0 for ln in lines)
        for ln in list(lines):
            partner = _hanging_partner(ln, lines, margin)
            if partner is not None:
                valid = re.fullmatch(r"(\d{1,3})\.", ln.text)
                last = int(valid.group(1)) if valid else last + 1
                partner.prepend(f"{last}. ", ln.x0, ln.x1, partner.size)
                lines.remove(ln)
                continue
            m = _NUMBER_LIKE.match(ln.text)
            if not m:
                continue
            token = m.group(1)
            if token.isdigit():
                last = int(token)
                continue
            expected = str(last + 1)
            if len(expected) == len(token) and all(
                    c == e or e in _DIGIT_LOOKALIKES.get(c, "")
                    for c, e in zip(token, expected, strict=True)):
                ln.chars = [expected + ln.text[len(token):]]
                last += 1


#: what OCR reads for the ``I`` of a Roman heading number (``L Introduction``, ``ll.``)
_ROMAN_LOOKALIKES = str.maketrans("lL1|!", "IIIII")
_ROMAN_LIKE = re.compile(r"^([IVXlL1|!]{1,5})(\.?)\s+(?=[A-ZÀ-Ý])")
_ROMANS = {roman_numeral(n): n for n in range(1, 40)}


def _heading_number_misreadings(pages: list[list[_Line]]) -> None:
    """A heading's Roman number that OCR misread (``L Introduction``, ``ll. Coopération``) is
    the number after the one before, where each wrong character is a look-alike of ``I``."""
    last = 0
    for lines in pages:
        for ln in lines:
            m = _ROMAN_LIKE.match(ln.text) if ln.is_bold else None
            if not m:
                continue
            token, dot = m.group(1), m.group(2)
            if dot and token in _ROMANS:  # read right
                last = _ROMANS[token]
                continue
            if token.translate(_ROMAN_LOOKALIKES) == roman_numeral(last + 1):
                last += 1
                text = f"{roman_numeral(last)}. {ln.text[m.end():]}"
                ln.chars = [text]
                ln.sizes, ln.bold = [ln.size] * len(text), [True] * len(text)
                ln.styles = ln.styles[:1] * len(text)


def _dropped_bullets(pages: list[list[_Line]], items: list[tuple[float, float]]) -> None:
    bullet_x = statistics.median(x for x, _ in items)
    text_x = statistics.median(x for _, x in items)
    prev: _Line | None = None
    for lines in pages:
        right = max((ln.x1 for ln in lines), default=0.0)
        for ln in lines:
            em = ln.size or 10.0
            if prev is not None and abs(ln.x0 - text_x) <= 0.5 * em \
                    and prev.x1 < right - 3 * em and ln.text[:1].isupper():
                ln.prepend("• ", bullet_x, bullet_x + 0.5 * em, em)
            prev = ln


def split_masthead(lines: list[_Line]) -> tuple[list[str], list[str], list[_Line]]:
    """The UN masthead at the top of the first page, in whatever arrangement (one line, two
    columns: ``Nations Unies`` and the organ on the left, symbol, distribution and date on the
    right), as the field lines rag.layout.read_masthead reads (``Nations Unies  <symbol>``,
    organ, ``Distr. …``, date, language, original), the symbol as a page-header line when the
    masthead does not name the United Nations, and the page's other lines. The lines from the
    top of the page down to the first one that is not all masthead fields are taken if they
    name the United Nations or give a distribution; job numbers and barcodes are dropped."""
    fields: list[tuple[str, str]] = []
    taken: set[int] = set()
    for ln in sorted(lines, key=lambda ln: (-ln.y, ln.x0)):
        text = ln.text
        found = [(m.lastgroup or "", " ".join(m.group(0).split()))
                 for m in _MASTHEAD_FIELD.finditer(text)]
        if not found or _MASTHEAD_FIELD.sub("", text).strip(" ,;:|·–—-"):
            if _PAGE_NUMBER.match(text) and not fields:
                continue  # a page number above the masthead: left as running text
            break
        fields += found
        taken.add(id(ln))
    kinds = {kind for kind, _ in fields}
    if not kinds & {"un", "distr"}:
        return [], [], lines
    symbol = next((value for kind, value in fields if kind == "symbol"), None)
    out = [value for kind, value in fields if kind not in ("un", "symbol", "furniture")]
    if "un" in kinds:
        un = next(value for kind, value in fields if kind == "un")
        out.insert(0, f"{un}  {symbol}" if symbol else un)
    rest = [ln for ln in lines if id(ln) not in taken]
    return list(dict.fromkeys(out)), symbol_headers([symbol] if symbol and "un" not in kinds
                                                    else []), rest


_JOB_NUMBER = re.compile(r"\b(\d{2}-(?!00000)\d{5})\b")  # serials count from 00001


def job_number(pages: list[list[_Line]]) -> str | None:
    """The UN job number (``21-04084``) printed in the page furniture: the masthead's
    ``21-04084 (F)``, a running footer ``21-04084 3/12``, or any line holding it that recurs
    word for word at the edge of the first pages (an office's own footer)."""
    seen: Counter[str] = Counter()
    for lines in pages[:3]:
        for ln in lines:
            if (m := _JOB_NUMBER.search(ln.text)) and (
                    is_page_header(ln.text) or _MASTHEAD_FIELD.fullmatch(ln.text.strip())):
                return m.group(1)
        seen.update({" ".join(ln.text.split()) for ln in _edges(lines)
                     if _JOB_NUMBER.search(ln.text)})
    repeated = [text for text, n in seen.items() if n >= 2]
    found = _JOB_NUMBER.search(repeated[0]) if repeated else None
    return found.group(1) if found else None


def _superscript_calls(lines: list[_Line], notes: dict[int, list[str]]) -> None:
    """Footnote calls typed as superscript characters (``l’Arctique¹.``) read as the digits of
    a call set in small type (``l’Arctique1.``, which rag.layout strips and links) when the
    document has that note; other superscripts (``km²``) are left alone."""
    def digits(m: re.Match[str]) -> str:
        number = m.group(1).translate(_FROM_SUPERSCRIPT)
        return number if int(number) in notes else m.group(1)

    for ln in lines:
        text = "".join(ln.chars)
        if any(c in _SUPERSCRIPT_DIGITS for c in text):
            ln.chars = [_SUPERSCRIPT_CALL.sub(digits, text)]


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())


def _edges(lines: list[_Line]) -> list[_Line]:
    ordered = sorted(lines, key=lambda ln: -ln.y)
    return ordered[:_EDGE_LINES] + ordered[-_EDGE_LINES:]


def drop_running_text(pages: list[list[_Line]]) -> tuple[list[list[_Line]], list[str]]:
    """Remove the lines at the top or bottom of a page that are repeated (digits aside) on most
    pages, or on most pages of the same parity (left and right pages), bare page numbers and UN
    page furniture (symbol, job number, barcode). Returns the pages and the removed lines that
    are UN page headers."""
    keys = [{_key(ln.text) for ln in _edges(lines)} for lines in pages]
    counts = Counter(k for ks in keys for k in ks)
    needed = max(2, (len(pages) + 1) // 2)
    running = {k for k, n in counts.items() if n >= needed}
    for parity in (0, 1):
        same = keys[parity::2]
        side = Counter(k for ks in same for k in ks)
        running |= {k for k, n in side.items() if n >= max(2, (len(same) + 1) // 2)}
    kept_pages, headers = [], []
    for lines in pages:
        edge = {id(ln) for ln in _edges(lines)}
        drop = {id(ln) for ln in lines if id(ln) in edge and (
            _key(ln.text) in running or _PAGE_NUMBER.match(ln.text) or is_page_header(ln.text))}
        headers += symbol_headers(ln.text for ln in lines if id(ln) in drop)
        kept_pages.append([ln for ln in lines if id(ln) not in drop])
    return kept_pages, consensus_symbols(headers)


def consensus_symbols(headers: list[str]) -> list[str]:
    """The running-header symbols without misreadings: a symbol printed once that differs by
    one character from one printed on several pages (``S/2020/S98`` beside ``S/2020/898``:
    OCR) is that one."""
    counts = Counter(" ".join(h.split()) for h in headers)
    def misread(symbol: str) -> bool:
        return counts[symbol] == 1 and any(
            n >= 2 and len(other) == len(symbol)
            and sum(a != b for a, b in zip(other, symbol, strict=True)) == 1
            for other, n in counts.items())
    return [h for h in headers if not misread(" ".join(h.split()))]


def order_columns(lines: list[_Line]) -> list[list[_Line]]:
    """Split a page into columns in reading order (one column unless the page is two-column)."""
    if not lines:
        return []
    left, right = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    mid = (left + right) / 2
    in_left = [ln for ln in lines if ln.x1 < mid]
    in_right = [ln for ln in lines if ln.x0 > mid]
    spanning = len(lines) - len(in_left) - len(in_right)
    if min(len(in_left), len(in_right)) < 2 or spanning > 0.2 * len(lines):
        columns = [sorted(lines, key=lambda ln: -ln.y)]
    else:
        top = [ln for ln in lines if ln.x1 >= mid and ln.x0 <= mid]
        columns = [sorted(top + in_left, key=lambda ln: -ln.y),
                   sorted(in_right, key=lambda ln: -ln.y)]
    for column in columns:
        edge = min(ln.x0 for ln in column)
        for ln in column:
            ln.indent = ln.x0 - edge
    return columns


def note_rules(page: pdfium.PdfPage) -> list[float]:
    """Heights of the short horizontal rules drawn on ``page``: the separator a word
    processor draws above the footnotes (a line, not text)."""
    out = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        if top - bottom < 2.0 and 30.0 < right - left < 300.0:
            out.append((top + bottom) / 2)
    return out


def split_notes(column: list[_Line], body_size: float, rules: list[float] | None = None
                ) -> tuple[list[_Line], list[_Line]]:
    """Separate the footnote zone at the bottom of a column: smaller type (or text after a
    ``____`` rule) that begins with a note number; where the notes are set at body size, the
    lines under a drawn separator rule (``rules``) that begin with a note number."""
    cut = len(column)
    while cut > 0 and column[cut - 1].size < 0.9 * body_size:
        cut -= 1
    if cut > 0 and is_footnote_rule(column[cut - 1].text):
        cut -= 1
    if 1 < cut < len(column) and _NOTE_START.match(column[cut - 1].text) \
            and not _NOTE_START.match(column[cut].text) \
            and column[cut - 2].y - column[cut - 1].y > column[cut - 1].y - column[cut].y:
        cut -= 1  # the note's first line, nearer the note than the body (a scan's call)
    if cut == len(column):
        for y in sorted(rules or (), reverse=True):
            below = next((k for k, ln in enumerate(column) if ln.y < y), None)
            if below and _NOTE_START.match(column[below].text):
                cut = below
                break
    notes = [ln for ln in column[cut:] if not is_footnote_rule(ln.text)]
    if not notes or not _NOTE_START.match(notes[0].text):
        return column, []
    return column[:cut], notes


def parse_notes(lines: list[_Line], notes: dict[int, list[str]]) -> None:
    """Add footnote lines to ``notes`` (a new note where a line starts with the next number)."""
    current = max(notes, default=None)
    for ln in lines:
        m = _NOTE_START.match(ln.text)
        number = int(m.group(1).translate(_FROM_SUPERSCRIPT)) if m else None
        if m and number is not None and (current is None or number == current + 1):
            current = number
            notes[current] = [ln.text[m.end():]]
        elif current is not None:
            notes[current].append(ln.text)


@dataclass
class _Metrics:
    """Typography used to judge breaks, read from the document's own lines."""

    body_size: float
    pitch: float  # the modal distance between the baselines of consecutive body lines
    right: dict[tuple[int, int], float]  # (columns on page, column) → right edge
    page_pitch: dict[int, float] = field(default_factory=dict)  # a page's own modal pitch

    def is_gap(self, drop: float, page: int | None = None, size: float = 0.0) -> bool:
        """Whether baselines ``drop`` apart leave a gap: clearly more than one line at the
        page's modal pitch (a uniform double spacing is one line, not a gap). Between two
        lines of a larger type (``size``: the smaller of the two), the pitch grows with it: a
        heading in 14 pt wraps at a wider leading than the 11 pt body."""
        pitch = self.page_pitch.get(page, self.pitch) if page is not None else self.pitch
        scale = max(1.0, size / self.body_size) if self.body_size else 1.0
        return drop > scale * (pitch + 0.3 * min(pitch, 1.2 * self.body_size))


_MIN_PITCH_SAMPLES = 6  # a page with fewer line pairs uses the document's pitch


def modal_pitch(drops: list[float]) -> float | None:
    """The most frequent baseline distance (half-point bins, the smaller bin of a tie: a
    double-spaced text's blank lines make gaps, not lines), refined by the median of the
    distances within 10 % of it."""
    if not drops:
        return None
    bins = Counter(round(d * 2) / 2 for d in drops)
    top = max(bins.values())
    mode = min(b for b, n in bins.items() if n == top)
    near = [d for d in drops if abs(d - mode) <= 0.1 * mode]
    return statistics.median(near)


def _drops(cols: list[list[_Line]], body: float) -> list[float]:
    """Distances between the baselines of consecutive body-size lines of a page's columns."""
    return [a.y - b.y for col in cols for a, b in pairwise(col)
            if 0.8 * body < a.y - b.y < 6 * body and abs(a.size - body) < 0.5
            and abs(b.size - body) < 0.5]


def _metrics(pages: list[list[list[_Line]]]) -> _Metrics:
    sizes: Counter[float] = Counter()
    for cols in pages:
        for col in cols:
            for ln in col:
                sizes[round(ln.size, 1)] += len(ln.sizes)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    per_page = [_drops(cols, body) for cols in pages]
    pitch = modal_pitch([d for drops in per_page for d in drops]) or 1.2 * body
    page_pitch = {p: modal_pitch(drops) or pitch for p, drops in enumerate(per_page)
                  if len(drops) >= _MIN_PITCH_SAMPLES}
    right: dict[tuple[int, int], float] = {}
    for cols in pages:
        for c, col in enumerate(cols):
            key = (len(cols), c)
            right[key] = max([right.get(key, -1e9), *(ln.x1 for ln in col)])
    return _Metrics(body, pitch, right, page_pitch)


def _is_short(prev: _Line, nxt: _Line, right: float, m: _Metrics) -> bool:
    """The next line's first word would have fitted on ``prev``: the break was deliberate."""
    space = 0.25 * m.body_size
    return prev.x1 + space + nxt.first_word_width() < right - 1


def _breaks_block(prev: _Line, nxt: _Line, same_column: bool, m: _Metrics, short: bool,
                  page: int | None = None) -> bool:
    if prev.is_bold != nxt.is_bold:
        return True
    if same_column and m.is_gap(prev.y - nxt.y, page, min(prev.size, nxt.size)):
        return True
    ended = bool(_SENTENCE_END.search(prev.text))
    if _MARKER.match(nxt.text) and ended and short:
        return True
    indented = nxt.indent > prev.indent + 3
    if not same_column and short and prev.is_bold:
        return True  # a heading ends at the foot of a column
    return ended and ((short and indented) or (not same_column and (short or indented)))


def _join(block: TextBlock, text: str, vocabulary: Counter[str]) -> None:
    last = block.lines[-1]
    # the block's end only: a search anchored at the end still tries every start
    head = re.search(r"([^\W\d_]+)[-\u00ad\ufffe\u0002\u2010]$", last[-100:])
    tail = re.match(r"[^\W\d_]+", text)
    if head and tail:
        if joins_at_hyphen(head.group(1), tail.group(0), vocabulary):
            block.lines[-1] = last[:-1] + text
        else:
            block.lines[-1] = last[:-1] + "-" + text
    elif last[-1:] in _HYPHENS and text[:1].isdigit():  # ``COVID-`` / ``19``
        block.lines[-1] = last[:-1] + "-" + text
    else:
        block.lines[-1] = f"{last} {text}"


def build_blocks(pages: list[list[list[_Line]]], m: _Metrics,
                 vocabulary: Counter[str]) -> list[TextBlock]:
    """Join the body lines of every column into blocks."""
    blocks: list[TextBlock] = []
    prev: _Line | None = None
    prev_key: tuple[int, int, int] | None = None
    for p, cols in enumerate(pages):
        for c, col in enumerate(cols):
            for ln in col:
                text = ln.text.translate(_LIGATURES)
                key = (p, len(cols), c)
                if prev is None or prev_key is None:
                    blocks.append(TextBlock([text], ln.is_bold))
                else:
                    same = key == prev_key
                    right = m.right[(prev_key[1], prev_key[2])]
                    hyphen = prev.text[-1:] in _HYPHENS
                    short = not hyphen and _is_short(prev, ln, right, m)
                    if _breaks_block(prev, ln, same, m, short, p):
                        blocks.append(TextBlock([text], ln.is_bold))
                    elif short:
                        blocks[-1].lines.append(text)
                    else:
                        _join(blocks[-1], text, vocabulary)
                prev, prev_key = ln, key
    return blocks


def uses_paragraph_gaps(pages: list[list[list[_Line]]], m: _Metrics) -> bool:
    """Whether paragraphs are set apart by vertical space: most lines that start one (a
    paragraph number, item letter or bullet as rag.layout reads them, or a first-line indent)
    follow a gap. Otherwise the page is hard-wrapped text at one leading, as UN documents are."""
    starts = gapped = 0
    for p, cols in enumerate(pages):
        for col in cols:
            for prev, ln in pairwise(col):
                if _MARKER.match(ln.text) or ln.indent > prev.indent + 3:
                    starts += 1
                    gapped += m.is_gap(prev.y - ln.y, p)
    return starts == 0 or gapped >= 0.5 * starts


def _indent_steps(indents: list[float], body_size: float) -> list[float]:
    """The indentation stops used (at least twice) in a document, left to right."""
    steps: list[list[float]] = []
    for x in sorted(i for i in indents if i > 0.4 * body_size):
        if steps and x - steps[-1][-1] <= 0.5 * body_size:
            steps[-1].append(x)
        else:
            steps.append([x])
    return [group[0] for group in steps if len(group) >= 2]


def build_lines(pages: list[list[list[_Line]]], m: _Metrics,
                vocabulary: Counter[str] | None = None) -> list[TextLine]:
    """The body lines as they are, for rag.layout: indentation as a level (the rank of its
    indentation stop, so 1 for a first-line indent or an item, 2 for a heading set further
    in), a vertical gap or the end of bold text as a break, a line that starts bold text as
    a heading, a line-end
    hyphen as ``-``. A page or column change is a break only after a line that ends a sentence
    short of the right edge before an upper-case start; otherwise the paragraph runs on.
    With a ``vocabulary``, words hyphenated at a line end are rejoined where it is a syllable
    break."""
    lefts: dict[tuple[int, int], Counter[float]] = {}
    for cols in pages:
        for c, col in enumerate(cols):
            lefts.setdefault((len(cols), c), Counter()).update(round(ln.x0) for ln in col)
    left = {key: xs.most_common(1)[0][0] for key, xs in lefts.items()}
    indent = {id(ln): max(0.0, ln.x0 - left[(len(cols), c)])
              for cols in pages for c, col in enumerate(cols) for ln in col}
    steps = _indent_steps(list(indent.values()), m.body_size)
    widths = {id(ln): (left[(len(cols), c)], m.right[(len(cols), c)])
              for cols in pages for c, col in enumerate(cols) for ln in col}
    tolerance = 0.25 * m.body_size
    out: list[TextLine] = []
    prev: _Line | None = None
    for p, cols in enumerate(pages):
        for col in cols:
            for k, ln in enumerate(col):
                gap = k > 0 and m.is_gap(col[k - 1].y - ln.y, p,
                                         min(col[k - 1].size, ln.size))
                if k == 0 and prev is not None:  # a paragraph that ends at the foot of a page
                    edge = widths[id(prev)]
                    gap = prev.x1 < edge[0] + 0.8 * (edge[1] - edge[0]) \
                        and bool(_SENTENCE_END.search(prev.text)) and ln.text[:1].isupper()
                if prev is not None and prev.is_bold and not ln.is_bold:
                    gap = True  # a heading set in bold ends where the bold does
                if 0 < k < len(col) - 1 and _first_line_indent(col[k - 1], ln, col[k + 1], m):
                    gap = True
                level = min(3, sum(indent[id(ln)] >= x - tolerance for x in steps))
                if ln.is_bold and (prev is None or gap or not prev.is_bold):
                    level = max(level, 2)
                text = ln.text.translate(_LIGATURES)
                if text[-1:] in _HYPHENS:
                    text = text[:-1] + "-"
                out.append(TextLine(text, level, gap))
                prev = ln
    return _rejoin_hyphenated(out, vocabulary) if vocabulary is not None else out


def letter_items(pages: list[list[list[_Line]]], body_size: float) -> None:
    """A list's letters printed ``a.`` (HTML, word processors) read as the ``a)`` of UN items
    where they hang: the next line starts further in, or is the next letter at the same place."""
    for cols in pages:
        for col in cols:
            for k, ln in enumerate(col):
                m = _LETTER_DOT.match(ln.text)
                if not m or k + 1 >= len(col):
                    continue
                nxt = col[k + 1]
                following = _LETTER_DOT.match(nxt.text)
                if nxt.x0 > ln.x0 + 0.5 * body_size or (
                        following and abs(nxt.x0 - ln.x0) < 2
                        and ord(following.group(1)) == ord(m.group(1)) + 1):
                    ln.chars = [_LETTER_DOT.sub(r"\1) ", ln.text)]


def _first_line_indent(prev: _Line, ln: _Line, nxt: _Line, m: _Metrics) -> bool:
    """``ln`` starts a paragraph by a first-line indent: it starts right of the line before
    it, and the next is not further in (whatever the column's usual left edge), after a line
    that ends a sentence."""
    step = 0.8 * m.body_size
    return ln.x0 > prev.x0 + step and nxt.x0 < ln.x0 + 1 \
        and bool(_SENTENCE_END.search(prev.text)) and not _MARKER.match(ln.text)


def _rejoin_hyphenated(lines: list[TextLine], vocabulary: Counter[str]) -> list[TextLine]:
    """A word hyphenated at a line end (``asso-`` / ``ciant``) moves whole onto the first line
    when it is a syllable break (rag.cleaning.joins_at_hyphen), so that rag.layout does not
    have to know the word; compounds (``sous-`` / ``régionales``) are left as they are."""
    out: list[TextLine] = []
    for line in lines:
        prev = out[-1] if out else None
        head = re.search(r"([^\W\d_]+)-$", prev.text) if prev is not None else None
        tail = re.match(r"([^\W\d_]+)(\S*)\s*", line.text)
        if prev is not None and head and tail and not line.after_gap \
                and joins_at_hyphen(head.group(1), tail.group(1), vocabulary):
            prev.text = prev.text[:-1] + tail.group(0).rstrip()
            rest = line.text[tail.end():]
            if not rest:
                continue
            line = TextLine(rest, line.indent, False)
        out.append(line)
    return out


def _vocabulary(lines: list[str]) -> Counter[str]:
    """Word counts without the fragments of words hyphenated across lines."""
    kept, after_hyphen = [], False
    for text in lines:
        if after_hyphen:
            text = re.sub(r"^[^\W\d_]+", "", text)
        after_hyphen = text[-1:] in _HYPHENS
        kept.append(re.sub(r"[^\W\d_]+.$", "", text) if after_hyphen else text)
    return word_counts(kept)


def _open(data: bytes, name: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if any(w in str(exc).lower() for w in ("password", "security")):
            raise DocumentRejected(name, "encrypted PDF; remove the password first") from None
        raise DocumentRejected(name, f"corrupt PDF, cannot be opened ({exc})") from None


#: the most pages and characters a PDF may give (a small file can point at one page a
#: hundred thousand times: it is refused before its pages are read, not after)
MAX_PDF_PAGES = 2000
MAX_PDF_CHARS = 20_000_000


def read_pdf(data: bytes, name: str, *, ocr: bool = False) -> tuple[str, int]:
    """Seed-shaped text of a PDF and its page count (``DocumentRejected`` names ``name``). A
    PDF without a text layer (a scan) is recognised by OCR where it is installed
    (:mod:`rag.sources.ocr`; ``ocr``: ``data`` is already its result)."""
    pdf = _open(data, name)
    try:
        if len(pdf) > MAX_PDF_PAGES:
            raise DocumentRejected(name, f"has {len(pdf):,} pages, over the limit of "
                                   f"{MAX_PDF_PAGES:,}", "too_large")
        raw_pages, rules = [], []
        chars = 0
        for i in range(len(pdf)):
            raw_pages.append(lines := _page_lines(pdf[i]))
            rules.append(note_rules(pdf[i]))
            chars += sum(len(ln.text) for ln in lines)
            if chars > MAX_PDF_CHARS:
                raise DocumentRejected(name, f"gives over {MAX_PDF_CHARS:,} characters of "
                                       f"text by page {i + 1}", "too_large")
    except pdfium.PdfiumError as exc:
        raise DocumentRejected(name, f"corrupt PDF, a page cannot be read ({exc})") from None
    finally:
        pdf.close()
    if sum(len(ln.text.replace(" ", "")) for lines in raw_pages for ln in lines) \
            < _MIN_TEXT_CHARS:
        from rag.ingest.sources.ocr import HOW_TO_ENABLE, ocr_available, ocr_pdf
        if ocr or not ocr_available():
            raise DocumentRejected(name, "no text layer" + (
                ", and OCR found no text in it" if ocr else f"; {HOW_TO_ENABLE}"))
        return read_pdf(ocr_pdf(data, len(raw_pages)), name, ocr=True)
    if ocr:
        ocr_structure(raw_pages)
    else:
        mark_heading_styles(raw_pages)
    job = job_number(raw_pages)
    masthead, symbols, raw_pages[0] = split_masthead(raw_pages[0])
    if job:  # read by rag.layout.read_masthead, never a passage
        masthead.insert(0, job)
    pages, headers = drop_running_text(raw_pages)
    headers = symbols + headers
    columns = [order_columns(lines) for lines in pages]
    m = _metrics(columns)
    notes: dict[int, list[str]] = {}
    body_pages = []
    for cols, page_rules in zip(columns, rules, strict=True):
        body_cols = []
        for col in cols:
            body, note_lines = split_notes(col, m.body_size, page_rules)
            parse_notes(note_lines, notes)
            body_cols.append(body)
        body_pages.append(body_cols)
    _superscript_calls([ln for cols in body_pages for col in cols for ln in col], notes)
    letter_items(body_pages, m.body_size)
    if not uses_paragraph_gaps(body_pages, m):
        footnotes = {n: join_wrapped_lines(ls).translate(_LIGATURES) for n, ls in notes.items()}
        vocabulary = _vocabulary([ln.text for cols in body_pages for col in cols for ln in col])
        lines = build_lines(body_pages, m, vocabulary)
        if masthead and lines:
            lines[0].after_gap = True
        lines = [TextLine(field) for field in masthead] + lines
        return render_lines(lines, footnotes, headers), len(raw_pages)
    vocabulary = _vocabulary([ln.text for cols in body_pages for col in cols for ln in col])
    blocks = build_blocks(body_pages, m, vocabulary)
    if masthead:
        blocks.insert(0, TextBlock(masthead))
    footnotes = {n: _join_note(ls, vocabulary) for n, ls in notes.items()}
    return render(blocks, footnotes, headers), len(raw_pages)


_USELESS_TITLE = re.compile(
    r"^(?:untitled|sans titre|document\d*|title|titre|microsoft (?:word|powerpoint|excel) - .*"
    r"|.*\.(?:pdf|docx?|odt|rtf|txt|html?|indd|tex|pages|wpd)|(?:[a-z]:)?[/\\].*|.*\\.*|[\w.-]*[_\d][\w.-]*)$",
    re.IGNORECASE)


def pdf_title(data: bytes) -> str | None:
    """The PDF's own Title metadata, None when it is empty or a default that says nothing
    (``Untitled``, ``Microsoft Word - x.docx``, a file name or path)."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        title = pdf.get_metadata_dict().get("Title", "")
    finally:
        pdf.close()
    title = " ".join(unicodedata.normalize("NFC", title or "").replace("\x00", "").split())
    if not title or _USELESS_TITLE.match(title) or not re.search(r"[^\W\d_]{2}", title):
        return None
    return title


def _join_note(lines: list[str], vocabulary: Counter[str]) -> str:
    block = TextBlock([lines[0].translate(_LIGATURES)])
    for text in lines[1:]:
        _join(block, text.translate(_LIGATURES), vocabulary)
    return block.text
