"""Extractive summaries: the central sentences of a document (or of the passages given),
weighed with their relevance to the question, redundancy removed by maximal marginal
relevance, returned in reading order."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from rag.index.load import Index
from rag.query.plan import GENRES
from rag.text import fold

RELEVANCE_WEIGHT = 0.3  # question relevance vs. centrality (whole-document summaries)
TOPICAL_RELEVANCE_WEIGHT = 0.6  # … for summaries about a topic
REDUNDANCY_WEIGHT = 0.5  # MMR penalty for similarity to sentences already chosen
MIN_CHARS = 40  # headings and fragments are not summary sentences
TOPIC_WORDS = 2  # a summary request with more words than this has a topic
# Words that ask for a summary or designate a document, in both languages.
_SUMMARY_WORDS = frozenset(fold(w) for w in (
    "résume résumez résumer résumé synthèse principaux principales points idées essentiels "
    "grandes lignes dit dire contient présente document texte lettre note cadrage réflexion "
    "rapport summarise summarize summary overview main points ideas what does says say "
    "about report letter paper concept note document text give provide brief short").split()
    ) | {fold(w) for words in GENRES.values() for g in words for w in g.split()}


def central_sentences(index: Index, rows: Sequence[int], query: np.ndarray, k: int,
                      exclude: Sequence[bool] = (), relevance_weight: float = RELEVANCE_WEIGHT
                      ) -> list[int]:
    """Indices (in ``index.sentences``) of up to ``k`` central sentences of passage ``rows``.

    Centrality is a sentence's cosine with the centroid of all the sentences (the
    document's main topic); relevance its cosine with the question.
    """
    ids = [si for r in rows for si in index.sentences_of.get(r, [])
           if len(index.sentences[si].text) >= MIN_CHARS and not (exclude and exclude[si])]
    if not ids:
        return []
    vectors = index.sentence_vectors[ids]
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    centrality = vectors @ centroid
    relevance = vectors @ query
    score = (1 - relevance_weight) * centrality + relevance_weight * relevance
    chosen: list[int] = []
    while len(chosen) < min(k, len(ids)):
        redundancy = (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(ids))
        mmr = score - REDUNDANCY_WEIGHT * redundancy
        mmr[chosen] = -np.inf
        chosen.append(int(np.argmax(mmr)))
    return sorted(ids[i] for i in chosen)


def topical(text: str, names: frozenset[str]) -> bool:
    """A summary request with a topic of its own ("what does the report say about
    Africa?"), as opposed to "summarise the report": a name, or more topic words than the
    words that ask for a summary or name a document (``names``: folded words of document
    aliases)."""
    words = [w for w in re.findall(r"[^\W\d_]{4,}", text)
             if fold(w) not in names and fold(w) not in _SUMMARY_WORDS]
    names_in_text = [w for w in re.findall(r"(?<=\s)[A-ZÀ-Ý][\wÀ-ÿ]+", text)
                     if fold(w) not in names and fold(w) not in _SUMMARY_WORDS]
    return len(words) > TOPIC_WORDS or bool(names_in_text)
