"""Build and load the on-disk index: FAISS vectors, BM25, passages, documents, manifest.

A build writes a fresh versioned folder, then atomically repoints the index name (a symlink)
at it, so readers never see a half-written index and an interrupted build changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from rag.chunking import CHUNKER_VERSION, ChunkOptions, chunk_corpus
from rag.documents import Source, document_id, parse_corpus, read_corpus, seed_files
from rag.embeddings import Embedder
from rag.errors import DocumentRejected, IndexCorrupt, IndexMismatch, IndexNotBuilt, RagError
from rag.lexical import LexicalIndex
from rag.records import Document, DocumentMeta, Passage
from rag.sentences import split_sentences
from rag.settings import Settings
from rag.vector_store import IndexSpec, build_faiss, describe, load_faiss, save_faiss

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.json"
LEXICAL = "bm25"
SENTENCES = "sentences.jsonl"
SENTENCE_VECTORS = "sentences.npy"
SOURCES = "sources.json"
KEEP_BUILDS = 2


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage (row ``passage``), cached with its embedding for answers."""

    passage: int
    ordinal: int
    text: str


def passage_sentences(passages: list[Passage]) -> list[Sentence]:
    """Every sentence of every passage, in order."""
    return [Sentence(row, i, text) for row, p in enumerate(passages)
            for i, text in enumerate(split_sentences(p.text))]


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; checked on load."""

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
    file_sizes: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0


@dataclass
class Index:
    """A loaded index, shared read-only by every request."""

    path: Path
    manifest: Manifest
    vectors: faiss.Index
    lexical: LexicalIndex
    passages: list[Passage]
    documents: dict[str, DocumentMeta]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    positions: dict[str, int] = field(init=False)
    sentences_of: dict[int, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.positions = {p.id: i for i, p in enumerate(self.passages)}
        self.sentences_of = {}
        for i, s in enumerate(self.sentences):
            self.sentences_of.setdefault(s.passage, []).append(i)

    def similarities(self, rows: list[int], query: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``query`` with the stored vectors of passage ``rows``."""
        vectors = np.vstack([self.vectors.reconstruct(int(r)) for r in rows]) if rows \
            else np.zeros((0, query.shape[-1]), dtype=np.float32)
        return vectors @ query

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id, or None."""
        i = self.positions.get(passage_id)
        return None if i is None else self.passages[i]


def corpus_hash(seeds_dir: Path) -> str:
    """sha256 over the names and content hashes of the seed files and the catalogue."""
    files = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in seed_files(seeds_dir)]
    return _names_hash(files, seeds_dir / "catalog.toml")


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


def build_index(settings: Settings, embedder: Embedder, *,
                spec: IndexSpec | None = None,
                on_step: Callable[[str], None] | None = None,
                sources: list[Source] | None = None) -> Path:
    """Index the seeds folder (or ``sources`` read from it) into ``settings.index_dir``.

    Every document is re-parsed (cheap); vectors come from ``embedder``, which may be a
    ``CachedEmbedder`` so that only new texts are embedded. Returns the index path.
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
    step(f"{len(docs)} documents, {len(passages)} passages")
    titles = {d.id: d.meta.title for d in docs}
    texts = {p.id: p.text for p in passages}
    vectors = embedder.embed([_with_items(p, p.embedding_text(titles[p.doc_id]), texts)
                              for p in passages])
    sentences = passage_sentences(passages)
    step(f"{len(sentences)} sentences")
    sentence_vectors = embedder.embed([s.text for s in sentences])
    vector_index = build_faiss(vectors, spec or settings.index_spec())
    lexical = LexicalIndex.build([_with_items(p, _lexical_text(p), texts) for p in passages])
    records = _source_records(sources, read_sources(settings.index_dir))

    root = settings.index_root
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    with _staging(root, settings.index_name) as tmp:
        save_faiss(vector_index, tmp / VECTORS)
        lexical.save(tmp / LEXICAL)
        _write_jsonl(tmp / PASSAGES, (asdict(p) for p in passages))
        _write_jsonl(tmp / SENTENCES, (asdict(x) for x in sentences))
        np.save(tmp / SENTENCE_VECTORS, sentence_vectors.astype(np.float16))
        (tmp / DOCUMENTS).write_text(json.dumps([asdict(d.meta) for d in docs],
                                                ensure_ascii=False, indent=1), "utf-8")
        (tmp / SOURCES).write_text(json.dumps([asdict(r) for r in records],
                                              ensure_ascii=False, indent=1), "utf-8")
        manifest = Manifest(
            model=embedder.model_id, dim=int(vectors.shape[1]),
            corpus_hash=_names_hash([(s.path.name, s.sha256) for s in sources],
                                    settings.catalog_path),
            chunker_version=CHUNKER_VERSION,
            chunk_options=asdict(options), passages=len(passages), documents=len(docs),
            faiss_index=describe(vector_index), created=datetime.now(UTC).isoformat(),
            file_sizes={name: (tmp / name).stat().st_size for name in (VECTORS, PASSAGES, SENTENCES,
                                                                 SENTENCE_VECTORS)},
            build_seconds=round(time.perf_counter() - started, 2),
        )
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1), "utf-8")
        final = root / f".{settings.index_name}@{stamp}"
        os.replace(tmp, final)
    _point(root / settings.index_name, final)
    _prune(root, settings.index_name, keep=final)
    step(f"index written to {root / settings.index_name} ({manifest.faiss_index})")
    return root / settings.index_name


def _with_items(passage: Passage, text: str, texts: dict[str, str],
                max_chars: int = 1000) -> str:
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


@contextmanager
def _staging(root: Path, name: str) -> Iterator[Path]:
    """A temporary build folder that disappears if the build fails."""
    tmp = root / f".{name}.tmp-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


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
    for stale in root.glob(f".{name}.tmp-*"):
        pid = stale.name.split("-")[1] if "-" in stale.name else ""
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_manifest(path: Path) -> Manifest:
    """Read and validate ``manifest.json`` of the index at ``path``."""
    if not path.exists():
        raise IndexNotBuilt(path)
    try:
        data = json.loads((path / MANIFEST).read_text("utf-8"))
        return Manifest(**data)
    except FileNotFoundError as exc:
        raise IndexCorrupt(path, "manifest.json is missing") from exc
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(path, f"manifest.json is unreadable: {exc}") from exc


def check_manifest(path: Path, manifest: Manifest, settings: Settings, dim: int | None) -> None:
    """Refuse an index built with another model, dimension, chunker or format."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(path, f"format {manifest.format_version}, expected {FORMAT_VERSION}")
    if manifest.model != settings.embedding_model:
        raise IndexMismatch(path, f"built with model {manifest.model!r}, "
                                  f"configured {settings.embedding_model!r}")
    if dim is not None and manifest.dim != dim:
        raise IndexMismatch(path, f"vectors have {manifest.dim} dimensions, model gives {dim}")
    if manifest.chunker_version != CHUNKER_VERSION:
        raise IndexMismatch(path, f"chunker {manifest.chunker_version}, "
                                  f"code is {CHUNKER_VERSION}")
    for name, size in manifest.file_sizes.items():
        actual = (path / name).stat().st_size if (path / name).exists() else -1
        if actual != size:
            raise IndexCorrupt(path, f"{name} has {actual} bytes, manifest says {size}")


def load_index(settings: Settings, *, dim: int | None = None, mmap: bool = False) -> Index:
    """Load the configured index, checking it against the settings (and model ``dim``)."""
    path = settings.index_dir
    manifest = read_manifest(path)
    check_manifest(path, manifest, settings, dim)
    resolved = path.resolve()
    try:
        vectors = load_faiss(resolved / VECTORS, mmap=mmap)
        lexical = LexicalIndex.load(resolved / LEXICAL)
        passages = [_passage(json.loads(line)) for line in
                    (resolved / PASSAGES).read_text("utf-8").splitlines() if line.strip()]
        documents = {d["id"]: _document(d) for d in
                     json.loads((resolved / DOCUMENTS).read_text("utf-8"))}
        sentences = [Sentence(**json.loads(line)) for line in
                     (resolved / SENTENCES).read_text("utf-8").splitlines() if line.strip()]
        sentence_vectors = np.load(resolved / SENTENCE_VECTORS).astype(np.float32)
    except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorrupt(path, f"{type(exc).__name__}: {exc}") from exc
    if vectors.ntotal != len(passages) or len(passages) != manifest.passages:
        raise IndexCorrupt(path, f"{vectors.ntotal} vectors for {len(passages)} passages, "
                                 f"manifest says {manifest.passages}")
    if len(sentences) != len(sentence_vectors):
        raise IndexCorrupt(path, f"{len(sentence_vectors)} sentence vectors for "
                                 f"{len(sentences)} sentences")
    if _seeds_changed(settings, manifest):
        log.warning("Index at %s was built from other seed files; rebuild with: rag index", path)
    return Index(resolved, manifest, vectors, lexical, passages, documents, sentences,
                 sentence_vectors, read_sources(resolved))


def _seeds_changed(settings: Settings, manifest: Manifest) -> bool:
    try:
        return corpus_hash(settings.seeds_dir) != manifest.corpus_hash
    except (OSError, RagError):  # an unreadable seeds folder does not stop serving
        return True


def _document(row: dict[str, object]) -> DocumentMeta:
    row["aliases"] = tuple(row.get("aliases") or ())  # type: ignore[arg-type]
    return DocumentMeta(**row)  # type: ignore[arg-type]


def _passage(row: dict[str, object]) -> Passage:
    row["section"] = tuple(row.get("section") or ())  # type: ignore[arg-type]
    row["footnotes"] = tuple(row.get("footnotes") or ())  # type: ignore[arg-type]
    row["items"] = tuple(row.get("items") or ())  # type: ignore[arg-type]
    return Passage(**row)  # type: ignore[arg-type]


def vectors_of(index: Index) -> np.ndarray:
    """All stored vectors (flat indexes only; used by tests and benchmarks)."""
    return index.vectors.reconstruct_n(0, index.vectors.ntotal)
