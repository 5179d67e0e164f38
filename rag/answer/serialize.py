"""JSON shapes shared by the CLI and the API."""

from __future__ import annotations

from typing import Any

from rag.query.citations import citation_label, paragraph_reference
from rag.records import DocumentMeta, Hit, Passage


def document_json(doc: DocumentMeta) -> dict[str, Any]:
    """The short document description attached to hits and citations."""
    return {"id": doc.id, "symbol": doc.symbol, "title": doc.title, "date": doc.date}


def passage_json(passage: Passage, doc: DocumentMeta) -> dict[str, Any]:
    """A passage with its document and reference."""
    return {
        "passage_id": passage.id,
        "text": passage.text,
        "document": document_json(doc),
        "paragraph": passage.label,
        "reference": citation_label(doc, passage),
        "paragraph_reference": paragraph_reference(passage),
        "kind": passage.kind,
        "section": list(passage.section),
        "footnotes": list(passage.footnotes),
        "parent": passage.parent,
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """A search hit: passage fields plus scores."""
    return {
        "passage_id": hit.passage.id,
        "score": round(hit.score, 6),
        **{k: v for k, v in passage_json(hit.passage, hit.document).items() if k != "passage_id"},
        "scores": {"dense": hit.dense_score, "lexical": hit.lexical_score,
                   "dense_rank": hit.dense_rank, "lexical_rank": hit.lexical_rank},
    }
