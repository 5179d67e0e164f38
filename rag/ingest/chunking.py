"""Cut a cleaned document into citable passages, one per paragraph.

Numbered paragraphs keep their number (``12``); lettered sub-items stay with their parent
when short, else become ``12 a)``; unnumbered paragraphs get ordinals (``§3``), bullets
``bullet 7``; long document titles, the signature block and footnotes are passages of their
own, and so is the masthead (symbol, distribution date, ``Original :`` line: ``#masthead``,
cited for questions about the document). Paragraphs longer than the window size are split
at sentence boundaries into windows that keep the paragraph's label.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

from rag.ingest.roles import assign_roles
from rag.ingest.sentences import split_sentences
from rag.records import Block, ChunkOptions, Document, Passage

CHUNKER_VERSION = "4"  # in the manifest; bump it when passages change (forces a rebuild)
_TITLE_LEVELS = (0, 1)  # heading levels of document titles (rag.ingest.layout: part and sub-part)
_MIN_TITLE_PASSAGE = 40  # shorter titles ("Document de réflexion") only name a section


@dataclass
class _Unit:
    """A paragraph-level unit before windowing: one or more blocks cited together."""

    kind: str
    slug: str
    label: str
    text: str
    section: tuple[str, ...]
    context: str = ""
    parent_slug: str | None = None
    footnotes: tuple[int, ...] = ()


@dataclass
class _Walker:
    options: ChunkOptions
    units: list[_Unit] = field(default_factory=list)
    path: list[tuple[int, str]] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    slugs: Counter[str] = field(default_factory=Counter)
    lead_in: str = ""  # last paragraph ending in ':' (context for bullets)

    @property
    def section(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.path)

    def unique(self, slug: str) -> str:
        self.slugs[slug] += 1
        n = self.slugs[slug]
        return slug if n == 1 else f"{slug}-{n}"

    def heading(self, block: Block) -> None:
        if block.level in _TITLE_LEVELS and len(block.text) >= _MIN_TITLE_PASSAGE:
            self.counters["title"] += 1
            k = self.counters["title"]
            self.add("title", f"t{k}", f"title {k}", block.text, block.footnotes)
        self.path = [(lvl, text) for lvl, text in self.path if lvl < block.level]
        self.path.append((block.level, block.text))
        self.lead_in = ""

    def add(self, kind: str, slug: str, label: str, text: str, notes: tuple[int, ...] = (),
            context: str = "", parent_slug: str | None = None) -> None:
        self.units.append(_Unit(kind, self.unique(slug), label, text, self.section, context,
                                parent_slug, notes))

    def paragraph(self, block: Block, items: list[Block]) -> None:
        if block.number is not None:
            slug, label = f"p{block.number}", str(block.number)
        else:
            self.counters["para"] += 1
            slug, label = f"s{self.counters['para']}", f"§{self.counters['para']}"
        lines = [f"{b.letter}) {b.text}" for b in items]
        notes = block.footnotes + tuple(n for b in items for n in b.footnotes)
        whole = "\n".join([block.text, *lines])
        if len(whole) <= self.options.group_items_max_chars or not items:
            self.add("paragraph", slug, label, whole, notes)
        else:
            self.add("paragraph", slug, label, block.text, block.footnotes)
            parent = self.units[-1].slug
            for item, line in zip(items, lines, strict=True):
                self.add("item", f"{slug}{item.letter}", f"{label} {item.letter})", line,
                         item.footnotes, context=block.text, parent_slug=parent)
        self.lead_in = block.text if block.text.rstrip().endswith(":") else ""

    def bullet(self, block: Block) -> None:
        self.counters["bullet"] += 1
        k = self.counters["bullet"]
        self.add("bullet", f"b{k}", f"bullet {k}", block.text, block.footnotes,
                 context=self.lead_in)

    def signature(self, block: Block) -> None:
        self.add("signature", "sig", "signature", block.text, block.footnotes)

    def masthead(self, block: Block) -> None:
        self.add("masthead", "masthead", "masthead", block.text)


def _group(blocks: tuple[Block, ...]) -> list[tuple[Block, list[Block]]]:
    """Attach each run of lettered sub-items to the paragraph before it."""
    groups: list[tuple[Block, list[Block]]] = []
    for block in blocks:
        if block.kind == "item" and groups and groups[-1][0].kind == "paragraph":
            groups[-1][1].append(block)
        elif block.kind == "item":
            groups.append((Block("paragraph", block.text, footnotes=block.footnotes), []))
        else:
            groups.append((block, []))
    return groups


def _balanced_windows(text: str, max_chars: int) -> list[str]:
    """Split a long paragraph into ``ceil(len/max)`` windows of similar size, cutting at the
    sentence boundaries closest to equal shares."""
    if len(text) <= max_chars:
        return [text]
    sentences = split_sentences(text)
    count = min(-(-len(text) // max_chars), len(sentences))
    ends = list(accumulate(len(s) + 1 for s in sentences))
    cuts: list[int] = []
    for share in range(1, count):
        target = ends[-1] * share / count
        first = cuts[-1] + 1 if cuts else 0
        best = min(range(first, len(sentences) - (count - share)),
                   key=lambda i: abs(ends[i] - target))
        cuts.append(best)
    bounds = [-1, *cuts, len(sentences) - 1]
    return [" ".join(sentences[a + 1:b + 1]) for a, b in pairwise(bounds)]


def chunk_document(doc: Document, options: ChunkOptions | None = None) -> list[Passage]:
    """All passages of ``doc`` in reading order, footnotes last."""
    options = options or ChunkOptions()
    walker = _Walker(options)
    for block, items in _group(doc.blocks):
        if block.kind == "heading":
            walker.heading(block)
        elif block.kind == "bullet":
            walker.bullet(block)
        elif block.kind == "signature":
            walker.signature(block)
        elif block.kind == "masthead":
            walker.masthead(block)
        else:
            walker.paragraph(block, items)

    passages: list[Passage] = []
    note_parent: dict[int, str] = {}
    for unit in walker.units:
        windows = _balanced_windows(unit.text, options.max_window_chars)
        note_ids = tuple(f"{doc.id}#n{n}" for n in unit.footnotes if n in doc.footnotes)
        for i, window in enumerate(windows):
            slug = unit.slug if i == 0 else f"{unit.slug}-w{i + 1}"
            pid = f"{doc.id}#{slug}"
            for n in unit.footnotes:
                note_parent.setdefault(n, pid)
            passages.append(Passage(
                id=pid, doc_id=doc.id, kind=unit.kind, label=unit.label,  # type: ignore[arg-type]
                text=window, section=unit.section, context=unit.context, order=len(passages),
                parent=f"{doc.id}#{unit.parent_slug}" if unit.parent_slug else None,
                footnotes=note_ids,
            ))
    for number, text in sorted(doc.footnotes.items()):
        parent = note_parent.get(number)
        section = next((p.section for p in passages if p.id == parent), ())
        passages.append(Passage(
            id=f"{doc.id}#n{number}", doc_id=doc.id, kind="footnote", label=f"note {number}",
            text=text, section=section, order=len(passages), parent=parent,
        ))
    return assign_roles(passages)


def chunk_corpus(docs: list[Document], options: ChunkOptions | None = None) -> list[Passage]:
    """Passages of every document, in corpus order."""
    return [p for doc in docs for p in chunk_document(doc, options)]
