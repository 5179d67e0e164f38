"""The JSON and text renderings of an :class:`~rag.answer.types.Answer`, shared by the CLI,
the HTTP API and the MCP tools."""

from __future__ import annotations

from typing import Any

from rag.answer.serialize import document_json, hit_json
from rag.answer.types import NOT_IN_CORPUS, Answer, Citation
from rag.query.citations import citation_label, sources_text
from rag.records import Hit

#: a passage is "close" to an unanswered question when both the vector and the word search
#: rank it this high (a retriever that ranked nothing is not asked)
CLOSEST_MAX_RANK = 10
#: how many close passages an abstention shows
CLOSEST_SHOWN = 3


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
        "resolved_question": answer.understood,
        "answer": answer.text,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 3),
        "language": answer.language,
        "kind": answer.kind,
        "composer": answer.composer,
        "citations": [citation_json(c) for c in answer.citations],
        "passages": [hit_json(h) for h in answer.hits],
        "closest": [hit_json(h) for h in closest_hits(answer)],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "notes": list(answer.notes),
    }


def closest_hits(answer: Answer) -> list[Hit]:
    """The passages worth showing under an abstention: those both retrievers ranked in their
    top :data:`CLOSEST_MAX_RANK` (the vector search alone always finds *something*), none
    when the question names what the corpus never mentions; empty for an answer."""
    if not answer.abstained or NOT_IN_CORPUS in answer.notes:
        return []
    dense = any(h.dense_rank is not None for h in answer.hits)
    lexical = any(h.lexical_rank is not None for h in answer.hits)

    def close(rank: int | None, used: bool) -> bool:
        return not used or (rank is not None and rank <= CLOSEST_MAX_RANK)

    return [h for h in answer.hits if (dense or lexical) and close(h.dense_rank, dense)
            and close(h.lexical_rank, lexical)][:CLOSEST_SHOWN]


def sources_block(answer: Answer, *, quotes: bool = False) -> str:
    """"Sources :" and one ``[n] document, par. x`` line per citation (with the quoted
    sentence when ``quotes``); empty when the answer cites nothing."""
    if not answer.citations:
        return ""
    return sources_text([(c.marker, citation_label(c.document, c.passage),
                          c.quote if quotes else None) for c in answer.citations],
                        answer.language)


def format_answer(answer: Answer) -> str:
    """Human-readable answer with its numbered sources (after how a follow-up was
    understood)."""
    lines = [answer.text, ""]
    if answer.understood:
        label = "Compris comme" if answer.language == "fr" else "Understood as"
        lines = [f"({label} : {answer.understood})" if answer.language == "fr"
                 else f"({label}: {answer.understood})", *lines]
    if answer.citations:
        lines.append(sources_block(answer, quotes=True))
    elif closest := closest_hits(answer):
        lines.append("Passages les plus proches :" if answer.language == "fr"
                     else "Closest passages:")
        for h in closest:
            lines.append(f"- {citation_label(h.document, h.passage)} — {h.passage.text[:160]}…")
    total = answer.timings_ms.get("total", 0)
    lines.append(f"(confidence {answer.confidence:.2f}, {total:.0f} ms)")
    return "\n".join(lines)
