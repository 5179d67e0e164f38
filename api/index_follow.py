"""Keep each server worker on the newest index: read-your-writes after an upload, a
``rag add`` or a ``rag index``, whichever process or worker made it.

Every request compares the index name's current target (one ``readlink``) with the
snapshot it would use, and swaps a rebuilt index in first; a background task does the same
every ``RAG_RELOAD_POLL_SECONDS`` so idle workers are ready before the next request. A
target that fails to load is remembered and the old snapshot stays served.

:func:`reload_pipeline` swaps an index in: for the follower, ``POST /v1/admin/reload``
(:mod:`api.routes.admin`), SIGHUP (:mod:`api.main`) and uploads (:mod:`api.routes.documents`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.responses import ReloadResult
from rag.errors import RagError
from rag.pipeline import Pipeline

log = logging.getLogger("api")


async def reload_pipeline(app: FastAPI, only_if_changed: bool = False) -> ReloadResult:
    """Load the index now on disk and swap it in (one reload at a time); with
    ``only_if_changed``, not if another caller swapped the same build in meanwhile."""
    lock: asyncio.Lock = app.state.reload_lock
    async with lock:
        old = app.state.pipeline
        if only_if_changed and old is not None and \
                app.state.settings.index_dir.resolve() == old.index.path:
            m = old.index.manifest  # a concurrent caller swapped it in already
            return ReloadResult(status="current", index_created=m.created,
                                passages=m.passages, previous_index_created=m.created)
        if old is None:
            new = await run_in_threadpool(Pipeline.load, app.state.settings,
                                          mmap=app.state.settings.mmap_index)
        else:
            new = await run_in_threadpool(old.reloaded, app.state.settings)
        app.state.pipeline = new
        app.state.load_error = None
        m = new.index.manifest
        return ReloadResult(status="reloaded", index_created=m.created, passages=m.passages,
                            previous_index_created=old.index.manifest.created if old else None)


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
