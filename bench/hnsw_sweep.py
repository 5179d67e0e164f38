"""HNSW efSearch sweep at one corpus size: recall@10 against exact search and latency for
several efSearch values on a single built graph (which value keeps recall ≥ 0.95).

    python bench/hnsw_sweep.py [--n 1000000] [--ef 128 256 512]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.scale import base_vectors, synthetic  # noqa: E402
from rag.index.dense import build_faiss  # noqa: E402
from rag.records import IndexSpec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--ef", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    base = base_vectors()
    vectors, queries = synthetic(args.n, base), synthetic(args.queries, base, seed=99)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    del exact
    t0 = time.perf_counter()
    index = build_faiss(vectors, IndexSpec(kind="hnsw"))
    build_s = time.perf_counter() - t0
    rows = []
    for ef in args.ef:
        index.hnsw.efSearch = ef
        lat, recall = [], []
        for q, true in zip(queries, truth, strict=True):
            t = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), 10)
            lat.append((time.perf_counter() - t) * 1000)
            recall.append(len(set(ids[0].tolist()) & set(true.tolist())) / 10)
        rows.append({"n": args.n, "efSearch": ef, "build_s": round(build_s, 1),
                     "p50_ms": round(float(np.percentile(lat, 50)), 3),
                     "p99_ms": round(float(np.percentile(lat, 99)), 3),
                     "recall@10": round(float(np.mean(recall)), 4)})
        print(json.dumps(rows[-1]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hnsw_sweep.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
