"""Corpus words that cannot be part of a person's name (for the person-name evidence check)."""

from __future__ import annotations

import re
from collections import Counter

from rag.index.load import Index

# A capitalised word used more often than this in the corpus belongs to institution names
# ("Unies", "Conseil"), not to a person's: people are named a few times at most.
MAX_NAME_COUNT = 5


def common_words(index: Index, max_name_count: int = MAX_NAME_COUNT) -> frozenset[str]:
    """Lower-cased words that cannot be part of a person's name: words written in lower case
    somewhere in the corpus, and capitalised words frequent enough to belong to institution
    names (``Unies``, ``Conseil``); people are named rarely."""
    counts: Counter[str] = Counter()
    words: set[str] = set()
    for p in index.passages:
        for w in re.findall(r"[\w’'-]+", p.text):
            counts[w.lower()] += 1
            if w.islower():
                words.add(w)
    words.update(w for w, n in counts.items() if n > max_name_count)
    return frozenset(words)
