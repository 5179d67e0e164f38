"""Index build and single-client query benchmark.

Builds the index from seeds/ into a temporary folder (embedding throughput, total time, peak
RSS), then measures warm ``search`` and ``ask`` latency p50/p95/p99 over the dev and extra
questions (each asked ``--rounds`` times).

    python bench/pipeline.py [--rounds 3] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from eval.cli import load_sets  # noqa: E402
from eval.dataset import DEV_SET, EVAL_DIR  # noqa: E402
from rag.encoders.load import load_embedder  # noqa: E402
from rag.index.build import build_index  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.array(values)
    return {f"p{p}": round(float(np.percentile(arr, p)), 1) for p in (50, 95, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_root=Path(tmp), answer_cache_size=0, query_cache_size=0)
        t0 = time.perf_counter()
        embedder = load_embedder(settings.encoder_options())
        load_s = time.perf_counter() - t0
        steps: list[tuple[float, str]] = []
        t1 = time.perf_counter()
        build_index(settings.index_options(), embedder,
                    on_step=lambda m: steps.append((time.perf_counter(), m)))
        build_s = time.perf_counter() - t1
        manifest = json.loads((settings.index_dir / "manifest.json").read_text())
        n_sentences = sum(1 for _ in (settings.index_dir / "sentences.jsonl").open())
        embedded = manifest["passages"] + n_sentences
        report["build"] = {
            "model_load_s": round(load_s, 2), "build_s": round(build_s, 2),
            "passages": manifest["passages"], "sentences": n_sentences,
            "texts_embedded_per_s": round(embedded / build_s, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        }
        print(json.dumps(report["build"]))
        pipeline = Pipeline.load(settings)
        questions = [q.question for q in load_sets([DEV_SET, EVAL_DIR / "extra_qa.jsonl"])]
        pipeline.ask("warm-up")
        search_ms, ask_ms = [], []
        for _ in range(args.rounds):
            for q in questions:
                t = time.perf_counter()
                pipeline.search(q)
                search_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                pipeline.ask(q)
                ask_ms.append((time.perf_counter() - t) * 1000)
        report["search_ms"] = percentiles(search_ms)
        report["ask_ms"] = percentiles(ask_ms)
        report["queries"] = len(search_ms)
    print(json.dumps({k: report[k] for k in ("search_ms", "ask_ms", "queries")}))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pipeline.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
