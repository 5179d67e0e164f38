"""FAISS store vs Qdrant store (local mode) on synthetic corpora: build time, hybrid search
latency (dense + lexical candidates, depth 40), dense recall@10 against exact search, and
the same for a one-document filter. Vectors as in bench/scale.py; texts are the seed
passages' lexical texts in turn, 50 passages per document; questions from the dev set.

Qdrant's local mode is brute force in Python and NumPy, written for tests: its numbers show
what the tests run on, not what a Qdrant server does.

    python bench/vector_stores.py [--sizes 10000 100000] [--queries 50]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.scale import base_vectors, rss_mb, synthetic  # noqa: E402
from rag.index.sparse import average_lengths  # noqa: E402
from rag.index.stores.base import Points, Query, VectorStore  # noqa: E402
from rag.index.stores.faiss import FaissStore  # noqa: E402
from rag.index.stores.qdrant import QdrantStore, client_for  # noqa: E402
from rag.records import IndexSpec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = 50


def seed_texts() -> list[str]:
    """The lexical texts of the built index's passages."""
    from rag.index.lexical import lexical_texts
    from rag.index.load import load_index
    from rag.settings import Settings

    return lexical_texts(load_index(Settings().index_options()).passages)


def questions() -> list[str]:
    """Dev-set questions (their language decides the analyzer, as in the retriever)."""
    from eval.dataset import load_questions

    return [q.question for q in load_questions()]


def build(backend: str, points: Points) -> tuple[VectorStore, float]:
    """A store of ``backend`` holding ``points``, and the seconds it took."""
    started = time.perf_counter()
    if backend == "faiss":
        store: VectorStore = FaissStore.empty(IndexSpec())
    else:
        store = QdrantStore.create(client_for(":memory:"), f"bench_{len(points.texts)}",
                                   points.vectors.shape[1], average_lengths(points.texts))
    store.add(points)
    return store, time.perf_counter() - started


def measure(store: VectorStore, queries: list[Query], truth: list[set[int]],
            documents: list[list[str]] | None, filtered_truth: list[set[int]] | None
            ) -> dict[str, float]:
    """Latency percentiles and dense recall@10, unfiltered or filtered."""
    latency, recall = [], []
    for i, query in enumerate(queries):
        docs = documents[i] if documents else None
        t0 = time.perf_counter()
        found = store.search(query, 40, docs)
        latency.append((time.perf_counter() - t0) * 1000)
        expected = (filtered_truth or truth)[i]
        recall.append(len(expected & {r for r, _ in found.dense[:10]}) / len(expected))
    return {"p50_ms": round(float(np.percentile(latency, 50)), 2),
            "p99_ms": round(float(np.percentile(latency, 99)), 2),
            "recall@10": round(float(np.mean(recall)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["faiss", "qdrant"])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    from rag.text import detect_language

    base, texts, asked = base_vectors(), seed_texts(), questions()
    rows = []
    for n in args.sizes:
        vectors = synthetic(n, base)
        points = Points(0, [f"d{i // DOC}" for i in range(n)], vectors,
                        [texts[i % len(texts)] for i in range(n)])
        qv = synthetic(args.queries, base, seed=99)
        queries = [Query(v, asked[i % len(asked)],
                         "grams" if detect_language(asked[i % len(asked)]) == "en" else "words")
                   for i, v in enumerate(qv)]
        truth = [set(np.argsort(-(vectors @ v), kind="stable")[:10].tolist()) for v in qv]
        rng = np.random.default_rng(n)
        documents = [[f"d{rng.integers(0, n // DOC)}"] for _ in queries]
        filtered = []
        for v, (doc,) in zip(qv, documents, strict=True):
            rows_of = np.arange(int(doc[1:]) * DOC, (int(doc[1:]) + 1) * DOC)
            filtered.append(set(rows_of[np.argsort(-(vectors[rows_of] @ v))[:10]].tolist()))
        for backend in args.backends:
            before = rss_mb()
            store, build_s = build(backend, points)
            row = {"n": n, "backend": backend if backend == "faiss" else "qdrant (local mode)",
                   "build_s": round(build_s, 1), "rss_growth_mb": round(rss_mb() - before)}
            row.update({k: v for k, v in measure(store, queries, truth, None, None).items()})
            row.update({f"filter_{k}": v for k, v in
                        measure(store, queries, truth, documents, filtered).items()})
            rows.append(row)
            print(json.dumps(row), flush=True)
            if isinstance(store, QdrantStore):
                store.drop()
            del store
            gc.collect()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "vector_stores.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))


def table(rows: list[dict]) -> str:
    """Markdown summary table."""
    lines = ["| passages | store | build s | RSS growth MB | p50 ms | p99 ms | recall@10 | "
             "1-doc filter p50 ms | 1-doc filter recall@10 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['backend']} | {r['build_s']} | {r['rss_growth_mb']} | "
                     f"{r['p50_ms']} | {r['p99_ms']} | {r['recall@10']} | "
                     f"{r['filter_p50_ms']} | {r['filter_recall@10']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
