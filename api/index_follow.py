"""Keep each server worker on the newest index: read-your-writes after an upload, a
``rag add`` or a ``rag index``, whichever process or worker made it.

Every request compares the index name's current target (one ``readlink``) with the
snapshot it would use, and swaps a rebuilt index in first; a background task does the same
every ``RAG_RELOAD_POLL_SECONDS`` so idle workers are ready before the next request. A
target that fails to load is remembered and the old snapshot stays served.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from fastapi import FastAPI

from api.routes.admin import reload_pipeline
from rag.errors import RagError
from rag.pipeline import Pipeline

log = logging.getLogger("api")


def index_target(app: FastAPI) -> Path | None:
    """The build folder the configured index name points at now (None if there is none)."""
    path = app.state.settings.index_dir
    try:
        return path.resolve(strict=True)
    except OSError:
        return None


def is_stale(app: FastAPI) -> bool:
    """True when a loadable-looking index differs from the one being served."""
    target = index_target(app)
    pipeline = app.state.pipeline
    current = pipeline.index.path if pipeline is not None else None
    return target is not None and target not in (current, getattr(app.state, "failed_target",
                                                                   None))


async def follow_index(app: FastAPI) -> Pipeline | None:
    """The pipeline to serve with, after swapping in a rebuilt index if there is one."""
    if app.state.settings.reload_poll_seconds > 0 and is_stale(app):
        target = index_target(app)
        try:
            result = await reload_pipeline(app, only_if_changed=True)
            app.state.failed_target = None
            log.info(json.dumps({"event": "index_changed", **result.model_dump()}))
        except RagError as exc:
            app.state.failed_target = target
            log.error(json.dumps({"event": "reload_failed", "reason": str(exc)}))
    return app.state.pipeline


async def watch_index(app: FastAPI, every: float) -> None:
    """Background loop: follow the index every ``every`` seconds."""
    while True:
        await asyncio.sleep(every)
        await follow_index(app)
