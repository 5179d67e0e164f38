"""The Qdrant store (local mode) against the FAISS store on the session
index: BM25 scores and dev-question rankings."""

from __future__ import annotations

import numpy as np

from eval.dataset import load_questions
from eval.retrieval_metrics import score_ranking, summarize
from rag.index.stores.base import Query
from tests.unit.index.test_qdrant_store import DEV


def test_sparse_vectors_give_the_bm25_scores_of_the_faiss_store(pipeline, qdrant_pipeline):
    faiss_store, qdrant_store = pipeline.index.store, qdrant_pipeline.index.store
    vector = pipeline.retriever.embed_query("coopération")
    for text, analyzer in [("Organisation de Shanghai pour la coopération", "words"),
                           ("intergovernmental organisations and the African Union", "grams")]:
        query = Query(vector, text, analyzer)  # type: ignore[arg-type]
        ours, theirs = faiss_store.search(query, 40), qdrant_store.search(query, 40)
        assert [r for r, _ in theirs.lexical] == [r for r, _ in ours.lexical]
        assert np.allclose([s for _, s in theirs.lexical], [s for _, s in ours.lexical],
                           atol=1e-4)
        # cosine in Qdrant, inner product in FAISS: equal up to float rounding (near-ties
        # may swap places)
        assert np.allclose([s for _, s in theirs.dense], [s for _, s in ours.dense],
                           atol=1e-5)
        assert len({r for r, _ in theirs.dense} & {r for r, _ in ours.dense}) >= 38


def test_dev_questions_rank_alike_on_both_stores(pipeline, qdrant_pipeline):
    questions = load_questions(DEV)
    overlaps, outcomes = [], {"faiss": [], "qdrant": []}
    for q in questions:
        ranked = {}
        for name, p in (("faiss", pipeline), ("qdrant", qdrant_pipeline)):
            hits = p.search(q.question, k=10)
            ranked[name] = [h.passage.id for h in hits[:5]]
            if q.answerable:
                outcomes[name].append(score_ranking(q, [(h.passage.id, h.passage.text)
                                                        for h in hits]))
        overlaps.append(len(set(ranked["faiss"]) & set(ranked["qdrant"])) / 5)
    assert np.mean(overlaps) >= 0.95
    ours, theirs = summarize(outcomes["faiss"]), summarize(outcomes["qdrant"])
    for metric in ("hit@1", "hit@5", "hit@10", "mrr@10", "quote_recall@10"):
        assert abs(ours[metric] - theirs[metric]) <= 0.02, metric
