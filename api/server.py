"""uvicorn options for ``rag serve``: connection timeouts uvicorn lacks, JSON protocol errors.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` but has no limit on
the time a client takes to send its request headers: a connection that sends nothing, or one
header line every few seconds (slowloris), stays open for ever. :class:`TimedH11Protocol`
adds that limit: whenever the server is waiting for a request (after connect, after each
response) a timer runs, stopped once a complete header block has been parsed; when it fires
the connection is closed (with a 408 if part of a request had arrived). Request bodies are
timed by :class:`api.middleware.BodyGuard`.

It also answers malformed HTTP (which uvicorn rejects itself, before the app) with the JSON
error shape instead of uvicorn's plain-text 400.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from rag.settings import Settings


def _json_error(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-header timeout and JSON 400s."""

    def __init__(self, *args: Any, header_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None

    # -- header timeout ------------------------------------------------------------------
    def _waiting_for_request(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _sync_header_timer(self) -> None:
        """Run the timer exactly while the server waits for (the rest of) a request head."""
        if self.transport is None or self.transport.is_closing() \
                or not self._waiting_for_request():
            self._cancel_header_timer()
        elif self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout,
                                                      self._header_timeout_expired)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout_expired(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or not self._waiting_for_request():
            return
        partial, _ = self.conn.trailing_data
        if partial and self.conn.their_state is h11.IDLE:
            self.transport.write(_json_error(
                408, "Request Timeout", "header_timeout",
                f"Request headers not received within {self.header_timeout:g} s"))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._sync_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._sync_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._sync_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._cancel_header_timer()
        super().handle_websocket_upgrade(event)

    # -- malformed HTTP ------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        """uvicorn's 400 for unparseable requests, in the JSON error shape."""
        self._cancel_header_timer()
        self.transport.write(_json_error(400, "Bad Request", "bad_http_request", msg))
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` enforcing the settings'
    connection timeouts (picklable, so ``--workers N`` gets them too)."""
    return {
        "http": functools.partial(TimedH11Protocol,
                                  header_timeout=settings.header_timeout_seconds),
        "timeout_keep_alive": settings.keep_alive_seconds,
        "proxy_headers": settings.trust_proxy,
    }
