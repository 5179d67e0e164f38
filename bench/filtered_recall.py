"""Filtered search benchmark: recall@10 of ``vector_store.search(..., allowed=…)`` against
exact search over the allowed rows, for flat, IVF and HNSW, on synthetic corpora (see
bench/scale.py) cut into 50-passage documents. Filters: one document, 1 % and 20 % of the
documents. ``naive`` is the plain FAISS ID selector with the index's own nprobe/efSearch
(the behaviour before issue 14).

    python bench/filtered_recall.py [--sizes 10000 100000 1000000] [--queries 100]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.scale import base_vectors, synthetic  # noqa: E402
from rag.index.dense import EXACT_MAX, build_faiss, search  # noqa: E402
from rag.records import IndexSpec  # noqa: E402

DOC = 50  # passages per synthetic document
FILTERS = {"1 document": None, "1% of documents": 0.01, "20% of documents": 0.2}


def allowed_rows(n: int, share: float | None, rng: np.random.Generator) -> np.ndarray:
    """Rows of one random document (``share`` None) or of a random share of documents."""
    docs = n // DOC
    picked = rng.choice(docs, 1 if share is None else max(1, round(docs * share)),
                        replace=False)
    return np.sort((picked[:, None] * DOC + np.arange(DOC)).ravel()).astype(np.int64)


def naive(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray) -> np.ndarray:
    """The pre-fix search: an ID selector with the index's own probes / ef."""
    selector = faiss.IDSelectorBatch(allowed)
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexIVF):
        params = faiss.SearchParametersIVF(sel=selector, nprobe=real.nprobe)
    elif isinstance(real, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=real.hnsw.efSearch)
    else:
        params = faiss.SearchParameters(sel=selector)
    _, ids = index.search(query.reshape(1, -1), k, params=params)
    return ids[0]


def measure(index: faiss.Index, vectors: np.ndarray, queries: np.ndarray,
            filters: list[np.ndarray]) -> dict[str, float]:
    """Recall@10 (fixed and naive) and latency of the fixed search over query/filter pairs."""
    recall, before, latency = [], [], []
    for q, allowed in zip(queries, filters, strict=True):
        exact = vectors[allowed] @ q
        truth = set(allowed[np.argsort(-exact, kind="stable")[:10]].tolist())
        t0 = time.perf_counter()
        _, ids = search(index, q, 10, allowed)
        latency.append((time.perf_counter() - t0) * 1000)
        recall.append(len(truth & set(ids.tolist())) / len(truth))
        before.append(len(truth & set(naive(index, q, 10, allowed).tolist())) / len(truth))
    return {"recall@10": round(float(np.mean(recall)), 4),
            "naive_recall@10": round(float(np.mean(before)), 4),
            "p50_ms": round(float(np.percentile(latency, 50)), 3),
            "p99_ms": round(float(np.percentile(latency, 99)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--kinds", nargs="+", default=["flat", "ivf", "hnsw"])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    base = base_vectors()
    rows = []
    for n in args.sizes:
        vectors = synthetic(n, base)
        queries = synthetic(args.queries, base, seed=99)
        rng = np.random.default_rng(n)
        filters = {name: [allowed_rows(n, share, rng) for _ in queries]
                   for name, share in FILTERS.items()}
        for kind in args.kinds:
            started = time.perf_counter()
            index = build_faiss(vectors, IndexSpec(kind=kind))  # type: ignore[arg-type]
            build_s = round(time.perf_counter() - started, 2)
            for name, allowed in filters.items():
                row = {"n": n, "kind": kind, "filter": name, "rows": len(allowed[0]),
                       "path": "exact rows" if len(allowed[0]) <= EXACT_MAX else "selector",
                       "build_s": build_s, **measure(index, vectors, queries, allowed)}
                rows.append(row)
                print(json.dumps(row), flush=True)
            del index
            gc.collect()
        del vectors
        gc.collect()
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_".join(str(n) for n in args.sizes)
    (args.out / f"filtered_recall_{suffix}.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))


def table(rows: list[dict]) -> str:
    """Markdown summary table."""
    lines = ["| passages | index | filter (rows) | path | recall@10 | before the fix | "
             "p50 ms | p99 ms |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['kind']} | {r['filter']} ({r['rows']:,}) | "
                     f"{r['path']} | {r['recall@10']} | {r['naive_recall@10']} | "
                     f"{r['p50_ms']} | {r['p99_ms']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
