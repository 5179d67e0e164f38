"""Word documents with docx2python: one block per paragraph, Word's automatic numbering kept
as ``12.`` / ``a)`` / ``•`` whether it is set on the paragraph or comes with its style (``List
Number``), headings marked ``#``… by their level (the style's outline level: Heading 1, Titre 2…;
the Title style above them), footnotes as seed footnotes, the title of the document properties.

Numbering is counted here from ``word/numbering.xml`` and ``word/styles.xml`` (docx2python only
sees numbering set on the paragraph itself): counters per list definition (``abstractNum``),
restarted by a ``startOverride``, deeper levels reset by a shallower one.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx2python import docx2python
from lxml import etree

from rag.errors import DocumentRejected
from rag.ingest.sources.html import heading_marker
from rag.ingest.sources.shape import TextBlock, render, roman_numeral, symbol_headers

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# the list prefix docx2python writes before a paragraph numbered on the paragraph itself
_DOCX2PYTHON_PREFIX = re.compile(r"^\t*(?:--|[0-9A-Za-z]{1,12}\))\t")
_NOTE_REF = re.compile(r"\s*----(?:footnote|endnote)(\d+)----")
_NOTE_TEXT = re.compile(r"^(?:footnote|endnote)(\d+)\)\t\s*")
_HEADING_NAME = re.compile(r"^(?:heading|titre|überschrift|título|titolo)\s*(\d)$", re.I)
_TITLE_NAME = re.compile(r"^(?:title|titre)$", re.I)
_SUBTITLE_NAME = re.compile(r"^(?:subtitle|sous-?titre)$", re.I)
_BULLET_NAME = re.compile(r"bullet|puce", re.I)
_TITLE_RANK, _SUBTITLE_RANK = 0, 1  # a heading's rank: Heading N is N


def _val(element: Any, path: str) -> str | None:
    """The ``w:val`` of the first ``path`` under ``element`` (``w:`` written as ``w:``)."""
    if element is None:
        return None
    found = element.find(path.replace("w:", _W))
    return None if found is None else found.get(f"{_W}val")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _letters(n: int) -> str:
    """Word's letter numbering: a…z, then aa…zz."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n >= 1 else str(n)


def format_number(n: int, fmt: str) -> str:
    """``n`` written in Word's number format ``fmt`` (``decimal``, ``lowerLetter``…)."""
    if fmt in ("lowerLetter", "upperLetter"):
        letters = _letters(n)
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        roman = roman_numeral(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


@dataclass(frozen=True)
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1
    style: str | None = None  # the paragraph style linked to this level


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    outline: int | None = None
    num_id: str | None = None
    ilvl: int | None = None


@dataclass
class _Num:
    abstract: str
    starts: dict[int, int] = field(default_factory=dict)  # lvlOverride/startOverride


def _num_pr(ppr: Any) -> tuple[str | None, int | None]:
    if ppr is None:
        return None, None
    numpr = ppr.find(f"{_W}numPr")
    if numpr is None:
        return None, None
    return _val(numpr, "w:numId"), _int(_val(numpr, "w:ilvl"))


class WordFormats:
    """Paragraph styles and list definitions of a Word file: heading ranks and numbering."""

    def __init__(self, styles_xml: bytes | None, numbering_xml: bytes | None) -> None:
        self.styles: dict[str, _Style] = {}
        self.abstracts: dict[str, dict[int, _Level]] = {}
        self.style_links: dict[str, str] = {}  # abstractNum → numbering style it follows
        self.nums: dict[str, _Num] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        if styles_xml:
            self._read_styles(etree.fromstring(styles_xml))
        if numbering_xml:
            self._read_numbering(etree.fromstring(numbering_xml))

    @classmethod
    def from_file(cls, archive: zipfile.ZipFile) -> WordFormats:
        names = set(archive.namelist())
        parts = [archive.read(n) if n in names else None
                 for n in ("word/styles.xml", "word/numbering.xml")]
        try:
            return cls(*parts)
        except etree.XMLSyntaxError:
            return cls(None, None)

    def _read_styles(self, root: Any) -> None:
        for style in root.iter(f"{_W}style"):
            sid = style.get(f"{_W}styleId")
            if not sid:
                continue
            ppr = style.find(f"{_W}pPr")
            num_id, ilvl = _num_pr(ppr)
            self.styles[sid] = _Style(_val(style, "w:name") or "", _val(style, "w:basedOn"),
                                      _int(_val(ppr, "w:outlineLvl")), num_id, ilvl)

    def _read_numbering(self, root: Any) -> None:
        for abstract in root.iter(f"{_W}abstractNum"):
            aid = abstract.get(f"{_W}abstractNumId")
            if aid is None:
                continue
            if link := _val(abstract, "w:numStyleLink"):
                self.style_links[aid] = link
            self.abstracts[aid] = {
                ilvl: self._level(lvl) for lvl in abstract.iter(f"{_W}lvl")
                if (ilvl := _int(lvl.get(f"{_W}ilvl"))) is not None}
        for num in root.iter(f"{_W}num"):
            nid, aid = num.get(f"{_W}numId"), _val(num, "w:abstractNumId")
            if nid is None or aid is None:
                continue
            starts = {}
            for override in num.iter(f"{_W}lvlOverride"):
                ilvl, start = _int(override.get(f"{_W}ilvl")), \
                    _int(_val(override, "w:startOverride"))
                if ilvl is not None and start is not None:
                    starts[ilvl] = start
            self.nums[nid] = _Num(aid, starts)

    @staticmethod
    def _level(lvl: Any) -> _Level:
        return _Level(_val(lvl, "w:numFmt") or "decimal", _val(lvl, "w:lvlText") or "",
                      _int(_val(lvl, "w:start")) or 1, _val(lvl, "w:pStyle"))

    def _chain(self, style_id: str | None) -> Iterator[tuple[str, _Style]]:
        """The style and those it is based on, nearest first."""
        seen: set[str] = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            yield style_id, self.styles[style_id]
            style_id = self.styles[style_id].based_on

    def heading_rank(self, style_id: str, ppr: Any) -> int | None:
        """0 for a title, 1 for a subtitle, N for a heading of level N, None for body text:
        from the outline level (on the paragraph, else its style), else the style's name."""
        direct = _int(_val(ppr, "w:outlineLvl"))
        if direct is not None:
            return direct + 1 if direct < 9 else None
        for sid, style in self._chain(style_id):
            if style.outline is not None:
                return style.outline + 1 if style.outline < 9 else None
            for name in (style.name, sid):
                if m := _HEADING_NAME.match(name):
                    return max(int(m.group(1)), 1)
                if _TITLE_NAME.match(name):
                    return _TITLE_RANK
                if _SUBTITLE_NAME.match(name):
                    return _SUBTITLE_RANK
        if style_id not in self.styles:  # no styles part: the style id is all there is
            name = re.sub(r"(?<=\D)(?=\d)", " ", style_id)
            if m := _HEADING_NAME.match(name):
                return max(int(m.group(1)), 1)
            if _TITLE_NAME.match(style_id):
                return _TITLE_RANK
            if _SUBTITLE_NAME.match(style_id):
                return _SUBTITLE_RANK
        return None

    def is_bullet_style(self, style_id: str) -> bool:
        return any(_BULLET_NAME.search(s.name or sid) for sid, s in self._chain(style_id))

    def _levels(self, num_id: str) -> tuple[str, dict[int, _Level]] | None:
        num = self.nums.get(num_id)
        if num is None:
            return None
        abstract, levels = num.abstract, self.abstracts.get(num.abstract, {})
        link = self.style_links.get(abstract)
        if not levels and link:  # the definition is the numbering style's list
            linked = next((s.num_id for _, s in self._chain(link) if s.num_id), None)
            target = self.nums.get(linked or "")
            if target is not None and target.abstract != abstract:
                abstract, levels = target.abstract, self.abstracts.get(target.abstract, {})
        return abstract, levels

    def numbering(self, style_id: str, ppr: Any) -> tuple[str, int] | None:
        """``(numId, ilvl)`` of a numbered paragraph: set on the paragraph, else by its style
        (numId 0 turns numbering off)."""
        num_id, ilvl = _num_pr(ppr)
        style_ilvl = None
        if num_id is None:
            for sid, style in self._chain(style_id):
                if style.num_id is not None:
                    num_id, style_ilvl = style.num_id, style.ilvl
                    if style_ilvl is None:
                        found = self._levels(style.num_id)
                        style_ilvl = next((k for k, lv in (found[1] if found else {}).items()
                                           if lv.style == sid), None)
                    break
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return None
        return num_id, ilvl if ilvl is not None else (style_ilvl or 0)

    def count(self, num_id: str, ilvl: int) -> tuple[list[tuple[int, _Level]], _Level]:
        """Count one more paragraph at ``ilvl`` of list ``num_id``; returns the counts of
        levels 0…ilvl (with their definitions) and the definition of ``ilvl``."""
        found = self._levels(num_id)
        abstract, levels = found if found else (num_id, {})
        counts = self.counters.setdefault(abstract, {})
        num = self.nums[num_id]
        if num_id not in self.started:
            self.started.add(num_id)
            for level, start in num.starts.items():
                counts[level] = start - 1
                for deeper in [k for k in counts if k > level]:
                    del counts[deeper]

        def start(level: int) -> int:
            return num.starts.get(level, levels.get(level, _Level()).start)

        counts[ilvl] = counts.get(ilvl, start(ilvl) - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        path = [(counts.get(k, start(k)), levels.get(k, _Level())) for k in range(ilvl + 1)]
        return path, levels.get(ilvl, _Level())


def _marker(path: list[tuple[int, _Level]], level: _Level, ilvl: int) -> str:
    """The marker rag.ingest.layout reads: ``12.`` (decimal, first level), ``b)`` (letters),
    ``IV.`` (Roman, first level), ``C.`` (capital letters, first level), else ``•``."""
    n = path[-1][0]
    if level.fmt == "none" or (level.fmt != "bullet" and not level.text):
        return ""
    if level.fmt == "lowerLetter":
        return f"{_letters(n)}) "
    if ilvl == 0 and level.fmt in ("upperLetter", "upperRoman", "lowerRoman"):
        return f"{format_number(n, level.fmt).upper()}. "
    if ilvl == 0 and level.fmt not in ("bullet",):
        return f"{n}. "
    return "• "


def _heading_number(path: list[tuple[int, _Level]], level: _Level) -> str:
    """A numbered heading's number as Word shows it (``II.``, ``1.2``), from the level's
    text (``%1.%2``)."""
    if level.fmt in ("bullet", "none") or not level.text:
        return ""

    def number(m: re.Match[str]) -> str:
        k = int(m.group(1)) - 1
        return format_number(*((path[k][0], path[k][1].fmt) if k < len(path) else (0, "none")))

    return re.sub(r"%([1-9])", number, level.text).strip() + " "


def _paragraphs(tree: Any) -> Iterator[Any]:
    """Paragraph objects of docx2python's nested lists, in document order."""
    if isinstance(tree, list):
        for item in tree:
            yield from _paragraphs(item)
    else:
        yield tree


def _text(par: Any) -> str:
    return "".join(run.text for run in par.runs)


@dataclass
class _Paragraph:
    lines: list[str]
    marker: str = ""  # list marker (body) or number (heading)
    rank: int | None = None  # heading rank (see WordFormats.heading_rank)


def _paragraph(par: Any, formats: WordFormats) -> _Paragraph | None:
    text = _NOTE_REF.sub(r"\1", _text(par))
    style = par.style or ""
    elem = getattr(par, "elem", None)
    ppr = elem.find(f"{_W}pPr") if elem is not None else None
    if par.list_position and par.list_position[0] is not None:
        text = _DOCX2PYTHON_PREFIX.sub("", text, count=1)  # counted here instead
    rank = formats.heading_rank(style, ppr)
    marker = ""
    if numbered := formats.numbering(style, ppr):
        path, level = formats.count(*numbered)
        marker = _heading_number(path, level) if rank is not None \
            else _marker(path, level, numbered[1])
    elif rank is None and formats.is_bullet_style(style):
        marker = "• "
    lines = [" ".join(ln.split()) for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    return _Paragraph(lines, marker, rank) if lines else None


def _blocks(paragraphs: list[_Paragraph]) -> list[TextBlock]:
    """Blocks of the paragraphs; headings marked by depth, the Title style above Heading 1."""
    has_title = any(p.rank == _TITLE_RANK for p in paragraphs)
    blocks = []
    for p in paragraphs:
        lines = list(p.lines)
        if p.rank is None:
            lines[0] = p.marker + lines[0]
        else:
            depth = p.rank + 1 if has_title else max(p.rank, 1)
            lines[0] = heading_marker(depth) + p.marker + lines[0]
        blocks.append(TextBlock(lines, heading=p.rank is not None))
    return blocks


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


def read_docx_source(path: Path) -> tuple[str, str | None]:
    """Seed-shaped text of a ``.docx`` file and the title of its document properties
    (``DocumentRejected`` if it cannot be parsed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            etree.fromstring(archive.read("word/document.xml"))
            formats = WordFormats.from_file(archive)
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError) as exc:
        raise DocumentRejected(path.name, "corrupt Word document, word/document.xml cannot "
                               f"be read ({type(exc).__name__})") from None
    try:
        with docx2python(path) as doc:
            paragraphs = [p for par in _paragraphs(doc.body_pars)
                          if (p := _paragraph(par, formats))]
            notes = {**_notes(doc.endnotes_pars), **_notes(doc.footnotes_pars)}
            headers = symbol_headers(_text(p) for p in _paragraphs(doc.header_pars))
            title = " ".join(str(doc.core_properties.get("title") or "").split()) or None
    except Exception as exc:  # docx2python raises many kinds on damaged files
        raise DocumentRejected(path.name, f"corrupt Word document, cannot be parsed "
                               f"({type(exc).__name__})") from None
    return render(_blocks(paragraphs), notes, headers), title
