"""Scale benchmark: FAISS flat vs IVF vs HNSW on synthetic corpora of 10k, 100k and 1M
passages (perturbed real vectors from the built index, or random ones), measuring build
time, memory, search latency and recall@10 against exact search.

    python bench/scale.py [--sizes 10000 100000 1000000] [--queries 200] [--out bench/results]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path

import faiss
import numpy as np

from rag.index.dense import build_faiss, choose_kind, search
from rag.records import IndexSpec

ROOT = Path(__file__).resolve().parents[1]


def base_vectors() -> np.ndarray:
    """Real passage and sentence vectors from the built index, if there is one."""
    try:
        from rag.index.load import load_index
        from rag.settings import Settings

        index = load_index(Settings().index_options())
        real = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        return np.vstack([real, index.sentence_vectors]).astype(np.float32)
    except Exception as exc:  # no index: fall back to random directions
        print(f"(no built index: {exc}; using random base vectors)")
        rng = np.random.default_rng(0)
        return rng.standard_normal((1000, 384)).astype(np.float32)


def synthetic(n: int, base: np.ndarray, seed: int = 1) -> np.ndarray:
    """``n`` unit vectors: real ones plus Gaussian noise (clustered like a real corpus)."""
    rng = np.random.default_rng(seed)
    rows = base[rng.integers(0, len(base), n)]
    noisy = rows + rng.standard_normal(rows.shape, dtype=np.float32) * 0.03
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def index_bytes(index: faiss.Index) -> int:
    """Serialized size, a close proxy of the index's resident memory."""
    return int(faiss.serialize_index(index).nbytes)


def rss_mb() -> float:
    """Current resident memory of this process (MB)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, kind: str
            ) -> dict[str, float | str]:
    """Build one index kind and time it, search latency and recall@10."""
    started = time.perf_counter()
    index = build_faiss(vectors, IndexSpec(kind=kind))  # type: ignore[arg-type]
    build_s = time.perf_counter() - started
    latencies, recall = [], []
    for q, true in zip(queries, truth, strict=True):
        t0 = time.perf_counter()
        _, ids = search(index, q, 10)
        latencies.append((time.perf_counter() - t0) * 1000)
        recall.append(len(set(ids.tolist()) & set(true.tolist())) / 10)
    lat = np.array(latencies)
    row = {"n": len(vectors), "kind": kind, "build_s": round(build_s, 2),
           "index_mb": round(index_bytes(index) / 2**20, 1),
           "p50_ms": round(float(np.percentile(lat, 50)), 3),
           "p99_ms": round(float(np.percentile(lat, 99)), 3),
           "recall@10": round(float(np.mean(recall)), 4)}
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexIVF):
        row["params"] = f"nlist={real.nlist} nprobe={real.nprobe}"
    elif isinstance(real, faiss.IndexHNSW):
        row["params"] = f"M={real.hnsw.nb_neighbors(1)} efSearch={real.hnsw.efSearch}"
    else:
        row["params"] = "exact"
    del index
    gc.collect()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=["flat", "ivf", "hnsw"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    base = base_vectors()
    rows = []
    for n in args.sizes:
        vectors = synthetic(n, base)
        queries = synthetic(args.queries, base, seed=99)
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        _, truth = exact.search(queries, 10)
        del exact
        for kind in args.kinds:
            row = measure(vectors, queries, truth, kind)
            row["auto_choice"] = choose_kind(n, IndexSpec())
            row["rss_mb"] = round(rss_mb(), 0)
            rows.append(row)
            print(json.dumps(row), flush=True)
        del vectors
        gc.collect()
    (args.out / "scale.json").write_text(json.dumps(rows, indent=1))
    plot(rows, args.out / "scale.png")
    print(table(rows))


def table(rows: list[dict]) -> str:
    """Markdown summary table."""
    head = "| passages | index | params | build s | memory MB | p50 ms | p99 ms | recall@10 |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        mark = " (auto)" if r["kind"] == r["auto_choice"] else ""
        lines.append(f"| {r['n']:,} | {r['kind']}{mark} | {r['params']} | {r['build_s']} | "
                     f"{r['index_mb']} | {r['p50_ms']} | {r['p99_ms']} | {r['recall@10']} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    """Latency and memory against corpus size, one line per index kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for kind in sorted({r["kind"] for r in rows}):
        rs = [r for r in rows if r["kind"] == kind]
        a.plot([r["n"] for r in rs], [r["p50_ms"] for r in rs], marker="o", label=kind)
        b.plot([r["n"] for r in rs], [r["index_mb"] for r in rs], marker="o", label=kind)
    for ax, title, unit in ((a, "search latency p50", "ms"), (b, "index memory", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
