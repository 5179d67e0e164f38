"""The loaded service: settings, embedder, index and retriever, built once and shared by
the CLI and the API."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rag.embeddings import Embedder, load_embedder
from rag.index import Index, load_index
from rag.retrieval import Hit, Retriever
from rag.settings import Settings


@dataclass
class Pipeline:
    """Everything needed to answer a question, loaded once."""

    settings: Settings
    embedder: Embedder
    index: Index
    retriever: Retriever
    load_seconds: float = 0.0

    @classmethod
    def load(cls, settings: Settings, *, mmap: bool = False) -> Pipeline:
        """Load the model and the index (raises a named error if the index is unusable)."""
        started = time.perf_counter()
        embedder = load_embedder(settings)
        index = load_index(settings, dim=embedder.dim, mmap=mmap)
        retriever = Retriever(index, embedder, settings)
        return cls(settings, embedder, index, retriever, time.perf_counter() - started)

    def search(self, query: str, k: int | None = None,
               documents: list[str] | None = None) -> list[Hit]:
        """Top passages for ``query``."""
        return self.retriever.search(query, k, documents)
