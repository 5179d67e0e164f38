"""Embedding cache: a text embedded once is never embedded again by the same model.

Vectors are stored in one SQLite file keyed by sha256(model, passage prompt, text), so adding
or removing a document re-embeds only the passages and sentences that are new, and a full
rebuild from a warm cache costs parsing and index writing only. SQLite gives atomic,
multi-process-safe writes. Each row carries a checksum of its vector: a row whose vector
does not match it (or was written before checksums) is dropped and its text embedded again;
a file SQLite cannot read, at open or later, is set aside and rebuilt. A damaged cache is
never fatal and never served.
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

from rag.encoders.base import Embedder, EncoderChoice, encoder_of
from rag.encoders.options import E5_PROMPTS

log = logging.getLogger(__name__)
_SCHEMA = ("CREATE TABLE IF NOT EXISTS vectors "
           "(key BLOB PRIMARY KEY, dim INTEGER, vec BLOB, sum BLOB)")
_CHUNK = 500  # keys per SELECT (SQLite's parameter limit is far above)


def checksum(key: bytes, blob: bytes) -> bytes:
    """The checksum stored with a vector: its bytes bound to its key (a vector copied onto
    another row does not pass either)."""
    return hashlib.blake2b(key + blob, digest_size=16).digest()


def cache_key(model: str, prompt: str, text: str, precision: str = "fp32") -> bytes:
    """Key of one text's vector: model id, the prompt prepended to it, and the text; vectors
    computed at another precision than fp32 are kept apart (fp32 runtimes agree to 1e-7)."""
    name = model if precision == "fp32" else f"{model}\0{precision}"
    return hashlib.sha256(f"{name}\0{prompt}\0{text}".encode()).digest()


class EmbeddingCache:
    """Vectors by key in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rejected = 0  # rows dropped because their vector failed its checksum
        path.parent.mkdir(parents=True, exist_ok=True)
        self._execute(_create)

    def _execute(self, work: Callable[[sqlite3.Connection], object]) -> object:
        """``work`` on the database; a file SQLite cannot read is set aside, a fresh one
        created, and ``work`` run again on it."""
        try:
            return self._run(work)
        except sqlite3.DatabaseError as exc:  # not a database, or damaged pages
            aside = self.path.with_name(f"{self.path.name}.corrupt-{time.time_ns()}")
            log.warning("embedding cache %s is unreadable (%s); moved to %s", self.path, exc,
                        aside)
            if self.path.exists():
                self.path.replace(aside)
            self._run(_create)
            return self._run(work)

    def _run(self, work: Callable[[sqlite3.Connection], object]) -> object:
        with closing(sqlite3.connect(self.path, timeout=60)) as db, db:
            return work(db)

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among ``keys``."""
        found: dict[bytes, np.ndarray] = {}
        bad: list[bytes] = []

        def read(db: sqlite3.Connection) -> None:
            found.clear()
            bad.clear()
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, dim, blob, stored in db.execute(
                        f"SELECT key, dim, vec, sum FROM vectors WHERE key IN ({marks})",
                        chunk):
                    key, blob = bytes(key), bytes(blob)
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if stored is None or bytes(stored) != checksum(key, blob) or \
                            vector.size != dim or not np.isfinite(vector).all():
                        bad.append(key)
                    else:
                        found[key] = vector

        self._execute(read)
        if bad:  # never served: embedded again by the caller, and replaced
            self.rejected += len(bad)
            log.warning("embedding cache %s: %d vector(s) failed their checksum; they are "
                        "embedded again", self.path, len(bad))
            self._execute(lambda db: db.executemany("DELETE FROM vectors WHERE key = ?",
                                                    [(k,) for k in bad]))
        return found

    def put(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        """Store vectors (float32)."""
        rows = []
        for key, v in items:
            blob = np.ascontiguousarray(v, dtype=np.float32).tobytes()
            rows.append((key, int(v.size), blob, checksum(key, blob)))
        self._execute(lambda db: db.executemany(
            "INSERT OR REPLACE INTO vectors (key, dim, vec, sum) VALUES (?, ?, ?, ?)", rows))

    def __len__(self) -> int:
        return int(self._execute(  # type: ignore[arg-type]
            lambda db: db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]))


def _create(db: sqlite3.Connection) -> None:
    """The table, and the checksum column on a cache written before checksums (its rows,
    without one, are embedded again when next read)."""
    db.execute(_SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(vectors)")}
    if "sum" not in columns:
        db.execute("ALTER TABLE vectors ADD COLUMN sum BLOB")


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
