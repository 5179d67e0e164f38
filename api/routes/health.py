"""Liveness and readiness probes (no authentication, so no paths in what they say)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import unavailable
from api.responses import ANY_ROUTE, Health, Readiness, error_responses
from rag.answer.registry import COMPOSERS
from rag.errors import RagError, redact_paths
from rag.pipeline import Pipeline

router = APIRouter(tags=["health"])


@router.get("/healthz", responses=error_responses(*ANY_ROUTE))
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", responses=error_responses(*ANY_ROUTE, 503))
async def readyz(request: Request) -> Readiness:
    """The model and the index are loaded (503 with the reason otherwise)."""
    pipeline = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        raise unavailable(request.app)
    m = pipeline.index.manifest
    notes = list(getattr(pipeline, "caveats", ()))
    notes += await run_in_threadpool(_llm_notes, pipeline)
    return Readiness(status="ready", model=m.model, passages=m.passages,
                     documents=m.documents, index_created=m.created, faiss_index=m.faiss_index,
                     notes=notes)


def _llm_notes(pipeline: Pipeline) -> list[str]:
    """A note per configured composer whose model server does not answer (the extractive
    composer still does: the service stays ready)."""
    notes = []
    for spec in COMPOSERS:
        if not spec.configured(pipeline.settings):
            continue
        try:
            composer = pipeline.composer(spec.name)
        except RagError as exc:
            notes.append(f"composer {spec.name} unavailable: {redact_paths(str(exc))}")
            continue
        if (probe := getattr(composer, "unreachable", None)) and probe():
            # unauthenticated: the server's address stays in the log
            notes.append(f"composer {spec.name} unavailable: its model server does not answer")
    return notes
