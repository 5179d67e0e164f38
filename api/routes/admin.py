"""``POST /v1/admin/reload``: pick up a rebuilt index without a restart.

The new index is loaded next to the old one, then the app's pipeline reference is swapped
in one assignment: requests already running finish on the old snapshot, new ones get the
new one, none fails. ``kill -HUP <pid>`` does the same (see ``api.main``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import Authorized, SameOrigin
from api.index_follow import reload_pipeline
from api.responses import ANY_ROUTE, GUARDED, WITH_BODY, ReloadResult, error_responses

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Authorized, SameOrigin])


@router.post("/reload", responses=error_responses(*ANY_ROUTE, *GUARDED, *WITH_BODY, 403, 421,
                                                     503))
async def reload(request: Request) -> ReloadResult:
    """Reload the index from disk (503 and the old index kept if the new one is unusable);
    also brings up a server that started without a usable index."""
    return await reload_pipeline(request.app)
