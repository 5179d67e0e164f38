"""The terms lexical search sees in a text, under two analyzers:

- ``words``: French-aware words (stopwords removed, Snowball stems, accents folded), for
  French questions;
- ``grams``: character 4-grams of accent-folded words, for English questions over the
  French corpus: UN vocabulary is full of cognates (*intergovernmental* /
  *intergouvernemental*, *cooperation* / *coopération*) that share most of their 4-grams.

Used by BM25 (:mod:`rag.index.lexical`), Qdrant's sparse vectors (:mod:`rag.index.sparse`), question
analysis and answers. Importing it is cheap: the stemmer and bm25s's stopword lists are
loaded on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from rag.text import fold_accents

if TYPE_CHECKING:
    import Stemmer

Analyzer = Literal["words", "grams"]
ANALYZERS: tuple[Analyzer, ...] = ("words", "grams")
GRAM = 4  # letters per gram: long enough to tell words apart, short enough to span cognates
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Frequent question words that bm25s's stopword lists lack.
_EXTRA_STOPWORDS = frozenset({
    "selon", "quel", "quelle", "quels", "quelles", "ont", "été", "lors", "which", "what",
    "according",
})


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    import Stemmer

    return Stemmer.Stemmer("french")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    """bm25s's French and English stopwords and ours (bm25s loads in ≈ 0.2 s: on first use)."""
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

    return frozenset(STOPWORDS_FRENCH) | frozenset(STOPWORDS_EN) | _EXTRA_STOPWORDS


def _content_words(text: str) -> list[str]:
    stopwords = _stopwords()
    return [w for w in _TOKEN.findall(text.lower()) if w not in stopwords and len(w) > 1]


def tokenize(text: str) -> list[str]:
    """Lower-case words minus French/English stopwords, stemmed, accents folded."""
    return list(_tokens(text))


@lru_cache(maxsize=1 << 15)  # the same sentences are read question after question
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(fold_accents(stem) for stem in _stemmer().stemWords(_content_words(text)))


def char_grams(text: str, n: int = GRAM) -> list[str]:
    """Character ``n``-grams of each accent-folded content word, with word-boundary marks
    (``#inter``, ``ntal#``…); words shorter than three letters are skipped."""
    grams: list[str] = []
    for word in _content_words(fold_accents(text)):
        if len(word) < 3:
            continue
        marked = f"#{word}#"
        grams.extend(marked[i:i + n] for i in range(max(1, len(marked) - n + 1)))
    return grams


_ANALYZE = {"words": tokenize, "grams": char_grams}


def analyze(text: str, analyzer: Analyzer) -> list[str]:
    """The terms ``analyzer`` finds in ``text`` (what BM25 indexes or looks up)."""
    return _ANALYZE[analyzer](text)
