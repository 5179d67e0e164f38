"""Small helpers shared by tests (not part of the library)."""

from __future__ import annotations

import numpy as np

from rag.index import Index


def vectors_of(index: Index) -> np.ndarray:
    """All stored passage vectors of ``index``, in row order."""
    return index.store.vectors(range(len(index.passages)))
