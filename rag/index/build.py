"""Build the on-disk index: documents read and chunked (:mod:`rag.ingest`), passages,
sentences and gazetteer names embedded (:mod:`rag.encoders`), FAISS vectors and BM25 (or a
Qdrant collection) written with the documents' cards, source records and the manifest
(:mod:`rag.index.manifest`).

A build writes a fresh versioned folder, then atomically repoints the index name (a symlink)
at it, so readers never see a half-written index and an interrupted build changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from rag.encoders.base import Embedder, encoder_of
from rag.errors import DocumentRejected, IndexNotBuilt
from rag.index.dense import build_faiss, describe, save_faiss
from rag.index.lexical import LexicalIndex, _with_items, lexical_texts
from rag.index.load import read_sources
from rag.index.manifest import (
    CARDS,
    DOCUMENTS,
    GAZETTEER,
    GAZETTEER_VECTORS,
    LEXICAL,
    MANIFEST,
    PASSAGES,
    SENTENCE_VECTORS,
    SENTENCES,
    SOURCES,
    STORE,
    VECTORS,
    Manifest,
    _names_hash,
    file_digests,
)
from rag.index.options import IndexOptions
from rag.index.vectors import embed_to_file
from rag.ingest.atomic_folder import remove_stale, staging
from rag.ingest.cards import build_card, card_json, card_meta
from rag.ingest.chunking import CHUNKER_VERSION, chunk_corpus
from rag.ingest.documents import (
    Source,
    catalog_entry,
    document_id,
    load_catalog,
    parse_corpus,
    read_corpus,
)
from rag.ingest.gazetteer import Gazetteer, build_gazetteer
from rag.ingest.sentences import split_sentences
from rag.records import (
    Document,
    DocumentCard,
    IndexSpec,
    Passage,
    Sentence,
    SourceRecord,
)

log = logging.getLogger(__name__)
KEEP_BUILDS = 2  # the new build and the one before (a reader may still have it mapped)


def passage_sentences(passages: list[Passage]) -> list[Sentence]:
    """Every sentence of every passage, in order."""
    return [Sentence(row, i, text) for row, p in enumerate(passages)
            for i, text in enumerate(split_sentences(p.text))]


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


def embed_ahead(options: IndexOptions, sources: list[Source], embedder: Embedder) -> None:
    """Embed the texts ``sources`` will give an index build (passages and sentences) into
    ``embedder``'s cache, so that the build that follows — under the corpus lock — finds
    them there: a large upload is embedded before the lock, not while holding it. Without a
    cache, or for a source the build will refuse, nothing is done (the build says why)."""
    if not hasattr(embedder, "cache"):
        return
    try:
        docs = parse_corpus(sources, options.catalog_path)
        passages = chunk_corpus(docs, options.chunk)
        _check_sizes(docs, passages, options.max_document_passages)
        sentences = passage_sentences(passages)
        _check_texts(docs, passages, sentences, options.max_document_texts)
    except DocumentRejected:
        return
    chunk = options.build_chunk_size
    for texts in (passage_vector_texts(docs, passages), [x.text for x in sentences]):
        for start in range(0, len(texts), chunk):
            embedder.embed(texts[start:start + chunk])


def build_index(options: IndexOptions, embedder: Embedder, *,
                spec: IndexSpec | None = None,
                on_step: Callable[[str], None] | None = None,
                sources: list[Source] | None = None,
                show_progress: bool = False) -> Path:
    """Index the seeds folder (or ``sources`` read from it) into ``options.index_dir``.

    Every document is re-parsed (cheap); vectors come from ``embedder``, which may be a
    ``CachedEmbedder`` so that only new texts are embedded. Vectors are embedded
    ``RAG_BUILD_CHUNK_SIZE`` texts at a time straight into memory-mapped files of the staging
    folder, so memory does not grow with the corpus beyond the index structures, and a killed
    build resumes from the cache. Returns the index path.
    """
    started = time.perf_counter()
    step = on_step or (lambda msg: log.info(msg))
    if sources is None:
        sources = read_corpus(options.seeds_dir, options.max_document_bytes)
    if not sources:
        raise IndexNotBuilt(f"{options.seeds_dir} (no documents to index)")
    docs = parse_corpus(sources, options.catalog_path)
    chunking = options.chunk
    passages = chunk_corpus(docs, chunking)
    _check_sizes(docs, passages, options.max_document_passages)
    docs, cards = document_cards(docs, passages, load_catalog(options.catalog_path))
    step(f"{len(docs)} documents, {len(passages)} passages")
    sentences = passage_sentences(passages)
    _check_texts(docs, passages, sentences, options.max_document_texts)
    records = _source_records(sources, read_sources(options.index_dir))
    chunk = options.build_chunk_size
    root = options.index_root
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    qdrant = None
    try:
        with staging(root / options.index_name) as tmp:
            scratch = tmp / ".passage-vectors.npy"  # copied by the store; not in the index
            vectors = embed_to_file(embedder, passage_vector_texts(docs, passages), scratch,
                                    chunk=chunk, label="passages", show_progress=show_progress)
            step(f"{len(sentences)} sentences")
            embed_to_file(embedder, [x.text for x in sentences], tmp / SENTENCE_VECTORS,
                          chunk=chunk, dtype=np.float16, label="sentences",
                          show_progress=show_progress)
            dim = int(vectors.shape[1])
            if options.store.vector_store == "qdrant":
                # qdrant_client is an optional dependency (pip install 'unrag[qdrant]')
                from rag.index.stores.qdrant import (  # noqa: PLC0415
                    alias_name,
                    build_collection,
                    prune_collections,
                )

                qdrant = build_collection(options, stamp, vectors,
                                          [p.doc_id for p in passages], lexical_texts(passages))
                step(f"{len(passages)} points in Qdrant collection {qdrant.collection}")
                (tmp / STORE).write_text(json.dumps(qdrant.record(), indent=1), "utf-8")
                kind = f"Qdrant {qdrant.collection}"
            else:
                vector_index = build_faiss(vectors, spec or options.spec)
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
                                        options.catalog_path),
                chunker_version=CHUNKER_VERSION,
                chunk_options=asdict(chunking), passages=len(passages), documents=len(docs),
                faiss_index=kind, created=datetime.now(UTC).isoformat(),
                files=file_digests(tmp),
                build_seconds=round(time.perf_counter() - started, 2),
                encoder=encoder_of(embedder).as_dict(),
            )
            (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1), "utf-8")
            final = root / f".{options.index_name}@{stamp}"
            os.replace(tmp, final)
    except BaseException:
        if qdrant is not None:  # nothing refers to the new collection yet
            qdrant.drop()
        raise
    if qdrant is not None:  # the alias moves once the folder naming the collection exists
        qdrant.publish(alias_name(options.index_name))
    _point(root / options.index_name, final)
    _prune(root, options.index_name, keep=final)
    if qdrant is not None:
        prune_collections(qdrant.client, options.index_name, _collections_in_use(
            root, options.index_name), options.qdrant_location)
    step(f"index written to {root / options.index_name} ({manifest.faiss_index})")
    return root / options.index_name


def document_cards(docs: list[Document], passages: list[Passage],
                   catalog: dict[str, dict[str, object]]
                   ) -> tuple[list[Document], list[DocumentCard]]:
    """The card of each document (:mod:`rag.ingest.cards`), and the documents with the metadata the
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


def _collections_in_use(root: Path, name: str) -> set[str]:
    """The Qdrant collections the kept builds of index ``name`` refer to."""
    used = set()
    for build in root.glob(f".{name}@*"):
        try:
            used.add(str(json.loads((build / STORE).read_text("utf-8"))["collection"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return used


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
