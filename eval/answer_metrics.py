"""Answer-quality metrics: fact coverage, citation precision, abstention, latency, and
whether an answer is *right* (the event the confidence should predict)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eval.dataset import (
    OFFTOPIC_CATEGORIES,
    GoldQuestion,
    fact_covered,
    grouped_metrics,
    passage_matches,
)
from eval.retrieval_metrics import RetrievalOutcome

# Passage roles that hold no answer content: an answer citing only these is not grounded.
NONCONTENT_ROLES = frozenset({"title", "letterhead", "signature", "footnote"})
RIGHT_MIN_FACT_COVERAGE = 0.5


_DIRECT_REPLY_CHARS = 160  # a direct reply is a span, not a sentence


@dataclass(frozen=True)
class AnswerOutcome:
    """One question run through the whole pipeline."""

    question: GoldQuestion
    answer: str
    abstained: bool
    confidence: float
    cited_texts: tuple[str, ...]
    cited_ids: tuple[str, ...]
    cited_documents: tuple[str, ...]
    retrieval: RetrievalOutcome | None
    latency_ms: float
    cited_roles: tuple[str, ...] = ()  # role of each cited passage (body, title, footnote…)
    context_ids: tuple[str, ...] = ()  # the passages retrieved for the answer (and cited)
    context_texts: tuple[str, ...] = ()
    warmup: bool = False  # asked while warming up: kept out of the latency percentiles
    resolved: str | None = None  # a follow-up as the service understood it
    rewrite_fact_coverage: float | None = None  # the gold rewrite asked on its own

    @property
    def short_answer_right(self) -> bool | None:
        """For a question with a gold ``short_answer``: whether the answer's first line —
        the direct reply ("À Moscou [1].") — holds one of them (None without one). A
        yes/no question needs no span: its direct reply is the quote itself."""
        if not self.question.short_answer or self.question.answer_type == "yes_no":
            return None
        if self.abstained:
            return False
        first = self.answer.split("\n", 1)[0]
        if not re.search(r"\[\d+\]\.$", first) or len(first) > _DIRECT_REPLY_CHARS:
            return False  # no direct reply: the answer opens with a quote
        return fact_covered(first, list(self.question.short_answer))

    @property
    def facts_missed(self) -> list[list[str]]:
        """Gold facts the answer does not contain."""
        return [list(f) for f in self.question.answer_facts if not fact_covered(self.answer, f)]

    @property
    def fact_coverage(self) -> float | None:
        """Share of gold facts present in the answer (None without facts)."""
        facts = self.question.answer_facts
        return None if not facts else 1 - len(self.facts_missed) / len(facts)

    @property
    def cited_relevant(self) -> list[bool]:
        """For each cited passage: does it contain a gold quote?"""
        return [bool(passage_matches(t, self.question.gold_quotes)) for t in self.cited_texts]

    @property
    def right(self) -> bool:
        """Answerable: answered, fact coverage ≥ 0.5 (when the question lists facts) and at
        least one cited passage holds a gold quote. Unanswerable: abstained."""
        if not self.question.answerable:
            return self.abstained
        coverage = self.fact_coverage
        return (not self.abstained and (coverage is None or coverage >= RIGHT_MIN_FACT_COVERAGE)
                and any(self.cited_relevant))

    @property
    def noncontent_only(self) -> bool:
        """An answer (not an abstention) whose citations are all titles, letterheads,
        signatures or footnotes."""
        return (not self.abstained and bool(self.cited_roles)
                and all(r in NONCONTENT_ROLES for r in self.cited_roles))

    @property
    def documents_covered(self) -> float | None:
        """Share of the gold documents cited (multi-document questions)."""
        gold = {d.rsplit(".", 1)[0] for d in self.question.doc}
        return None if not gold else len(gold & set(self.cited_documents)) / len(gold)


def _mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def summarize_answers(outcomes: Sequence[AnswerOutcome]) -> dict[str, float | None]:
    """Aggregate answer metrics (None where a metric has no data in this group)."""
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    cited = [flag for o in answerable if not o.abstained for flag in o.cited_relevant]
    offtopic = [o for o in outcomes if o.question.category in OFFTOPIC_CATEGORIES]
    lat = [o.latency_ms for o in outcomes if not o.warmup]
    return {
        "n": len(outcomes),
        "fact_coverage": _mean([o.fact_coverage for o in answerable]),
        "citation_precision": float(np.mean(cited)) if cited else None,
        "abstention_unanswerable": _mean([float(o.abstained) for o in unanswerable]),
        "false_abstention": _mean([float(o.abstained) for o in answerable]),
        "abstention_offtopic": _mean([float(o.abstained) for o in offtopic]),
        "noncontent_only": _mean([float(o.noncontent_only) for o in answerable
                                  if not o.abstained]),
        "right": _mean([float(o.right) for o in outcomes]),
        "documents_covered": _mean([o.documents_covered for o in answerable
                                    if len(o.question.doc) > 1]),
        "latency_p50_ms": float(np.percentile(lat, 50)) if lat else None,
        "latency_p95_ms": float(np.percentile(lat, 95)) if lat else None,
    }


RATE_METRICS = ("right", "fact_coverage", "citation_precision", "abstention_unanswerable",
                "abstention_offtopic", "false_abstention", "noncontent_only",
                "documents_covered")


def metric_parts(o: AnswerOutcome) -> dict[str, tuple[float, float]]:
    """(numerator, denominator) of each rate metric for one outcome: over a group, the
    metric is ``sum(num) / sum(den)`` (as :func:`summarize_answers` computes it), and an
    outcome with ``den = 0`` does not count for it."""
    q = o.question
    answered = q.answerable and not o.abstained
    cited = o.cited_relevant if answered else []
    coverage, covered = o.fact_coverage, o.documents_covered
    return {
        "right": (float(o.right), 1.0),
        "fact_coverage": (coverage or 0.0, float(q.answerable and coverage is not None)),
        "citation_precision": (float(sum(cited)), float(len(cited))),
        "abstention_unanswerable": (float(o.abstained), float(not q.answerable)),
        "abstention_offtopic": (float(o.abstained), float(q.category in OFFTOPIC_CATEGORIES)),
        "false_abstention": (float(o.abstained), float(q.answerable)),
        "noncontent_only": (float(o.noncontent_only), float(answered)),
        "documents_covered": (covered or 0.0, float(q.answerable and len(q.doc) > 1
                                                    and covered is not None)),
    }


def group_answers(outcomes: Sequence[AnswerOutcome], key: str
                  ) -> dict[str, dict[str, float | None]]:
    """Answer metrics per value of a question attribute, plus ``all``."""
    return grouped_metrics(outcomes, key, summarize_answers)


def abstention_curve(outcomes: Sequence[AnswerOutcome], thresholds: np.ndarray
                     ) -> list[tuple[float, float, float]]:
    """For each confidence threshold: (threshold, abstention on unanswerable, false
    abstention on answerable), abstaining when confidence < threshold or the composer
    already abstained."""
    rows = []
    for t in thresholds:
        un = [o.abstained or o.confidence < t for o in outcomes if not o.question.answerable]
        an = [o.abstained or o.confidence < t for o in outcomes if o.question.answerable]
        rows.append((float(t), float(np.mean(un)) if un else 0.0,
                     float(np.mean(an)) if an else 0.0))
    return rows
