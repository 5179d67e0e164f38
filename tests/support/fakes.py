"""A deterministic test embedder for index mechanics (atomic builds, manifests, faults),
where the real model would only slow the tests down. Retrieval quality is tested with the
real model (see conftest.built_settings)."""

from __future__ import annotations

import hashlib

import numpy as np


class HashEmbedder:
    """Bag of hashed words → normalised vector; similar texts get similar vectors."""

    def __init__(self, model_id: str = "test-hash", dim: int = 64) -> None:
        self.model_id, self.dim = model_id, dim

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[row, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)
