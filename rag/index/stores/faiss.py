"""The default vector store: a FAISS index for dense search and BM25 (:mod:`rag.index.lexical`)
for lexical search, both held in memory and written to the index folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import faiss
import numpy as np

from rag.index.dense import build_faiss, save_faiss, search, stored_vectors
from rag.index.lexical import LexicalIndex
from rag.index.stores.base import Backend, Candidates, Points, Query
from rag.records import IndexSpec


class FaissStore:
    """FAISS + BM25 over the passages of one index snapshot (row i = passage i).

    ``texts`` gives the lexical text of every row when BM25 must be rebuilt (after
    :meth:`add` or :meth:`remove`); a loaded snapshot derives them from its passages."""

    backend: Backend = "faiss"

    def __init__(self, index: faiss.Index | None, lexical: LexicalIndex | None,
                 doc_ids: Sequence[str], texts: Callable[[], list[str]] | None = None,
                 spec: IndexSpec | None = None, version: str = "") -> None:
        self.index = index
        self.lexical = lexical
        self.spec = spec or IndexSpec()
        self._doc_ids = list(doc_ids)
        self._rows = _rows_by_document(self._doc_ids)
        self._texts = texts or (lambda: [])
        self._version = version

    @classmethod
    def empty(cls, spec: IndexSpec | None = None) -> FaissStore:
        """A store to build into with :meth:`add`."""
        return cls(None, None, [], spec=spec)

    def search(self, query: Query, depth: int, documents: Sequence[str] | None = None
               ) -> Candidates:
        """Dense top-``depth`` (exact over a filter, see :func:`rag.index.dense.search`)
        and BM25 top-``depth`` (scores of every passage, masked to the filter)."""
        if self.index is None or self.lexical is None:
            return Candidates([], [], lambda row: None)
        allowed = self.allowed_rows(documents)
        scores, ids = search(self.index, query.vector, depth, allowed)
        lexical = self.lexical.scores(query.text, query.analyzer)
        if allowed is not None:
            mask = np.full(lexical.shape, -np.inf, dtype=np.float32)
            mask[allowed] = lexical[allowed]
            lexical = mask
        order = np.argsort(-lexical, kind="stable")[:depth]
        return Candidates(
            dense=[(int(i), float(s)) for i, s in zip(ids, scores, strict=True)],
            lexical=[(int(i), float(lexical[i])) for i in order if lexical[i] > 0],
            lexical_score=lambda row: float(lexical[row]) or None)

    def allowed_rows(self, documents: Sequence[str] | None) -> np.ndarray | None:
        """Sorted rows of ``documents``; None = every row."""
        if documents is None:
            return None
        rows = [r for d in dict.fromkeys(documents) for r in self._rows.get(d, ())]
        return np.array(sorted(rows), dtype=np.int64)

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Stored vectors of ``rows``."""
        if self.index is None:
            return np.zeros((0, 0), dtype=np.float32)
        return stored_vectors(self.index, np.asarray(rows, dtype=np.int64))

    def add(self, points: Points) -> None:
        """Append passages, then rebuild FAISS (an IVF index is trained on all vectors) and
        BM25 (its statistics are corpus-wide)."""
        if points.start != self.count():
            raise ValueError(f"rows start at {points.start}; the store holds {self.count()}")
        old = self.vectors(range(self.count())) if self.count() else None
        vectors = np.asarray(points.vectors, dtype=np.float32)
        if old is not None:
            vectors = np.vstack([old, vectors])
        self._rebuild(vectors, [*self._doc_ids, *points.doc_ids],
                      [*self._texts(), *points.texts])

    def remove(self, documents: Sequence[str]) -> int:
        """Drop the passages of ``documents``; later rows move down (FAISS ids are
        positions)."""
        doomed = set(documents)
        keep = [i for i, d in enumerate(self._doc_ids) if d not in doomed]
        removed = len(self._doc_ids) - len(keep)
        if removed:
            texts = self._texts()
            self._rebuild(self.vectors(keep), [self._doc_ids[i] for i in keep],
                          [texts[i] for i in keep])
        return removed

    def _rebuild(self, vectors: np.ndarray, doc_ids: list[str], texts: list[str]) -> None:
        self.index = build_faiss(vectors, self.spec) if len(vectors) else None
        self.lexical = LexicalIndex.build(texts) if texts else None
        self._doc_ids, self._rows = doc_ids, _rows_by_document(doc_ids)
        self._texts = lambda: texts
        self._version = ""

    def count(self) -> int:
        """Passages held."""
        return 0 if self.index is None else int(self.index.ntotal)

    @property
    def version(self) -> str:
        """The snapshot's name (its index folder), or ``""`` for one built in memory."""
        return self._version

    def save(self, vectors_path: Path, lexical_dir: Path) -> None:
        """Write the FAISS file and the BM25 folder (the on-disk format of the index)."""
        if self.index is None or self.lexical is None:
            raise ValueError("an empty store cannot be saved")
        save_faiss(self.index, vectors_path)
        self.lexical.save(lexical_dir)


def _rows_by_document(doc_ids: Sequence[str]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for i, doc in enumerate(doc_ids):
        rows.setdefault(doc, []).append(i)
    return rows
