"""The index's options, each knob declared once: where documents and indexes live and the
limits a document is held to (:class:`IndexOptions`), where passage vectors are stored
(:class:`StoreOptions`); with the FAISS structure (:class:`rag.records.IndexSpec`) and the
chunk sizes (:class:`rag.records.ChunkOptions`) they make what
:func:`rag.index.build.build_index` and :func:`rag.index.load.load_index` receive
(``rag.settings.Settings.index_options()``). A light module: no FAISS, no numpy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rag.encoders.options import DEFAULT_MODEL
from rag.records import PROJECT_ROOT, ChunkOptions, IndexSpec, knob


@dataclass(frozen=True)
class StoreOptions:
    """Where passage vectors live: FAISS files in the index folder, or a Qdrant collection
    (:mod:`rag.index.stores.qdrant`)."""

    vector_store: Literal["faiss", "qdrant"] = knob(
        "faiss", "Where passage vectors live: faiss (in each worker, from the index folder) "
        "or qdrant (a Qdrant collection per build, dense + sparse vectors).")
    qdrant_url: str | None = knob(
        None, "http(s)://host:6333 for a Qdrant server or cluster; a folder or ':memory:' for "
        "Qdrant's local mode (tests, one process); default index_root/.qdrant.")
    qdrant_api_key: str | None = knob(None, "Qdrant API key.", secret=True)
    qdrant_shards: int = knob(1, "Shards of each new Qdrant collection.", ge=1)
    qdrant_replication_factor: int = knob(
        1, "Copies of each shard of a new Qdrant collection (cluster).", ge=1)


@dataclass(frozen=True)
class IndexOptions:
    """Which documents are indexed into which folder, and how."""

    seeds_dir: Path = knob(PROJECT_ROOT / "seeds", "Folder of source documents.")
    catalog_file: str = knob("catalog.toml", "Catalogue file name inside seeds_dir.")
    index_root: Path = knob(PROJECT_ROOT / "index", "Folder holding built indexes.")
    index_name: str = knob("default", "Name of the index folder under index_root.")
    build_chunk_size: int = knob(
        1024, "Texts embedded per step of an index build: each step is written to disk (and "
        "to the embedding cache) before the next, so memory stays flat and a killed build "
        "resumes where it stopped.", ge=1)
    embedding_cache: bool = knob(
        True, "Keep passage and sentence vectors in index_root/.cache so that no text is "
        "embedded twice (adding a document embeds only its own text).")
    max_document_bytes: int = knob(
        16 * 1024 * 1024, "Source files above this size are refused.", ge=1024)
    max_document_passages: int = knob(
        5000, "A document giving more passages than this is refused.", ge=1)
    max_document_texts: int = knob(
        10000, "A document giving more texts to embed than this (passages and sentences "
        "together) is refused before any is embedded.", ge=1)
    # the parts of other options (settings of their own)
    spec: IndexSpec = field(default_factory=IndexSpec)
    chunk: ChunkOptions = field(default_factory=ChunkOptions)
    store: StoreOptions = field(default_factory=StoreOptions)
    model: str = DEFAULT_MODEL  # the embedding model an index must hold (RAG_EMBEDDING_MODEL)

    @property
    def index_dir(self) -> Path:
        """Folder of the active index."""
        return self.index_root / self.index_name

    @property
    def catalog_path(self) -> Path:
        """Path of the seeds catalogue."""
        return self.seeds_dir / self.catalog_file

    @property
    def qdrant_location(self) -> str:
        """The Qdrant server URL, local folder or ``:memory:``."""
        return self.store.qdrant_url or str(self.index_root / ".qdrant")

    @property
    def embedding_cache_path(self) -> Path:
        """SQLite file of cached vectors."""
        return self.index_root / ".cache" / "embeddings.sqlite3"
