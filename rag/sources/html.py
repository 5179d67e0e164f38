"""HTML pages with BeautifulSoup: page furniture dropped (script, style, nav, header, footer),
one block per paragraph, list item or heading; ordered list items numbered (``12.``, ``a)``),
bullets ``•``; footnote sections turned into seed footnotes; a UN symbol as page title is kept
as a page header."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from rag.sources.shape import TextBlock, render, symbol_headers

_DROP = ("script", "style", "nav", "header", "footer", "noscript", "template", "form",
         "iframe", "svg", "button", "head")
_BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th",
                     "pre", "blockquote", "div", "section", "article", "main", "caption",
                     "figcaption", "address", "ol", "ul", "dl", "table", "tr", "tbody",
                     "thead", "figure", "aside", "body"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_NOTES = re.compile(r"foot-?notes?|end-?notes?|notes-bas", re.IGNORECASE)
_BACKLINK = re.compile(r"[↩↑^]\ufe0e?")
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def list_marker(item: Tag) -> str:
    """``12. ``, ``b) ``, ``IV. `` or ``• `` for a list item, from its list's type and start."""
    parent = item.parent
    if not isinstance(parent, Tag) or parent.name != "ol":
        return "• "
    number = _int(parent.get("start"), 1)
    for steps, sibling in enumerate(item.find_previous_siblings("li"), start=1):
        if sibling.get("value") is not None:
            number = _int(sibling.get("value"), 1) + steps
            break
    else:
        number += len(item.find_previous_siblings("li"))
    number = _int(item.get("value"), number)
    kind = str(item.get("type") or parent.get("type") or "1")
    if kind in "aA" and 1 <= number <= 26:
        letter = chr(ord("a") + number - 1)
        return f"{letter if kind == 'a' else letter.upper()}) "
    if kind in "iI":
        return f"{_roman(number)}. "
    return f"{number}. "


def _has_blocks(tag: Tag) -> bool:
    return any(isinstance(c, Tag) and c.name in _BLOCKS for c in tag.descendants)


def _lines(nodes: list[object]) -> list[str]:
    text = "".join(n.get_text() if isinstance(n, Tag) else str(n) for n in nodes)
    lines = [" ".join(part.split()) for part in text.split("\n")]
    return [ln for ln in lines if ln]


class _Collector:
    """Walks the page and collects one block per leaf block element."""

    def __init__(self) -> None:
        self.blocks: list[TextBlock] = []
        self.marker = ""  # list marker waiting for the first block of a list item

    def add(self, nodes: list[object], heading: bool = False) -> None:
        lines = _lines(nodes)
        if lines:
            marker, self.marker = self.marker, ""
            lines[0] = marker + lines[0]
            self.blocks.append(TextBlock(lines, heading=heading and not marker))

    def walk(self, tag: Tag) -> None:
        inline: list[object] = []
        for child in tag.children:
            if isinstance(child, Tag) and child.name in _BLOCKS:
                self.add(inline)
                inline = []
                if child.name == "li":
                    self.marker = list_marker(child)
                if _has_blocks(child):
                    self.walk(child)
                else:
                    self.add([child], heading=child.name in _HEADINGS)
            elif isinstance(child, Tag | NavigableString):
                inline.append(child)
        self.add(inline)


def _footnotes(soup: BeautifulSoup) -> dict[int, str]:
    """Remove the page's footnote sections; return their notes by number."""
    notes: dict[int, str] = {}
    for section in soup.find_all(lambda t: _NOTES.search(" ".join(t.get("class") or []))
                                 or _NOTES.search(str(t.get("role") or ""))
                                 or _NOTES.search(str(t.get("id") or ""))):
        if section.decomposed:
            continue
        items = section.find_all("li") or section.find_all("p")
        for k, item in enumerate(items, start=1):
            ident = re.search(r"(\d+)$", str(item.get("id") or ""))
            text = _BACKLINK.sub("", " ".join(item.get_text(" ").split())).strip()
            number = int(ident.group(1)) if ident else k
            text = re.sub(rf"^{number}\s*[.)]?\s+", "", text)
            if text:
                notes[number] = text
        section.decompose()
    return notes


def read_html(text: str) -> str:
    """Seed-shaped text of an HTML page."""
    soup = BeautifulSoup(text, "lxml")
    headers = symbol_headers([soup.title.get_text()] if soup.title else [])
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    notes = _footnotes(soup)
    for sup in soup.find_all("sup"):
        number = sup.get_text().strip()
        if number.isdigit() and int(number) in notes:
            previous = sup.previous_sibling
            if isinstance(previous, NavigableString):
                previous.replace_with(previous.rstrip())
            sup.replace_with(number)
    collector = _Collector()
    collector.walk(soup.body or soup)
    return render(collector.blocks, notes, headers)
