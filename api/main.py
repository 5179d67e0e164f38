"""The FastAPI application: JSON API, OpenAI-compatible chat, MCP, staff web page.

The model and the index load once at startup (lifespan) and are shared by all requests.
If the index is missing or unusable the app still starts: probes and endpoints answer 503
with the reason and the rebuild command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api import mcp_server
from api.deps import check_startup
from api.errors import install_error_handlers
from api.index_follow import reload_pipeline, watch_index
from api.metrics import install_metrics
from api.middleware import (
    BodyGuard,
    CatchErrors,
    JsonCORSMiddleware,
    JsonErrors,
    RateLimit,
    SecurityHeaders,
    TimingAndLog,
    configure_json_logging,
    parse_rate_limit,
)
from api.routes import admin, ask, chat, documents, feedback, health, metrics, search
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.settings import Settings, get_settings

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("api")


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """Build the app; ``pipeline`` may be passed in (tests share one across apps)."""
    settings = settings or get_settings()
    check_startup(settings)
    configure_json_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline = pipeline
        app.state.load_error = None
        app.state.reload_lock = asyncio.Lock()
        # a few threads run questions: more only add per-thread memory on a small CPU
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        _install_sighup(app)
        try:  # uploads a killed request or server left staged
            await run_in_threadpool(documents.sweep_uploads, settings)
        except OSError as exc:
            log.warning('{"event": "upload_sweep_failed", "reason": %s}', _json_str(str(exc)))
        if pipeline is None:
            try:
                app.state.pipeline = await run_in_threadpool(
                    Pipeline.load, settings, mmap=settings.mmap_index)
                log.info('{"event": "ready"}')
            except RagError as exc:
                app.state.load_error = exc
                log.error('{"event": "not_ready", "reason": %s}', _json_str(str(exc)))
        watcher = None
        if settings.reload_poll_seconds > 0:
            watcher = asyncio.ensure_future(watch_index(app, settings.reload_poll_seconds))
        async with app.state.mcp.running():  # MCP sessions live as long as the app
            yield
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    app = FastAPI(title="UN regional cooperation Q&A", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, ask, search, documents, chat, feedback, admin, metrics):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.mcp = mcp_server.mount(app)  # /mcp: the MCP tools, same key and middleware
    # Added innermost first; a response passes the outer ones last, so CORS, the JSON error
    # shape, the security headers and the log cover every answer, the guards' included.
    app.add_middleware(CatchErrors)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes,
                       upload_paths={"/v1/documents": settings.max_upload_bytes},
                       timeout=settings.body_timeout_seconds,
                       upload_timeout=settings.upload_timeout_seconds)
    if settings.rate_limit:
        parse_rate_limit(settings.rate_limit)  # a wrong rate fails at start, not per request
        app.add_middleware(RateLimit, limit=settings.rate_limit,
                           trust_proxy=settings.trust_proxy)
    if settings.cors_origins:
        app.add_middleware(JsonCORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["*"])
    app.add_middleware(JsonErrors)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TimingAndLog)
    install_metrics(app)  # outermost: times and counts every answer, the guards' included
    return app


def _install_sighup(app: FastAPI) -> None:
    """``kill -HUP`` reloads the index (where the platform has signals)."""
    def on_hup() -> None:
        async def run() -> None:
            try:
                result = await reload_pipeline(app)
                log.info(_json_str(str(result.model_dump())))
            except RagError as exc:
                log.error('{"event": "reload_failed", "reason": %s}', _json_str(str(exc)))

        app.state.reload_task = asyncio.ensure_future(run())

    # not the main thread (tests) or no signals on this platform: reload via the endpoint
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, on_hup)


def _json_str(text: str) -> str:
    return json.dumps(text)
