"""Lexical retrieval: French-aware tokenisation (stopwords, Snowball stems, folded accents)
and a BM25 index (``bm25s``)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset(STOPWORDS_FRENCH) | frozenset(STOPWORDS_EN) | {
    "selon", "quel", "quelle", "quels", "quelles", "a-t-il", "ont", "été", "lors", "d", "l",
    "qu", "s", "n", "c", "j", "m", "t", "which", "what", "according",
}


def fold_accents(text: str) -> str:
    """``sécurité`` → ``securite``: strip combining marks after NFKD decomposition."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


def tokenize(text: str) -> list[str]:
    """Lower-case words minus French/English stopwords, stemmed, accents folded."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1]
    return [fold_accents(stem) for stem in _stemmer().stemWords(words)]


class LexicalIndex:
    """BM25 over passage texts; scores every passage for a query."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._bm25 = retriever

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        """Index ``texts`` (one per passage, same order as the vector index)."""
        retriever = bm25s.BM25()
        retriever.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(retriever)

    def save(self, directory: Path) -> None:
        """Write the index files into ``directory``."""
        self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Read an index written by :meth:`save`."""
        return cls(bm25s.BM25.load(str(directory), load_corpus=False, mmap=False))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no term matches)."""
        tokens = [t for t in tokenize(query) if t in self._bm25.vocab_dict]
        n = self._bm25.scores["num_docs"]
        if not tokens:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
