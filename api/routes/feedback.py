"""``POST /v1/feedback``: an evaluator's 👍 / 👎 and comment on an answer.

Stored append-only under the index root (:mod:`rag.feedback`), counted in ``/metrics``
(``unrag_feedback_total{verdict}``), exported as draft gold questions by
``rag feedback export``. Behind the API key, and refused cross-site like the other routes
that write (a web page elsewhere cannot fill the file).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, SameOrigin
from api.errors import REQUEST_ID
from api.metrics import count_feedback
from api.responses import ANY_ROUTE, GUARDED, WITH_BODY, FeedbackReceipt, error_responses
from api.schemas import FeedbackRequest
from api.validation import clean_question, clean_turn, without_controls
from rag.feedback import append_feedback

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Authorized, SameOrigin])


def _text(text: str | None) -> str | None:
    """Control characters removed (line breaks kept), ends stripped; None when empty."""
    if text is None:
        return None
    return without_controls(text).strip() or None


def feedback_record(body: FeedbackRequest, request: Request) -> dict[str, Any]:
    """What is stored: the request cleaned, the request id, and for each citation the
    document file of its passage in the served index (None when it is not there), with
    the index version."""
    settings = request.app.state.settings
    pipeline = getattr(request.app.state, "pipeline", None)
    index = pipeline.index if pipeline is not None else None
    citations = []
    for c in body.citations:
        passage = index.passage(c.passage_id) if index is not None else None
        meta = index.documents.get(passage.doc_id) if passage is not None else None
        citations.append({"marker": c.marker, "passage_id": _text(c.passage_id) or "",
                          "reference": _text(c.reference), "quote": _text(c.quote),
                          "doc_id": meta.id if meta else None,
                          "file": meta.file if meta else None})
    manifest = index.manifest if index is not None else None
    return {
        "request_id": REQUEST_ID.get(), "verdict": body.verdict, "comment": _text(body.comment),
        "answer_id": body.answer_id, "question": clean_question(body.question, settings),
        "resolved_question": _text(body.resolved_question),
        "history": [{"role": t.role, "content": clean_turn(t.content, settings)}
                    for t in body.history or () if t.content.strip()] or None,
        "answer": _text(body.answer) or "", "abstained": body.abstained,
        "language": body.language, "kind": _text(body.kind), "composer": _text(body.composer),
        "confidence": body.confidence, "citations": citations,
        "index": {"created": manifest.created, "corpus_hash": manifest.corpus_hash[:16],
                  "model": manifest.model} if manifest else None}


@router.post("/feedback", status_code=201,
             responses=error_responses(*ANY_ROUTE, *GUARDED, *WITH_BODY, 403, 421, 422, 507))
async def feedback(body: FeedbackRequest, request: Request) -> FeedbackReceipt:
    """Store a verdict (up/down) and an optional comment on an answer; 507 when the
    feedback file is full (RAG_FEEDBACK_MAX_BYTES)."""
    record = feedback_record(body, request)
    stored = await run_in_threadpool(append_feedback,
                                     request.app.state.settings.feedback_options(), record)
    count_feedback(request, body.verdict)
    return FeedbackReceipt(id=stored["id"], received=stored["received"],
                           verdict=stored["verdict"], answer_id=stored["answer_id"])
