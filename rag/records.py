"""The data types that flow between modules: plain values with no heavy imports (no FAISS,
BM25, numpy or torch), so that any module can name them cheaply:

- documents: :class:`Block`, :class:`DocumentMeta`, :class:`Document`, :class:`SourceRecord`,
  and what a document says about itself, field by field: :class:`CardField`,
  :class:`DocumentCard`;
- what is indexed and retrieved: :class:`Passage`, :class:`Sentence`, :class:`Hit`;
- the options of the FAISS build, :class:`IndexSpec` (here rather than in
  :mod:`rag.index.dense`, which loads FAISS, so that settings can read its knobs), and
  the other option types settings builds: :class:`ChunkOptions` (:mod:`rag.ingest.chunking`),
  :class:`RetrievalOptions`, :class:`CoverageOptions`, :class:`FeedbackOptions`
  (:mod:`rag.feedback`);
- how a component declares a setting: :func:`knob`. Each knob is declared once, in its
  component's options dataclass, as ``name: type = knob(default, "description", ge=…)``;
  :class:`rag.settings.Settings` makes it the environment variable ``RAG_<NAME>`` (with a
  group prefix such as ``llm_``, or the ``setting`` name given) with the same default, bounds
  and description, and its ``…_options()`` methods build the objects back. A dataclass field
  declared without :func:`knob` (a folder the service derives, a value another knob gives) is
  no setting of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KNOB = "rag.knob"  # the metadata key of a knob's declaration
BOUNDS = ("ge", "gt", "le", "lt")


@dataclasses.dataclass(frozen=True)
class Knob:
    """A knob's declaration: the description and bounds the settings field gets."""

    description: str
    bounds: dict[str, float]
    secret: bool = False  # never printed (repr, ``rag settings``)
    setting: str | None = None  # the settings name, when it is not prefix + field name


def knob(default: Any = dataclasses.MISSING, description: str = "", *,
         default_factory: Callable[[], Any] | None = None, secret: bool = False,
         setting: str | None = None, **bounds: float) -> Any:
    """A dataclass field that is a setting: ``default`` (or ``default_factory``), a
    ``description`` (one sentence or two, what ``rag settings`` prints) and bounds
    (``ge``, ``gt``, ``le``, ``lt``) that the settings enforce."""
    if not description:
        raise ValueError("a knob needs a description")
    if unknown := set(bounds) - set(BOUNDS):
        raise TypeError(f"unknown bounds {sorted(unknown)}")
    meta = {KNOB: Knob(description, dict(bounds), secret, setting)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, repr=not secret,
                                 metadata=meta)
    return dataclasses.field(default=default, repr=not secret, metadata=meta)


def knobs(options: type) -> Iterator[tuple[dataclasses.Field[Any], Knob]]:
    """The fields of the options dataclass ``options`` that are knobs, in order."""
    for f in dataclasses.fields(options):
        if isinstance(declared := f.metadata.get(KNOB), Knob):
            yield f, declared



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

    kind: IndexKind = knob(
        "auto", "FAISS structure; auto = flat (exact) up to 50k passages "
        "(rag.index.dense.FLAT_MAX), IVF beyond.", setting="index_kind")
    nlist: int | None = knob(None, "IVF cells (default ≈ 4·√n).", ge=1, setting="ivf_nlist")
    nprobe: int | None = knob(None, "IVF cells probed per query (default nlist/16, at "
                                    "least 8).", ge=1, setting="ivf_nprobe")
    hnsw_m: int = knob(32, "HNSW graph degree (the value measured in bench/scale.py).", ge=4)
    hnsw_ef_search: int = knob(
        512, "HNSW search breadth (FAISS and Qdrant); recall@10 0.967 at 1M passages, 128 "
        "gave 0.90 (bench/README.md).", ge=8)


@dataclass(frozen=True)
class RetrievalOptions:
    """How :class:`rag.query.retrieval.Retriever` ranks passages."""

    top_k: int = knob(5, "Passages returned by search/ask.", ge=1, le=100)
    candidate_k: int = knob(40, "Candidates taken from each retriever (dense, lexical) "
                                "before fusion.", ge=1)
    dense_weight: float = knob(1.0, "Weight of the dense list in RRF.", ge=0)
    lexical_weight: float = knob(0.5, "Weight of the BM25 list (French stems) in RRF.", ge=0)
    lexical_weight_en: float = knob(
        0.5, "Weight of the character 4-gram BM25 list for English questions.", ge=0)
    rrf_k: int = knob(60, "Reciprocal-rank-fusion constant (Cormack et al. use 60).", ge=1)


@dataclass(frozen=True)
class CoverageOptions:
    """How :class:`rag.query.coverage.CoverageChecker` decides that the corpus names what a
    question names."""

    name_match_threshold: float = knob(
        0.93, "A question's name unknown to the corpus text is the same as a gazetteer name "
        "when their vectors are at least this similar (cosine).", ge=0, le=1)
    agreeing_name_threshold: float = knob(
        0.9, "The same, for an English name every word of which that has a French form "
        "agrees with the gazetteer name (at least two words).", ge=0, le=1)
    common_share: float = knob(
        0.2, "A name of the question found in more than this share of the passages is not "
        "required in the evidence (it tells no passage apart).", ge=0, le=1)


@dataclass(frozen=True)
class ChunkOptions:
    """Sizes that shape passages (:mod:`rag.ingest.chunking`)."""

    # ≈ 300 tokens: within the 512 that e5 reads, with room for the title and headings
    max_window_chars: int = knob(
        1200, "Longer paragraphs are split into windows of this size.", ge=200)
    # beyond, each item is a passage of its own (``12 a)``), cited alone
    group_items_max_chars: int = knob(
        900, "Lettered sub-items stay with their parent paragraph (one passage) below this "
        "size.", ge=100)


FEEDBACK_FILE = "feedback.jsonl"


@dataclass(frozen=True)
class FeedbackOptions:
    """Where feedback is kept and how much (``RAG_FEEDBACK_MAX_BYTES``,
    ``RAG_FEEDBACK_MAX_RECORD_BYTES``)."""

    folder: Path  # the service's: <index root>/feedback
    max_bytes: int = knob(
        16 * 1024 * 1024, "Size cap of the feedback file (index_root/feedback/feedback.jsonl);"
        " past it POST /v1/feedback answers 507 until the file is exported and moved away.",
        ge=1024)
    max_record_bytes: int = knob(
        64 * 1024, "Largest single feedback record as stored (one JSON line); a larger one "
        "gets HTTP 413.", ge=1024)

    @property
    def path(self) -> Path:
        """The JSON Lines file."""
        return self.folder / FEEDBACK_FILE
