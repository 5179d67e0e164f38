"""HTML pages with BeautifulSoup: page furniture dropped (script, style, nav, header, footer),
one block per paragraph, list item or heading; headings marked ``#``…``######`` by their level;
ordered lists numbered (``12.``, ``a)``) when they carry the document's paragraph numbering,
read as list items (``•``) when they are lists (introduced by a colon, nested, or of short
items); bullets ``•``; footnote sections turned into seed footnotes; a UN symbol as page title
is kept as a page header. Line breaks are the page's (``<br>``, ``<pre>``), not the source's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, Comment, Declaration, NavigableString, ProcessingInstruction, Tag

from rag.ingest.sources.shape import TextBlock, render, roman_numeral, symbol_headers

_DROP = ("script", "style", "nav", "header", "footer", "noscript", "template", "form",
         "iframe", "svg", "button", "head")
_BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th",
                     "pre", "blockquote", "div", "section", "article", "main", "caption",
                     "figcaption", "address", "ol", "ul", "dl", "table", "tr", "tbody",
                     "thead", "figure", "aside", "body"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_NOTES = re.compile(r"foot-?notes?|end-?notes?|notes-bas", re.IGNORECASE)
_BACKLINK = re.compile(r"[↩↑^]\ufe0e?")
_LINE_BREAK = "\u2028"  # a <br> (or a line of <pre>) while the page's text is collected
_SHORT_ITEM_CHARS = 200  # a list whose items are all this short is a list, not paragraphs
_NUMBERED = re.compile(r"^(\d+)\. $")
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
        return f"{roman_numeral(number)}. "
    return f"{number}. "


def heading_marker(level: int) -> str:
    """``## `` for a level-2 heading: the heading's depth as rag.ingest.layout reads it."""
    return "#" * max(1, min(level, 6)) + " "


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _is_paragraph_numbering(ol: Tag, intro: bool, last_number: int) -> bool:
    """Whether an ordered list numbers the document's paragraphs (``12.``) rather than being
    a list: not nested in another list, and either continuing the numbering of the paragraphs
    before it, or neither introduced by a colon nor made of short items only."""
    if ol.find_parent("li") is not None:
        return False
    start = _int(ol.get("start"), 1)
    if start > 1 and start == last_number + 1:
        return True
    items = ol.find_all("li", recursive=False)
    short = len(items) >= 2 and all(len(_squeeze(li.get_text())) <= _SHORT_ITEM_CHARS
                                    for li in items)
    return not intro and not short


def _with_blocks(root: Tag) -> set[int]:
    """``id()`` of every element of ``root`` that holds a block element, found in one pass
    (each block marks its ancestors up to the first one already marked), so that deep
    nesting costs no more than a flat page."""
    marked: set[int] = set()
    for node in root.descendants:
        if isinstance(node, Tag) and node.name in _BLOCKS:
            parent = node.parent
            while parent is not None and id(parent) not in marked:
                marked.add(id(parent))
                if parent is root:
                    break
                parent = parent.parent
    return marked


def _cells(row: Tag) -> list[Tag]:
    return row.find_all(("td", "th"), recursive=False)


def _lines(nodes: list[object]) -> list[str]:
    text = "".join(n.get_text() if isinstance(n, Tag) else str(n) for n in nodes)
    lines = [_squeeze(part) for part in text.split(_LINE_BREAK)]
    return [ln for ln in lines if ln]


class _Collector:
    """Walks the page and collects one block per leaf block element."""

    def __init__(self) -> None:
        self.blocks: list[TextBlock] = []
        self.with_blocks: set[int] = set()  # see _with_blocks
        self.marker = ""  # list marker waiting for the first block of a list item
        self.last_number = 0  # the last paragraph number given
        self.numbering: dict[int, bool] = {}  # id(ol) → numbers paragraphs (decided once)

    def add(self, nodes: list[object], heading: int = 0) -> None:
        """A block of ``nodes``' text; ``heading``: its level (1–6), 0 for none."""
        lines = _lines(nodes)
        if lines:
            marker, self.marker = self.marker, ""
            if heading and not marker:
                marker = heading_marker(heading)
            lines[0] = marker + lines[0]
            self.blocks.append(TextBlock(lines, heading=bool(heading) and marker.startswith("#")))

    def item_marker(self, item: Tag) -> str:
        """The marker of a list item: ``list_marker``'s, except that an ordered list that is
        a list, not the paragraph numbering, gives bullets."""
        marker = list_marker(item)
        ol = item.parent
        if isinstance(ol, Tag) and (m := _NUMBERED.match(marker)):
            if id(ol) not in self.numbering:
                intro = bool(self.blocks) and not self.blocks[-1].heading \
                    and self.blocks[-1].text.rstrip().endswith(":")
                self.numbering[id(ol)] = _is_paragraph_numbering(ol, intro, self.last_number)
            if not self.numbering[id(ol)]:
                return "• "
            self.last_number = int(m.group(1))
        return marker

    def walk(self, root: Tag) -> None:
        """Collect the blocks of ``root`` in reading order (with a stack of the elements
        being read, not recursion: any depth of nesting is read)."""
        self.with_blocks = _with_blocks(root)
        stack: list[tuple[Iterator[object], list[object]]] = [(iter(root.contents), [])]
        while stack:
            children, inline = stack[-1]
            for child in children:
                if isinstance(child, Tag) and child.name in _BLOCKS:
                    self.add(inline)
                    inline.clear()
                    if child.name == "li":
                        self.marker = self.item_marker(child)
                    if child.name == "tr" and not any(id(c) in self.with_blocks
                                                      for c in _cells(child)):
                        cells = (_squeeze(c.get_text()) for c in _cells(child))
                        self.add([" | ".join(c for c in cells if c)])
                    elif id(child) in self.with_blocks:
                        stack.append((iter(child.contents), []))
                        break  # read the child's blocks, then go on with this element's
                    else:
                        self.add([child], heading=int(child.name[1])
                                 if child.name in _HEADINGS else 0)
                elif isinstance(child, Tag | NavigableString):
                    inline.append(child)
            else:
                self.add(inline)
                stack.pop()


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


def _title(page_title: str, soup: BeautifulSoup) -> str | None:
    """The page's ``<title>`` (unless it is only a document symbol), else its first h1."""
    if page_title and not symbol_headers([page_title]):
        return page_title
    h1 = soup.find("h1")
    return _squeeze(h1.get_text()) or None if h1 else None


def parse_html(text: str) -> tuple[str, str | None]:
    """Seed-shaped text of an HTML page, and the title the page gives itself."""
    soup = BeautifulSoup(text, "lxml")
    page_title = _squeeze(soup.title.get_text()) if soup.title else ""
    headers = symbol_headers([page_title])
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for node in soup.find_all(string=lambda s: isinstance(
            s, Comment | Declaration | ProcessingInstruction)):
        node.extract()
    for br in soup.find_all("br"):
        br.replace_with(_LINE_BREAK)
    for pre in soup.find_all("pre"):
        for string in pre.find_all(string=True):
            string.replace_with(string.replace("\n", _LINE_BREAK))
    notes = _footnotes(soup)
    for sup in soup.find_all("sup"):
        number = sup.get_text().strip()
        if number.isdigit() and int(number) in notes:
            previous = sup.previous_sibling
            if isinstance(previous, NavigableString):
                previous.replace_with(previous.rstrip())
            sup.replace_with(number)
    title = _title(page_title, soup)
    collector = _Collector()
    collector.walk(soup.body or soup)
    return render(collector.blocks, notes, headers), title
