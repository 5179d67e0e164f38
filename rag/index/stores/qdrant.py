"""Passages in a Qdrant collection: one point per passage (id = its row), with a dense named
vector (e5, cosine), two sparse named vectors from our own analyzers (``words``: French
stems, ``grams``: character 4-grams; :mod:`rag.index.sparse`) whose IDF Qdrant applies
(``Modifier.IDF``), and the document id as an indexed payload field for filters.

Each build fills a new collection (``unrag_<index>_<stamp>``); :meth:`QdrantStore.publish`
then moves the alias ``unrag_<index>`` to it in one request. A loaded index folder names the
collection it was built with, so a worker reads the collection that matches its passages
until it loads the next folder.

Fusion stays on the client: Qdrant's weighted RRF scores ``1 / (rank / w + k − 1)`` (client
and server alike), which no choice of ``k`` and weights turns into this package's
``w / (k + rank)`` once the weights differ (1.0 and 0.5 by default); and the answer needs
each list's ranks and scores. Both lists come back from one ``query_batch_points`` request.
"""

from __future__ import annotations

import atexit
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cache

import numpy as np
from qdrant_client import QdrantClient, models

from rag.index.analysis import ANALYZERS
from rag.index.options import IndexOptions
from rag.index.sparse import Sparse, average_lengths, document_vector, query_vector
from rag.index.stores.base import Backend, Candidates, Points, Query

DENSE = "dense"
DOC_FIELD = "doc_id"
PREFIX = "unrag_"
BATCH = 256  # points per upsert request


def is_remote(url: str) -> bool:
    """True for a server URL; a path or ``:memory:`` is Qdrant's local (embedded) mode."""
    return url.startswith(("http://", "https://"))


def client_for(url: str, api_key: str | None = None, timeout: float = 30.0) -> QdrantClient:
    """One client per location and process (local mode allows one client per path, and
    ``:memory:`` is private to its client)."""
    return _client(url, api_key, timeout)


@cache
def _client(url: str, api_key: str | None, timeout: float) -> QdrantClient:
    if url == ":memory:":
        client = QdrantClient(location=":memory:")
    elif is_remote(url):
        client = QdrantClient(url=url, api_key=api_key, timeout=int(timeout))
    else:
        client = QdrantClient(path=url)
    # closed at exit while imports still work (its __del__ at interpreter teardown fails)
    atexit.register(client.close)
    return client


_LOCAL_LOCKS: dict[int, threading.RLock] = {}


def _guard(client: QdrantClient, url: str) -> AbstractContextManager[object]:
    """Local mode is plain Python over NumPy arrays, not made for concurrent writers: its
    calls are serialised per client; a server needs no lock."""
    if is_remote(url):
        return nullcontext()
    return _LOCAL_LOCKS.setdefault(id(client), threading.RLock())


def alias_name(index_name: str) -> str:
    """The alias that names the current collection of index ``index_name``."""
    return PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", index_name)


def collection_name(index_name: str, stamp: str) -> str:
    """The collection of the build ``stamp`` of index ``index_name``."""
    return f"{alias_name(index_name)}_{stamp}"


class QdrantStore:
    """One collection of passage points (see the module docstring)."""

    backend: Backend = "qdrant"

    def __init__(self, client: QdrantClient, collection: str, avgdl: dict[str, float], *,
                 url: str = ":memory:", hnsw_ef: int | None = None) -> None:
        self.client = client
        self.collection = collection
        self.avgdl = avgdl
        self.hnsw_ef = hnsw_ef if is_remote(url) else None  # local mode always scans
        self._lock = _guard(client, url)

    @classmethod
    def create(cls, client: QdrantClient, collection: str, dim: int,
               avgdl: dict[str, float], *, url: str = ":memory:", shards: int = 1,
               replication_factor: int = 1, hnsw_ef: int | None = None) -> QdrantStore:
        """A new, empty collection (``shards`` and ``replication_factor`` matter on a
        cluster; local mode ignores them)."""
        store = cls(client, collection, avgdl, url=url, hnsw_ef=hnsw_ef)
        with store._lock:
            client.create_collection(
                collection,
                vectors_config={DENSE: models.VectorParams(size=dim,
                                                           distance=models.Distance.COSINE)},
                sparse_vectors_config={name: models.SparseVectorParams(
                    modifier=models.Modifier.IDF) for name in ANALYZERS},
                shard_number=shards, replication_factor=replication_factor)
            if is_remote(url):  # local mode has no payload indexes (it scans)
                client.create_payload_index(collection, DOC_FIELD,
                                            field_schema=models.PayloadSchemaType.KEYWORD)
        return store

    def record(self) -> dict[str, object]:
        """What an index folder keeps to reopen this collection (``store.json``)."""
        return {"backend": self.backend, "collection": self.collection,
                "avgdl": self.avgdl}

    def search(self, query: Query, depth: int, documents: Sequence[str] | None = None
               ) -> Candidates:
        """Dense and sparse top-``depth`` in one request, filtered on the document id."""
        where = None if documents is None else models.Filter(must=[models.FieldCondition(
            key=DOC_FIELD, match=models.MatchAny(any=list(documents)))])
        sparse = query_vector(query.text, query.analyzer)
        requests = [models.QueryRequest(
            query=np.asarray(query.vector, dtype=np.float32).tolist(), using=DENSE,
            limit=depth, filter=where,
            params=models.SearchParams(hnsw_ef=self.hnsw_ef) if self.hnsw_ef else None)]
        if sparse.indices:
            requests.append(models.QueryRequest(
                query=models.SparseVector(indices=sparse.indices, values=sparse.values),
                using=query.analyzer, limit=depth, filter=where))
        with self._lock:
            responses = self.client.query_batch_points(self.collection, requests)
        dense = _ranked(responses[0].points)
        lexical = [(row, s) for row, s in _ranked(responses[1].points) if s > 0] \
            if len(responses) > 1 else []
        known = dict(lexical)
        return Candidates(dense, lexical, known.get)

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Stored dense vectors of ``rows`` (one request)."""
        rows = [int(r) for r in rows]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            points = self.client.retrieve(self.collection, rows, with_vectors=[DENSE],
                                          with_payload=False)
        found = {int(p.id): p.vector[DENSE] for p in points}  # type: ignore[index]
        if missing := [r for r in rows if r not in found]:
            raise KeyError(f"collection {self.collection} lacks rows {missing[:5]}")
        return np.asarray([found[r] for r in rows], dtype=np.float32)

    def add(self, points: Points) -> None:
        """Upsert the passages in batches (waiting until they are searchable)."""
        for start in range(0, len(points.doc_ids), BATCH):
            batch = list(self._points(points, start, min(start + BATCH, len(points.doc_ids))))
            with self._lock:
                self.client.upsert(self.collection, batch, wait=True)

    def _points(self, points: Points, start: int, end: int) -> Iterator[models.PointStruct]:
        for i in range(start, end):
            vector: dict[str, object] = {DENSE: np.asarray(points.vectors[i],
                                                           dtype=np.float32).tolist()}
            for name in ANALYZERS:
                sparse = document_vector(points.texts[i], name, self.avgdl[name])
                vector[name] = _sparse(sparse)
            yield models.PointStruct(id=points.start + i, vector=vector,  # type: ignore[arg-type]
                                     payload={DOC_FIELD: points.doc_ids[i]})

    def remove(self, documents: Sequence[str]) -> int:
        """Delete the points of ``documents`` (other points keep their ids)."""
        where = models.Filter(must=[models.FieldCondition(
            key=DOC_FIELD, match=models.MatchAny(any=list(documents)))])
        with self._lock:
            doomed = self.client.count(self.collection, count_filter=where, exact=True).count
            if doomed:
                self.client.delete(self.collection, models.FilterSelector(filter=where),
                                   wait=True)
        return doomed

    def count(self) -> int:
        """Points in the collection."""
        with self._lock:
            return self.client.count(self.collection, exact=True).count

    @property
    def version(self) -> str:
        """The collection's name."""
        return self.collection

    def publish(self, alias: str) -> None:
        """Point ``alias`` at this collection, atomically (one alias request)."""
        with self._lock:
            current = {a.alias_name for a in self.client.get_aliases().aliases}
            operations: list[models.AliasOperations] = []
            if alias in current:
                operations.append(models.DeleteAliasOperation(
                    delete_alias=models.DeleteAlias(alias_name=alias)))
            operations.append(models.CreateAliasOperation(create_alias=models.CreateAlias(
                collection_name=self.collection, alias_name=alias)))
            self.client.update_collection_aliases(change_aliases_operations=operations)

    def drop(self) -> None:
        """Delete the collection (a failed build's)."""
        with self._lock:
            self.client.delete_collection(self.collection)


def configured_client(options: IndexOptions) -> QdrantClient:
    """The client for the configured Qdrant location."""
    return client_for(options.qdrant_location, options.store.qdrant_api_key)


def build_collection(options: IndexOptions, stamp: str, vectors: np.ndarray,
                     doc_ids: Sequence[str], texts: Sequence[str]) -> QdrantStore:
    """A new collection for the build ``stamp``, holding every passage (not yet aliased);
    dropped again if filling it fails."""
    store = QdrantStore.create(
        configured_client(options), collection_name(options.index_name, stamp),
        int(vectors.shape[1]), average_lengths(texts), url=options.qdrant_location,
        shards=options.store.qdrant_shards,
        replication_factor=options.store.qdrant_replication_factor,
        hnsw_ef=options.spec.hnsw_ef_search)
    try:
        store.add(Points(0, doc_ids, vectors, texts))
    except BaseException:
        store.drop()
        raise
    return store


def open_collection(options: IndexOptions, record: dict[str, object], passages: int,
                    dim: int) -> QdrantStore:
    """The collection an index folder names (its ``store.json`` ``record``); ``ValueError``
    unless it exists with ``passages`` points of ``dim`` dimensions."""
    collection = record.get("collection")
    avgdl = record.get("avgdl")
    if not isinstance(collection, str) or not isinstance(avgdl, dict) or \
            set(avgdl) != set(ANALYZERS):
        raise ValueError("store.json does not name a collection and its statistics")
    client = configured_client(options)
    store = QdrantStore(client, collection, {k: float(v) for k, v in avgdl.items()},
                        url=options.qdrant_location, hnsw_ef=options.spec.hnsw_ef_search)
    with store._lock:
        if not client.collection_exists(collection):
            raise ValueError(f"Qdrant at {options.qdrant_location} has no collection "
                             f"{collection}")
        size = client.get_collection(collection).config.params.vectors[DENSE].size  # type: ignore[index]
    if size != dim:
        raise ValueError(f"collection {collection} holds vectors of {size} dimensions, "
                         f"not {dim}")
    if (count := store.count()) != passages:
        raise ValueError(f"collection {collection} holds {count} points for {passages} "
                         "passages")
    return store


def prune_collections(client: QdrantClient, index_name: str, keep: set[str],
                      url: str = ":memory:") -> list[str]:
    """Delete the collections of ``index_name`` not in ``keep``; returns their names."""
    prefix = alias_name(index_name) + "_"
    with _guard(client, url):
        names = [c.name for c in client.get_collections().collections
                 if c.name.startswith(prefix) and c.name not in keep]
        for name in names:
            client.delete_collection(name)
    return names


def _ranked(points: list[models.ScoredPoint]) -> list[tuple[int, float]]:
    """``(row, score)`` best first, ties by row (as FAISS and the BM25 sort order them)."""
    return sorted(((int(p.id), float(p.score)) for p in points), key=lambda x: (-x[1], x[0]))


def _sparse(vector: Sparse) -> models.SparseVector:
    return models.SparseVector(indices=vector.indices, values=vector.values)
