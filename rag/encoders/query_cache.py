"""A small LRU cache of question embeddings in front of any ``Embedder``.

Chat front ends and evaluators ask the same questions again and again; the forward pass is
almost all of a question's time. Keys are the whitespace-normalised text (the model sees
that same text), per embedder, so a cached vector is exactly what the model would return.
Passage-side calls go straight through (the build has its own cache).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from rag.encoders.base import Embedder, encoder_of
from rag.text import collapse_whitespace


class QueryCache:
    """``Embedder`` wrapper remembering the last ``size`` question vectors."""

    def __init__(self, embedder: Embedder, size: int) -> None:
        self.embedder = embedder
        self.model_id, self.dim = embedder.model_id, embedder.dim
        self.encoder = encoder_of(embedder)
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def tokenizer(self) -> Any:
        """The wrapped embedder's tokenizer, if it has one."""
        return getattr(self.embedder, "tokenizer", None)

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Question vectors from the cache where present; everything else from the model."""
        if not query:
            return self.embedder.embed(texts)
        keys = [collapse_whitespace(t) for t in texts]
        with self._lock:
            found = {k: self._vectors[k] for k in keys if k in self._vectors}
            for k in found:
                self._vectors.move_to_end(k)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            fresh = self.embedder.embed(missing, query=True)
            with self._lock:
                for k, v in zip(missing, fresh, strict=True):
                    self._vectors[k] = v
                    found[k] = v
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=True)
