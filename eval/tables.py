"""Markdown tables of the answer and retrieval metrics by group (file, type, category,
language, document), each rate with its bootstrap 95 % interval and the number of questions
it is computed over."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from eval.answer_metrics import RATE_METRICS, AnswerOutcome, metric_parts, summarize_answers
from eval.retrieval_metrics import CUTOFFS, RetrievalOutcome
from eval.stats import format_ci, mean_ci, ratio_ci

T = TypeVar("T")
NO_DOCUMENT = "(none)"
RETRIEVAL_METRICS = (*(f"hit@{k}" for k in CUTOFFS), "mrr@10", "quote_recall@10")
_LATENCY = ("latency_p50_ms", "latency_p95_ms")


def group_by(outcomes: Sequence[T], keys: Callable[[T], Iterable[str]]) -> dict[str, list[T]]:
    """Outcomes by each of their keys (one outcome may fall in several groups), sorted by
    name, then ``all``."""
    groups: dict[str, list[T]] = {}
    for o in outcomes:
        for key in dict.fromkeys(keys(o)):
            groups.setdefault(key, []).append(o)
    table = dict(sorted(groups.items()))
    table["all"] = list(outcomes)
    return table


def by_attribute(outcomes: Sequence[T], key: str) -> dict[str, list[T]]:
    """Groups by a question attribute (``split``, ``lang``, ``type``, ``category``)."""
    return group_by(outcomes, lambda o: [str(getattr(o.question, key))])  # type: ignore[attr-defined]


def by_document(outcomes: Sequence[T], labels: Mapping[str, str] | None = None
                ) -> dict[str, list[T]]:
    """Groups by gold document (a question over several documents counts in each; one
    over none, the unanswerable ones, under ``(none)``); ``labels`` names the files."""
    labels = labels or {}

    def keys(o: Any) -> list[str]:
        return [labels.get(d, d) for d in o.question.doc] or [NO_DOCUMENT]

    groups = group_by(outcomes, keys)
    if NO_DOCUMENT in groups:  # after the documents, before ``all``
        groups = {k: v for k, v in groups.items() if k not in (NO_DOCUMENT, "all")} | {
            NO_DOCUMENT: groups[NO_DOCUMENT], "all": groups["all"]}
    return groups


def rate(outcomes: Sequence[AnswerOutcome], metric: str
         ) -> tuple[float | None, tuple[float, float] | None, int]:
    """A rate metric over a group: its value (as :func:`summarize_answers` gives it), its
    bootstrap 95 % interval and the number of questions it counts (None, None, 0 when
    none)."""
    parts = [metric_parts(o)[metric] for o in outcomes]
    counted = [(num, den) for num, den in parts if den > 0]
    if not counted:
        return None, None, 0
    num, den = zip(*counted, strict=True)
    return sum(num) / sum(den), ratio_ci(num, den), len(counted)


def answer_cells(outcomes: Sequence[AnswerOutcome]) -> dict[str, str]:
    """Formatted cells of one group: ``n``, each rate with interval and count, latency."""
    summary = summarize_answers(outcomes)
    cells = {"n": str(len(outcomes))}
    for metric in RATE_METRICS:
        cells[metric] = format_ci(*rate(outcomes, metric))
    for metric in _LATENCY:
        value = summary[metric]
        cells[metric] = "–" if value is None else f"{value:.1f}"
    return cells


def retrieval_cells(outcomes: Sequence[RetrievalOutcome]) -> dict[str, str]:
    """Formatted cells of one group of retrieval outcomes."""
    columns: dict[str, list[float]] = {
        **{f"hit@{k}": [float(o.hit(k)) for o in outcomes] for k in CUTOFFS},
        "mrr@10": [o.reciprocal_rank for o in outcomes],
        "quote_recall@10": [o.quote_recall for o in outcomes],
    }
    cells = {"n": str(len(outcomes))}
    for metric, values in columns.items():
        value = sum(values) / len(values) if values else None
        cells[metric] = format_ci(value, mean_ci(values) if values else None, len(values))
    return cells


def markdown_table(rows: Mapping[str, Mapping[str, str]], title: str,
                   columns: Sequence[str]) -> str:
    """A Markdown table: one row per group, one column per metric."""
    lines = [f"| {title} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, cells in rows.items():
        lines.append(f"| {name} | " + " | ".join(cells.get(c, "–") for c in columns) + " |")
    return "\n".join(lines)


def answer_table(groups: Mapping[str, Sequence[AnswerOutcome]], title: str) -> str:
    """Answer metrics by group, with 95 % intervals and counts."""
    return markdown_table({name: answer_cells(items) for name, items in groups.items()},
                          title, ["n", *RATE_METRICS, *_LATENCY])


def retrieval_table(groups: Mapping[str, Sequence[RetrievalOutcome]], title: str) -> str:
    """Retrieval metrics by group, with 95 % intervals and counts."""
    return markdown_table({name: retrieval_cells(items) for name, items in groups.items()},
                          title, ["n", *RETRIEVAL_METRICS])


CI_NOTE = ("Each rate reads *value [95 % bootstrap interval] n=questions it is computed "
           "over* (2000 seeded resamples of those questions); with a small n the interval is "
           "wide and the value says little.")
