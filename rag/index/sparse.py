"""BM25 as sparse vectors, with the analyzers of :mod:`rag.index.analysis`, for vector stores that
score sparse vectors themselves (Qdrant).

A passage's vector holds, for each of its terms, BM25's term-frequency part
``tf / (tf + k1·(1 − b + b·dl/avgdl))``; a query's vector holds how often each term occurs
in it. A store that multiplies the query side by ``ln(1 + (N − df + 0.5)/(df + 0.5))`` (Qdrant's
``Modifier.IDF``) then gives exactly the scores of ``bm25s`` (Lucene variant, k1 1.5, b 0.75)
in :class:`rag.index.lexical.LexicalIndex`. Terms become ids through a stable 32-bit hash, so no
vocabulary is shipped or downloaded; two terms of one analyzer share an id with probability
≈ V/2³² (≈ 5·10⁻⁵ for a 200k-term vocabulary).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.index.analysis import ANALYZERS, Analyzer, analyze

K1, B = 1.5, 0.75  # bm25s defaults, as LexicalIndex builds with


@dataclass(frozen=True)
class Sparse:
    """Term ids (ascending) and their weights."""

    indices: list[int]
    values: list[float]


def term_id(term: str) -> int:
    """A stable 32-bit id for ``term`` (same in every process and version)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "little")


def _sparse(counts: Counter[int], weight: Callable[[int], float]) -> Sparse:
    ids = sorted(counts)
    return Sparse(ids, [float(weight(counts[i])) for i in ids])


def query_vector(text: str, analyzer: Analyzer) -> Sparse:
    """How often each term occurs in the query (bm25s sums a repeated term each time)."""
    return _sparse(Counter(term_id(t) for t in analyze(text, analyzer)), float)


def average_lengths(texts: Sequence[str]) -> dict[str, float]:
    """Mean passage length in terms, per analyzer (an empty passage counts as one term,
    as bm25s indexes it)."""
    if not texts:
        return dict.fromkeys(ANALYZERS, 1.0)
    return {name: sum(max(1, len(analyze(t, name))) for t in texts) / len(texts)
            for name in ANALYZERS}


def document_vector(text: str, analyzer: Analyzer, avgdl: float) -> Sparse:
    """BM25's term-frequency part of each term of a passage."""
    terms = analyze(text, analyzer)
    norm = K1 * (1 - B + B * max(1, len(terms)) / avgdl)
    return _sparse(Counter(term_id(t) for t in terms), lambda tf: tf / (tf + norm))
