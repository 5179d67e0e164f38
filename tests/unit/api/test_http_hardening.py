"""HTTP hardening: connection timeouts on a real uvicorn server (idle keep-alive, never-ending
headers, trickled bodies), one JSON error shape for every 4xx/5xx, duplicate framing
headers, CORS and security headers on every response, per-client rate limiting."""

from __future__ import annotations

import json
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import STATIC, create_app
from api.server import TimedH11Protocol, uvicorn_options
from rag.settings import Settings
from tests.support.helpers import serve_app

OPTIONAL = {"param", "request_id"}  # error fields beside code and message

KEEP_ALIVE, HEADER_TIMEOUT, BODY_TIMEOUT = 0.5, 1.0, 1.0
MARGIN = 1.0  # scheduling slack on a loaded CI machine
ORIGIN = "https://chat.example.org"


def error_of(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) - OPTIONAL == {"code", "message"}, body
    return body["error"]["code"]


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """No index (the app answers 503 on /v1/*), which is all the transport tests need."""
    return Settings(index_root=tmp_path, reload_poll_seconds=0,
                    keep_alive_seconds=KEEP_ALIVE, header_timeout_seconds=HEADER_TIMEOUT,
                    body_timeout_seconds=BODY_TIMEOUT, cors_origins=[ORIGIN])


# -- a real uvicorn server with the options `rag serve` uses -------------------------------

@pytest.fixture()
def server(settings: Settings) -> Iterator[tuple[str, int]]:
    with serve_app(create_app(settings), **uvicorn_options(settings)) as address:
        yield address


def connect(addr: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(addr, timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_until_closed(sock: socket.socket, limit: float = 10) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and when it closed (perf_counter)."""
    sock.settimeout(limit)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return data, time.perf_counter()
        data += chunk


def read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length body (the connection stays open)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def status_and_json(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def trickle(sock: socket.socket, pieces: list[bytes], every: float) -> threading.Thread:
    """Send ``pieces`` one by one, ``every`` seconds apart, until the server hangs up."""
    def run() -> None:
        for piece in pieces:
            try:
                sock.sendall(piece)
            except OSError:
                return
            time.sleep(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_idle_keep_alive_connection_is_closed(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(sock).startswith(b"HTTP/1.1 200")
    answered = time.perf_counter()
    rest, closed = read_until_closed(sock)
    idle = closed - answered
    print(f"idle keep-alive closed after {idle:.2f} s (keep_alive={KEEP_ALIVE})")
    assert rest == b"" and KEEP_ALIVE - 0.1 <= idle <= KEEP_ALIVE + MARGIN


def test_keep_alive_reuse_still_works(server):
    sock = connect(server)
    for _ in range(3):
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(KEEP_ALIVE / 3)
    # a header block sent in pieces, well within the header timeout, is answered
    sock.sendall(b"GET /healthz HTTP/1.1\r\n")
    time.sleep(HEADER_TIMEOUT / 3)
    sock.sendall(b"Host: t\r\n\r\n")
    assert read_response(sock).startswith(b"HTTP/1.1 200")
    sock.close()


def test_connection_that_sends_nothing_is_closed(server):
    sock = connect(server)
    opened = time.perf_counter()
    data, closed = read_until_closed(sock)
    print(f"silent connection closed after {closed - opened:.2f} s "
          f"(header_timeout={HEADER_TIMEOUT})")
    assert data == b"" and HEADER_TIMEOUT - 0.1 <= closed - opened <= HEADER_TIMEOUT + MARGIN


def test_never_finished_header_block_gets_408_and_is_closed(server):
    sock = connect(server)
    opened = time.perf_counter()
    lines = [b"GET /healthz HTTP/1.1\r\n"] + [b"X-Slow-%d: y\r\n" % i for i in range(100)]
    trickle(sock, lines, every=0.1)
    data, closed = read_until_closed(sock)
    print(f"slowloris headers closed after {closed - opened:.2f} s "
          f"(header_timeout={HEADER_TIMEOUT})")
    assert HEADER_TIMEOUT - 0.1 <= closed - opened <= HEADER_TIMEOUT + MARGIN
    status, body = status_and_json(data)
    assert status == 408 and body["error"]["code"] == "header_timeout"


def test_slow_headers_after_a_response_are_timed_too(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(sock).startswith(b"HTTP/1.1 200")
    answered = time.perf_counter()
    # each byte resets uvicorn's keep-alive timer; the header timer keeps running
    trickle(sock, [b"GET /healthz HTTP/1.1\r\n"] + [b"X-A: b\r\n"] * 100, every=0.1)
    data, closed = read_until_closed(sock)
    assert closed - answered <= HEADER_TIMEOUT + MARGIN
    assert status_and_json(data)[0] == 408


def test_trickled_body_gets_408_and_is_closed(server):
    sock = connect(server)
    head = (b"POST /v1/ask HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n")
    sock.sendall(head)
    sent = time.perf_counter()
    trickle(sock, [b'{"question": "'] + [b"a"] * 150, every=0.1)
    data, closed = read_until_closed(sock)
    print(f"trickled body closed after {closed - sent:.2f} s (body_timeout={BODY_TIMEOUT})")
    assert BODY_TIMEOUT - 0.1 <= closed - sent <= BODY_TIMEOUT + MARGIN
    status, body = status_and_json(data)
    assert status == 408 and body["error"]["code"] == "body_timeout"
    assert b"access-control-allow-origin" not in data.lower()  # no Origin was sent


def test_malformed_http_gets_the_json_error_shape(server):
    sock = connect(server)
    sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
    data, _ = read_until_closed(sock)
    status, body = status_and_json(data)
    assert status == 400 and body["error"]["code"] == "bad_http_request"


@pytest.mark.parametrize("headers", [
    b"Content-Type: application/json\r\nContent-Type: text/plain; charset=latin-1\r\n",
    b"Content-Type: application/json\r\nContent-Length: 20\r\n",  # + the one added below
])
def test_duplicate_framing_headers_are_refused_on_the_wire(server, headers):
    body = b'{"question": "\xff\xfe"}'
    sock = connect(server)
    sock.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: t\r\n" + headers
                 + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    data, _ = read_until_closed(sock)
    status, payload = status_and_json(data)
    assert status == 400 and set(payload["error"]) - OPTIONAL == {"code", "message"}


def test_serve_passes_the_timeouts_and_keeps_multi_worker(monkeypatch, tmp_path):
    import uvicorn

    from rag import cli

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setenv("RAG_KEEP_ALIVE_SECONDS", "3")
    monkeypatch.setenv("RAG_HEADER_TIMEOUT_SECONDS", "7")
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--port", "8123", "--workers", "3"]) == 0
    finally:
        cli.get_settings.cache_clear()
    assert seen["app"] == "api.main:create_app" and seen["factory"] is True
    assert seen["workers"] == 3 and seen["timeout_keep_alive"] == 3
    protocol = pickle.loads(pickle.dumps(seen["http"]))  # workers are spawned: must pickle
    assert protocol.func is TimedH11Protocol and protocol.keywords == {"header_timeout": 7}
    config = uvicorn.Config("api.main:create_app", factory=True, workers=2, **{
        k: seen[k] for k in ("http", "timeout_keep_alive", "proxy_headers")})
    assert pickle.loads(pickle.dumps(config)).http.keywords == {"header_timeout": 7}


# -- error shape, duplicate headers, CORS and security headers (in process) -----------------

@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)

    @app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_two_content_type_headers_are_refused(client):
    r = client.post("/v1/ask", content=b'{"question": "\xff\xfe"}', headers=[
        ("content-type", "application/json"), ("content-type", "text/plain")])
    assert r.status_code == 400 and error_of(r) == "duplicate_header"
    assert r.headers["connection"] == "close"
    r = client.post("/v1/ask", content=b'{"question": "\xff\xfe"}', headers=[
        ("content-type", "text/plain"), ("content-type", "application/json")])
    assert r.status_code == 400 and error_of(r) == "duplicate_header"


@pytest.mark.parametrize(("method", "path", "headers", "status", "code"), [
    ("GET", "/static/app.js", {"Range": "bytes=99999999-"}, 416, "range_not_satisfiable"),
    ("GET", "/static/app.js", {"Range": "lines=1-2"}, 400, "bad_request"),
    ("POST", "/static/app.js", {}, 405, "method_not_allowed"),
    ("DELETE", "/v1/ask", {}, 405, "method_not_allowed"),
    ("GET", "/static/nothing.js", {}, 404, "not_found"),
    ("GET", "/boom", {}, 500, "internal_error"),
    ("OPTIONS", "/v1/ask", {"Access-Control-Request-Method": "PUT"}, 400, "cors_rejected"),
])
def test_every_error_has_the_json_shape_and_cors_headers(client, method, path, headers,
                                                         status, code):
    r = client.request(method, path, headers={"Origin": ORIGIN, **headers})
    assert r.status_code == status and error_of(r) == code
    assert r.headers["content-type"] == "application/json"
    if status != 400 or code != "cors_rejected":  # a rejected preflight grants nothing
        assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["x-content-type-options"] == "nosniff"
    if status == 416:
        assert r.headers["content-range"].startswith("bytes */")


def test_cors_preflight_from_a_foreign_origin_is_a_json_error(client):
    r = client.options("/v1/ask", headers={"Origin": "https://evil.example",
                                           "Access-Control-Request-Method": "POST"})
    assert r.status_code == 400 and error_of(r) == "cors_rejected"
    assert "access-control-allow-origin" not in r.headers
    ok = client.options("/v1/ask", headers={"Origin": ORIGIN,
                                            "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ORIGIN


def test_body_guard_rejections_carry_cors_headers(client):
    origin = {"Origin": ORIGIN, "content-type": "application/json"}
    big = client.post("/v1/ask", content=b'{"question": "' + b"a" * 70000 + b'"}',
                      headers=origin)
    bad = client.post("/v1/ask", content=b'{"question": "\xff"}', headers=origin)
    assert (big.status_code, error_of(big)) == (413, "body_too_large")
    assert (bad.status_code, error_of(bad)) == (400, "invalid_utf8")
    for r in (big, bad):
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert r.headers["x-frame-options"] == "DENY"
    foreign = client.post("/v1/ask", content=b'{"question": "\xff"}', headers={
        "Origin": "https://evil.example", "content-type": "application/json"})
    assert "access-control-allow-origin" not in foreign.headers


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/style.css", "/healthz",
                                  "/v1/ask", "/nothing"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_the_page_needs_nothing_the_csp_blocks():
    import re

    html = (STATIC / "index.html").read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert "<style" not in html and " style=" not in html and "javascript:" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"""(src|href)=["']https?://""", html), "third-party resource"
    script = (STATIC / "app.js").read_text("utf-8")
    assert "eval(" not in script and "new Function" not in script


# -- rate limiting ----------------------------------------------------------------------

def limited(settings: Settings, **update) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"rate_limit": "3/minute",
                                                             **update})))


def test_rate_limit_answers_429_with_retry_after(settings):
    with limited(settings) as c:
        assert [c.get("/v1/models").status_code for _ in range(3)] == [200] * 3
        r = c.get("/v1/models", headers={"Origin": ORIGIN})
        assert r.status_code == 429 and error_of(r) == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["access-control-allow-origin"] == ORIGIN
        # health probes are never limited
        assert all(c.get(p).status_code in (200, 503) for p in ["/healthz", "/readyz"] * 5)


def test_rate_limit_is_per_client_and_trusts_forwarded_for_only_when_told(settings):
    with limited(settings) as c:  # untrusted: X-Forwarded-For cannot dodge the limit
        codes = [c.get("/v1/models", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                 for i in range(4)]
        assert codes == [200, 200, 200, 429]
    with limited(settings, trust_proxy=True) as c:
        for _ in range(3):
            assert c.get("/v1/models", headers={"X-Forwarded-For": "10.0.0.1"}).status_code \
                == 200
        assert c.get("/v1/models", headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 429
        # another client behind the proxy has its own budget; a forged first entry is ignored
        assert c.get("/v1/models", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200
        assert c.get("/v1/models", headers={
            "X-Forwarded-For": "1.2.3.4, 10.0.0.1"}).status_code == 429


def test_rate_limit_off_by_default_and_bad_values_fail_at_start(settings):
    assert Settings().rate_limit is None
    with TestClient(create_app(settings)) as c:
        assert all(c.get("/v1/models").status_code == 200 for _ in range(20))
    with pytest.raises(ValueError, match="RAG_RATE_LIMIT"):
        create_app(settings.model_copy(update={"rate_limit": "lots"}))
