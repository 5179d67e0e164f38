"""The Markdown report of an evaluation run: the run header, answer and retrieval tables
by file, type, category, language and document (with 95 % intervals and counts),
calibration, latency with the warm-up apart, abstention curve, plots, and every imperfect
answer in full."""

from __future__ import annotations

from typing import Any

import numpy as np

from eval.answer_metrics import AnswerOutcome
from eval.calibration import CalibrationBin, calibration_summary
from eval.dataset import GoldQuestion
from eval.tables import CI_NOTE, answer_table, by_attribute, by_document, retrieval_table


def fmt_number(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def calibration_line(cal: dict[str, Any]) -> str:
    """One-line calibration summary (console and report)."""
    wrong = cal["n_answered"] - cal["n_right"]
    return (f"calibration over {cal['n_answered']} answered questions: ECE "
            f"{fmt_number(cal['ece'])}, Brier {fmt_number(cal['brier'])}; mean confidence right "
            f"{fmt_number(cal['mean_confidence_right'])} (n={cal['n_right']}) vs wrong "
            f"{fmt_number(cal['mean_confidence_wrong'])} (n={wrong}); abstentions "
            f"{fmt_number(cal['mean_confidence_abstained'])} (n={cal['n_abstained']}); "
            f"AUC right vs wrong {fmt_number(cal.get('auc'))}; right at confidence ≥ 0.9: "
            f"{fmt_number((cal.get('right_at_90') or (None, 0))[0])} "
            f"(n={(cal.get('right_at_90') or (None, 0))[1]})")


def calibration_table(bins: list[CalibrationBin]) -> str:
    """Markdown reliability table: one row per confidence bin."""
    lines = ["| confidence bin | n | mean confidence | share right | gap (right − conf) |",
             "|---|---|---|---|---|"]
    for b in bins:
        close = "]" if b.hi >= 1 else ")"
        lines.append(f"| [{b.lo:.1f}, {b.hi:.1f}{close} | {b.count} | "
                     f"{fmt_number(b.mean_confidence)} | {fmt_number(b.share_right)} | "
                     f"{fmt_number(b.gap)} |")
    return "\n".join(lines)


def splits_of(questions: list[GoldQuestion]) -> list[str]:
    """The files the questions come from, in order."""
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


def short_answer_lines(outcomes: list[AnswerOutcome], splits: list[str]) -> list[str]:
    """Per split: typed factoids (gold ``short_answer``) whose answer opens with a direct
    reply holding a right span."""
    lines = []
    for split in splits:
        scored = [o.short_answer_right for o in outcomes
                  if o.question.split == split and o.short_answer_right is not None]
        if scored:
            lines.append(f"- {split}: {sum(scored)}/{len(scored)} typed factoids open with "
                         f"a right short answer ({sum(scored) / len(scored):.3f})")
    return lines or ["- no question with a gold short answer"]


def follow_up_lines(outcomes: list[AnswerOutcome], splits: list[str]) -> list[str]:
    """Per split with multi-turn questions: the last turn's fact coverage beside the
    explicit rewrite's (the gold ``rewrite`` asked on its own), and abstention on the
    unanswerable follow-ups."""
    lines = []
    for split in splits:
        turns = [o for o in outcomes if o.question.split == split and o.question.history]
        if not turns:
            continue
        paired = [o for o in turns if o.rewrite_fact_coverage is not None]
        unanswerable = [o for o in turns if not o.question.answerable]
        line = f"- {split}: {len(turns)} follow-ups"
        if paired:
            last = sum(o.fact_coverage or 0.0 for o in paired) / len(paired)
            alone = sum(o.rewrite_fact_coverage or 0.0 for o in paired) / len(paired)
            line += (f"; fact coverage of the last turn {last:.3f} against {alone:.3f} for "
                     f"the explicit rewrite asked alone (n={len(paired)}, ratio "
                     f"{last / alone if alone else float('nan'):.2f})")
        if unanswerable:
            line += (f"; unanswerable follow-ups abstained on "
                     f"{sum(o.abstained for o in unanswerable)}/{len(unanswerable)}")
        lines.append(line)
    return lines or ["- no multi-turn question"]


def latency_lines(outcomes: list[AnswerOutcome]) -> list[str]:
    """Percentiles of ``ask`` latency after the warm-up, and the warm-up questions apart."""
    warm = np.array([o.latency_ms for o in outcomes if not o.warmup])
    lines = []
    if warm.size:
        lines.append(f"`ask` latency over the {warm.size} questions after the warm-up: p50 "
                     f"{np.percentile(warm, 50):.1f} ms, p95 {np.percentile(warm, 95):.1f} ms, "
                     f"max {warm.max():.1f} ms.")
    first = [o for o in outcomes if o.warmup]
    if first:
        lines.append("Warm-up questions (scored, but kept out of the percentiles): "
                     + ", ".join(f"{o.question.id} {o.latency_ms:.1f} ms" for o in first) + ".")
    return lines


def build_report(outcomes: list[AnswerOutcome], questions: list[GoldQuestion],
                 curve: list[tuple[float, float, float]], cal: dict[str, Any],
                 header: str, plots: list[str], labels: dict[str, str] | None = None) -> str:
    """The Markdown report; ``header`` describes the run, ``labels`` names the documents."""
    retrievals = [o.retrieval for o in outcomes if o.retrieval is not None]
    splits = splits_of(questions)
    report = [
        "# Evaluation report", "", header, "",
        "*right*: an answerable question answered with fact coverage ≥ 0.5 and at least one "
        "cited passage holding a gold quote, or an unanswerable question abstained on. "
        "*abstention_offtopic*: abstention rate on gibberish, greetings, general knowledge, "
        "injections and off-topic questions. *noncontent_only*: share of answered answerable "
        "questions citing only titles, letterheads, signatures or footnotes (target 0). "
        "Latency columns: questions after the warm-up only.", "", CI_NOTE, "",
        "## Answers by file", answer_table(by_attribute(outcomes, "split"), "split"), "",
        "## Direct replies", "", *short_answer_lines(outcomes, splits), "",
        "## Follow-ups", "", *follow_up_lines(outcomes, splits), "",
        "## Answers by question type", answer_table(by_attribute(outcomes, "type"), "type"), "",
        "## Answers by category",
        answer_table(by_attribute(outcomes, "category"), "category"), "",
        "## Answers by language", answer_table(by_attribute(outcomes, "lang"), "lang"), "",
        "## Answers by document",
        "A question over several documents counts in each; `(none)`: unanswerable questions.",
        "", answer_table(by_document(outcomes, labels), "document"), "",
    ]
    if len(splits) > 1:
        for split in splits:
            part = [o for o in outcomes if o.question.split == split]
            report += [f"### {split} by category",
                       answer_table(by_attribute(part, "category"), "category"), ""]
    report += [
        "## Latency", "", *latency_lines(outcomes), "",
        "## Calibration (answered questions)", "", calibration_line(cal), "",
        calibration_table(cal["bins"]), "",
        *([line for split in splits for line in (
            f"### Calibration, {split}", "",
            calibration_line(calibration_summary(
                [o for o in outcomes if o.question.split == split])), "",
            calibration_table(calibration_summary(
                [o for o in outcomes if o.question.split == split])["bins"]), "")]
          if len(splits) > 1 else []),
        "## Retrieval by file", retrieval_table(by_attribute(retrievals, "split"), "split"), "",
        "## Retrieval by language", retrieval_table(by_attribute(retrievals, "lang"), "lang"), "",
        "## Retrieval by question type",
        retrieval_table(by_attribute(retrievals, "type"), "type"), "",
        "## Retrieval by category",
        retrieval_table(by_attribute(retrievals, "category"), "category"), "",
        "## Retrieval by document",
        retrieval_table(by_document(retrievals, labels), "document"), "",
        "## Abstention curve (confidence threshold → abstention on unanswerable / false "
        "abstention on answerable)", "",
        "| threshold | abstain unanswerable | false abstention |", "|---|---|---|",
        *[f"| {t:.2f} | {u:.3f} | {a:.3f} |" for t, u, a in curve], "",
        "## Plots", *[f"![{n}]({n})" for n in plots], "",
    ]
    misses = [o for o in outcomes if _imperfect(o)]
    report += [f"## Imperfect answers ({len(misses)})", "",
               "Answers below are given in full, never cut.", ""]
    report += [imperfect_entry(o) for o in misses]
    return "\n".join(report) + "\n"
