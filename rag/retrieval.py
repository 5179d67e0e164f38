"""Hybrid retrieval: dense and lexical (BM25) candidate lists from the vector store (FAISS
or Qdrant, :mod:`rag.store`) fused by weighted reciprocal rank (Cormack, Clarke & Büttcher,
SIGIR 2009)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from rag.embeddings import Embedder
from rag.errors import UnknownDocument
from rag.index import Index
from rag.language import detect_language
from rag.lexical import Analyzer
from rag.records import DocumentMeta, Passage
from rag.settings import Settings
from rag.store import Candidates, Query


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


def rrf(rankings: Iterable[tuple[list[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal-rank fusion: Σ weight / (k + rank), rank starting at 1."""
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, doc in enumerate(ids, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused


class Retriever:
    """Finds the passages that best answer a question."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def resolve_document(self, ref: str) -> str:
        """The id of the document ``ref`` names (id, file name or symbol)."""
        if ref in self.index.documents:
            return ref
        for doc in self.index.documents.values():
            if ref in {doc.symbol, doc.file} or (doc.symbol and ref in doc.symbol.split("-")):
                return doc.id
        known = ", ".join(sorted(self.index.documents))
        raise UnknownDocument(f"Unknown document {ref!r}; known ids: {known}")

    def lexical_mode(self, query: str, language: str | None = None) -> tuple[Analyzer, float]:
        """French questions use stemmed words; English ones character 4-grams, which match
        the cognates of the French text (see :mod:`rag.lexical`)."""
        if (language or detect_language(query)) == "en":
            return "grams", self.settings.lexical_weight_en
        return "words", self.settings.lexical_weight

    def embed_query(self, query: str) -> np.ndarray:
        """The query vector (with the query prompt)."""
        return self.embedder.embed([query], query=True)[0]

    def search(self, query: str, k: int | None = None, documents: list[str] | None = None,
               query_vector: np.ndarray | None = None, language: str | None = None
               ) -> list[Hit]:
        """Top-``k`` passages for ``query``, optionally restricted to some documents
        (``language``: the question's, when already known)."""
        k = k or self.settings.top_k
        ids = None if not documents else list(dict.fromkeys(map(self.resolve_document,
                                                                documents)))
        qv = self.embed_query(query) if query_vector is None else query_vector
        analyzer, lexical_weight = self.lexical_mode(query, language)
        found = self.index.store.search(Query(qv, query, analyzer), self.settings.candidate_k,
                                        ids)
        dense_list = [row for row, _ in found.dense]
        lexical_ids = [row for row, _ in found.lexical]
        fused = rrf([(dense_list, self.settings.dense_weight),
                     (lexical_ids, lexical_weight)], self.settings.rrf_k)
        dense_pos = {row: r for r, row in enumerate(dense_list, start=1)}
        dense_val = dict(found.dense)
        lexical_pos = {row: r for r, row in enumerate(lexical_ids, start=1)}
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [self._hit(row, score, dense_val, dense_pos, found, lexical_pos)
                for row, score in best]

    def _hit(self, row: int, score: float, dense_val: dict[int, float],
             dense_pos: dict[int, int], found: Candidates,
             lexical_pos: dict[int, int]) -> Hit:
        passage = self.index.passages[row]
        return Hit(
            passage=passage, document=self.index.documents[passage.doc_id], score=score,
            dense_score=dense_val.get(row), lexical_score=found.lexical_score(row),
            dense_rank=dense_pos.get(row), lexical_rank=lexical_pos.get(row),
        )

