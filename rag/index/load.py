"""Load a built index (:class:`Index`): its files checked against the manifest
(:mod:`rag.index.manifest`), then what was read cross-checked (counts, dimensions,
references). The records it holds are defined in :mod:`rag.records`.

Whatever goes wrong while reading an index surfaces as ``IndexNotBuilt``, ``IndexCorrupt``
or ``IndexMismatch``, each naming the reason and the rebuild command, never as another
exception.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import faiss
import numpy as np

from rag.errors import IndexCorrupt, IndexMismatch
from rag.index.dense import check_faiss, load_faiss
from rag.index.lexical import LexicalIndex, lexical_texts
from rag.index.manifest import (
    CARDS,
    DOCUMENTS,
    FORMAT_VERSION,
    GAZETTEER,
    GAZETTEER_VECTORS,
    LEXICAL,
    PASSAGES,
    SENTENCE_VECTORS,
    SENTENCES,
    SOURCES,
    STORE,
    VECTORS,
    Manifest,
    _index_folder,
    _is_int,
    _read_manifest,
    _reading,
    corpus_hash,
    verify_files,
)
from rag.index.options import IndexOptions
from rag.index.stores.base import VectorStore
from rag.index.stores.faiss import FaissStore
from rag.ingest.cards import FIELD_ORDER
from rag.ingest.chunking import CHUNKER_VERSION
from rag.ingest.gazetteer import Entry, Gazetteer
from rag.records import (
    CardField,
    CardSource,
    DocumentCard,
    DocumentMeta,
    Passage,
    Sentence,
    SourceRecord,
)

log = logging.getLogger(__name__)


@dataclass
class Index:
    """A loaded index, shared read-only by every request."""

    path: Path
    manifest: Manifest
    vectors: faiss.Index | None  # None when the vectors live in Qdrant (see store)
    lexical: LexicalIndex | None
    passages: list[Passage]
    documents: dict[str, DocumentMeta]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    store: VectorStore = None  # type: ignore[assignment]  # default: FAISS over vectors
    cards: dict[str, DocumentCard] = field(default_factory=dict)  # doc id → card
    gazetteer: Gazetteer | None = None  # the names of the corpus (rag.ingest.gazetteer)
    positions: dict[str, int] = field(init=False)
    sentences_of: dict[int, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = FaissStore(self.vectors, self.lexical,
                                    [p.doc_id for p in self.passages],
                                    texts=lambda: lexical_texts(self.passages),
                                    version=self.path.name)
        self.positions = {p.id: i for i, p in enumerate(self.passages)}
        self.sentences_of = {}
        for i, s in enumerate(self.sentences):
            self.sentences_of.setdefault(s.passage, []).append(i)

    def similarities(self, rows: list[int], query: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``query`` with the stored vectors of passage ``rows``."""
        if not rows:
            return np.zeros(0, dtype=np.float32)
        return self.store.vectors(rows) @ query

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id, or None."""
        i = self.positions.get(passage_id)
        return None if i is None else self.passages[i]


def read_sources(path: Path) -> dict[str, SourceRecord]:
    """The source records of the index at ``path`` ({} for an index without them)."""
    try:
        rows = json.loads((path / SOURCES).read_text("utf-8"))
        return {r["id"]: SourceRecord(**r) for r in rows}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def check_manifest(path: Path, manifest: Manifest, options: IndexOptions,
                   dim: int | None) -> None:
    """Refuse an index built with another model, dimension, chunker or format."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(path, f"index format {manifest.format_version}, this version "
                                  f"reads format {FORMAT_VERSION}")
    if manifest.model != options.model:
        raise IndexMismatch(path, f"built with model {manifest.model!r}, "
                                  f"configured {options.model!r}")
    if dim is not None and manifest.dim != dim:
        raise IndexMismatch(path, f"vectors have {manifest.dim} dimensions, model gives {dim}")
    if manifest.chunker_version != CHUNKER_VERSION:
        raise IndexMismatch(path, f"chunker {manifest.chunker_version}, "
                                  f"code is {CHUNKER_VERSION}")


def load_index(options: IndexOptions, *, dim: int | None = None, mmap: bool = False,
               verify: bool = True) -> Index:
    """Load the index ``options`` name, checking it against them (its embedding model) and
    the model's ``dim``, every file against the manifest's sizes and hashes (unless
    ``verify`` is false) and its parts against each other. Raises ``IndexNotBuilt``,
    ``IndexMismatch`` or ``IndexCorrupt`` (with the reason and the rebuild command), never
    another error."""
    path = options.index_dir
    with _reading(path):
        folder = _index_folder(path)  # resolved once: a rebuild meanwhile cannot mix files
        manifest = _read_manifest(path, folder)
        check_manifest(path, manifest, options, dim)
        if verify:
            verify_files(path, manifest, folder)
        _check_backend(path, folder, options)
        vectors, lexical, store = None, None, None
        if options.store.vector_store == "qdrant":
            with _reading(path, STORE):
                store = _open_qdrant(options, folder, manifest)
        else:
            with _reading(path, VECTORS):
                vectors = load_faiss(folder / VECTORS, mmap=mmap)
                check_faiss(vectors)
            with _reading(path, f"{LEXICAL}/"):
                lexical = LexicalIndex.load(folder / LEXICAL)
        with _reading(path, PASSAGES):
            passages = [_passage(row) for row in _jsonl(folder / PASSAGES)]
        with _reading(path, DOCUMENTS):
            documents = _documents(json.loads((folder / DOCUMENTS).read_text("utf-8")))
        with _reading(path, SENTENCES):
            sentences = [_sentence(row) for row in _jsonl(folder / SENTENCES)]
        with _reading(path, SENTENCE_VECTORS):
            sentence_vectors = _matrix(np.load(folder / SENTENCE_VECTORS, allow_pickle=False))
        with _reading(path, SOURCES):
            sources = _sources(json.loads((folder / SOURCES).read_text("utf-8")))
        with _reading(path, CARDS):
            cards = _cards(json.loads((folder / CARDS).read_text("utf-8")))
        with _reading(path, GAZETTEER):
            gazetteer = Gazetteer([Entry.from_json(row) for row in _jsonl(folder / GAZETTEER)],
                                  _names_matrix(np.load(folder / GAZETTEER_VECTORS,
                                                        allow_pickle=False)))
            if len(gazetteer.vectors) != len(gazetteer.entries):
                raise ValueError(f"{len(gazetteer.vectors)} name vectors for "
                                 f"{len(gazetteer.entries)} names")
        _cross_check(path, manifest, vectors, lexical, passages, documents, sentences,
                     sentence_vectors, sources)
        _check_cards(path, cards, documents, passages)
        if _seeds_changed(options, manifest):
            log.warning("Index at %s was built from other seed files; rebuild with: rag index",
                        path)
        return Index(folder, manifest, vectors, lexical, passages, documents, sentences,
                     sentence_vectors, sources, store, cards, gazetteer)


def _check_backend(path: Path, folder: Path, options: IndexOptions) -> None:
    """Refuse a folder built for the other vector store."""
    built = "qdrant" if (folder / STORE).exists() else "faiss"
    if built != options.store.vector_store:
        raise IndexMismatch(path, f"built for the {built} vector store, RAG_VECTOR_STORE is "
                                  f"{options.store.vector_store}")


def _open_qdrant(options: IndexOptions, folder: Path, manifest: Manifest) -> VectorStore:
    # qdrant_client is an optional dependency (pip install 'unrag[qdrant]')
    from rag.index.stores.qdrant import open_collection  # noqa: PLC0415

    record = json.loads((folder / STORE).read_text("utf-8"))
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return open_collection(options, record, manifest.passages, manifest.dim)


def _cross_check(path: Path, manifest: Manifest, vectors: faiss.Index | None,
                 lexical: LexicalIndex | None,
                 passages: list[Passage], documents: dict[str, DocumentMeta],
                 sentences: list[Sentence], sentence_vectors: np.ndarray,
                 sources: dict[str, SourceRecord]) -> None:
    """Cheap consistency checks between the parts, so that an inconsistent index fails at
    load rather than on some later question."""
    n = len(passages)
    held = manifest.passages if vectors is None else vectors.ntotal  # Qdrant: counted at open
    if held != n or n != manifest.passages:
        raise IndexCorrupt(path, f"{held} vectors for {n} passages, "
                                 f"manifest says {manifest.passages}")
    if vectors is not None and vectors.d != manifest.dim:
        raise IndexCorrupt(path, f"{VECTORS} has {vectors.d} dimensions, manifest says "
                                 f"{manifest.dim}")
    if sentence_vectors.shape != (len(sentences), manifest.dim):
        rows, cols = sentence_vectors.shape
        raise IndexCorrupt(path, f"{SENTENCE_VECTORS} holds {rows} vectors of {cols} "
                                 f"dimensions for {len(sentences)} sentences of "
                                 f"{manifest.dim}")
    if lexical is not None and lexical.num_docs != n:
        raise IndexCorrupt(path, f"the BM25 index ({LEXICAL}/) covers {lexical.num_docs} "
                                 f"passages, not {n}")
    if len(documents) != manifest.documents:
        raise IndexCorrupt(path, f"{DOCUMENTS} lists {len(documents)} documents, manifest "
                                 f"says {manifest.documents}")
    if len({p.id for p in passages}) != n:
        raise IndexCorrupt(path, f"{PASSAGES} repeats passage ids")
    cited = {p.doc_id for p in passages}
    if unknown := sorted(cited - documents.keys()):
        raise IndexCorrupt(path, f"passages of documents missing from {DOCUMENTS}: "
                                 f"{', '.join(unknown[:5])}")
    if empty := sorted(documents.keys() - cited):
        raise IndexCorrupt(path, f"documents without passages: {', '.join(empty[:5])}")
    bad = next((i for i, s in enumerate(sentences) if not 0 <= s.passage < n), None)
    if bad is not None:
        raise IndexCorrupt(path, f"sentence {bad} belongs to passage row "
                                 f"{sentences[bad].passage}, out of range 0–{n - 1}")
    if set(sources) != set(documents):
        raise IndexCorrupt(path, f"{SOURCES} and {DOCUMENTS} list different documents")


def _check_cards(path: Path, cards: dict[str, DocumentCard],
                 documents: dict[str, DocumentMeta], passages: list[Passage]) -> None:
    """Every document has a card, and every field cites a passage of its own document."""
    if set(cards) != set(documents):
        raise IndexCorrupt(path, f"{CARDS} and {DOCUMENTS} list different documents")
    owner = {p.id: p.doc_id for p in passages}
    for card in cards.values():
        for f in card.fields:
            if f.passage_id is not None and owner.get(f.passage_id) != card.doc_id:
                raise IndexCorrupt(path, f"{CARDS}: the {f.name} of {card.doc_id} cites "
                                         f"{f.passage_id!r}, not a passage of that document")


def _seeds_changed(options: IndexOptions, manifest: Manifest) -> bool:
    try:
        return corpus_hash(options.seeds_dir, options.catalog_path) != manifest.corpus_hash
    except Exception:  # an unreadable seeds folder does not stop serving
        return True


def _jsonl(path: Path) -> list[object]:
    """The rows of a JSON Lines file (split on newlines only: texts may hold U+2028)."""
    return [json.loads(line) for line in path.read_text("utf-8").split("\n") if line.strip()]


def _fields(row: object, kind: str, texts: tuple[str, ...], ints: tuple[str, ...] = (),
            lists: tuple[str, ...] = ()) -> dict[str, object]:
    """``row`` as keyword arguments of ``kind``, checking the types of the named fields
    (unknown or missing fields fail when the dataclass is built)."""
    if not isinstance(row, dict):
        raise ValueError(f"a {kind} row is {type(row).__name__}, not an object")
    name = row.get("id", row.get("passage"))
    for key in texts:
        if key in row and not isinstance(row[key], str):
            raise ValueError(f"{kind} {name!r}: {key} is not a string")
    for key in ints:
        if key in row and not _is_int(row[key]):
            raise ValueError(f"{kind} {name!r}: {key} is not an integer")
    for key in lists:
        value = row.get(key) or ()
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{kind} {name!r}: {key} is not a list of strings")
        row[key] = tuple(value)
    return row


def _document(row: object) -> DocumentMeta:
    return DocumentMeta(**_fields(row, "document", ("id", "file", "title"),  # type: ignore[arg-type]
                                  lists=("aliases",)))


def _documents(rows: object) -> dict[str, DocumentMeta]:
    if not isinstance(rows, list):
        raise ValueError("not a JSON list")
    documents = {d.id: d for d in map(_document, rows)}
    if len(documents) != len(rows):
        raise ValueError("document ids repeat")
    return documents


def _passage(row: object) -> Passage:
    return Passage(**_fields(row, "passage", ("id", "doc_id", "kind", "label", "text",  # type: ignore[arg-type]
                                              "context", "role"), ("order",),
                             ("section", "footnotes", "items")))


def _sentence(row: object) -> Sentence:
    return Sentence(**_fields(row, "sentence", ("text",), ("passage", "ordinal")))  # type: ignore[arg-type]


def _names_matrix(array: np.ndarray) -> np.ndarray:
    """The gazetteer's name vectors as float32 (an empty gazetteer has none)."""
    if array.ndim == 2 and array.shape[0] == 0:
        return array.astype(np.float32)
    return _matrix(array)


def _matrix(array: np.ndarray) -> np.ndarray:
    """The sentence vectors as float32, refusing anything but a finite float matrix."""
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"expected a matrix of floats, found {array.dtype} of shape "
                         f"{array.shape}")
    matrix = array.astype(np.float32)
    if not np.isfinite(matrix).all():
        raise ValueError("it holds values that are not finite numbers")
    return matrix


def _card_field(row: object) -> CardField:
    row = _fields(row, "card field", ("name", "value", "source", "note"))
    for key in ("passage_id", "iso"):
        if row.get(key) is not None and not isinstance(row[key], str):
            raise ValueError(f"card field {row.get('name')!r}: {key} is not a string")
    if row.get("name") not in FIELD_ORDER or row.get("source") not in get_args(CardSource):
        raise ValueError(f"card field {row.get('name')!r} of source {row.get('source')!r} "
                         "is not a card field")
    return CardField(**row)  # type: ignore[arg-type]


def _cards(rows: object) -> dict[str, DocumentCard]:
    """The cards by document id, every field checked."""
    if not isinstance(rows, list):
        raise ValueError("not a JSON list")
    cards = {}
    for row in rows:
        if not (isinstance(row, dict) and set(row) == {"doc_id", "fields"}
                and isinstance(row["doc_id"], str) and isinstance(row["fields"], list)):
            raise ValueError("a card is not an object of doc_id and fields")
        cards[row["doc_id"]] = DocumentCard(row["doc_id"],
                                            tuple(map(_card_field, row["fields"])))
    if len(cards) != len(rows):
        raise ValueError("document ids repeat")
    return cards


def _sources(rows: object) -> dict[str, SourceRecord]:
    """The source records, strictly (``read_sources`` is the lenient reader for builds)."""
    if not isinstance(rows, list):
        raise ValueError("not a JSON list")
    records = {}
    for row in rows:
        record = SourceRecord(**_fields(row, "source", ("id", "file", "sha256", "format",  # type: ignore[arg-type]
                                                        "added"), ("bytes",)))
        records[record.id] = record
    if len(records) != len(rows):
        raise ValueError("document ids repeat")
    return records
