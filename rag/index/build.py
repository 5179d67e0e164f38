"""Build and load the on-disk index: FAISS vectors and BM25 (or a Qdrant collection),
passages, sentences and their vectors, documents and their cards, source records, manifest.
The records it stores are defined in :mod:`rag.records`; :class:`Manifest` is the index
format.

A build writes a fresh versioned folder, then atomically repoints the index name (a symlink)
at it, so readers never see a half-written index and an interrupted build changes nothing.

The manifest lists every file of the folder with its size and BLAKE2b hash; a load checks
them (a missing, extra, truncated or altered file is refused), then cross-checks what it
read (counts, dimensions, references). Whatever goes wrong while reading an index surfaces
as ``IndexNotBuilt``, ``IndexCorrupt`` or ``IndexMismatch``, each naming the reason and the
rebuild command, never as another exception.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import faiss
import numpy as np

from rag.atomic_folder import remove_stale, staging
from rag.cards import FIELD_ORDER, build_card, card_meta
from rag.chunking import CHUNKER_VERSION, ChunkOptions, chunk_corpus
from rag.documents import (
    Source,
    catalog_entry,
    document_id,
    load_catalog,
    parse_corpus,
    read_corpus,
    seed_files,
)
from rag.embeddings import Embedder, encoder_of
from rag.errors import DocumentRejected, IndexCorrupt, IndexMismatch, IndexNotBuilt, RagError
from rag.faiss_store import FaissStore
from rag.gazetteer import Entry, Gazetteer, build_gazetteer
from rag.lexical import LexicalIndex
from rag.records import (
    CardField,
    CardSource,
    Document,
    DocumentCard,
    DocumentMeta,
    IndexSpec,
    Passage,
    Sentence,
    SourceRecord,
)
from rag.sentences import split_sentences
from rag.serialize import card_json
from rag.settings import Settings
from rag.store import VectorStore
from rag.vector_files import embed_to_file
from rag.vector_store import build_faiss, check_faiss, describe, load_faiss, save_faiss

log = logging.getLogger(__name__)
# 2: the manifest lists every file with its size and BLAKE2b hash (``files``); format 1 had
# the sizes of four files (``file_sizes``) and is refused with the rebuild hint.
# 3: a gazetteer (``gazetteer.json``, ``gazetteer.npy``) and a card per document (``cards.json``).
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.json"
LEXICAL = "bm25"
SENTENCES = "sentences.jsonl"
SENTENCE_VECTORS = "sentences.npy"
GAZETTEER = "gazetteer.json"  # the names the corpus uses (rag.gazetteer)
GAZETTEER_VECTORS = "gazetteer.npy"  # one vector per gazetteer entry
SOURCES = "sources.json"
CARDS = "cards.json"
STORE = "store.json"  # instead of VECTORS and LEXICAL: the Qdrant collection of the build
KEEP_BUILDS = 2  # the new build and the one before (a reader may still have it mapped)
# A list introduction is embedded and indexed with its items' text, cut at this many
# characters: enough to name what the list is about without drowning the introduction.
ITEMS_TEXT_MAX_CHARS = 1000


def passage_sentences(passages: list[Passage]) -> list[Sentence]:
    """Every sentence of every passage, in order."""
    return [Sentence(row, i, text) for row, p in enumerate(passages)
            for i, text in enumerate(split_sentences(p.text))]


@dataclass(frozen=True)
class FileDigest:
    """Size and content hash of one file of an index folder (in the manifest)."""

    bytes: int
    blake2b: str


DIGEST_SIZE = 32  # bytes of BLAKE2b output (64 hex digits)
_HEX_DIGEST = re.compile(f"[0-9a-f]{{{2 * DIGEST_SIZE}}}")


@dataclass(frozen=True)
class Manifest:
    """What an index was built from, and every file it holds; checked on load."""

    model: str
    dim: int
    corpus_hash: str
    chunker_version: str
    chunk_options: dict[str, int]
    passages: int
    documents: int
    faiss_index: str
    created: str
    format_version: int = FORMAT_VERSION
    files: dict[str, FileDigest] = field(default_factory=dict)  # path → size and hash
    build_seconds: float = 0.0
    encoder: dict[str, str] = field(default_factory=dict)  # backend, precision, device


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
    gazetteer: Gazetteer | None = None  # the names of the corpus (rag.gazetteer)
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


def corpus_hash(seeds_dir: Path, catalog: Path) -> str:
    """sha256 over the names and content hashes of the seed files and the catalogue."""
    files = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in seed_files(seeds_dir)]
    return _names_hash(files, catalog)


def _names_hash(files: list[tuple[str, str]], catalog: Path) -> str:
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(f"{name}\0{content}\0".encode())
    if catalog.exists():
        digest.update(b"catalog\0" + catalog.read_bytes())
    return digest.hexdigest()


def chunk_options(settings: Settings) -> ChunkOptions:
    """Chunking sizes from settings."""
    return ChunkOptions(settings.max_window_chars, settings.group_items_max_chars)


def read_sources(path: Path) -> dict[str, SourceRecord]:
    """The source records of the index at ``path`` ({} for an index without them)."""
    try:
        rows = json.loads((path / SOURCES).read_text("utf-8"))
        return {r["id"]: SourceRecord(**r) for r in rows}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def _source_records(sources: list[Source], previous: dict[str, SourceRecord]
                    ) -> list[SourceRecord]:
    """Records of ``sources``; a document whose file is unchanged keeps its added date."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    records = []
    for s in sources:
        doc_id = document_id(s.path)
        before = previous.get(doc_id)
        added = before.added if before and before.sha256 == s.sha256 else now
        records.append(SourceRecord(doc_id, s.path.name, s.sha256, s.size, s.format, s.pages,
                                    added))
    return records


def _check_sizes(docs: list[Document], passages: list[Passage], limit: int) -> None:
    counts = Counter(p.doc_id for p in passages)
    for doc in docs:
        if counts[doc.id] > limit:
            raise DocumentRejected(doc.meta.file, f"gives {counts[doc.id]} passages, over the "
                                   f"limit of {limit} (RAG_MAX_DOCUMENT_PASSAGES)", "too_large")
        if not counts[doc.id]:
            raise DocumentRejected(doc.meta.file, "no text passages found in it")


def _check_texts(docs: list[Document], passages: list[Passage], sentences: list[Sentence],
                 limit: int) -> None:
    """Refuse, before anything is embedded, a document giving more texts to embed (its
    passages and their sentences) than ``limit``."""
    counts = Counter(p.doc_id for p in passages)
    counts.update(passages[s.passage].doc_id for s in sentences)
    for doc in docs:
        if counts[doc.id] > limit:
            raise DocumentRejected(doc.meta.file, f"gives {counts[doc.id]:,} texts to embed "
                                   f"(passages and sentences), over the limit of {limit:,} "
                                   "(RAG_MAX_DOCUMENT_TEXTS)", "too_large")


def embed_ahead(settings: Settings, sources: list[Source], embedder: Embedder) -> None:
    """Embed the texts ``sources`` will give an index build (passages and sentences) into
    ``embedder``'s cache, so that the build that follows — under the corpus lock — finds
    them there: a large upload is embedded before the lock, not while holding it. Without a
    cache, or for a source the build will refuse, nothing is done (the build says why)."""
    if not hasattr(embedder, "cache"):
        return
    try:
        docs = parse_corpus(sources, settings.catalog_path)
        passages = chunk_corpus(docs, chunk_options(settings))
        _check_sizes(docs, passages, settings.max_document_passages)
        sentences = passage_sentences(passages)
        _check_texts(docs, passages, sentences, settings.max_document_texts)
    except DocumentRejected:
        return
    chunk = settings.build_chunk_size
    for texts in (passage_vector_texts(docs, passages), [x.text for x in sentences]):
        for start in range(0, len(texts), chunk):
            embedder.embed(texts[start:start + chunk])


def build_index(settings: Settings, embedder: Embedder, *,
                spec: IndexSpec | None = None,
                on_step: Callable[[str], None] | None = None,
                sources: list[Source] | None = None,
                show_progress: bool = False) -> Path:
    """Index the seeds folder (or ``sources`` read from it) into ``settings.index_dir``.

    Every document is re-parsed (cheap); vectors come from ``embedder``, which may be a
    ``CachedEmbedder`` so that only new texts are embedded. Vectors are embedded
    ``RAG_BUILD_CHUNK_SIZE`` texts at a time straight into memory-mapped files of the staging
    folder, so memory does not grow with the corpus beyond the index structures, and a killed
    build resumes from the cache. Returns the index path.
    """
    started = time.perf_counter()
    step = on_step or (lambda msg: log.info(msg))
    if sources is None:
        sources = read_corpus(settings.seeds_dir, settings.max_document_bytes)
    if not sources:
        raise IndexNotBuilt(f"{settings.seeds_dir} (no documents to index)")
    docs = parse_corpus(sources, settings.catalog_path)
    options = chunk_options(settings)
    passages = chunk_corpus(docs, options)
    _check_sizes(docs, passages, settings.max_document_passages)
    docs, cards = document_cards(docs, passages, load_catalog(settings.catalog_path))
    step(f"{len(docs)} documents, {len(passages)} passages")
    sentences = passage_sentences(passages)
    _check_texts(docs, passages, sentences, settings.max_document_texts)
    records = _source_records(sources, read_sources(settings.index_dir))
    chunk = settings.build_chunk_size
    root = settings.index_root
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    qdrant = None
    try:
        with staging(root / settings.index_name) as tmp:
            scratch = tmp / ".passage-vectors.npy"  # copied by the store; not in the index
            vectors = embed_to_file(embedder, passage_vector_texts(docs, passages), scratch,
                                    chunk=chunk, label="passages", show_progress=show_progress)
            step(f"{len(sentences)} sentences")
            embed_to_file(embedder, [x.text for x in sentences], tmp / SENTENCE_VECTORS,
                          chunk=chunk, dtype=np.float16, label="sentences",
                          show_progress=show_progress)
            dim = int(vectors.shape[1])
            if settings.vector_store == "qdrant":
                from rag.qdrant_store import alias_name, build_collection, prune_collections

                qdrant = build_collection(settings, stamp, vectors,
                                          [p.doc_id for p in passages], lexical_texts(passages))
                step(f"{len(passages)} points in Qdrant collection {qdrant.collection}")
                (tmp / STORE).write_text(json.dumps(qdrant.record(), indent=1), "utf-8")
                kind = f"Qdrant {qdrant.collection}"
            else:
                vector_index = build_faiss(vectors, spec or settings.index_spec())
                save_faiss(vector_index, tmp / VECTORS)
                kind = describe(vector_index)
                del vector_index
                lexical = LexicalIndex.build(lexical_texts(passages))
                lexical.save(tmp / LEXICAL)
                del lexical
            del vectors
            scratch.unlink()
            _write_parts(tmp, passages, sentences, docs, records, cards)
            step("gazetteer")
            write_gazetteer(tmp, build_gazetteer(passages), embedder)
            manifest = Manifest(
                model=embedder.model_id, dim=dim,
                corpus_hash=_names_hash([(s.path.name, s.sha256) for s in sources],
                                        settings.catalog_path),
                chunker_version=CHUNKER_VERSION,
                chunk_options=asdict(options), passages=len(passages), documents=len(docs),
                faiss_index=kind, created=datetime.now(UTC).isoformat(),
                files=file_digests(tmp),
                build_seconds=round(time.perf_counter() - started, 2),
                encoder=encoder_of(embedder).as_dict(),
            )
            (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1), "utf-8")
            final = root / f".{settings.index_name}@{stamp}"
            os.replace(tmp, final)
    except BaseException:
        if qdrant is not None:  # nothing refers to the new collection yet
            qdrant.drop()
        raise
    if qdrant is not None:  # the alias moves once the folder naming the collection exists
        qdrant.publish(alias_name(settings.index_name))
    _point(root / settings.index_name, final)
    _prune(root, settings.index_name, keep=final)
    if qdrant is not None:
        prune_collections(qdrant.client, settings.index_name, _collections_in_use(
            root, settings.index_name), settings.qdrant_location)
    step(f"index written to {root / settings.index_name} ({manifest.faiss_index})")
    return root / settings.index_name


def document_cards(docs: list[Document], passages: list[Passage],
                   catalog: dict[str, dict[str, object]]
                   ) -> tuple[list[Document], list[DocumentCard]]:
    """The card of each document (:mod:`rag.cards`), and the documents with the metadata the
    catalogue does not give taken from their card (title as printed, symbols, date)."""
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    out_docs, cards = [], []
    for doc in docs:
        entry = catalog_entry(catalog, Path(doc.meta.file))
        card = build_card(doc, by_doc.get(doc.id, []), entry)
        cards.append(card)
        out_docs.append(replace(doc, meta=card_meta(doc.meta, card, entry)))
    return out_docs, cards


def passage_vector_texts(docs: list[Document], passages: list[Passage]) -> list[str]:
    """What the encoder embeds for each passage: document title, context and text, with a
    list introduction's items appended."""
    titles = {d.id: d.meta.title for d in docs}
    texts = {p.id: p.text for p in passages}
    return [_with_items(p, p.embedding_text(titles[p.doc_id]), texts) for p in passages]


def write_gazetteer(folder: Path, gazetteer: Gazetteer, embedder: Embedder) -> None:
    """Write the gazetteer and its name vectors (embedded as passages, so that the
    embedding cache keeps them; questions' names are embedded the same way)."""
    names = gazetteer.names()
    vectors = (embedder.embed(names) if names
               else np.zeros((0, getattr(embedder, "dim", 0)), np.float32))
    _write_jsonl(folder / GAZETTEER, (e.to_json() for e in gazetteer.entries))
    np.save(folder / GAZETTEER_VECTORS, np.asarray(vectors, dtype=np.float16))


def _write_parts(folder: Path, passages: list[Passage], sentences: list[Sentence],
                 docs: list[Document], records: list[SourceRecord],
                 cards: list[DocumentCard]) -> None:
    """Write what every index folder holds besides the vectors and the manifest."""
    _write_jsonl(folder / PASSAGES, (asdict(p) for p in passages))
    _write_jsonl(folder / SENTENCES, (asdict(x) for x in sentences))
    (folder / DOCUMENTS).write_text(json.dumps([asdict(d.meta) for d in docs],
                                               ensure_ascii=False, indent=1), "utf-8")
    (folder / SOURCES).write_text(json.dumps([asdict(r) for r in records],
                                             ensure_ascii=False, indent=1), "utf-8")
    (folder / CARDS).write_text(json.dumps([{"doc_id": c.doc_id, **card_json(c)}
                                            for c in cards], ensure_ascii=False, indent=1),
                                "utf-8")


def lexical_texts(passages: list[Passage]) -> list[str]:
    """What BM25 indexes for each passage (a list introduction with its items' text)."""
    texts = {p.id: p.text for p in passages}
    return [_with_items(p, _lexical_text(p), texts) for p in passages]


def _collections_in_use(root: Path, name: str) -> set[str]:
    """The Qdrant collections the kept builds of index ``name`` refer to."""
    used = set()
    for build in root.glob(f".{name}@*"):
        try:
            used.add(str(json.loads((build / STORE).read_text("utf-8"))["collection"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return used


def _with_items(passage: Passage, text: str, texts: dict[str, str],
                max_chars: int = ITEMS_TEXT_MAX_CHARS) -> str:
    """A list introduction is found through its items: their text is appended (not shown)."""
    if not passage.items:
        return text
    return f"{text}\n{' '.join(texts[i] for i in passage.items)[:max_chars]}"


def _lexical_text(passage: Passage) -> str:
    """BM25 sees the passage, its section headings and lead-in (not the long title)."""
    return "\n".join([*passage.section[-2:], passage.context, passage.text])


def _write_jsonl(path: Path, rows: Iterator[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _point(link: Path, target: Path) -> None:
    """Atomically make ``link`` a symlink to ``target`` (replacing a symlink or a folder)."""
    tmp_link = link.with_name(f".{link.name}.link-{os.getpid()}")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(target.name)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp_link, link)


def _prune(root: Path, name: str, keep: Path) -> None:
    """Delete old builds, keeping the newest ``KEEP_BUILDS`` (readers may still map one)."""
    builds = sorted(root.glob(f".{name}@*"), key=lambda p: p.name, reverse=True)
    for old in builds[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    remove_stale(root / name)


def index_files(folder: Path) -> list[str]:
    """Every file of the index folder ``folder`` except the manifest, as sorted relative
    paths with ``/`` separators (the names the manifest lists)."""
    found = []
    for root, dirs, files in os.walk(folder, onerror=_raise):
        here = Path(root).relative_to(folder)
        # a symlinked folder is not walked into; it is listed, so it cannot hide files
        links = [d for d in dirs if (Path(root) / d).is_symlink()]
        found.extend((here / name).as_posix() for name in [*files, *links])
    return sorted(name for name in found if name != MANIFEST)


def _raise(exc: OSError) -> None:
    raise exc


def file_digest(path: Path) -> FileDigest:
    """Size and BLAKE2b hash of the file at ``path``."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest = hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=DIGEST_SIZE))
    return FileDigest(size, digest.hexdigest())


def file_digests(folder: Path) -> dict[str, FileDigest]:
    """Size and hash of every file of ``folder`` but the manifest (written at build)."""
    return {name: file_digest(folder / name) for name in index_files(folder)}


def verify_files(path: Path, manifest: Manifest, folder: Path | None = None) -> None:
    """Check that the index folder holds exactly the files its manifest lists, with their
    sizes and hashes; raise ``IndexCorrupt`` naming the first difference."""
    folder = folder or path.resolve()
    present, listed = set(index_files(folder)), set(manifest.files)
    if missing := sorted(listed - present):
        raise IndexCorrupt(path, f"missing {_plural(missing)}: {', '.join(missing)}")
    if extra := sorted(present - listed):
        raise IndexCorrupt(path, f"unexpected {_plural(extra)} not in the manifest: "
                                 f"{', '.join(extra)}")
    for name in sorted(listed):  # sizes first: a stat per file
        size, expected = (folder / name).stat().st_size, manifest.files[name].bytes
        if size != expected:
            raise IndexCorrupt(path, f"{name} has {size} bytes, manifest says {expected}")
    for name in sorted(listed):
        if file_digest(folder / name).blake2b != manifest.files[name].blake2b:
            raise IndexCorrupt(path, f"{name} was altered since the build (its BLAKE2b hash "
                                     "differs from the manifest's)")


def _plural(names: list[str]) -> str:
    return "file" if len(names) == 1 else "files"


def check_index_files(path: Path) -> Manifest:
    """The manifest of the index at ``path``, every file it lists checked (sizes and
    hashes): the cheap checks that need no model, so that a damaged index is reported in
    moments rather than after the model has loaded."""
    with _reading(path):
        folder = _index_folder(path)
        manifest = _read_manifest(path, folder)
        verify_files(path, manifest, folder)
        return manifest


def read_manifest(path: Path) -> Manifest:
    """Read and validate ``manifest.json`` of the index at ``path``: ``IndexNotBuilt`` if
    there is none, ``IndexMismatch`` for an index of another format, ``IndexCorrupt`` if
    it is unreadable or malformed (never another error)."""
    with _reading(path):
        return _read_manifest(path, _index_folder(path))


def _index_folder(path: Path) -> Path:
    """The build folder the index name ``path`` points at."""
    if not path.exists():
        raise IndexNotBuilt(path)
    folder = path.resolve(strict=True)
    if not folder.is_dir():
        raise IndexCorrupt(path, "it is a file, not an index folder")
    return folder


def _read_manifest(path: Path, folder: Path) -> Manifest:
    try:
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError as exc:
        raise IndexCorrupt(path, f"{MANIFEST} is missing") from exc
    except OSError as exc:
        raise IndexCorrupt(path, f"{MANIFEST} cannot be read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSON or UTF-8 errors
        raise IndexCorrupt(path, f"{MANIFEST} is unreadable: {_short(exc)}") from exc
    return manifest_from_json(path, data)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value) \
        and value >= 0  # type: ignore[operator]


def _is_date(value: object) -> bool:
    """An ISO 8601 time with its time zone, not in the future (a day's slack for clocks)."""
    if not _is_text(value):
        return False
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return when.tzinfo is not None and when <= datetime.now(UTC) + timedelta(days=1)


_ENCODER_VALUES = {"backend": {"torch", "onnx", "openvino", "exported"},
                   "precision": {"fp32", "fp16", "bf16"}}


def _is_encoder(value: object) -> bool:
    """``{"backend", "precision", "device"}`` with a known backend and precision."""
    return isinstance(value, dict) and set(value) == {"backend", "precision", "device"} and \
        all(_is_text(x) for x in value.values()) and all(
            value[k] in allowed for k, allowed in _ENCODER_VALUES.items())


_MANIFEST_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "model": (_is_text, "a model name"),
    "dim": (lambda v: _is_int(v) and v > 0, "a positive integer"),  # type: ignore[operator]
    "corpus_hash": (lambda v: _is_text(v) and re.fullmatch(r"[0-9a-f]{64}", str(v)) is not None,
                    "a SHA-256 hex digest"),
    "chunker_version": (_is_text, "a version string"),
    "chunk_options": (lambda v: isinstance(v, dict) and set(v) == {
        f.name for f in fields(ChunkOptions)} and all(_is_int(x) and x > 0  # type: ignore[operator]
                                                      for x in v.values()),
                      "the chunk options, positive integers"),
    "passages": (lambda v: _is_int(v) and v > 0, "a positive integer"),  # type: ignore[operator]
    "documents": (lambda v: _is_int(v) and v > 0, "a positive integer"),  # type: ignore[operator]
    "faiss_index": (_is_text, "a FAISS index name"),
    "created": (_is_date, "an ISO 8601 time with its zone, not in the future"),
    "build_seconds": (_is_number, "a number of seconds"),
    "encoder": (_is_encoder, "backend, precision and device of a known encoder"),
}


_OPTIONAL_FIELDS = {"encoder"}  # absent from indexes built before it was recorded


def manifest_from_json(path: Path, data: object) -> Manifest:
    """A ``Manifest`` from the parsed ``manifest.json`` of the index at ``path``, every field
    checked: another format version is ``IndexMismatch``, any malformed field
    ``IndexCorrupt``."""
    if not isinstance(data, dict):
        raise IndexCorrupt(path, f"{MANIFEST} is not a JSON object")
    version = data.get("format_version")
    if not _is_int(version):
        raise IndexCorrupt(path, f"{MANIFEST} has no valid format_version ({_show(version)})")
    if version != FORMAT_VERSION:
        raise IndexMismatch(path, f"index format {version}, this version reads format "
                                  f"{FORMAT_VERSION}")
    names = [f.name for f in fields(Manifest)]
    if missing := [n for n in names if n not in data and n not in _OPTIONAL_FIELDS]:
        raise IndexCorrupt(path, f"{MANIFEST} lacks {', '.join(missing)}")
    if unknown := sorted(set(data) - set(names)):
        raise IndexCorrupt(path, f"{MANIFEST} has unknown fields {', '.join(unknown)}")
    for name, (valid, expected) in _MANIFEST_FIELDS.items():
        if name in data and not valid(data[name]):
            raise IndexCorrupt(path, f"{MANIFEST} field {name!r} is malformed (expected "
                                     f"{expected}, found {_show(data[name])})")
    return Manifest(**{**data, "files": _manifest_files(path, data["files"])})


def _manifest_files(path: Path, files: object) -> dict[str, FileDigest]:
    if not isinstance(files, dict) or not files:
        raise IndexCorrupt(path, f"{MANIFEST} field 'files' is malformed (expected an object "
                                 f"of file entries, found {_show(files)})")
    out = {}
    for name, entry in files.items():
        if not _safe_name(name):
            raise IndexCorrupt(path, f"{MANIFEST} lists an invalid file name {_show(name)}")
        if not (isinstance(entry, dict) and set(entry) == {"bytes", "blake2b"}
                and _is_int(entry["bytes"]) and entry["bytes"] >= 0
                and isinstance(entry["blake2b"], str)
                and _HEX_DIGEST.fullmatch(entry["blake2b"])):
            raise IndexCorrupt(path, f"{MANIFEST} entry of {name} is malformed "
                                     f"({_show(entry)})")
        out[name] = FileDigest(entry["bytes"], entry["blake2b"])
    return out


def _safe_name(name: str) -> bool:
    """A relative path inside the index folder (no ``..``, no absolute path)."""
    parts = name.split("/")
    return name != MANIFEST and "\\" not in name and "\0" not in name \
        and all(p not in ("", ".", "..") for p in parts)


def _show(value: object, limit: int = 60) -> str:
    text = f"{type(value).__name__} {json.dumps(value, ensure_ascii=False)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(exc: BaseException, limit: int = 200) -> str:
    """One line naming the error, for a reason in a message."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _reading(path: Path, part: str | None = None) -> Iterator[None]:
    """Turn any error while reading (a ``part`` of) the index at ``path`` into
    ``IndexCorrupt``; the named index errors pass through."""
    try:
        yield
    except RagError:
        raise
    except Exception as exc:
        reason = f"{part}: {_short(exc)}" if part else _short(exc)
        raise IndexCorrupt(path, reason) from exc


def check_manifest(path: Path, manifest: Manifest, settings: Settings, dim: int | None) -> None:
    """Refuse an index built with another model, dimension, chunker or format."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(path, f"index format {manifest.format_version}, this version "
                                  f"reads format {FORMAT_VERSION}")
    if manifest.model != settings.embedding_model:
        raise IndexMismatch(path, f"built with model {manifest.model!r}, "
                                  f"configured {settings.embedding_model!r}")
    if dim is not None and manifest.dim != dim:
        raise IndexMismatch(path, f"vectors have {manifest.dim} dimensions, model gives {dim}")
    if manifest.chunker_version != CHUNKER_VERSION:
        raise IndexMismatch(path, f"chunker {manifest.chunker_version}, "
                                  f"code is {CHUNKER_VERSION}")


def load_index(settings: Settings, *, dim: int | None = None, mmap: bool = False,
               verify: bool = True) -> Index:
    """Load the configured index, checking it against the settings (and model ``dim``),
    every file against the manifest's sizes and hashes (unless ``verify`` is false) and
    its parts against each other. Raises ``IndexNotBuilt``, ``IndexMismatch`` or
    ``IndexCorrupt`` (with the reason and the rebuild command), never another error."""
    path = settings.index_dir
    with _reading(path):
        folder = _index_folder(path)  # resolved once: a rebuild meanwhile cannot mix files
        manifest = _read_manifest(path, folder)
        check_manifest(path, manifest, settings, dim)
        if verify:
            verify_files(path, manifest, folder)
        _check_backend(path, folder, settings)
        vectors, lexical, store = None, None, None
        if settings.vector_store == "qdrant":
            with _reading(path, STORE):
                store = _open_qdrant(settings, folder, manifest)
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
        if _seeds_changed(settings, manifest):
            log.warning("Index at %s was built from other seed files; rebuild with: rag index",
                        path)
        return Index(folder, manifest, vectors, lexical, passages, documents, sentences,
                     sentence_vectors, sources, store, cards, gazetteer)


def _check_backend(path: Path, folder: Path, settings: Settings) -> None:
    """Refuse a folder built for the other vector store."""
    built = "qdrant" if (folder / STORE).exists() else "faiss"
    if built != settings.vector_store:
        raise IndexMismatch(path, f"built for the {built} vector store, RAG_VECTOR_STORE is "
                                  f"{settings.vector_store}")


def _open_qdrant(settings: Settings, folder: Path, manifest: Manifest) -> VectorStore:
    from rag.qdrant_store import open_collection

    record = json.loads((folder / STORE).read_text("utf-8"))
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return open_collection(settings, record, manifest.passages, manifest.dim)


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


def _seeds_changed(settings: Settings, manifest: Manifest) -> bool:
    try:
        return corpus_hash(settings.seeds_dir, settings.catalog_path) != manifest.corpus_hash
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
