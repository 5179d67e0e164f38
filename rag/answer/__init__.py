"""Answers with verified citations: the ``Answer`` value, the one-method ``Composer``
protocol, and the JSON/text renderings shared by CLI and API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.citations import citation_label
from rag.records import DocumentMeta, Hit, Passage
from rag.serialize import document_json, hit_json

if TYPE_CHECKING:
    from rag.question import Part, QuestionPlan


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
    kind: str = "factoid"  # the question's kind (rag.question)
    signals: dict[str, float] = field(default_factory=dict)  # inputs of the confidence model


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


def citation_json(c: Citation) -> dict[str, Any]:
    """A citation as the API and ``--json`` print it."""
    return {
        "marker": c.marker,
        "passage_id": c.passage.id,
        "role": c.passage.role,
        "document": document_json(c.document),
        "paragraph": c.passage.label,
        "reference": citation_label(c.document, c.passage),
        "section": list(c.passage.section),
        "quote": c.quote,
        "text": c.passage.text,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    """The response object of ``rag ask --json`` and ``POST /v1/ask``."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 3),
        "language": answer.language,
        "kind": answer.kind,
        "composer": answer.composer,
        "citations": [citation_json(c) for c in answer.citations],
        "passages": [hit_json(h) for h in answer.hits],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "notes": list(answer.notes),
    }


def sources_block(answer: Answer, *, quotes: bool = False) -> str:
    """"Sources :" and one ``[n] document, par. x`` line per citation (with the quoted
    sentence when ``quotes``); empty when the answer cites nothing."""
    if not answer.citations:
        return ""
    lines = ["Sources :" if answer.language == "fr" else "Sources:"]
    for c in answer.citations:
        line = f"[{c.marker}] {citation_label(c.document, c.passage)}"
        lines.append(f"{line} — « {c.quote} »" if quotes else line)
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    """Human-readable answer with its numbered sources."""
    lines = [answer.text, ""]
    if answer.citations:
        lines.append(sources_block(answer, quotes=True))
    elif answer.hits:
        lines.append("Passages les plus proches :" if answer.language == "fr"
                     else "Closest passages:")
        for h in answer.hits[:3]:
            lines.append(f"- {citation_label(h.document, h.passage)} — {h.passage.text[:160]}…")
    total = answer.timings_ms.get("total", 0)
    lines.append(f"(confidence {answer.confidence:.2f}, {total:.0f} ms)")
    return "\n".join(lines)
