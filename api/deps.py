"""Dependencies as ``Annotated`` aliases: settings, the loaded pipeline, authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ApiError, rag_error_status
from api.i18n import rag_message, say
from api.index_follow import follow_index
from rag.errors import RagError, redact_paths
from rag.pipeline import Pipeline
from rag.settings import KEY_HINT, Settings


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def unavailable(app: FastAPI) -> ApiError:
    """Why ``app`` has no pipeline: the named reason (index_not_built, index_corrupt…, with
    how to rebuild) or ``not_ready`` while starting; absolute paths removed."""
    error = getattr(app.state, "load_error", None)
    if isinstance(error, RagError):
        status, code = rag_error_status(error)
        return ApiError(status, code, rag_message(code, redact_paths(str(error)), error))
    return ApiError(503, "not_ready", redact_paths(str(error)) if error else say("not_ready"))


async def get_pipeline(request: Request) -> Pipeline:
    """The pipeline over the newest index (swapped in first if the index was rebuilt), or
    503 with the reason (e.g. how to rebuild)."""
    pipeline = await follow_index(request.app)
    if pipeline is None:
        raise unavailable(request.app)
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
        raise StarletteHTTPException(401, say("unauthorized"),
                                     headers={"WWW-Authenticate": 'Bearer realm="unrag"'})


def check_startup(settings: Settings) -> None:
    """Refuse to serve outside development without an API key."""
    if settings.requires_key and not settings.api_key:
        raise RagError(f"RAG_ENVIRONMENT={settings.environment} needs RAG_API_KEY (a random "
                       f"key, e.g. from {KEY_HINT}); refusing to start without one")


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
Authorized = Depends(require_api_key)


#: host names a server always answers under (with or without a port)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def host_name(host: str) -> str:
    """The name part of a ``Host`` header, lower case: ``Rag.Example.org:8000`` →
    ``rag.example.org``, ``[::1]:8000`` → ``[::1]``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[:host.index("]") + 1] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    elif host.count(":") > 1:  # a bare IPv6 address
        host = f"[{host}]"
    return host.rstrip(".")


def served_hosts(settings: Settings) -> tuple[str, ...]:
    """The host names under which a server without an API key accepts changes and
    ``/mcp``: loopback and ``RAG_ALLOWED_HOSTS`` (the guard against DNS rebinding)."""
    return (*LOOPBACK_HOSTS, *(host_name(h) for h in settings.allowed_hosts))


def same_origin_only(request: Request) -> None:
    """State-changing admin routes refuse requests a browser sends from another site (a
    cross-site form can POST without CORS preflight); API clients send no ``Origin``.
    Without an API key they also answer only requests addressed to this machine by a name
    it serves (:func:`served_hosts`; 421 otherwise), or a page under a host name that an
    attacker re-pointed at this machine (DNS rebinding) would be same-origin."""
    settings = request.app.state.settings
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise ApiError(403, "cross_site", say("cross_site"))
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin not in settings.cors_origins:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin.rstrip("/") != own:
            raise ApiError(403, "cross_site", say("cross_origin", origin=origin))
    elif origin == "null":
        raise ApiError(403, "cross_site", say("opaque_origin"))
    host = request.headers.get("host", "")
    if not settings.api_key and host_name(host) not in served_hosts(settings):
        raise ApiError(421, "misdirected_request", say("misdirected_request",
                                                       host=repr(host[:100])))


SameOrigin = Depends(same_origin_only)
