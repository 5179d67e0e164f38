"""``POST /v1/search``: ranked passages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, PipelineDep, SettingsDep
from api.responses import ANY_ROUTE, GUARDED, WITH_BODY, SearchResponse, error_responses
from api.schemas import SearchRequest
from api.validation import clean_question
from rag.answer.serialize import hit_json

router = APIRouter(prefix="/v1", tags=["search"], dependencies=[Authorized])


@router.post("/search", responses=error_responses(*ANY_ROUTE, *GUARDED, *WITH_BODY,
                                                     404, 422, 503))
async def search(body: SearchRequest, pipeline: PipelineDep,
                 settings: SettingsDep) -> SearchResponse:
    """The passages that best match ``query``, with their fused scores."""
    query = clean_question(body.query, settings, "query")
    hits = await run_in_threadpool(pipeline.search, query, body.top_k, body.documents)
    return SearchResponse.model_validate({"query": query, "hits": [hit_json(h) for h in hits]})
