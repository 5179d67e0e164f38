"""The data types that flow between modules: plain values with no heavy imports (no FAISS,
BM25, numpy or torch), so that any module can name them cheaply:

- documents: :class:`Block`, :class:`DocumentMeta`, :class:`Document`, :class:`SourceRecord`,
  and what a document says about itself, field by field: :class:`CardField`,
  :class:`DocumentCard`;
- what is indexed and retrieved: :class:`Passage`, :class:`Sentence`, :class:`Hit`;
- the options of the FAISS build, :class:`IndexSpec` (here rather than in
  :mod:`rag.index.dense`, which loads FAISS, so that settings can read its defaults), and
  the other option types settings builds: :class:`ChunkOptions` (:mod:`rag.ingest.chunking`),
  :class:`RetrievalOptions`, :class:`CoverageOptions`, :class:`FeedbackOptions`
  (:mod:`rag.feedback`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# ``masthead``: the lines that say what the document is (symbol, distribution date,
# ``Original :`` line), which the cleaner keeps out of the text (rag.ingest.layout)
BlockKind = Literal["heading", "paragraph", "item", "bullet", "signature", "masthead"]
PassageKind = Literal["paragraph", "item", "bullet", "title", "footnote", "signature",
                      "masthead"]
# What a passage does in its document (rag.ingest.roles): only body text, list items and list
# introductions are evidence for questions about content.
PassageRole = Literal["body", "list_item", "list_intro", "title", "letterhead", "signature",
                      "footnote", "masthead"]
CONTENT_ROLES: frozenset[str] = frozenset({"body", "list_item", "list_intro"})


@dataclass(frozen=True)
class Block:
    """One structural unit of a cleaned document, in reading order."""

    kind: BlockKind
    text: str
    number: int | None = None  # numbered paragraph (``12.``)
    letter: str | None = None  # lettered sub-item (``a)``)
    level: int = 0  # heading depth, 0 = document part title
    footnotes: tuple[int, ...] = ()  # footnote numbers called from this block


@dataclass(frozen=True)
class DocumentMeta:
    """What a document says about itself (or what its catalogue entry says)."""

    id: str
    file: str
    symbol: str | None = None
    title: str = ""
    date: str | None = None  # ISO date
    author: str | None = None
    language: str = "fr"
    original_language: str | None = None
    distribution: str | None = None  # ``générale``, ``limitée``… (``Distr. générale``)
    job_number: str | None = None  # the UN job number, ``21-04084``
    kind: str | None = None  # letter, report, summary…
    presidency: str | None = None  # Council presidency that issued the document
    aliases: tuple[str, ...] = ()  # other names of its author (``Mexico``, ``mexicain``)


@dataclass(frozen=True)
class Document:
    """A cleaned document: metadata, structural blocks and footnotes."""

    meta: DocumentMeta
    blocks: tuple[Block, ...]
    footnotes: dict[int, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable document id (the seed file's stem)."""
        return self.meta.id

    @property
    def text(self) -> str:
        """The whole cleaned text, one block per paragraph."""
        return "\n\n".join(b.text for b in self.blocks)


@dataclass(frozen=True)
class Passage:
    """The unit of retrieval and citation: one paragraph (or sub-item, window, footnote)."""

    id: str  # "<doc-id>#<slug>", deterministic
    doc_id: str
    kind: PassageKind
    label: str  # "12", "12 a)", "§3", "bullet 7", "note 1", "title 1", "signature"
    text: str  # displayed text
    section: tuple[str, ...] = ()  # headings above the passage, outermost first
    context: str = ""  # lead-in prepended to the embedded text (not displayed)
    order: int = 0  # position in the document
    parent: str | None = None  # footnote → paragraph, item → paragraph lead-in
    footnotes: tuple[str, ...] = ()  # ids of footnote passages called from here
    role: PassageRole = "body"  # see rag.ingest.roles
    items: tuple[str, ...] = ()  # list introduction → ids of its items, in order

    def embedding_text(self, title: str) -> str:
        """Text that is embedded: document title, section path and context, then the text."""
        head = " > ".join(p for p in (title, *self.section) if p)
        parts = [head, self.context, self.text]
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class SourceRecord:
    """Where a document came from: its file, content hash, format and when it was added."""

    id: str
    file: str
    sha256: str
    bytes: int
    format: str
    pages: int | None
    added: str


CardFieldName = Literal["symbol", "title", "date", "distribution_date", "original_language",
                        "distribution", "job_number", "sender", "signatory", "addressee",
                        "enclosure", "agenda_item",
                        "meeting_date", "meeting_theme", "presidency"]
CardSource = Literal["text", "catalogue", "inferred"]


@dataclass(frozen=True)
class CardField:
    """One fact of a document card (:mod:`rag.ingest.cards`), with the passage it was read from."""

    name: CardFieldName
    value: str  # as the document prints it ("S/2021/297", "25 mars 2021", "anglais")
    passage_id: str | None  # the passage it was read from; None only from the catalogue alone
    source: CardSource
    iso: str | None = None  # ISO date (or year) for date fields
    note: str = ""  # how it was inferred ("year from the symbol S/2020/898")


@dataclass(frozen=True)
class DocumentCard:
    """What a document says about itself (symbols, dates, sender, signatory, meeting…),
    each field with its passage; built at index time by :func:`rag.ingest.cards.build_card`."""

    doc_id: str
    fields: tuple[CardField, ...]

    def get(self, name: str) -> CardField | None:
        """The first field of that name (the document's own, or the catalogue's)."""
        return next((f for f in self.fields if f.name == name), None)

    def all(self, name: str) -> tuple[CardField, ...]:
        """Every field of that name, in the card's order."""
        return tuple(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage (row ``passage``), cached with its embedding for answers."""

    passage: int
    ordinal: int
    text: str


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its fused score and the evidence behind it."""

    passage: Passage
    document: DocumentMeta
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None


IndexKind = Literal["auto", "flat", "ivf", "hnsw"]


@dataclass(frozen=True)
class IndexSpec:
    """Which FAISS structure to build and its tuning knobs (see :mod:`rag.index.dense`)."""

    kind: IndexKind = "auto"  # auto: flat (exact) up to rag.index.dense.FLAT_MAX, IVF beyond
    nlist: int | None = None  # IVF cells; default ≈ 4·√n
    nprobe: int | None = None  # IVF cells visited per query; default nlist/16 (≥ 8)
    hnsw_m: int = 32  # graph degree M, the value measured in bench/scale.py
    hnsw_ef_search: int = 512  # recall@10 0.967 at 1M; 128 gave 0.90 (bench/README.md)


@dataclass(frozen=True)
class RetrievalOptions:
    """How :class:`rag.query.retrieval.Retriever` ranks passages (the ``RAG_…`` settings of the
    same names default to these values)."""

    top_k: int = 5  # passages returned by search / ask
    candidate_k: int = 40  # candidates taken from each list (dense, lexical) before fusion
    dense_weight: float = 1.0  # weight of the dense list in the fusion
    lexical_weight: float = 0.5  # weight of the BM25 list (French stems) in the fusion
    lexical_weight_en: float = 0.5  # weight of the character 4-gram BM25 list (English)
    rrf_k: int = 60  # reciprocal-rank-fusion constant (Cormack et al. use 60)


@dataclass(frozen=True)
class CoverageOptions:
    """How :class:`rag.query.coverage.CoverageChecker` decides that the corpus names what a
    question names (the ``RAG_…`` settings of the same names default to these values)."""

    name_match_threshold: float = 0.93  # cosine of a name to a gazetteer name to be "the same"
    agreeing_name_threshold: float = 0.9  # the same, for an English name whose words agree
    common_share: float = 0.2  # a name in more than this share of passages constrains nothing


@dataclass(frozen=True)
class ChunkOptions:
    """Sizes that shape passages; the defaults of ``RAG_MAX_WINDOW_CHARS`` and
    ``RAG_GROUP_ITEMS_MAX_CHARS`` (:class:`rag.settings.Settings`)."""

    # ≈ 300 tokens: within the 512 that e5 reads, with room for the title and headings
    max_window_chars: int = 1200
    # a paragraph with its lettered items up to this size is one passage; beyond, each
    # item is a passage of its own (``12 a)``), cited alone
    group_items_max_chars: int = 900


FEEDBACK_FILE = "feedback.jsonl"


@dataclass(frozen=True)
class FeedbackOptions:
    """Where feedback is kept and how much (``RAG_FEEDBACK_MAX_BYTES`` and
    ``RAG_FEEDBACK_MAX_RECORD_BYTES`` default to these caps)."""

    folder: Path  # the service's: <index root>/feedback
    max_bytes: int = 16 * 1024 * 1024  # the file: an append that would pass it is refused
    max_record_bytes: int = 64 * 1024  # one record as stored (UTF-8 JSON line)

    @property
    def path(self) -> Path:
        """The JSON Lines file."""
        return self.folder / FEEDBACK_FILE
