"""The HTTP server's options (:class:`ServerOptions`), each knob declared once: keys, CORS and
hosts, request limits and timeouts, threads, rate limit, proxy. ``rag.settings.Settings``
makes each one ``RAG_<FIELD>``; the API reads them from the settings it holds. A leaf module:
it imports nothing of the API (``rag.settings`` reads it)."""

from __future__ import annotations

from dataclasses import dataclass

from rag.records import knob


@dataclass(frozen=True)
class ServerOptions:
    """What the HTTP API accepts, from whom, and how long it waits."""

    environment: str = knob(
        "development", "development or production (production refuses weak keys).")
    api_key: str | None = knob(
        None, "If set, API calls need 'Authorization: Bearer <key>'; required outside "
        "development.", secret=True)
    cors_origins: list[str] = knob(description="Allowed CORS origins (a JSON list).",
                                   default_factory=list)
    allowed_hosts: list[str] = knob(
        description="Without api_key, host names (besides localhost, 127.0.0.1 and [::1]) "
        "under which the server accepts uploads, deletions, reloads and /mcp; other Host "
        "headers get 421 (DNS rebinding).", default_factory=list)
    max_question_chars: int = knob(2000, "Longer questions get HTTP 413.", ge=10)
    max_body_bytes: int = knob(65536, "Larger request bodies get HTTP 413.", ge=1024)
    max_upload_bytes: int = knob(
        32 * 1024 * 1024, "Largest body of a document upload (POST /v1/documents); each file "
        "is also held to max_document_bytes.", ge=1024)
    corpus_lock_seconds: float = knob(
        120.0, "An upload or delete waits this long for another corpus change to finish "
        "before answering 409.", ge=0)
    reload_poll_seconds: float = knob(
        2.0, "Each server worker checks this often whether the index was rebuilt (rag "
        "add/remove/index, an upload to another worker) and swaps it in; 0 = off.", ge=0)
    request_threads: int = knob(
        8, "Threads that run questions in each server worker; more adds memory (per-thread "
        "buffers) and no speed on a small CPU.", ge=1)
    keep_alive_seconds: float = knob(
        5.0, "An idle keep-alive connection is closed after this many seconds without a new "
        "request.", gt=0)
    header_timeout_seconds: float = knob(
        10.0, "A connection must send a complete request header block within this many "
        "seconds (from connect, or from the end of the previous response); else 408 and "
        "close. Also bounds a new connection that sends nothing.", gt=0)
    body_timeout_seconds: float = knob(
        30.0, "A request body must arrive completely within this many seconds of the "
        "headers; else 408 and close.", gt=0)
    upload_timeout_seconds: float = knob(
        300.0, "Same as body_timeout_seconds for document uploads (POST /v1/documents).", gt=0)
    rate_limit: str | None = knob(
        None, "Requests allowed per client address, e.g. '120/minute' or '10/second;600/hour' "
        "(limits syntax); beyond it 429 with Retry-After. None = off. Counted per server "
        "process; health probes are exempt.")
    trust_proxy: bool = knob(
        False, "Behind a reverse proxy: take the client address from the last "
        "X-Forwarded-For entry (the one the proxy adds) for rate limiting, and let uvicorn "
        "honour X-Forwarded-For/Proto. Only when the port is reachable solely through the "
        "proxy.")
