"""Warm ``rag ask`` latency by question plan: single-pass questions versus composite ones
(several retrieval passes: multi-part questions, comparisons and summaries of several
documents), chat follow-ups (resolved against their conversation first: the gold files'
``turns``), and off-topic inputs declined before retrieval.

Uses the built index (``rag index`` first). Every question of the given files is asked
``--rounds`` times after one warm-up; the plan decides the group.

    python bench/answers.py [--qa eval/dev_qa.jsonl ...] [--rounds 3] [--out bench/results]
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

from eval.dataset import EVAL_DIR, load_questions  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402

DEFAULT_SETS = [EVAL_DIR / "dev_qa.jsonl", EVAL_DIR / "extra_qa.jsonl",
                EVAL_DIR / "tune_qa.jsonl", EVAL_DIR / "test_qa.jsonl"]


def group_of(pipeline: Pipeline, question: str, history: list[dict[str, str]] | None) -> str:
    """``composite`` when the plan needs several retrieval passes, ``declined`` for inputs
    the off-topic gate refuses, else ``single``."""
    plan = pipeline.plan(question, history)
    if pipeline.composers["extractive"].offtopic(plan):  # type: ignore[attr-defined]
        return "declined"
    if plan.resolved is not None and plan.resolved.how != "new":
        return "follow-up"  # resolved against the conversation first
    passes = len(plan.parts)
    if plan.kind in ("comparison", "summary") and len(plan.documents) > 1:
        passes = len(plan.documents)
    return "composite" if passes > 1 else "single"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qa", type=Path, action="append")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    # the caches would turn rounds 2 and 3 into lookups: measure the work itself
    pipeline = Pipeline.load(Settings(answer_cache_size=0, query_cache_size=0))
    pipeline.ask("warm-up: coopération avec l'Union africaine")
    latencies: dict[str, list[float]] = {}
    for q in (q for f in args.qa or DEFAULT_SETS for q in load_questions(f)):
        history = q.history_turns or None
        group = group_of(pipeline, q.question, history)
        for _ in range(args.rounds):
            started = time.perf_counter()
            pipeline.ask(q.question, history=history)
            latencies.setdefault(group, []).append((time.perf_counter() - started) * 1000)
    report = {group: {"asks": len(values),
                      **{f"p{p}_ms": round(float(np.percentile(values, p)), 1)
                         for p in (50, 95, 99)}}
              for group, values in sorted(latencies.items())}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "answers.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    for group, row in report.items():
        print(f"{group:10} {row}")


if __name__ == "__main__":
    main()
