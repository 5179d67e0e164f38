"""Index builds at scale: encoder throughput by device and precision, peak memory of a
streaming build, and the time to build 100k and 1M passages.

A synthetic corpus of N passages is written as numbered-paragraph documents (1,000
paragraphs each) whose paragraph lengths follow the seed passages' own distribution (words
drawn from the seeds, so tokenisation looks like the real corpus). Two measurements:

- ``--encoders``: passages/s of every encoder this machine runs (CPU backends; CUDA when torch
  sees one, bf16 and fp32, with ``torch.compile`` when ``--compile``) on a ``--sample`` of the
  synthetic passages, as ``rag index`` embeds them (length-sorted batches);
- ``--builds N …``: a full ``build_index`` of N synthetic passages in a child process, with
  random unit vectors instead of the model (``--vectors random``: what the build itself costs
  in time and memory: parsing, chunking, streaming to disk, FAISS, BM25, writing) or the real
  encoder (``--vectors model``); peak RSS of that process.

The 100k / 1M build times combine the measured build cost per passage (random vectors) with
each encoder's measured passages/s (model time for passages and their sentences); they are
labelled "extrapolated" unless ``--builds`` measured that size with the model.

    python bench/build_scale.py --encoders --sample 2000 --builds 10000 50000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

PER_DOC = 1000


def seed_lengths_and_words() -> tuple[list[int], list[str]]:
    """Word counts of the seed passages, and the seeds' words."""
    from rag.ingest.chunking import chunk_corpus
    from rag.ingest.documents import load_corpus
    from rag.settings import Settings

    settings = Settings()
    docs = load_corpus(settings.seeds_dir, settings.catalog_path)
    passages = chunk_corpus(docs, settings.chunk_options())
    lengths = [len(p.text.split()) for p in passages if p.role == "body"]
    words = [w for p in passages for w in p.text.split() if w.isalpha()]
    return lengths, words


def write_corpus(folder: Path, n: int, seed: int = 0) -> Path:
    """``n`` passages in documents of ``PER_DOC`` numbered paragraphs under ``folder``."""
    rng = random.Random(seed)
    lengths, words = seed_lengths_and_words()
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(0, n, PER_DOC):
        lines = [f"Rapport synthétique numéro {d // PER_DOC}", ""]
        for i in range(min(PER_DOC, n - d)):
            text = " ".join(rng.choice(words) for _ in range(rng.choice(lengths)))
            lines.append(f"{i + 1}. {text} (passage {d + i}).")
            lines.append("")
        (folder / f"synthetic_{d // PER_DOC:05d}.txt").write_text("\n".join(lines), "utf-8")
    return folder


class RandomVectors:
    """Unit vectors from the text's hash: the build without the model's cost."""

    model_id, dim = "random", 384

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def child_build(corpus: Path, vectors: str) -> None:
    """Run in a child process: build the index, print JSON with its timings."""
    from rag.corpus import build_embedder
    from rag.index.build import build_index
    from rag.index.manifest import read_manifest
    from rag.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(seeds_dir=corpus, index_root=Path(tmp),
                            embedding_cache=vectors == "model", max_document_passages=10**6)
        embedder = RandomVectors() if vectors == "random" else build_embedder(settings)
        started = time.perf_counter()
        path = build_index(settings.index_options(), embedder)
        seconds = time.perf_counter() - started
        manifest = read_manifest(path)
        peak = next(int(line.split()[1]) for line in
                    Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmHWM:"))  # this image's peak (not the parent's)
        print(json.dumps({"passages": manifest.passages, "seconds": round(seconds, 2),
                          "peak_rss_mb": round(peak / 1024, 1),
                          "faiss": manifest.faiss_index, "encoder": manifest.encoder,
                          "sentences": len((path / "sentences.jsonl").read_text()
                                           .splitlines())}))


def measure_build(corpus: Path, vectors: str) -> dict:
    """``child_build`` in a fresh process, which reports its own peak RSS (VmHWM)."""
    out = subprocess.run([sys.executable, __file__, "--child", str(corpus), vectors],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["vectors"] = vectors
    return row


def encoder_rows(texts: list[str], compile_model: bool) -> list[dict]:
    """Passages/s of each encoder this machine runs on ``texts``."""
    from rag.encoders.load import load_embedder
    from rag.settings import Settings

    configs = [("openvino", "cpu", "auto"), ("onnx", "cpu", "fp32"), ("torch", "cpu", "fp32")]
    import torch

    if torch.cuda.is_available():
        configs = [("torch", "cuda", "auto"), ("torch", "cuda", "fp32"), *configs]
    rows = []
    for backend, device, precision in configs:
        settings = Settings(embedding_backend=backend, embedding_device=device,
                            embedding_precision=precision, query_batch_size=1,
                            query_cache_size=0, embedding_cache=False)
        for compiled in ([False, True] if device == "cuda" and compile_model else [False]):
            settings = settings.model_copy(update={"embedding_compile": compiled})
            try:
                started = time.perf_counter()
                model = load_embedder(settings.encoder_options())
                load_s = time.perf_counter() - started
            except Exception as exc:  # a backend this machine lacks
                rows.append({"backend": backend, "device": device, "error": str(exc)})
                continue
            model.embed(texts[: min(len(texts), 256)])  # warm-up (and compilation)
            started = time.perf_counter()
            model.embed(texts)
            seconds = time.perf_counter() - started
            encoder = getattr(model, "encoder", None)
            rows.append({"backend": backend, "device": device,
                         "precision": encoder.precision if encoder else precision,
                         "compiled": compiled, "load_s": round(load_s, 1),
                         "texts": len(texts), "passages_per_s": round(len(texts) / seconds, 1)})
            print(json.dumps(rows[-1]), flush=True)
            del model
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", action="store_true")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--builds", type=int, nargs="*", default=[])
    parser.add_argument("--vectors", choices=["random", "model"], default="random")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_build(Path(args.child[0]), args.child[1])
        return
    report: dict = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        if args.encoders:
            from rag.index.build import passage_vector_texts
            from rag.ingest.chunking import chunk_corpus
            from rag.ingest.documents import load_corpus
            from rag.settings import Settings

            corpus = write_corpus(Path(tmp) / "sample", args.sample, seed=1)
            docs = load_corpus(corpus)
            texts = passage_vector_texts(docs, chunk_corpus(docs, Settings().chunk_options()))
            report["encoders"] = encoder_rows(texts, args.compile)
        report["builds"] = []
        for n in args.builds:
            corpus = write_corpus(Path(tmp) / f"n{n}", n)
            row = measure_build(corpus, args.vectors)
            report["builds"].append(row)
            print(json.dumps(row), flush=True)
    report["projections"] = project(report)
    for row in report["projections"]:
        print(json.dumps(row))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "build_scale.json").write_text(json.dumps(report, indent=1) + "\n")


def project(report: dict) -> list[dict]:
    """Build time for 100k and 1M passages per encoder: the measured build cost per passage
    plus the model time for the passages and their sentences (extrapolated)."""
    builds = [b for b in report.get("builds", []) if b["vectors"] == "random"]
    if not builds or not report.get("encoders"):
        return []
    largest = max(builds, key=lambda b: b["passages"])
    per_passage = largest["seconds"] / largest["passages"]
    texts_per_passage = 1 + largest["sentences"] / largest["passages"]
    rows = []
    for enc in report["encoders"]:
        if "passages_per_s" not in enc:
            continue
        for n in (100_000, 1_000_000):
            seconds = n * (per_passage + texts_per_passage / enc["passages_per_s"])
            rows.append({"encoder": f"{enc['backend']}/{enc['precision']}/{enc['device']}"
                         + ("+compile" if enc.get("compiled") else ""),
                         "passages": n, "hours": round(seconds / 3600, 2),
                         "label": "extrapolated"})
    return rows


if __name__ == "__main__":
    main()
