"""``rag eval``: every gold question through the real pipeline; writes report.md,
results.jsonl and PNG plots, and optionally fails below the floors in eval/floors.json."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.answer_metrics import AnswerOutcome, abstention_curve, group_answers
from eval.dataset import EVAL_DIR, GoldQuestion
from eval.retrieval_metrics import by_group, format_table, score_ranking

FLOORS = EVAL_DIR / "floors.json"
DEFAULT_OUT = EVAL_DIR / "out"
_METRICS = ["n", "fact_coverage", "citation_precision", "abstention_unanswerable",
            "false_abstention", "documents_covered", "latency_p50_ms", "latency_p95_ms"]


def run_questions(pipeline: Any, questions: list[GoldQuestion], composer: str | None
                  ) -> list[AnswerOutcome]:
    """Ask every question (after one warm-up) and score retrieval and answer."""
    pipeline.ask("warm-up", composer=composer)
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        answer = pipeline.ask(q.question, composer=composer)
        latency = (time.perf_counter() - started) * 1000
        retrieval = None
        if q.answerable:
            hits = pipeline.search(q.question, 10)
            retrieval = score_ranking(q, [(h.passage.id, h.passage.text) for h in hits])
        outcomes.append(AnswerOutcome(
            q, answer.text, answer.abstained, answer.confidence,
            tuple(c.passage.text for c in answer.citations),
            tuple(c.passage.id for c in answer.citations),
            tuple(c.passage.doc_id for c in answer.citations), retrieval, latency))
    return outcomes


def _fmt(v: float | None, key: str) -> str:
    if v is None:
        return "–"
    return f"{int(v)}" if key == "n" else (f"{v:.1f}" if key.endswith("_ms") else f"{v:.3f}")


def answer_table(table: dict[str, dict[str, float | None]], title: str) -> str:
    """Markdown table of answer metrics."""
    lines = [f"| {title} | " + " | ".join(_METRICS) + " |", "|---" * (len(_METRICS) + 1) + "|"]
    for name, row in table.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(row.get(k), k) for k in _METRICS) + " |")
    return "\n".join(lines)


def result_row(o: AnswerOutcome) -> dict[str, Any]:
    """One line of results.jsonl."""
    r = o.retrieval
    return {
        "id": o.question.id, "lang": o.question.lang, "type": o.question.type,
        "question": o.question.question, "answer": o.answer, "abstained": o.abstained,
        "confidence": round(o.confidence, 3), "citations": list(o.cited_ids),
        "cited_relevant": o.cited_relevant, "facts_missed": o.facts_missed,
        "fact_coverage": o.fact_coverage, "first_relevant_rank": r.first_relevant_rank if r
        else None, "latency_ms": round(o.latency_ms, 1),
    }


def write_plots(outcomes: list[AnswerOutcome], curve: list[tuple[float, float, float]],
                out: Path) -> list[str]:
    """PNG plots: metrics by question type, abstention curve, latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    table = group_answers(outcomes, "type")
    types = [t for t in table if t != "all"]
    metrics = ["fact_coverage", "citation_precision", "abstention_unanswerable"]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(metrics)
    for i, m in enumerate(metrics):
        vals = [table[t][m] if table[t][m] is not None else np.nan for t in types]
        ax.bar(np.arange(len(types)) + i * width, vals, width, label=m.replace("_", " "))
    ax.set_xticks(np.arange(len(types)) + width, types)
    ax.set_ylim(0, 1.05)
    ax.set_title("Answer quality by question type")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "metrics_by_type.png", dpi=110)
    names.append("metrics_by_type.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    t, un, an = zip(*curve, strict=True)
    ax.plot(t, un, label="abstention on unanswerable (want high)")
    ax.plot(t, an, label="false abstention on answerable (want low)")
    ax.set_xlabel("confidence threshold")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Abstention threshold")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "abstention_curve.png", dpi=110)
    names.append("abstention_curve.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist([o.latency_ms for o in outcomes], bins=20)
    ax.set_xlabel("rag ask latency (ms, warm)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    names.append("latency.png")
    plt.close("all")
    return names


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
    outcomes = run_questions(pipeline, questions, args.composer)
    retrievals = [o.retrieval for o in outcomes if o.retrieval is not None]
    curve = abstention_curve(outcomes, np.linspace(0, 1, 21))
    summary = group_answers(outcomes, "lang")["all"]
    summary.update({k: v for k, v in by_group(retrievals, "lang")["all"].items() if k != "n"})
    report = [
        "# Evaluation report", "",
        f"{len(questions)} questions, composer `{args.composer or pipeline.settings.composer}`, "
        f"model `{pipeline.settings.embedding_model}`.", "",
        "## Answers by language", answer_table(group_answers(outcomes, "lang"), "lang"), "",
        "## Answers by question type", answer_table(group_answers(outcomes, "type"), "type"), "",
        "## Retrieval by language", format_table(by_group(retrievals, "lang"), "lang"), "",
        "## Retrieval by question type", format_table(by_group(retrievals, "type"), "type"), "",
        "## Abstention curve (confidence threshold → abstention on unanswerable / false "
        "abstention on answerable)", "",
        "| threshold | abstain unanswerable | false abstention |", "|---|---|---|",
        *[f"| {t:.2f} | {u:.3f} | {a:.3f} |" for t, u, a in curve], "",
    ]
    names = write_plots(outcomes, curve, out)
    report += ["## Plots", *[f"![{n}]({n})" for n in names], ""]
    misses = [o for o in outcomes if ((o.fact_coverage or 0) < 1 and o.question.answerable)
              or (not o.question.answerable and not o.abstained)]
    report += ["## Imperfect answers", ""]
    for o in misses:
        report.append(f"- **{o.question.id}** ({o.question.type}) {o.question.question}\n"
                      f"  - missed facts: {o.facts_missed or '—'}; abstained: {o.abstained}\n"
                      f"  - answer: {o.answer[:300]}")
    (out / "report.md").write_text("\n".join(report) + "\n", "utf-8")
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for o in outcomes:
            fh.write(json.dumps(result_row(o), ensure_ascii=False) + "\n")
    print(answer_table(group_answers(outcomes, "type"), "type"))
    print()
    print(format_table(by_group(retrievals, "lang"), "lang"))
    print(f"\nreport: {out / 'report.md'}")
    if args.check:
        failures = check_floors(summary, json.loads(FLOORS.read_text("utf-8")))
        for f in failures:
            print(f"BELOW FLOOR: {f}")
        return 1 if failures else 0
    return 0
