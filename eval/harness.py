"""``rag eval``: every gold question through the real pipeline; writes report.md (see
:mod:`eval.report`), results.jsonl, run.json and PNG plots (:mod:`eval.plots`), and
optionally fails below the floors in eval/floors.json."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.answer_metrics import AnswerOutcome, abstention_curve, group_answers
from eval.calibration import calibration_summary
from eval.chat_path import chat_arguments
from eval.dataset import EVAL_DIR, GoldQuestion
from eval.plots import write_plots
from eval.report import build_report, calibration_line, splits_of
from eval.retrieval_metrics import by_group, score_ranking
from eval.run_info import document_labels, header_markdown, run_info
from eval.tables import answer_table, by_attribute, retrieval_table

FLOORS = EVAL_DIR / "floors.json"
DEFAULT_OUT = EVAL_DIR / "out"
WARMUP_QUESTIONS = 3  # the first questions warm the caches: their latency is reported apart
FLOOR_SPLIT = "dev_qa"  # the floors were measured on the dev set
# Before passages carry a ``role``, the passage kind gives the non-content ones.
_ROLE_OF_KIND = {"title": "title", "footnote": "footnote", "signature": "signature"}


def passage_role(passage: Any) -> str:
    """The passage's role (body, list_item, title, letterhead, signature, footnote…)."""
    role = getattr(passage, "role", None)
    return str(role) if role else _ROLE_OF_KIND.get(getattr(passage, "kind", ""), "body")


def accepts_history(pipeline: Any) -> bool:
    """Whether ``pipeline.ask`` takes a ``history`` argument."""
    try:
        params = inspect.signature(pipeline.ask).parameters
    except (TypeError, ValueError):
        return True
    return "history" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                      for p in params.values())


def _contexts(answer: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids and texts of the passages retrieved for the answer, then any cited passage not
    among them: what the answer was composed from."""
    passages = {h.passage.id: h.passage for h in getattr(answer, "hits", ())}
    for c in answer.citations:
        passages.setdefault(c.passage.id, c.passage)
    return tuple(passages), tuple(p.text for p in passages.values())


def run_questions(pipeline: Any, questions: list[GoldQuestion], composer: str | None,
                  warmup: int = WARMUP_QUESTIONS) -> list[AnswerOutcome]:
    """Ask every question and score retrieval and answer; the first ``warmup`` questions
    are marked as warm-up (scored, but kept out of the latency percentiles). A question
    with earlier chat turns is asked as the chat endpoint asks a follow-up
    (:mod:`eval.chat_path`); the others without history. A pipeline whose ``ask`` takes no
    history gets the bare question (with a warning on stderr)."""
    with_history = accepts_history(pipeline)
    if not with_history and any(q.history for q in questions):
        print(f"warning: pipeline.ask takes no history; "
              f"{sum(bool(q.history) for q in questions)} follow-up question(s) asked "
              f"without their history", file=sys.stderr)
    outcomes = []
    for n, q in enumerate(questions):
        started = time.perf_counter()
        if q.history and with_history:
            asked, history = chat_arguments(q.question, q.history, pipeline.settings)
            answer = pipeline.ask(asked, composer=composer, history=history)
        else:
            answer = pipeline.ask(q.question, composer=composer)
        latency = (time.perf_counter() - started) * 1000
        rewrite = None  # the explicit rewrite of a follow-up, asked on its own (gold)
        if q.rewrite and q.history and with_history:
            alone = pipeline.ask(q.rewrite, composer=composer)
            rewrite = _outcome(q, alone, None, 0.0).fact_coverage if q.answerable else None
        retrieval = None
        if q.answerable:
            hits = pipeline.search(q.question, 10)
            retrieval = score_ranking(q, [(h.passage.id, h.passage.text) for h in hits])
        outcomes.append(replace(_outcome(q, answer, retrieval, latency), warmup=n < warmup,
                                rewrite_fact_coverage=rewrite))
    return outcomes


def _outcome(q: GoldQuestion, answer: Any, retrieval: Any, latency: float) -> AnswerOutcome:
    return AnswerOutcome(
        q, answer.text, answer.abstained, answer.confidence,
        tuple(c.passage.text for c in answer.citations),
        tuple(c.passage.id for c in answer.citations),
        tuple(c.passage.doc_id for c in answer.citations), retrieval, latency,
        tuple(passage_role(c.passage) for c in answer.citations), *_contexts(answer),
        resolved=getattr(answer, "understood", None))


def result_row(o: AnswerOutcome) -> dict[str, Any]:
    """One line of results.jsonl: the question and its gold, the whole answer, the
    passages it was composed from (``contexts``), citations and scores."""
    r = o.retrieval
    q = o.question
    return {
        "id": q.id, "split": q.split, "lang": q.lang, "type": q.type, "category": q.category,
        "history": q.history_turns, "question": q.question, "answerable": q.answerable,
        "doc": list(q.doc), "gold_quotes": list(q.gold_quotes),
        "answer_facts": [list(f) for f in q.answer_facts], "answer": o.answer,
        "abstained": o.abstained, "confidence": round(o.confidence, 3), "right": o.right,
        "citations": list(o.cited_ids), "cited_roles": list(o.cited_roles),
        "cited_relevant": o.cited_relevant, "noncontent_only": o.noncontent_only,
        "facts_missed": o.facts_missed, "fact_coverage": o.fact_coverage,
        "first_relevant_rank": r.first_relevant_rank if r else None,
        "context_ids": list(o.context_ids), "contexts": list(o.context_texts),
        "latency_ms": round(o.latency_ms, 1), "warmup": o.warmup,
        "resolved_question": o.resolved, "rewrite": q.rewrite,
        "rewrite_fact_coverage": o.rewrite_fact_coverage,
    }


def check_floors(summary: dict[str, float | None], floors: dict[str, Any]) -> list[str]:
    """Metrics below their floor (or above their ceiling for ``max_`` entries)."""
    failures = []
    for key, bound in floors.items():
        if key.startswith("_"):
            continue
        name = key.removeprefix("max_").removeprefix("min_")
        value = summary.get(name)
        if value is None:
            continue
        if key.startswith("max_") and value > bound:
            failures.append(f"{name} = {value:.3f} > {bound}")
        elif not key.startswith("max_") and value < bound:
            failures.append(f"{name} = {value:.3f} < {bound}")
    return failures


def run_answer_eval(pipeline: Any, questions: list[GoldQuestion],
                    args: argparse.Namespace) -> int:
    """Entry point of ``rag eval [answers]``."""
    out: Path = args.out or DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    warmup = getattr(args, "warmup", WARMUP_QUESTIONS)
    info = run_info(pipeline, args.composer, warmup)
    outcomes = run_questions(pipeline, questions, args.composer, warmup)
    curve = abstention_curve(outcomes, np.linspace(0, 1, 21))
    cal = calibration_summary(outcomes)
    splits = splits_of(questions)
    counts = ", ".join(f"{s}: {sum(q.split == s for q in questions)}" for s in splits)
    header = f"{len(questions)} questions ({counts}).\n\n{header_markdown(info)}"
    plots = write_plots(outcomes, curve, out)
    report = build_report(outcomes, questions, curve, cal, header, plots,
                          document_labels(pipeline))
    (out / "report.md").write_text(report, "utf-8")
    (out / "run.json").write_text(json.dumps({**info, "questions": len(questions)},
                                             ensure_ascii=False, indent=1) + "\n", "utf-8")
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for o in outcomes:
            fh.write(json.dumps(result_row(o), ensure_ascii=False) + "\n")

    retrievals = [o.retrieval for o in outcomes if o.retrieval is not None]
    if len(splits) > 1:
        print(answer_table(by_attribute(outcomes, "split"), "split"))
        print()
    print(answer_table(by_attribute(outcomes, "type"), "type"))
    print()
    print(answer_table(by_attribute(outcomes, "category"), "category"))
    print()
    print(retrieval_table(by_attribute(retrievals, "lang"), "lang"))
    print()
    print(calibration_line(cal))
    print(f"\nreport: {out / 'report.md'}")
    if args.check:
        gated = ([o for o in outcomes if o.question.split == FLOOR_SPLIT]
                 if FLOOR_SPLIT in splits else outcomes)
        summary = group_answers(gated, "lang")["all"]
        summary.update({k: v for k, v in by_group(
            [o.retrieval for o in gated if o.retrieval is not None], "lang")["all"].items()
            if k != "n"})
        failures = check_floors(summary, json.loads(FLOORS.read_text("utf-8")))
        print(f"floors checked on {FLOOR_SPLIT if FLOOR_SPLIT in splits else 'all questions'}")
        for f in failures:
            print(f"BELOW FLOOR: {f}")
        return 1 if failures else 0
    return 0
