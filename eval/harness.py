"""``rag eval``: every gold question through the real pipeline; writes report.md,
results.jsonl and PNG plots (quality by type, abstention curve, latency, reliability diagram,
confidence histogram), and optionally fails below the floors in eval/floors.json."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.answer_metrics import AnswerOutcome, abstention_curve, group_answers
from eval.calibration import (
    N_BINS,
    CalibrationBin,
    brier_score,
    expected_calibration_error,
    mean_where,
    reliability_bins,
)
from eval.dataset import EVAL_DIR, GoldQuestion
from eval.retrieval_metrics import by_group, format_table, score_ranking

FLOORS = EVAL_DIR / "floors.json"
DEFAULT_OUT = EVAL_DIR / "out"
_METRICS = ["n", "right", "fact_coverage", "citation_precision", "abstention_unanswerable",
            "abstention_offtopic", "false_abstention", "noncontent_only", "documents_covered",
            "latency_p50_ms", "latency_p95_ms"]
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


def run_questions(pipeline: Any, questions: list[GoldQuestion], composer: str | None
                  ) -> list[AnswerOutcome]:
    """Ask every question (after one warm-up) and score retrieval and answer. A question
    with a chat history is asked with ``history=``; the others without it. A pipeline whose
    ``ask`` takes no history gets the bare question (with a warning on stderr)."""
    pipeline.ask("warm-up", composer=composer)
    with_history = accepts_history(pipeline)
    if not with_history and any(q.history for q in questions):
        print(f"warning: pipeline.ask takes no history; "
              f"{sum(bool(q.history) for q in questions)} follow-up question(s) asked "
              f"without their history", file=sys.stderr)
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        if q.history and with_history:
            answer = pipeline.ask(q.question, composer=composer, history=q.history_turns)
        else:
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
            tuple(c.passage.doc_id for c in answer.citations), retrieval, latency,
            tuple(passage_role(c.passage) for c in answer.citations)))
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
    q = o.question
    return {
        "id": q.id, "split": q.split, "lang": q.lang, "type": q.type, "category": q.category,
        "history": q.history_turns, "question": q.question, "answer": o.answer,
        "abstained": o.abstained, "confidence": round(o.confidence, 3), "right": o.right,
        "citations": list(o.cited_ids), "cited_roles": list(o.cited_roles),
        "cited_relevant": o.cited_relevant, "noncontent_only": o.noncontent_only,
        "facts_missed": o.facts_missed, "fact_coverage": o.fact_coverage,
        "first_relevant_rank": r.first_relevant_rank if r else None,
        "latency_ms": round(o.latency_ms, 1),
    }


def calibration(outcomes: list[AnswerOutcome], n_bins: int = N_BINS) -> dict[str, Any]:
    """Calibration of the confidence over the answered (non-abstained) questions: bins, ECE,
    Brier score, mean confidence of right and wrong answers (and of abstentions)."""
    answered = [o for o in outcomes if not o.abstained]
    conf = [o.confidence for o in answered]
    right = [o.right for o in answered]
    abstained = [o.confidence for o in outcomes if o.abstained]
    return {
        "n_answered": len(answered), "n_right": sum(right), "n_abstained": len(abstained),
        "bins": reliability_bins(conf, right, n_bins),
        "ece": expected_calibration_error(conf, right, n_bins),
        "brier": brier_score(conf, right),
        "mean_confidence_right": mean_where(conf, right, True),
        "mean_confidence_wrong": mean_where(conf, right, False),
        "mean_confidence_abstained": float(np.mean(abstained)) if abstained else None,
    }


def _num(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def calibration_line(cal: dict[str, Any]) -> str:
    """One-line calibration summary (console and report)."""
    wrong = cal["n_answered"] - cal["n_right"]
    return (f"calibration over {cal['n_answered']} answered questions: ECE "
            f"{_num(cal['ece'])}, Brier {_num(cal['brier'])}; mean confidence right "
            f"{_num(cal['mean_confidence_right'])} (n={cal['n_right']}) vs wrong "
            f"{_num(cal['mean_confidence_wrong'])} (n={wrong}); abstentions "
            f"{_num(cal['mean_confidence_abstained'])} (n={cal['n_abstained']})")


def calibration_table(bins: list[CalibrationBin]) -> str:
    """Markdown reliability table: one row per confidence bin."""
    lines = ["| confidence bin | n | mean confidence | share right | gap (right − conf) |",
             "|---|---|---|---|---|"]
    for b in bins:
        close = "]" if b.hi >= 1 else ")"
        lines.append(f"| [{b.lo:.1f}, {b.hi:.1f}{close} | {b.count} | "
                     f"{_num(b.mean_confidence)} | {_num(b.share_right)} | {_num(b.gap)} |")
    return "\n".join(lines)


def write_plots(outcomes: list[AnswerOutcome], curve: list[tuple[float, float, float]],
                out: Path) -> list[str]:
    """PNG plots: metrics by question type, abstention curve, latency histogram, reliability
    diagram and confidence histogram."""
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
    names += write_calibration_plots(outcomes, calibration(outcomes), out)
    return names


def write_calibration_plots(outcomes: list[AnswerOutcome], cal: dict[str, Any], out: Path
                            ) -> list[str]:
    """``reliability.png`` (answered questions: share right vs mean confidence per bin, with
    the diagonal and bin counts) and ``confidence_hist.png`` (right, wrong, abstained)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins: list[CalibrationBin] = cal["bins"]
    full = [b for b in bins if b.count]
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    if full:
        width = bins[0].hi - bins[0].lo
        ax.bar([b.lo for b in full], [b.share_right for b in full], width=width, align="edge",
               alpha=0.35, edgecolor="tab:blue", label="share right (bin)")
        ax.plot([b.mean_confidence for b in full], [b.share_right for b in full], "o-",
                color="tab:blue", label="share right at mean confidence")
        for b in full:
            ax.annotate(f"n={b.count}", ((b.lo + b.hi) / 2, min(b.share_right + 0.03, 1.04)),
                        ha="center", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no answered question", ha="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("confidence")
    ax.set_ylabel("observed share right")
    ax.set_title(f"Reliability ({cal['n_answered']} answered): ECE {_num(cal['ece'])}, "
                 f"Brier {_num(cal['brier'])}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "reliability.png", dpi=110)

    answered = [o for o in outcomes if not o.abstained]
    series = {"right answers": [o.confidence for o in answered if o.right],
              "wrong answers": [o.confidence for o in answered if not o.right],
              "abstentions": [o.confidence for o in outcomes if o.abstained]}
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([np.clip(v, 0, 1) for v in series.values()], bins=np.linspace(0, 1, 21),
            label=[f"{k} (n={len(v)})" for k, v in series.items()],
            color=["tab:green", "tab:red", "tab:grey"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("questions")
    ax.set_title("Confidence of right vs wrong answers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "confidence_hist.png", dpi=110)
    plt.close("all")
    return ["reliability.png", "confidence_hist.png"]


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


def _splits(questions: list[GoldQuestion]) -> list[str]:
    return list(dict.fromkeys(q.split for q in questions))


def _imperfect(o: AnswerOutcome) -> bool:
    return not o.right or (o.question.answerable and (o.fact_coverage or 0) < 1)


def imperfect_entry(o: AnswerOutcome) -> str:
    """Markdown list item for an imperfect answer, with the full answer text."""
    q = o.question
    lines = [f"- **{q.id}** ({q.split or '–'} / {q.type} / {q.category}) {q.question}"]
    for role, content in q.history:
        lines.append(f"  - history {role}: {content}")
    coverage = "–" if o.fact_coverage is None else f"{o.fact_coverage:.2f}"
    lines.append(f"  - right: {o.right}; abstained: {o.abstained}; confidence "
                 f"{o.confidence:.3f}; fact coverage {coverage}; missed facts: "
                 f"{o.facts_missed or '—'}")
    roles = o.cited_roles or ("?",) * len(o.cited_ids)
    cited = [f"{i} ({r}, {'gold' if ok else 'no gold'})"
             for i, r, ok in zip(o.cited_ids, roles, o.cited_relevant, strict=False)]
    lines.append(f"  - cited: {', '.join(cited) or '—'}")
    body = o.answer.replace("\n", "\n    ")
    lines.append(f"  - answer:\n\n    {body}\n")
    return "\n".join(lines)


def build_report(outcomes: list[AnswerOutcome], questions: list[GoldQuestion],
                 curve: list[tuple[float, float, float]], cal: dict[str, Any],
                 header: str, plots: list[str]) -> str:
    """The Markdown report."""
    retrievals = [o.retrieval for o in outcomes if o.retrieval is not None]
    splits = _splits(questions)
    report = [
        "# Evaluation report", "", header, "",
        "*right*: an answerable question answered with fact coverage ≥ 0.5 and at least one "
        "cited passage holding a gold quote, or an unanswerable question abstained on. "
        "*abstention_offtopic*: abstention rate on gibberish, greetings, general knowledge, "
        "injections and off-topic questions. *noncontent_only*: share of answered answerable "
        "questions citing only titles, letterheads, signatures or footnotes (target 0).", "",
        "## Answers by file", answer_table(group_answers(outcomes, "split"), "split"), "",
        "## Answers by question type", answer_table(group_answers(outcomes, "type"), "type"), "",
        "## Answers by category",
        answer_table(group_answers(outcomes, "category"), "category"), "",
        "## Answers by language", answer_table(group_answers(outcomes, "lang"), "lang"), "",
    ]
    if len(splits) > 1:
        for split in splits:
            part = [o for o in outcomes if o.question.split == split]
            report += [f"### {split} by category",
                       answer_table(group_answers(part, "category"), "category"), ""]
    report += [
        "## Calibration (answered questions)", "", calibration_line(cal), "",
        calibration_table(cal["bins"]), "",
        "## Retrieval by file", format_table(by_group(retrievals, "split"), "split"), "",
        "## Retrieval by language", format_table(by_group(retrievals, "lang"), "lang"), "",
        "## Retrieval by question type", format_table(by_group(retrievals, "type"), "type"), "",
        "## Retrieval by category",
        format_table(by_group(retrievals, "category"), "category"), "",
        "## Abstention curve (confidence threshold → abstention on unanswerable / false "
        "abstention on answerable)", "",
        "| threshold | abstain unanswerable | false abstention |", "|---|---|---|",
        *[f"| {t:.2f} | {u:.3f} | {a:.3f} |" for t, u, a in curve], "",
        "## Plots", *[f"![{n}]({n})" for n in plots], "",
    ]
    misses = [o for o in outcomes if _imperfect(o)]
    report += [f"## Imperfect answers ({len(misses)})", ""]
    report += [imperfect_entry(o) for o in misses]
    return "\n".join(report) + "\n"


def run_answer_eval(pipeline: Any, questions: list[GoldQuestion],
                    args: argparse.Namespace) -> int:
    """Entry point of ``rag eval [answers]``."""
    out: Path = args.out or DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    outcomes = run_questions(pipeline, questions, args.composer)
    curve = abstention_curve(outcomes, np.linspace(0, 1, 21))
    cal = calibration(outcomes)
    splits = _splits(questions)
    counts = ", ".join(f"{s}: {sum(q.split == s for q in questions)}" for s in splits)
    header = (f"{len(questions)} questions ({counts}), composer "
              f"`{args.composer or pipeline.settings.composer}`, model "
              f"`{pipeline.settings.embedding_model}`.")
    plots = write_plots(outcomes, curve, out)
    (out / "report.md").write_text(build_report(outcomes, questions, curve, cal, header, plots),
                                   "utf-8")
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for o in outcomes:
            fh.write(json.dumps(result_row(o), ensure_ascii=False) + "\n")

    retrievals = [o.retrieval for o in outcomes if o.retrieval is not None]
    if len(splits) > 1:
        print(answer_table(group_answers(outcomes, "split"), "split"))
        print()
    print(answer_table(group_answers(outcomes, "type"), "type"))
    print()
    print(answer_table(group_answers(outcomes, "category"), "category"))
    print()
    print(format_table(by_group(retrievals, "lang"), "lang"))
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
