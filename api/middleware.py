"""ASGI middleware: request-body guard (duplicate framing headers, size, time, UTF-8), rate
limit, CORS with JSON rejections, JSON shape for every error, security headers, timing header
and JSON access log. Order (outermost first) is set in :func:`api.main.create_app`."""

from __future__ import annotations

import asyncio
import http
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import HTTP_ERROR_CODES, REQUEST_ID, error_body, error_response
from api.i18n import LANGUAGE, http_phrase, negotiate, say

access_log = logging.getLogger("api.access")
error_log = logging.getLogger("api")

#: request headers that must not appear twice: the guard and the app could read different ones
SINGLE_HEADERS = (b"content-type", b"content-length", b"transfer-encoding")

class BodyGuard:
    """Rejects, before any route sees them: requests with a framing header twice (400),
    bodies over ``max_bytes`` (413), bodies not received within ``timeout`` seconds (408) and
    JSON bodies that are not UTF-8 (400). Rejections close the connection."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 upload_paths: dict[str, int] | None = None, timeout: float = 30.0,
                 upload_timeout: float | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.upload_paths = upload_paths or {}
        self.timeout = timeout
        self.upload_timeout = upload_timeout if upload_timeout is not None else timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_headers = scope.get("headers") or []
        for name in SINGLE_HEADERS:
            if sum(1 for key, _ in raw_headers if key.lower() == name) > 1:
                await self._reject(scope, receive, send, 400, "duplicate_header",
                                   say("duplicate_header", name=name.decode()))
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/")
        upload = path in self.upload_paths
        limit = self.upload_paths.get(path, self.max_bytes)
        timeout = self.upload_timeout if upload else self.timeout
        headers = dict(raw_headers)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, 413, "body_too_large",
                               say("body_too_large", limit=limit))
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                await self._reject(scope, receive, send, 408, "body_timeout",
                                   say("body_timeout", timeout=f"{timeout:g}"))
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > limit:
                await self._reject(scope, receive, send, 413, "body_too_large",
                                   say("body_too_large", limit=limit))
                return
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b""):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                await self._reject(scope, receive, send, 400, "invalid_utf8",
                                   say("invalid_utf8"))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, status: int, code: str,
                      message: str) -> None:
        # close: the rest of an unread body must not be taken for the next request
        await error_response(status, code, message, headers={"Connection": "close"})(
            scope, receive, send)


def parse_rate_limit(limit: str) -> list[Any]:
    """``limits`` items of a rate such as ``120/minute`` or ``10/second;600/hour``."""
    try:
        return parse_many(limit)
    except ValueError as exc:
        raise ValueError(f"RAG_RATE_LIMIT={limit!r} is not a rate such as '120/minute' "
                         f"({exc})") from exc


class RateLimit:
    """Per-client request limit (``limits`` moving window, in process memory): 429 with
    ``Retry-After`` beyond it. The client is the TCP peer, or with ``trust_proxy`` the last
    ``X-Forwarded-For`` entry (the address the reverse proxy saw; earlier entries are
    whatever the client claimed)."""

    def __init__(self, app: ASGIApp, limit: str, trust_proxy: bool = False,
                 exempt: Iterable[str] = ("/healthz", "/readyz", "/metrics")) -> None:

        self.app, self.trust_proxy, self.exempt = app, trust_proxy, frozenset(exempt)
        self.items = parse_rate_limit(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def client_key(self, scope: Scope) -> str:
        """The address requests are counted under."""
        if self.trust_proxy:
            forwarded = [v.decode("latin-1") for k, v in scope.get("headers") or []
                         if k == b"x-forwarded-for"]
            hops = [h.strip() for h in ",".join(forwarded).split(",") if h.strip()]
            if hops:
                return hops[-1]
        client = scope.get("client")
        return client[0] if client else "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") in self.exempt:
            await self.app(scope, receive, send)
            return
        key = self.client_key(scope)
        over = [item for item in self.items if not self.limiter.test(item, key)]
        if not over:
            for item in self.items:
                self.limiter.hit(item, key)
            await self.app(scope, receive, send)
            return
        reset = max(self.limiter.get_window_stats(item, key).reset_time for item in over)
        retry = max(1, math.ceil(reset - time.time()))
        await error_response(
            429, "rate_limited", say("rate_limited", limit=over[0], retry=retry),
            headers={"Retry-After": str(retry)})(scope, receive, send)


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware whose preflight rejections use the JSON error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-type", "content-length")}
        detail = bytes(response.body).decode("utf-8", "replace")
        return error_response(response.status_code, "cors_rejected",
                              say("cors_rejected", detail=detail), headers=headers)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class JsonErrors:
    """Rewrites any 4xx/5xx response that is not JSON (Starlette's own plain-text answers:
    static-file range errors, …) into ``{"error": {"code", "message"}}``, keeping its
    status and headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and "json" not in content_type:
                    held = message
                    return
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                status = held["status"]
                text = b"".join(chunks).decode("utf-8", "replace").strip()
                text = http_phrase(status, text or _phrase(status))
                body = json.dumps(error_body(HTTP_ERROR_CODES.get(status, "http_error"),
                                             text)).encode()
                headers = [(k, v) for k, v in held.get("headers", [])
                           if k.lower() not in (b"content-type", b"content-length",
                                                b"content-language")]
                headers += [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"content-language", LANGUAGE.get().encode())]
                await send({**held, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                held = None
                return
            elif held is not None:  # another kind of body message: pass the original through
                await send(held)
                held = None
            await send(message)

        await self.app(scope, receive, rewrite)


class CatchErrors:
    """Innermost guard: an unexpected exception becomes the JSON 500 *here*, inside the CORS
    and header middleware (Starlette's own 500 is written outside them), and is logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:  # a response cut short: the server must close the connection
                raise
            error_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            # answered in full and not re-raised, so a keep-alive connection stays usable
            await error_response(500, "internal_error",
                                 say("internal_error"))(scope, receive, send)


PAGE_CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
#: FastAPI's /docs and /redoc load Swagger UI / ReDoc from a CDN with an inline script
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'")


class SecurityHeaders:
    """``Content-Security-Policy``, ``X-Frame-Options``, ``X-Content-Type-Options`` and
    ``Referrer-Policy`` on every response (a route may set its own)."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str] = ("/docs", "/redoc")) -> None:
        self.app, self.docs_paths = app, tuple(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(self.docs_paths) else PAGE_CSP
        extra = [(b"content-security-policy", csp.encode()),
                 (b"x-frame-options", b"DENY"),
                 (b"x-content-type-options", b"nosniff"),
                 (b"referrer-policy", b"no-referrer")]

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)


#: an incoming ``X-Request-ID`` is kept if it looks like an id (else a new one is made)
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def incoming_request_id(scope: Scope) -> str | None:
    """The client's or proxy's ``X-Request-ID`` if it is a sane id, else None."""
    for key, value in scope.get("headers") or []:
        if key.lower() == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if REQUEST_ID_PATTERN.fullmatch(text) else None
    return None


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (``/v1/documents/{doc_id}``), None if none matched;
    set by the router on the shared scope, so known once the app has answered."""
    return getattr(scope.get("route"), "path", None)


class TimingAndLog:
    """Adds ``Server-Timing: app;dur=…`` and ``X-Request-ID`` (the incoming one if sane, else
    a new one; also in JSON error bodies), sets the language of the API's messages from
    ``Accept-Language`` (:mod:`api.i18n`) and writes one JSON access log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        accepted = [v.decode("latin-1") for k, v in scope.get("headers") or []
                    if k.lower() == b"accept-language"]
        language = LANGUAGE.set(negotiate(",".join(accepted)))
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed = (time.perf_counter() - started) * 1000
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"x-request-id"]
                timing = f"app;dur={elapsed:.1f}".encode()
                for i, (key, value) in enumerate(headers):
                    if key.lower() == b"server-timing":
                        headers[i] = (key, value + b", " + timing)
                        break
                else:
                    headers.append((b"server-timing", timing))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            REQUEST_ID.reset(token)
            LANGUAGE.reset(language)
            access_log.info(json.dumps({
                "event": "request", "request_id": request_id, "method": scope["method"],
                "path": scope["path"], "route": route_template(scope), "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }))


class JsonFormatter(logging.Formatter):
    """One JSON object per log line."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"level": record.levelname, "logger": record.name,
                                   "time": round(record.created, 3)}
        message = record.getMessage()
        try:
            parsed = json.loads(message)
            payload.update(parsed if isinstance(parsed, dict) else {"message": message})
        except ValueError:
            payload["message"] = message
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Route the ``api`` loggers through the JSON formatter (idempotent)."""
    logger = logging.getLogger("api")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
