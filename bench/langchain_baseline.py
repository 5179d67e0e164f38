"""Side by side: our pipeline vs the stock LangChain recipe on the same questions.

Stock recipe: TextLoader → RecursiveCharacterTextSplitter(1000, 200) → HuggingFaceEmbeddings
(the same multilingual-e5-small, same prompts) → FAISS. Reports retrieval quality (hit@k,
MRR@10, quote recall@10) for both and the query-latency ratio ours/theirs.

    python bench/langchain_baseline.py [--qa eval/dev_qa.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from eval.cli import load_sets  # noqa: E402
from eval.retrieval_metrics import by_group, format_table, score_ranking  # noqa: E402
from rag.encoders.base import resolve_model_path  # noqa: E402
from rag.ingest.documents import seed_files  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402


def stock_recipe(settings: Settings):
    """Build the stock LangChain FAISS store over the raw seed files."""
    from langchain_community.document_loaders import TextLoader
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [d for path in seed_files(settings.seeds_dir)
            for d in TextLoader(str(path), encoding="utf-8").load()]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200
                                            ).split_documents(docs)
    embeddings = HuggingFaceEmbeddings(
        model_name=resolve_model_path(settings.embedding_model, settings.cache_dir),
        encode_kwargs={"normalize_embeddings": True, "prompt": settings.passage_prompt},
        query_encode_kwargs={"normalize_embeddings": True, "prompt": settings.query_prompt},
    )
    return FAISS.from_documents(chunks, embeddings), len(chunks)


def timed(fn, questions):
    out, lat = [], []
    for q in questions:
        t0 = time.perf_counter()
        out.append(fn(q.question))
        lat.append((time.perf_counter() - t0) * 1000)
    return out, np.array(lat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    settings = Settings()
    questions = [q for q in load_sets(args.qa) if q.answerable]
    pipeline = Pipeline.load(settings)
    store, n_chunks = stock_recipe(settings)
    pipeline.search("warm-up", 10)
    store.similarity_search("warm-up", k=10)

    ours, ours_lat = timed(lambda q: [(h.passage.id, h.passage.text)
                                      for h in pipeline.search(q, 10)], questions)
    theirs, theirs_lat = timed(lambda q: [(str(i), d.page_content) for i, d in
                                          enumerate(store.similarity_search(q, k=10))],
                               questions)
    report = {"questions": len(questions), "stock_chunks": n_chunks,
              "ours_passages": len(pipeline.index.passages)}
    lines = [f"{len(questions)} answerable questions; stock recipe: {n_chunks} chunks of ≤1000 "
             f"chars; ours: {len(pipeline.index.passages)} paragraph passages.", ""]
    for name, ranked, lat in (("ours", ours, ours_lat), ("langchain", theirs, theirs_lat)):
        outcomes = [score_ranking(q, r) for q, r in zip(questions, ranked, strict=True)]
        table = by_group(outcomes, "lang")
        report[name] = {"metrics": table["all"], "p50_ms": float(np.percentile(lat, 50)),
                        "p95_ms": float(np.percentile(lat, 95))}
        lines += [f"### {name}", format_table(table, "lang"),
                  f"search latency p50 {np.percentile(lat, 50):.1f} ms, "
                  f"p95 {np.percentile(lat, 95):.1f} ms", ""]
    ratio = report["ours"]["p50_ms"] / report["langchain"]["p50_ms"]
    report["latency_ratio_ours_over_langchain_p50"] = ratio
    lines.append(f"latency ratio ours/langchain (p50): {ratio:.2f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "langchain_baseline.json").write_text(json.dumps(report, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
