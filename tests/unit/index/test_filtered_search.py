"""Filtered dense search is exact (or nearly) on every FAISS index kind, and the FAISS
store's add / remove / count keep rows, documents and BM25 in step."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from rag.index.dense import build_faiss, search, stored_vectors
from rag.index.stores.base import Points, Query
from rag.index.stores.faiss import FaissStore
from rag.records import IndexSpec

N, DIM, DOC = 10_000, 64, 50


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray]:
    """10k clustered unit vectors (200 centres plus noise, like bench/scale.py) and 40
    queries."""
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((200, DIM)).astype(np.float32)
    rows = centres[rng.integers(0, 200, N + 40)] + \
        rng.standard_normal((N + 40, DIM)).astype(np.float32) * 0.3
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows[:N], rows[N:]


def _recall(index: faiss.Index, vectors: np.ndarray, queries: np.ndarray, share: float | None,
            exact_max: int) -> float:
    rng = np.random.default_rng(3)
    found = []
    for q in queries:
        docs = rng.choice(N // DOC, 1 if share is None else int(N // DOC * share),
                          replace=False)
        allowed = np.sort((docs[:, None] * DOC + np.arange(DOC)).ravel())
        truth = set(allowed[np.argsort(-(vectors[allowed] @ q), kind="stable")[:10]].tolist())
        _, ids = search(index, q, 10, allowed, exact_max=exact_max)
        assert set(ids.tolist()) <= set(allowed.tolist())
        found.append(len(truth & set(ids.tolist())) / 10)
    return float(np.mean(found))


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_filtered_recall_at_10k_matches_exact_search(corpus, kind: str):
    vectors, queries = corpus
    index = build_faiss(vectors, IndexSpec(kind=kind, nlist=400, nprobe=8, hnsw_m=16,
                                           hnsw_ef_search=64))  # type: ignore[arg-type]
    assert _recall(index, vectors, queries, None, exact_max=8192) >= 0.99  # exact rows
    assert _recall(index, vectors, queries, 0.2, exact_max=0) >= 0.99  # ID selector


def test_the_plain_selector_missed_most_of_one_document(corpus):
    """What issue 14 measured: IVF's own nprobe with a selector misses a small filter."""
    vectors, queries = corpus
    index = build_faiss(vectors, IndexSpec(kind="ivf", nlist=400, nprobe=8))
    q = queries[0]
    allowed = np.arange(DOC * 17, DOC * 18)
    truth = set(allowed[np.argsort(-(vectors[allowed] @ q))[:10]].tolist())
    params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed), nprobe=8)
    _, naive = index.search(q.reshape(1, -1), 10, params=params)
    _, fixed = search(index, q, 10, allowed)
    assert len(truth & set(naive[0].tolist())) < 10 == len(truth & set(fixed.tolist()))


def test_filters_smaller_than_k_or_outside_the_index(corpus):
    vectors, queries = corpus
    index = build_faiss(vectors[:500], IndexSpec(kind="flat"))
    scores, ids = search(index, queries[0], 10, np.array([3, 1, 3, 999_999]))
    assert sorted(ids.tolist()) == [1, 3] and scores[0] >= scores[1]
    assert len(search(index, queries[0], 10, np.array([], dtype=np.int64))[1]) == 0


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_stored_vectors_are_the_added_ones(corpus, kind: str):
    vectors, _ = corpus
    index = build_faiss(vectors[:2000], IndexSpec(kind=kind, nlist=32))  # type: ignore[arg-type]
    rows = np.array([1999, 0, 1500, 7])
    assert np.allclose(stored_vectors(index, rows), vectors[rows], atol=1e-6)


def test_faiss_store_add_remove_count_and_document_filter(corpus):
    vectors, queries = corpus
    texts = [f"coopération régionale numéro {i} " + ("sécurité" if i % 2 else "paix")
             for i in range(300)]
    docs = [f"doc{i // 100}" for i in range(300)]
    store = FaissStore.empty(IndexSpec(kind="flat"))
    store.add(Points(0, docs[:200], vectors[:200], texts[:200]))
    store.add(Points(200, docs[200:], vectors[200:300], texts[200:]))
    assert store.count() == 300
    with pytest.raises(ValueError, match="rows start at 5"):
        store.add(Points(5, docs[:1], vectors[:1], texts[:1]))
    found = store.search(Query(queries[0], "sécurité", "words"), 10, ["doc2"])
    assert found.dense and all(200 <= row < 300 for row, _ in found.dense)
    assert found.lexical and all(200 <= row < 300 and row % 2 for row, _ in found.lexical)
    assert store.remove(["doc1", "nowhere"]) == 100 and store.count() == 200
    # rows of doc2 moved down to 100–199, with their vectors
    assert np.allclose(store.vectors([100, 199]), vectors[[200, 299]], atol=1e-6)
    found = store.search(Query(vectors[250], "paix", "words"), 3, ["doc2"])
    assert found.dense[0][0] == 150
