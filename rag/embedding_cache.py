"""Embedding cache: a text embedded once is never embedded again by the same model.

Vectors are stored in one SQLite file keyed by sha256(model, passage prompt, text), so adding
or removing a document re-embeds only the passages and sentences that are new, and a full
rebuild from a warm cache costs parsing and index writing only. SQLite gives atomic,
multi-process-safe writes; a damaged cache file is set aside and rebuilt, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embeddings import Embedder, EncoderChoice, encoder_of
from rag.settings import E5_PROMPTS

log = logging.getLogger(__name__)
_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER, vec BLOB)"
_CHUNK = 500  # keys per SELECT (SQLite's parameter limit is far above)


def cache_key(model: str, prompt: str, text: str, precision: str = "fp32") -> bytes:
    """Key of one text's vector: model id, the prompt prepended to it, and the text; vectors
    computed at another precision than fp32 are kept apart (fp32 runtimes agree to 1e-7)."""
    name = model if precision == "fp32" else f"{model}\0{precision}"
    return hashlib.sha256(f"{name}\0{prompt}\0{text}".encode()).digest()


class EmbeddingCache:
    """Vectors by key in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._execute(lambda db: db.execute(_SCHEMA))
        except sqlite3.DatabaseError as exc:  # not a database, or damaged: start afresh
            aside = path.with_name(f"{path.name}.corrupt-{time.time_ns()}")
            log.warning("embedding cache %s is unreadable (%s); moved to %s", path, exc, aside)
            path.replace(aside)
            self._execute(lambda db: db.execute(_SCHEMA))

    def _execute(self, work: Callable[[sqlite3.Connection], object]) -> object:
        with closing(sqlite3.connect(self.path, timeout=60)) as db, db:
            return work(db)

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among ``keys``."""
        found: dict[bytes, np.ndarray] = {}

        def read(db: sqlite3.Connection) -> None:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, dim, blob in db.execute(
                        f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", chunk):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size == dim:
                        found[bytes(key)] = vector

        self._execute(read)
        return found

    def put(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        """Store vectors (float32)."""
        rows = [(key, int(v.size), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for key, v in items]
        self._execute(lambda db: db.executemany(
            "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)", rows))

    def __len__(self) -> int:
        return int(self._execute(  # type: ignore[arg-type]
            lambda db: db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]))


@dataclass
class CacheStats:
    """How many texts a build found in the cache and how many it embedded."""

    hits: int = 0
    embedded: int = 0


class CachedEmbedder:
    """An ``Embedder`` that embeds each distinct passage-side text once, ever.

    Questions (``query=True``) go straight to the model. The model itself is created on the
    first cache miss, so a build that finds everything cached never loads it.
    """

    def __init__(self, model_id: str, make_embedder: Callable[[], Embedder],
                 cache: EmbeddingCache, prompt: str = E5_PROMPTS["passage"],
                 encoder: EncoderChoice | None = None) -> None:
        self.model_id = model_id
        self.prompt = prompt
        self._expected = encoder or EncoderChoice("torch")
        self._make = make_embedder
        self._embedder: Embedder | None = None
        self.cache = cache
        self.stats = CacheStats()
        self._dim: int | None = None

    @property
    def embedder(self) -> Embedder:
        """The underlying model (loaded now if it was not yet)."""
        if self._embedder is None:
            self._embedder = self._make()
        return self._embedder

    @property
    def encoder(self) -> EncoderChoice:
        """The loaded model's encoder, or the one expected while it is not loaded."""
        return encoder_of(self._embedder) if self._embedder is not None else self._expected

    def _keys(self, texts: list[str]) -> list[bytes]:
        precision = self.encoder.precision
        return [cache_key(self.model_id, self.prompt, t, precision) for t in texts]

    def _lookup(self, texts: list[str]
                ) -> tuple[list[bytes], dict[bytes, np.ndarray], list[str]]:
        """Each text's key, the cached vectors among them, and the texts not cached (once)."""
        keys = self._keys(texts)
        found = self.cache.get(list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True)
                                     if k not in found))
        return keys, found, missing

    @property
    def dim(self) -> int:
        """Vector dimension (from the cache when the model is not loaded)."""
        return self._dim or self.embedder.dim

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Vectors of ``texts``: cached ones read back, the others embedded and stored."""
        if query:
            return self.embedder.embed(texts, query=True)
        keys, found, missing = self._lookup(texts)
        if missing and self._embedder is None and encoder_of(self.embedder) != self._expected:
            keys, found, missing = self._lookup(texts)  # the model fell back: its own keys
        if missing:
            vectors = self.embedder.embed(missing)
            fresh = dict(zip(self._keys(missing), vectors, strict=True))
            self.cache.put(fresh.items())
            found.update(fresh)
        self.stats.hits += len(texts) - len(missing)
        self.stats.embedded += len(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.vstack([found[k] for k in keys]).astype(np.float32)
        self._dim = out.shape[1]
        return out
