"""Encoder backends on this machine: torch (sentence-transformers, fp32, the reference),
ONNX Runtime fp32, OpenVINO fp32 and OpenVINO bf16 (where the CPU computes bf16 natively).

    python bench/encoders.py [--out bench/results] [--calls 50]

For each backend (model loaded first, its load time reported apart):
- single-query latency: median (and p90) of ``--calls`` warm ``embed([question], query=True)``
  calls over the dev questions;
- batched questions/s: the dev questions in batches of 8 (what micro-batching sends);
- passages/s: every seed passage text, embedded as the index embeds it;
- seed index build time: ``build_index`` in a fresh index root with the embedding cache off
  (passages and sentences embedded, FAISS and BM25 built, written);
and the fidelity of each to torch: lowest and mean cosine over the passages and the dev
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

from eval.dataset import DEV_SET, load_questions  # noqa: E402
from rag.encoders.base import SentenceTransformerEmbedder  # noqa: E402
from rag.encoders.onnx import OnnxEmbedder  # noqa: E402
from rag.encoders.openvino import OpenVinoEmbedder, native_bf16  # noqa: E402
from rag.index.build import build_index, passage_vector_texts  # noqa: E402
from rag.ingest.chunking import chunk_corpus  # noqa: E402
from rag.ingest.documents import load_corpus  # noqa: E402
from rag.settings import Settings  # noqa: E402

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
    batched = []
    for _ in range(3):
        t0 = time.perf_counter()
        for start in range(0, len(questions), 8):
            embedder.embed(questions[start:start + 8], query=True)
        batched.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    passages = embedder.embed(texts)
    passage_s = time.perf_counter() - t0
    query_vectors = embedder.embed(questions, query=True)
    with tempfile.TemporaryDirectory() as tmp:
        build_settings = settings.model_copy(update={"index_root": Path(tmp)})
        t0 = time.perf_counter()
        build_index(build_settings.index_options(), embedder)
        build_s = time.perf_counter() - t0
    result = {
        "backend": name, "load_s": round(load_s, 2),
        "query_ms_median": round(1000 * statistics.median(latencies), 2),
        "query_ms_p90": round(1000 * sorted(latencies)[int(0.9 * len(latencies))], 2),
        "batched_questions_per_s": round(len(questions) / min(batched), 1),
        "passages": len(texts), "passages_s": round(passage_s, 2),
        "passages_per_s": round(len(texts) / passage_s, 1),
        "index_build_s": round(build_s, 2),
    }
    print(json.dumps(result), flush=True)
    return result, passages, query_vectors


def backends(settings: Settings) -> list[tuple[str, object]]:
    """(name, constructor) of every backend this machine runs; torch first (reference)."""
    def openvino(precision: str):
        return lambda st: OpenVinoEmbedder(st.model_copy(
            update={"embedding_precision": precision}).encoder_options())

    found = [("torch", lambda st: SentenceTransformerEmbedder(st.encoder_options())),
             ("onnx", lambda st: OnnxEmbedder(st.encoder_options())),
             ("openvino-fp32", openvino("fp32"))]
    if native_bf16(settings.cache_dir):
        found.append(("openvino-bf16", openvino("bf16")))
    return found


def fidelity(reference: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]
             ) -> dict[str, float]:
    """Cosines to the reference vectors and top-5 overlap of flat dense retrieval."""
    import faiss

    (p_t, q_t), (p_o, q_o) = reference, other
    cos_p, cos_q = (p_t * p_o).sum(1), (q_t * q_o).sum(1)
    tops = []
    for passages, queries in ((p_t, q_t), (p_o, q_o)):
        index = faiss.IndexFlatIP(passages.shape[1])
        index.add(passages)
        tops.append(index.search(queries, K)[1])
    overlap = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(*tops, strict=True)]))
    return {"passage_cosine_min": float(cos_p.min()), "passage_cosine_mean": float(cos_p.mean()),
            "question_cosine_min": float(cos_q.min()), "question_cosine_mean": float(cos_q.mean()),
            "top5_overlap": overlap, "top1_same": float(np.mean(tops[0][:, 0] == tops[1][:, 0]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    settings = Settings(embedding_cache=False)
    docs = load_corpus(settings.seeds_dir, settings.catalog_path)
    texts = passage_vector_texts(docs, chunk_corpus(docs, settings.chunk_options()))
    questions = [q.question for q in load_questions(DEV_SET)]
    runs, vectors = [], {}
    for name, make in backends(settings):
        result, passages, queries = measure(name, make, settings, texts, questions, args.calls)
        vectors[name] = (passages, queries)
        if name != "torch":
            result["fidelity_vs_torch"] = fidelity(vectors["torch"], vectors[name])
            print(json.dumps({name: result["fidelity_vs_torch"]}), flush=True)
        runs.append(result)
    report = {"cores": os.cpu_count(), "batch_size": settings.embed_batch_size,
              "questions": len(questions), "runs": runs}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "encoders.json").write_text(json.dumps(report, indent=1) + "\n")
    print("| backend | load s | query p50 ms | batched q/s | passages/s | build s | min cos | "
          "top-5 overlap |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        f = r.get("fidelity_vs_torch", {})
        cos = min(f.get("passage_cosine_min", 1.0), f.get("question_cosine_min", 1.0))
        print(f"| {r['backend']} | {r['load_s']} | {r['query_ms_median']} | "
              f"{r['batched_questions_per_s']} | {r['passages_per_s']} | {r['index_build_s']} | "
              f"{cos:.7f} | {f.get('top5_overlap', 1.0):.3f} |")


if __name__ == "__main__":
    main()
