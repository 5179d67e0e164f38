"""``GET /metrics``: Prometheus text exposition (see :mod:`api.metrics`).

Behind the API key when one is set (``Authorization: Bearer``, which Prometheus sends with
``authorization: {credentials_file: …}`` in its scrape config): the numbers tell traffic,
error rates and corpus size, more than the key-less health probes should. Never rate
limited.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import Authorized
from api.responses import ANY_ROUTE, error_responses

router = APIRouter(tags=["operations"], dependencies=[Authorized])


_EXPOSITION = {"description": "The Prometheus text exposition format.",
               "content": {"text/plain": {"schema": {"type": "string"}}}}


@router.get("/metrics", response_class=Response,
            responses={200: _EXPOSITION, **error_responses(*ANY_ROUTE, 401)})
async def metrics(request: Request) -> Response:
    """Request, answer and index metrics in the Prometheus text format."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
