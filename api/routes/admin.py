"""``POST /v1/admin/reload``: pick up a rebuilt index without a restart.

The new index is loaded next to the old one, then the app's pipeline reference is swapped
in one assignment: requests already running finish on the old snapshot, new ones get the
new one, none fails. ``kill -HUP <pid>`` does the same (see ``api.main``).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, SameOrigin
from api.responses import ANY_ROUTE, GUARDED, WITH_BODY, ReloadResult, error_responses

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Authorized, SameOrigin])


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
            from rag.pipeline import Pipeline

            new = await run_in_threadpool(Pipeline.load, app.state.settings,
                                          mmap=app.state.settings.mmap_index)
        else:
            new = await run_in_threadpool(old.reloaded, app.state.settings)
        app.state.pipeline = new
        app.state.load_error = None
        m = new.index.manifest
        return ReloadResult(status="reloaded", index_created=m.created, passages=m.passages,
                            previous_index_created=old.index.manifest.created if old else None)


@router.post("/reload", responses=error_responses(*ANY_ROUTE, *GUARDED, *WITH_BODY, 403, 421,
                                                     503))
async def reload(request: Request) -> ReloadResult:
    """Reload the index from disk (503 and the old index kept if the new one is unusable);
    also brings up a server that started without a usable index."""
    return await reload_pipeline(request.app)
