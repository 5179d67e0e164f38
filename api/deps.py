"""Dependencies as ``Annotated`` aliases: settings, the loaded pipeline, authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from rag.pipeline import Pipeline
from rag.settings import Settings


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_pipeline(request: Request) -> Pipeline:
    """The pipeline over the newest index (swapped in first if the index was rebuilt), or
    503 with the reason (e.g. how to rebuild)."""
    from api.index_follow import follow_index

    pipeline = await follow_index(request.app)
    if pipeline is None:
        error = getattr(request.app.state, "load_error", None) or "The service is starting."
        raise ApiError(503, "not_ready", str(error))
    return pipeline


def require_api_key(request: Request) -> None:
    """With ``RAG_API_KEY`` set, demand ``Authorization: Bearer <key>`` (constant-time check)."""
    expected = request.app.state.settings.api_key
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                             expected.encode()):
        raise ApiError(401, "unauthorized", "Missing or wrong API key (Authorization: Bearer …)")


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
Authorized = Depends(require_api_key)
