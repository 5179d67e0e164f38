"""Is the chosen evidence strong enough to answer? Confidence and abstention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answer.expectations import expected_answer
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.answer.extractive import Candidate

_REASONS = {
    "fr": {"amount": "aucun montant", "count": "aucun nombre", "percent": "aucun pourcentage",
           "day": "aucune date précise", "date": "aucune date",
           "person": "aucun nom de personne", "place": "aucun lieu"},
    "en": {"amount": "no amount", "count": "no number", "percent": "no percentage",
           "day": "no exact date", "date": "no date", "person": "no person's name",
           "place": "no place"},
}


@dataclass(frozen=True)
class Judgement:
    """Confidence in 0–1 and whether to abstain (with a short reason)."""

    confidence: float
    abstain: bool
    reason: str = ""


def confidence_from_similarity(similarity: float, settings: Settings) -> float:
    """Map the best sentence's cosine similarity onto 0–1 (linear between the settings'
    floor and ceiling, clipped)."""
    lo, hi = settings.confidence_floor, settings.confidence_ceiling
    return float(min(1.0, max(0.0, (similarity - lo) / (hi - lo))))


def judge(question: str, chosen: list[Candidate], settings: Settings,
          language: str = "fr") -> Judgement:
    """Abstain when the best evidence is weak, or when the question asks for a kind of
    answer (a count, a date, a name…) that none of the chosen sentences contains."""
    if not chosen:
        return Judgement(0.0, True)
    best = max(c.similarity for c in chosen)
    confidence = confidence_from_similarity(best, settings)
    expectation = expected_answer(question)
    top = max(c.score for c in chosen)
    if expectation and not any(c.fits and c.score >= top - settings.fit_margin for c in chosen):
        reasons = _REASONS.get(language, _REASONS["fr"])
        return Judgement(confidence * 0.5, True, f"{reasons[expectation]} "
                         f"{'in the evidence' if language == 'en' else 'dans les passages'}")
    if confidence < settings.abstain_threshold:
        return Judgement(confidence, True)
    return Judgement(confidence, False)
