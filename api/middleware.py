"""ASGI middleware: request-body guard (size, UTF-8), timing header and JSON access log."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

access_log = logging.getLogger("api.access")


class BodyGuard:
    """Rejects bodies over ``max_bytes`` (413) and JSON bodies that are not UTF-8 (400)
    before any route sees them."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 upload_paths: dict[str, int] | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.upload_paths = upload_paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.upload_paths.get(scope["path"].rstrip("/"), self.max_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, 413, "body_too_large", limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > limit:
                await self._reject(scope, receive, send, 413, "body_too_large", limit)
                return
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b""):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                await self._reject(scope, receive, send, 400, "invalid_utf8", self.max_bytes)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, status: int,
                      code: str, limit: int = 0) -> None:
        message = {"body_too_large": f"Request body over {limit} bytes",
                   "invalid_utf8": "Request body is not valid UTF-8"}[code]
        await error_response(status, code, message)(scope, receive, send)


class TimingAndLog:
    """Adds ``Server-Timing: app;dur=…`` and ``X-Request-ID`` and writes one JSON log line
    per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
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
            access_log.info(json.dumps({
                "event": "request", "id": request_id, "method": scope["method"],
                "path": scope["path"], "status": status,
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
