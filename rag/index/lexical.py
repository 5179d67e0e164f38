"""Lexical retrieval: BM25 (``bm25s``) over passage texts, one index per analyzer of
:mod:`rag.index.analysis` (``words`` for French questions, ``grams`` for English ones)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import bm25s
import numpy as np

from rag.index.analysis import ANALYZERS, Analyzer, analyze
from rag.records import Passage

# bm25s sets its logger to DEBUG when imported; keep its build messages for -v only
logging.getLogger("bm25s").setLevel(
    logging.DEBUG if logging.getLogger().isEnabledFor(logging.DEBUG) else logging.WARNING)


def _token_ids(texts: list[str], terms: Callable[[str], list[str]]
               ) -> tuple[list[list[int]], dict[str, int]]:
    """Each text's tokens as ids, numbered in order of first appearance. Tokens become ids
    text by text, so a build never holds every token string at once (a list of ids shares
    the vocabulary's int objects: about 8 bytes a token instead of about 60), and the same
    texts always give the same index files (bm25s would number tokens in set order, which
    changes with Python's string hashing)."""
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in terms(text) or [""]] for text in texts]
    return ids, vocab


class LexicalIndex:
    """BM25 over passage texts, one index per analyzer; scores every passage."""

    def __init__(self, indexes: dict[str, bm25s.BM25]) -> None:
        self._bm25 = indexes

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        """Index ``texts`` (one per passage, same order as the vector index)."""
        indexes = {}
        for name in ANALYZERS:
            retriever = bm25s.BM25()
            retriever.index(_token_ids(texts, partial(analyze, analyzer=name)),
                            show_progress=False)
            indexes[name] = retriever
        return cls(indexes)

    def save(self, directory: Path) -> None:
        """Write one sub-folder per analyzer into ``directory``."""
        for name, retriever in self._bm25.items():
            retriever.save(str(directory / name))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Read an index written by :meth:`save`; ``ValueError`` (naming the analyzer) if
        its arrays are inconsistent, so that a damaged file fails here, not in a query."""
        indexes = {}
        for name in ANALYZERS:
            retriever = bm25s.BM25.load(str(directory / name), load_corpus=False,
                                        show_progress=False)
            try:
                _check(retriever)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
            indexes[name] = retriever
        counts = {name: r.scores["num_docs"] for name, r in indexes.items()}
        if len(set(counts.values())) != 1:
            raise ValueError(f"the analyzers cover different passage counts: {counts}")
        return cls(indexes)

    @property
    def num_docs(self) -> int:
        """How many passages the index scores."""
        return int(next(iter(self._bm25.values())).scores["num_docs"])

    def scores(self, query: str, analyzer: Analyzer = "words") -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no term matches)."""
        retriever = self._bm25[analyzer]
        tokens = [t for t in analyze(query, analyzer) if t in retriever.vocab_dict]
        if not tokens:
            return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(retriever.get_scores(tokens), dtype=np.float32)


def _check(retriever: bm25s.BM25) -> None:
    """The sparse score matrix (CSC: one column of passages per token) and the vocabulary
    must fit together; these are the invariants ``get_scores`` relies on."""
    scores = retriever.scores
    num_docs = scores.get("num_docs")
    if not isinstance(num_docs, int) or isinstance(num_docs, bool) or num_docs < 1:
        raise ValueError(f"num_docs is {num_docs!r}")
    for dtype in (retriever.dtype, retriever.int_dtype):
        np.dtype(dtype)  # TypeError for a type name numpy does not know
    data, indices, indptr = (np.asarray(scores[k]) for k in ("data", "indices", "indptr"))
    if data.ndim != 1 or indices.ndim != 1 or indptr.ndim != 1:
        raise ValueError("score arrays are not vectors")
    if not np.issubdtype(data.dtype, np.floating) or not (
            np.issubdtype(indices.dtype, np.integer) and np.issubdtype(indptr.dtype, np.integer)):
        raise ValueError("score arrays have the wrong types")
    if len(indices) != len(data) or len(indptr) < 1 or indptr[0] != 0 \
            or indptr[-1] != len(data) or np.any(np.diff(indptr) < 0):
        raise ValueError("score matrix pointers do not fit its data")
    if len(indices) and (indices.min() < 0 or indices.max() >= num_docs):
        raise ValueError(f"score matrix refers to passages beyond {num_docs}")
    if not np.isfinite(data).all():
        raise ValueError("scores that are not finite numbers")
    vocab = retriever.vocab_dict
    tokens = len(indptr) - 1  # bm25s gives the empty token (never queried) an id past them
    if not isinstance(vocab, dict) or not all(
            type(v) is int and (0 <= v < tokens or k == "") for k, v in vocab.items()):
        raise ValueError(f"vocabulary ids outside 0–{tokens - 1}")
# A list introduction is embedded and indexed with its items' text, cut at this many
# characters: enough to name what the list is about without drowning the introduction.
ITEMS_TEXT_MAX_CHARS = 1000


def lexical_texts(passages: list[Passage]) -> list[str]:
    """What BM25 indexes for each passage (a list introduction with its items' text)."""
    texts = {p.id: p.text for p in passages}
    return [_with_items(p, _lexical_text(p), texts) for p in passages]


def _with_items(passage: Passage, text: str, texts: dict[str, str],
                max_chars: int = ITEMS_TEXT_MAX_CHARS) -> str:
    """A list introduction is found through its items: their text is appended (not shown)."""
    if not passage.items:
        return text
    return f"{text}\n{' '.join(texts[i] for i in passage.items)[:max_chars]}"


def _lexical_text(passage: Passage) -> str:
    """BM25 sees the passage, its section headings and lead-in (not the long title)."""
    return "\n".join([*passage.section[-2:], passage.context, passage.text])
