"""The HTTP responses of the app over the built index (``RAG_…`` settings) to a fixed set
of requests, with timings and request ids blanked, written as JSON: run it before and after
a change that must not change behaviour (a refactor), then compare the two files.

    python -m tests.support.http_snapshot before.json   # on the old commit
    python -m tests.support.http_snapshot after.json    # on the new one
    cmp before.json after.json
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from rag.settings import Settings

ASK = "/v1/ask"
FOLLOW_UP = [{"role": "user", "content": "Que dit le rapport sur l'Union africaine ?"},
             {"role": "assistant", "content": "Réponse [1]."}]
REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", ASK, {"question": "Quand l’OTSC a-t-elle été créée ?"}),
    ("POST", ASK, {"question": "Quelles organisations ont participé à la séance du "
                               "11 avril 2003 ?"}),
    ("POST", ASK, {"question": "What does the Secretary-General's report say about the "
                               "African Union?"}),
    ("POST", ASK, {"question": "Quel est le budget annuel de l'OTSC ?"}),
    ("POST", ASK, {"question": "Quel temps fera-t-il demain à Genève ?"}),
    ("POST", ASK, {"question": "Qui a signé la lettre du Viet Nam ?", "language": "en"}),
    ("POST", ASK, {"question": "Résume la note de cadrage mexicaine.", "history": []}),
    ("POST", ASK, {"question": "Et en 2019 ?", "history": FOLLOW_UP}),
    ("POST", ASK, {"question": ""}),
    ("POST", ASK, {"nope": 1}),
    ("POST", "/v1/search", {"query": "prévention des conflits", "top_k": 5}),
    ("POST", "/v1/search", {"query": "ASEAN", "top_k": 3}),
    ("GET", "/v1/documents", None),
    ("GET", "/v1/documents/001_72201535bd96dd17", None),
    ("GET", "/v1/documents/nope", None),
    ("GET", "/v1/passages/001_72201535bd96dd17%23p6", None),
    ("GET", "/v1/models", None),
    ("POST", "/v1/chat/completions", {"model": "unrag", "messages": [
        {"role": "user", "content": "Qu'est-ce que l'OTSC ?"}]}),
    ("GET", "/healthz", None),
]
#: fields that differ from run to run: times, ids, creation stamps
VARYING = re.compile(r"(?:_ms|seconds|latency|timings?|created|id|uptime|elapsed)$")
HEADERS = ("content-type", "content-language", "cache-control")


def scrub(value: Any) -> Any:
    """``value`` with every field named in :data:`VARYING` replaced by ``"*"``."""
    if isinstance(value, dict):
        return {k: "*" if VARYING.search(k) else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def snapshot() -> list[dict[str, Any]]:
    """Each request of :data:`REQUESTS` with its status, stable headers and scrubbed body."""
    out = []
    with TestClient(create_app(Settings())) as client:
        for method, path, body in REQUESTS:
            r = client.request(method, path, json=body) if body is not None \
                else client.request(method, path)
            try:
                payload = scrub(r.json())
            except ValueError:
                payload = r.text
            out.append({"request": [method, path, body], "status": r.status_code,
                        "headers": {k: v for k, v in r.headers.items() if k in HEADERS},
                        "body": payload})
    return out


if __name__ == "__main__":
    responses = snapshot()
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(responses, f, ensure_ascii=False, indent=1, sort_keys=True)
    print(len(responses), "responses:", " ".join(str(r["status"]) for r in responses))
