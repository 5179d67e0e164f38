"""Documents and passages of the index.

Passage ids look like ``004_69fee26534a39183#p100``: address them either URL-encoded
(``/v1/passages/004_69fee26534a39183%23p100``) or with a slash instead of ``#``
(``/v1/passages/004_69fee26534a39183/p100``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Authorized, PipelineDep
from rag.citations import document_reference
from rag.errors import UnknownDocument, UnknownPassage
from rag.serialize import passage_json

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[Authorized])


def _document_summary(pipeline: PipelineDep, doc_id: str) -> dict[str, Any]:
    meta = pipeline.index.documents[doc_id]
    count = sum(1 for p in pipeline.index.passages if p.doc_id == doc_id)
    return {"id": meta.id, "symbol": meta.symbol, "title": meta.title, "date": meta.date,
            "author": meta.author, "kind": meta.kind, "presidency": meta.presidency,
            "language": meta.language, "original_language": meta.original_language,
            "reference": document_reference(meta), "passages": count}


@router.get("/documents")
async def list_documents(pipeline: PipelineDep) -> dict[str, Any]:
    """Every indexed document with its metadata."""
    return {"documents": [_document_summary(pipeline, d) for d in pipeline.index.documents]}


@router.get("/documents/{doc_id}")
async def get_document(doc_id: str, pipeline: PipelineDep) -> dict[str, Any]:
    """One document's metadata and its passages in reading order."""
    if doc_id not in pipeline.index.documents:
        raise UnknownDocument(f"Unknown document {doc_id!r}; see GET /v1/documents")
    passages = [{"passage_id": p.id, "paragraph": p.label, "kind": p.kind,
                 "section": list(p.section), "text": p.text}
                for p in pipeline.index.passages if p.doc_id == doc_id]
    return {**_document_summary(pipeline, doc_id), "passage_ids": [p["passage_id"]
                                                                   for p in passages],
            "passage_list": passages}


@router.get("/passages/{passage_ref:path}")
async def get_passage(passage_ref: str, pipeline: PipelineDep) -> dict[str, Any]:
    """One passage by id (``doc#p12`` URL-encoded, or ``doc/p12``)."""
    passage_id = passage_ref if "#" in passage_ref else passage_ref.replace("/", "#", 1)
    passage = pipeline.index.passage(passage_id)
    if passage is None:
        raise UnknownPassage(f"Unknown passage {passage_id!r}")
    return passage_json(passage, pipeline.index.documents[passage.doc_id])
