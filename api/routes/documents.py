"""Documents and passages of the index.

``POST /v1/documents`` (multipart, field ``file``, one or more files) adds or replaces
documents and ``DELETE /v1/documents/{id}`` removes one; the index is updated (only new
text is embedded) and swapped in before the response, so the next question can use it.

Each upload is staged in its own folder under ``<index root>/.uploads`` while it is
indexed; folders a killed request or server left there are removed at start-up and before
each upload (:func:`sweep_uploads`).

Passage ids look like ``004_69fee26534a39183#p100``: address them either URL-encoded
(``/v1/passages/004_69fee26534a39183%23p100``) or with a slash instead of ``#``
(``/v1/passages/004_69fee26534a39183/p100``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, PipelineDep, SameOrigin
from api.errors import ApiError
from api.i18n import say
from api.index_follow import reload_pipeline
from api.responses import (
    ANY_ROUTE,
    GUARDED,
    WITH_BODY,
    CorpusChange,
    DocumentDetail,
    DocumentListResponse,
    PassageDetail,
    error_responses,
)
from rag.answer.serialize import passage_json
from rag.corpus import ChangeReport, add_documents, remove_documents
from rag.errors import UnknownDocument, UnknownPassage
from rag.ingest.atomic_folder import pid_alive
from rag.ingest.cards import card_json
from rag.ingest.documents import check_file_name
from rag.ingest.sources import SUPPORTED_SUFFIXES
from rag.pipeline import Pipeline
from rag.query.citations import document_reference
from rag.records import DocumentCard

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[Authorized])
log = logging.getLogger("api")

#: a staging folder whose process cannot be checked (another machine, an older name) is
#: stale after this long; one whose process is known, once that process is gone (or after
#: STALE_OWNED_SECONDS, should its number have been reused)
STALE_UPLOAD_SECONDS = 3600.0
STALE_OWNED_SECONDS = 86400.0
_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:64]
_STAGED = re.compile(r"\.upload-(\d+)@([A-Za-z0-9._]*)-")


def document_summary(pipeline: Pipeline, doc_id: str) -> dict[str, Any]:
    """A document's metadata, reference, passage count and card (the API's and MCP's
    listing)."""
    meta = pipeline.index.documents[doc_id]
    count = sum(1 for p in pipeline.index.passages if p.doc_id == doc_id)
    source = pipeline.index.sources.get(doc_id)
    card = pipeline.index.cards.get(doc_id) or DocumentCard(doc_id, ())
    return {"id": meta.id, "symbol": meta.symbol, "title": meta.title, "date": meta.date,
            "author": meta.author, "kind": meta.kind, "presidency": meta.presidency,
            "language": meta.language, "original_language": meta.original_language,
            "reference": document_reference(meta), "passages": count, "file": meta.file,
            "format": source.format if source else None,
            "pages": source.pages if source else None,
            "added": source.added if source else None, "card": card_json(card)}


@router.get("/documents", responses=error_responses(*ANY_ROUTE, *GUARDED, 503))
async def list_documents(pipeline: PipelineDep) -> DocumentListResponse:
    """Every indexed document with its metadata."""
    return DocumentListResponse.model_validate(
        {"documents": [document_summary(pipeline, d) for d in pipeline.index.documents]})


def document_detail(pipeline: Pipeline, doc_id: str) -> dict[str, Any]:
    """A document's summary and its passages in reading order (also the MCP resource)."""
    if doc_id not in pipeline.index.documents:
        raise UnknownDocument(f"Unknown document {doc_id!r}; see GET /v1/documents")
    passages = [{"passage_id": p.id, "paragraph": p.label, "kind": p.kind,
                 "section": list(p.section), "text": p.text}
                for p in pipeline.index.passages if p.doc_id == doc_id]
    return {**document_summary(pipeline, doc_id), "passage_ids": [p["passage_id"]
                                                                  for p in passages],
            "passage_list": passages}


@router.get("/documents/{doc_id}", responses=error_responses(*ANY_ROUTE, *GUARDED,
                                                              404, 422, 503))
async def get_document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    """One document's metadata and its passages in reading order."""
    return DocumentDetail.model_validate(document_detail(pipeline, doc_id))


@router.get("/passages/{passage_ref:path}", responses=error_responses(*ANY_ROUTE, *GUARDED,
                                                                      404, 422, 503))
async def get_passage(passage_ref: str, pipeline: PipelineDep) -> PassageDetail:
    """One passage by id (``doc#p12`` URL-encoded, or ``doc/p12``)."""
    passage_id = passage_ref if "#" in passage_ref else passage_ref.replace("/", "#", 1)
    passage = pipeline.index.passage(passage_id)
    if passage is None:
        raise UnknownPassage(f"Unknown passage {passage_id!r}")
    return PassageDetail.model_validate(
        passage_json(passage, pipeline.index.documents[passage.doc_id]))


async def _apply(request: Request, change: Any, *args: Any, **kwargs: Any) -> ChangeReport:
    """Run a corpus change off the event loop, then swap the new index in."""
    app = request.app
    pipeline = getattr(app.state, "pipeline", None)
    settings = app.state.settings
    report: ChangeReport = await run_in_threadpool(
        change, settings, *args, embedder=pipeline.embedder if pipeline else None,
        lock_timeout=settings.corpus_lock_seconds, **kwargs)
    if report.index is not None:
        await reload_pipeline(app)
    return report


def _upload_name(upload: UploadFile) -> str:
    """The upload's file name without its folders; 422 for control characters (NUL…),
    415 for an unsupported suffix."""
    name = check_file_name(Path((upload.filename or "").replace("\\", "/")).name)
    if not name or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ApiError(415, "unsupported_type", say(
            "upload_name", name=name or say("unnamed_file"),
            suffixes=", ".join(SUPPORTED_SUFFIXES)))
    return name


#: an upload or a removal: refused cross-site (403) or under a foreign host name without a
#: key (421), another change running (409), the updated index unusable (503)
_CHANGE_ERRORS = (*ANY_ROUTE, *GUARDED, *WITH_BODY, 403, 409, 421, 422, 503)


@router.post("/documents", status_code=201, dependencies=[SameOrigin],
             responses=error_responses(*_CHANGE_ERRORS, 415))
async def upload_documents(request: Request,
                           file: Annotated[list[UploadFile], File(description="document(s)")]
                           ) -> CorpusChange:
    """Add or replace documents (PDF, DOCX, HTML, TXT, MD); answers once they are indexed."""
    settings = request.app.state.settings
    names = [_upload_name(f) for f in file]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ApiError(422, "invalid_request", say("same_name_twice", names=", ".join(twice)))
    folder = _upload_dir(settings)
    await run_in_threadpool(sweep_uploads, settings)
    with tempfile.TemporaryDirectory(prefix=f".upload-{os.getpid()}@{_HOST}-",
                                     dir=folder) as tmp:
        paths = []
        for n, (upload, name) in enumerate(zip(file, names, strict=True)):
            # saved under a short name of its own; the library gets the name as given
            path = Path(tmp) / f"{n}{Path(name).suffix.lower()}"
            with path.open("wb") as out:
                await run_in_threadpool(shutil.copyfileobj, upload.file, out)
            paths.append(path)
        report = await _apply(request, add_documents, paths, names=names)
    return CorpusChange.model_validate(report.as_json())


@router.delete("/documents/{doc_id}", dependencies=[SameOrigin],
               responses=error_responses(*_CHANGE_ERRORS, 404))
async def delete_document(doc_id: str, request: Request) -> CorpusChange:
    """Remove a document from the corpus and the index."""
    report = await _apply(request, remove_documents, [doc_id])
    return CorpusChange.model_validate(report.as_json())


def _upload_dir(settings: Any) -> Path:
    folder = settings.index_root / ".uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stale(entry: Path, now: float) -> bool:
    """Whether an upload staging folder was left by a request that will never finish."""
    try:
        age = now - entry.lstat().st_mtime
    except OSError:
        return False
    owner = _STAGED.match(entry.name)
    if owner is None or owner.group(2) != _HOST:
        return age > STALE_UPLOAD_SECONDS
    return age > STALE_OWNED_SECONDS or not pid_alive(int(owner.group(1)))


def sweep_uploads(settings: Any) -> int:
    """Remove the staging folders of uploads whose process is gone (a killed request or
    server), or that are over :data:`STALE_UPLOAD_SECONDS` old when their process cannot
    be checked; returns how many, and logs them."""
    folder = settings.index_root / ".uploads"
    if not folder.is_dir():
        return 0
    now = time.time()
    removed = 0
    for entry in folder.iterdir():
        if not entry.name.startswith(".upload-") or not _stale(entry, now):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += not entry.exists()
    if removed:
        log.info(json.dumps({"event": "stale_uploads_removed", "count": removed}))
    return removed
