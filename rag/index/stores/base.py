"""The vector-store protocol: where passage points (a dense e5 vector, the passage's
lexical text and its document id) are kept and searched. Two implementations:
:class:`rag.index.stores.faiss.FaissStore` (default; FAISS + BM25 in the index folder) and
:class:`rag.index.stores.qdrant.QdrantStore` (a Qdrant collection: dense + sparse named vectors).

Both return the same two candidate lists (dense and lexical, best first), which the
retriever fuses with one formula (:func:`rag.query.retrieval.rrf`), so a backend changes where
vectors live, not how passages are ranked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from rag.index.analysis import Analyzer

Backend = Literal["faiss", "qdrant"]


@dataclass(frozen=True)
class Query:
    """One search: the query vector, its text and the analyzer of its language."""

    vector: np.ndarray
    text: str
    analyzer: Analyzer = "words"


@dataclass(frozen=True)
class Candidates:
    """Dense and lexical candidate rows, each ``(row, score)`` best first (lexical: only
    rows sharing a term with the query); ``lexical_score`` gives the BM25 score of any row
    the backend knows it for (None otherwise)."""

    dense: list[tuple[int, float]]
    lexical: list[tuple[int, float]]
    lexical_score: Callable[[int], float | None]


@dataclass(frozen=True)
class Points:
    """Passages to add: rows ``start``, ``start + 1``…, with their document ids, dense
    vectors (L2-normalised) and lexical texts (what BM25 indexes)."""

    start: int
    doc_ids: Sequence[str]
    vectors: np.ndarray
    texts: Sequence[str]

    def __post_init__(self) -> None:
        if not len(self.doc_ids) == len(self.vectors) == len(self.texts):
            raise ValueError(f"{len(self.doc_ids)} document ids, {len(self.vectors)} vectors "
                             f"and {len(self.texts)} texts")


class VectorStore(Protocol):
    """What the retriever, the composer and a build need from a backend."""

    backend: Backend

    def search(self, query: Query, depth: int, documents: Sequence[str] | None = None
               ) -> Candidates:
        """Top-``depth`` dense and lexical candidates, only among the passages of
        ``documents`` (ids) when given."""
        ...

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The stored dense vectors of ``rows`` (one per row, in order)."""
        ...

    def add(self, points: Points) -> None:
        """Store more passages (rows must follow the last one)."""
        ...

    def remove(self, documents: Sequence[str]) -> int:
        """Drop every passage of ``documents``; returns how many were dropped."""
        ...

    def count(self) -> int:
        """How many passages the store holds."""
        ...

    @property
    def version(self) -> str:
        """Which snapshot this is (an index file's hash, a collection name)."""
        ...
