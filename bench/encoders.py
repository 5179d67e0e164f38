"""Encoder backends: torch (sentence-transformers) vs ONNX Runtime on this machine.

    python bench/encoders.py [--out bench/results] [--calls 50]

For each backend (model loaded first, its load time reported apart):
- single-query latency: median (and p90) of ``--calls`` warm ``embed([question], query=True)``
  calls over the dev questions;
- passages/s: every seed passage text, embedded as the index embeds it;
- seed index build time: ``build_index`` in a fresh index root with the embedding cache off
  (passages and sentences embedded, FAISS and BM25 built, written);
and the fidelity of ONNX to torch: lowest and mean cosine over the passages and the dev
questions, top-5 overlap of flat-FAISS dense retrieval on the dev questions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from rag.embeddings import SentenceTransformerEmbedder  # noqa: E402
from rag.index import build_index  # noqa: E402
from rag.onnx_encoder import OnnxEmbedder  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.test_onnx_encoder import dev_questions, passage_texts  # noqa: E402

K = 5


def measure(name: str, make, settings: Settings, texts: list[str], questions: list[str],
            calls: int) -> tuple[dict, np.ndarray, np.ndarray]:
    started = time.perf_counter()
    embedder = make(settings)
    load_s = time.perf_counter() - started
    for q in questions[:5]:  # warm-up
        embedder.embed([q], query=True)
    latencies = []
    for i in range(calls):
        q = questions[i % len(questions)]
        t0 = time.perf_counter()
        embedder.embed([q], query=True)
        latencies.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    passages = embedder.embed(texts)
    passage_s = time.perf_counter() - t0
    query_vectors = embedder.embed(questions, query=True)
    with tempfile.TemporaryDirectory() as tmp:
        build_settings = settings.model_copy(update={"index_root": Path(tmp)})
        t0 = time.perf_counter()
        build_index(build_settings, embedder)
        build_s = time.perf_counter() - t0
    result = {
        "backend": name, "load_s": round(load_s, 2),
        "query_ms_median": round(1000 * statistics.median(latencies), 2),
        "query_ms_p90": round(1000 * sorted(latencies)[int(0.9 * len(latencies))], 2),
        "passages": len(texts), "passages_s": round(passage_s, 2),
        "passages_per_s": round(len(texts) / passage_s, 1),
        "index_build_s": round(build_s, 2),
    }
    print(json.dumps(result), flush=True)
    return result, passages, query_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    import faiss

    settings = Settings(embedding_cache=False)
    texts, questions = passage_texts(settings), dev_questions()
    runs = {}
    for name, make in (("torch", SentenceTransformerEmbedder), ("onnx", OnnxEmbedder)):
        runs[name] = measure(name, make, settings, texts, questions, args.calls)
    (_, p_t, q_t), (_, p_o, q_o) = runs["torch"], runs["onnx"]
    cos_p, cos_q = (p_t * p_o).sum(1), (q_t * q_o).sum(1)
    tops = []
    for passages, queries in ((p_t, q_t), (p_o, q_o)):
        index = faiss.IndexFlatIP(passages.shape[1])
        index.add(passages)
        tops.append(index.search(queries, K)[1])
    overlap = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(*tops, strict=True)]))
    fidelity = {
        "passage_cosine_min": float(cos_p.min()), "passage_cosine_mean": float(cos_p.mean()),
        "question_cosine_min": float(cos_q.min()), "question_cosine_mean": float(cos_q.mean()),
        "top5_overlap": overlap, "questions": len(questions),
        "top1_same": float(np.mean(tops[0][:, 0] == tops[1][:, 0])),
    }
    print(json.dumps(fidelity), flush=True)
    report = {"cores": os.cpu_count(), "batch_size": settings.embed_batch_size,
              "runs": [runs["torch"][0], runs["onnx"][0]], "fidelity": fidelity}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "encoders.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
