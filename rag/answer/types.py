"""The values composers exchange: a retrieval pass (``Evidence``), the composed ``Answer``
with its ``Citation``\\ s, the one-method ``Composer`` protocol, and what a composer
factory gets (``ComposerInputs``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from rag.answer.calibration import Calibrator
    from rag.answer.options import ExtractiveOptions, LLMOptions
    from rag.index.load import Index
    from rag.query.plan import Part, QuestionPlan
    from rag.records import DocumentMeta, Hit, Passage


@dataclass(frozen=True)
class Evidence:
    """One retrieval pass of a question plan: a part of the question, optionally restricted
    to one document, with the passages found (best first) and the query vector."""

    part: Part
    hits: tuple[Hit, ...]
    vector: np.ndarray
    document: str | None = None  # the document this pass was restricted to


@dataclass(frozen=True)
class Citation:
    """``[marker]`` in the answer text → this passage, and the sentence quoted from it."""

    marker: int
    passage: Passage
    document: DocumentMeta
    quote: str


#: the note of an abstention on something the corpus never names
NOT_IN_CORPUS = "not covered by the corpus"


@dataclass(frozen=True)
class Answer:
    """A composed answer."""

    question: str
    text: str
    abstained: bool
    confidence: float
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    language: str = "fr"
    composer: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # e.g. sentences an LLM left without a valid citation
    kind: str = "factoid"  # the question's kind (rag.query.plan)
    signals: dict[str, float] = field(default_factory=dict)  # inputs of the confidence model
    understood: str | None = None  # a chat follow-up as understood, when not as typed


def merge_hits(evidence: list[Evidence]) -> list[Hit]:
    """The passes' hits interleaved (best of each pass first), without repeats."""
    merged: dict[str, Hit] = {}
    for rank in range(max((len(ev.hits) for ev in evidence), default=0)):
        for ev in evidence:
            if rank < len(ev.hits):
                merged.setdefault(ev.hits[rank].passage.id, ev.hits[rank])
    return list(merged.values())


class Composer(Protocol):
    """Turns retrieved passages into an answer."""

    name: str

    def compose(self, plan: QuestionPlan, evidence: list[Evidence]) -> Answer:
        """Compose an answer to the planned question from its retrieval passes."""
        ...


#: calibrated probability that the evidence of a plan answers it
Judge = Callable[["QuestionPlan", list[Evidence]], float]


@dataclass(frozen=True)
class ComposerInputs:
    """What a composer factory (:mod:`rag.answer.registry`) may use; each composer takes
    its own options (:mod:`rag.answer.options`), never the settings."""

    extractive: ExtractiveOptions
    llm: LLMOptions
    index: Index
    calibrator: Calibrator | None = None  # the confidence model (None: the shipped one)
    judge: Judge | None = None  # the extractive composer's, for composers that cannot judge
    gate: Composer | None = None  # the extractive composer: its abstentions and fallback
