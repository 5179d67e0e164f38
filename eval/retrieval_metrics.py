"""Retrieval metrics over gold questions: hit@k, MRR@10, quote recall@10."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.dataset import GoldQuestion, grouped_metrics, passage_matches

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class RetrievalOutcome:
    """How one answerable question fared: rank of the first relevant passage, quotes found."""

    question: GoldQuestion
    first_relevant_rank: int | None  # 1-based, within the top 10
    quotes_found: int
    retrieved_ids: tuple[str, ...]

    def hit(self, k: int) -> bool:
        """A relevant passage within the top ``k``."""
        return self.first_relevant_rank is not None and self.first_relevant_rank <= k

    @property
    def reciprocal_rank(self) -> float:
        """1/rank of the first relevant passage (0 beyond 10)."""
        return 1.0 / self.first_relevant_rank if self.first_relevant_rank else 0.0

    @property
    def quote_recall(self) -> float:
        """Share of the gold quotes present in the top 10."""
        return self.quotes_found / len(self.question.gold_quotes)


def score_ranking(question: GoldQuestion, ranked: Sequence[tuple[str, str]]) -> RetrievalOutcome:
    """Score a ranking of (passage_id, passage_text) pairs for ``question`` (top 10 used)."""
    first = None
    found: set[int] = set()
    for rank, (_, text) in enumerate(ranked[:10], start=1):
        matched = passage_matches(text, question.gold_quotes)
        if matched and first is None:
            first = rank
        found.update(matched)
    return RetrievalOutcome(question, first, len(found), tuple(pid for pid, _ in ranked[:10]))


def summarize(outcomes: Sequence[RetrievalOutcome]) -> dict[str, float]:
    """Mean metrics over outcomes (n, hit@1/5/10, mrr@10, quote_recall@10)."""
    n = len(outcomes)
    if n == 0:
        return {"n": 0}
    row: dict[str, float] = {"n": n}
    for k in CUTOFFS:
        row[f"hit@{k}"] = sum(o.hit(k) for o in outcomes) / n
    row["mrr@10"] = sum(o.reciprocal_rank for o in outcomes) / n
    row["quote_recall@10"] = sum(o.quote_recall for o in outcomes) / n
    return row


def by_group(outcomes: Sequence[RetrievalOutcome], key: str) -> dict[str, dict[str, float]]:
    """Metrics per value of a question attribute (``lang`` or ``type``), plus ``all``."""
    return grouped_metrics(outcomes, key, summarize)


def format_table(table: dict[str, dict[str, float]], title: str) -> str:
    """A Markdown table of grouped metrics."""
    cols = ["n", "hit@1", "hit@5", "hit@10", "mrr@10", "quote_recall@10"]
    lines = [f"| {title} | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, row in table.items():
        cells = [f"{int(row['n'])}" if c == "n" else f"{row.get(c, 0):.3f}" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
