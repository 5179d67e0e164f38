"""``rag eval``: run gold questions through the real pipeline and report metrics."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from eval.dataset import DEV_SET, GoldQuestion, load_questions
from eval.retrieval_metrics import RetrievalOutcome, by_group, format_table, score_ranking
from rag.settings import Settings


def load_sets(paths: list[Path] | None) -> list[GoldQuestion]:
    """Questions of every given file (default: the dev set)."""
    return [q for p in (paths or [DEV_SET]) for q in load_questions(p)]


def evaluate_retrieval(pipeline: object, questions: list[GoldQuestion]
                       ) -> tuple[list[RetrievalOutcome], list[float]]:
    """Top-10 search for every answerable question; outcomes and latencies (ms)."""
    outcomes, latencies = [], []
    for q in questions:
        if not q.answerable:
            continue
        started = time.perf_counter()
        hits = pipeline.search(q.question, 10)  # type: ignore[attr-defined]
        latencies.append((time.perf_counter() - started) * 1000)
        outcomes.append(score_ranking(q, [(h.passage.id, h.passage.text) for h in hits]))
    return outcomes, latencies


def retrieval_report(outcomes: list[RetrievalOutcome], latencies: list[float]) -> str:
    """Markdown tables by file (when several), language, type and category, plus the
    misses."""
    import numpy as np

    parts = []
    if len({o.question.split for o in outcomes}) > 1:
        parts += [format_table(by_group(outcomes, "split"), "split"), ""]
    parts += [format_table(by_group(outcomes, "lang"), "lang"), "",
              format_table(by_group(outcomes, "type"), "type"), "",
              format_table(by_group(outcomes, "category"), "category"), ""]
    lat = np.array(latencies)
    parts.append(f"search latency: p50 {np.percentile(lat, 50):.1f} ms, "
                 f"p95 {np.percentile(lat, 95):.1f} ms over {len(lat)} queries")
    misses = [o for o in outcomes if not o.hit(5) or o.quote_recall < 1]
    if misses:
        parts.append("\nnot perfect (first relevant rank, quotes found):")
        for o in misses:
            parts.append(f"- {o.question.split}:{o.question.id} rank={o.first_relevant_rank} "
                         f"quotes={o.quotes_found}/{len(o.question.gold_quotes)} "
                         f"{o.question.question[:90]}")
    return "\n".join(parts)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of ``rag eval``."""
    from rag.pipeline import Pipeline

    questions = load_sets(args.qa)
    pipeline = Pipeline.load(settings)
    if args.what == "retrieval":
        outcomes, latencies = evaluate_retrieval(pipeline, questions)
        print(retrieval_report(outcomes, latencies))
        return 0
    from eval.harness import run_answer_eval

    return run_answer_eval(pipeline, questions, args)
