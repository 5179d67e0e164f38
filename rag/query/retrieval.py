"""Hybrid retrieval: dense and lexical (BM25) candidate lists from the vector store (FAISS
or Qdrant, :mod:`rag.index.stores.base`) fused by weighted reciprocal rank (Cormack, Clarke &
Büttcher, SIGIR 2009).

:meth:`Retriever.search` reads top to bottom: the documents to search in
(:meth:`~Retriever._allowed_documents`), the query vector, the lexical analyzer and weight
of the question's language (:meth:`~Retriever.lexical_mode`), both candidate lists from the
store in one call (:meth:`~Retriever._candidates`), their fusion (:meth:`~Retriever._fuse`),
then one :class:`rag.records.Hit` per fused row (:meth:`~Retriever._hits`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from rag.encoders.base import Embedder
from rag.errors import UnknownDocument
from rag.index.analysis import Analyzer
from rag.index.load import Index
from rag.index.stores.base import Candidates, Query
from rag.records import Hit, RetrievalOptions
from rag.text import detect_language


def rrf(rankings: Iterable[tuple[list[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal-rank fusion: Σ weight / (k + rank), rank starting at 1."""
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, doc in enumerate(ids, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused


def _ranks(candidates: list[tuple[int, float]]) -> dict[int, int]:
    """Row → its rank (from 1) in a best-first candidate list."""
    return {row: rank for rank, (row, _) in enumerate(candidates, start=1)}


class Retriever:
    """Finds the passages that best answer a question."""

    def __init__(self, index: Index, embedder: Embedder, options: RetrievalOptions) -> None:
        self.index = index
        self.embedder = embedder
        self.options = options

    def search(self, query: str, k: int | None = None, documents: list[str] | None = None,
               query_vector: np.ndarray | None = None, language: str | None = None
               ) -> list[Hit]:
        """Top-``k`` passages for ``query``, optionally restricted to some documents
        (``language``: the question's, when already known)."""
        allowed = self._allowed_documents(documents)
        vector = self.embed_query(query) if query_vector is None else query_vector
        analyzer, lexical_weight = self.lexical_mode(query, language)
        found = self._candidates(Query(vector, query, analyzer), allowed)
        ranked = self._fuse(found, lexical_weight)
        return self._hits(ranked[:k or self.options.top_k], found)

    def _allowed_documents(self, documents: Sequence[str] | None) -> list[str] | None:
        """The ids of the documents named in ``documents`` (ids, file names or symbols),
        each once; None (search everything) when none are named."""
        if not documents:
            return None
        return list(dict.fromkeys(map(self.resolve_document, documents)))

    def resolve_document(self, ref: str) -> str:
        """The id of the document ``ref`` names (id, file name or symbol)."""
        if ref in self.index.documents:
            return ref
        for doc in self.index.documents.values():
            if ref in {doc.symbol, doc.file} or (doc.symbol and ref in doc.symbol.split("-")):
                return doc.id
        known = ", ".join(sorted(self.index.documents))
        raise UnknownDocument(f"Unknown document {ref!r}; known ids: {known}")

    def embed_query(self, query: str) -> np.ndarray:
        """The query vector (with the query prompt)."""
        return self.embedder.embed([query], query=True)[0]

    def lexical_mode(self, query: str, language: str | None = None) -> tuple[Analyzer, float]:
        """French questions use stemmed words; English ones character 4-grams, which match
        the cognates of the French text (see :mod:`rag.index.lexical`)."""
        if (language or detect_language(query)) == "en":
            return "grams", self.options.lexical_weight_en
        return "words", self.options.lexical_weight

    def _candidates(self, query: Query, documents: list[str] | None) -> Candidates:
        """The store's dense and lexical top-``candidate_k`` lists (each best first), only
        among the passages of ``documents`` when given."""
        return self.index.store.search(query, self.options.candidate_k, documents)

    def _fuse(self, found: Candidates, lexical_weight: float) -> list[tuple[int, float]]:
        """Every candidate row with its weighted RRF score, best first (ties: lower row)."""
        fused = rrf([([row for row, _ in found.dense], self.options.dense_weight),
                     ([row for row, _ in found.lexical], lexical_weight)], self.options.rrf_k)
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))

    def _hits(self, ranked: list[tuple[int, float]], found: Candidates) -> list[Hit]:
        """One hit per ``(row, fused score)``, with the dense and lexical scores and ranks
        that the row had among the candidates (None where it was not a candidate)."""
        dense_score, dense_rank = dict(found.dense), _ranks(found.dense)
        lexical_rank = _ranks(found.lexical)
        hits = []
        for row, score in ranked:
            passage = self.index.passages[row]
            hits.append(Hit(
                passage=passage, document=self.index.documents[passage.doc_id], score=score,
                dense_score=dense_score.get(row), lexical_score=found.lexical_score(row),
                dense_rank=dense_rank.get(row), lexical_rank=lexical_rank.get(row),
            ))
        return hits
