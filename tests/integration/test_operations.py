"""Operations: Prometheus ``/metrics`` (per app, and summed over workers in multiprocess
mode), ``X-Request-ID`` in headers, access log and error bodies, OpenTelemetry spans."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from rag.settings import PROJECT_ROOT, Settings

QUESTION = "Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des consultations " \
           "avec l'OTSC en novembre 2018 ?"
OFF_TOPIC = "Quelle est la meilleure recette de tarte aux pommes ?"
KEY = "s3cret-key-for-tests-0123"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


@pytest.fixture(scope="module")
def client(built_settings, pipeline):
    with TestClient(create_app(built_settings, pipeline=pipeline)) as c:
        yield c


def test_metrics_after_traffic(client, pipeline):
    for question in (QUESTION, QUESTION, OFF_TOPIC):
        assert client.post("/v1/ask", json={"question": question}).status_code == 200
    assert client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": QUESTION}]}).status_code == 200
    assert client.get("/v1/documents/no-such-doc").status_code == 404
    assert client.get("/v1/no-such-route").status_code == 404
    assert client.post("/v1/ask", json={}).status_code == 422
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    found = samples(r.text)
    assert value(found, "unrag_answers_total", endpoint="ask", composer="extractive") == 3
    assert value(found, "unrag_abstentions_total", endpoint="ask", composer="extractive") == 1
    assert value(found, "unrag_answers_total", endpoint="chat", composer="extractive") == 1
    assert value(found, "unrag_http_requests_total", method="POST", route="/v1/ask",
                 status="200") == 3
    assert value(found, "unrag_http_request_duration_seconds_count", method="POST",
                 route="/v1/ask") == 4
    assert value(found, "unrag_http_request_duration_seconds_bucket", method="POST",
                 route="/v1/ask", le="+Inf") == 4
    assert value(found, "unrag_http_request_duration_seconds_sum", method="POST",
                 route="/v1/ask") > 0
    # the route template, never the raw path
    assert value(found, "unrag_http_requests_total", method="GET",
                 route="/v1/documents/{doc_id}", status="404") == 1
    assert value(found, "unrag_http_requests_total", method="GET", route="unmatched",
                 status="404") == 1
    assert not any("no-such" in str(labels) for _, labels in found)
    assert value(found, "unrag_errors_total", status="404", code="unknown_document") == 1
    assert value(found, "unrag_errors_total", status="422", code="invalid_request") == 1
    assert value(found, "unrag_errors_total", status="404", code="not_found") == 1
    m = pipeline.index.manifest
    assert value(found, "unrag_index_documents") == m.documents > 0
    assert value(found, "unrag_index_passages") == m.passages > 0
    assert value(found, "unrag_index_loaded") == 1
    info = [labels for (name, labels) in found if name == "unrag_info"]
    assert info and dict(info[0])["model"] == m.model
    assert dict(info[0])["index_created"] == m.created


def test_metrics_not_rate_limited_and_behind_the_key(built_settings, pipeline):
    limited = built_settings.model_copy(update={"rate_limit": "2/minute", "api_key": KEY})
    auth = {"Authorization": f"Bearer {KEY}"}
    with TestClient(create_app(limited, pipeline=pipeline)) as c:
        assert [c.get("/v1/models", headers=auth).status_code for _ in range(3)] == \
            [200, 200, 429]
        assert all(c.get("/metrics", headers=auth).status_code == 200 for _ in range(5))
        r = c.get("/metrics")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        found = samples(c.get("/metrics", headers=auth).text)
        assert value(found, "unrag_errors_total", status="429", code="rate_limited") == 1


def test_request_id_is_echoed_or_made(client):
    logs: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logs.append(record.getMessage())  # type: ignore[method-assign]
    access = logging.getLogger("api.access")
    access.addHandler(handler)
    try:
        given = client.get("/healthz", headers={"X-Request-ID": "req-42.a:b"})
        made = client.get("/healthz")
        hostile = client.get("/healthz", headers={"X-Request-ID": "x" * 129})
        odd = client.get("/healthz", headers={"X-Request-ID": "a b\"<script>"})
        error = client.get("/v1/documents/nope", headers={"X-Request-ID": "trace-7"})
    finally:
        access.removeHandler(handler)
    assert given.headers["x-request-id"] == "req-42.a:b"
    for response in (made, hostile, odd):
        rid = response.headers["x-request-id"]
        assert len(rid) == 32 and int(rid, 16) >= 0
    assert len({made.headers["x-request-id"], hostile.headers["x-request-id"],
                odd.headers["x-request-id"]}) == 3
    assert error.headers["x-request-id"] == "trace-7"
    assert error.json()["error"]["request_id"] == "trace-7"
    lines = [json.loads(line) for line in logs]
    assert [line["request_id"] for line in lines] == [
        "req-42.a:b", made.headers["x-request-id"], hostile.headers["x-request-id"],
        odd.headers["x-request-id"], "trace-7"]
    assert lines[-1]["route"] == "/v1/documents/{doc_id}" and lines[-1]["status"] == 404


def test_pipeline_spans_are_recorded(pipeline, monkeypatch):
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the first test to configure tracing
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    answer = pipeline.ask(QUESTION + " (trace)")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert {"rag.ask", "rag.retrieve", "rag.compose"} <= set(spans)
    root = spans["rag.ask"]
    assert spans["rag.retrieve"].parent.span_id == root.context.span_id
    assert spans["rag.compose"].parent.span_id == root.context.span_id
    assert root.attributes["composer"] == "extractive" and root.attributes["cached"] is False
    assert root.attributes["abstained"] == answer.abstained
    assert spans["rag.retrieve"].attributes["question.kind"] == answer.kind
    exporter.clear()
    pipeline.ask(QUESTION + " (trace)")  # answered from the cache: no retrieval
    assert [s.name for s in exporter.get_finished_spans()] == ["rag.ask"]
    assert exporter.get_finished_spans()[0].attributes["cached"] is True

    import rag.tracing

    exporter.clear()
    monkeypatch.setattr(rag.tracing, "_trace", None)  # as without opentelemetry-api
    assert pipeline.ask(QUESTION + " (untraced)").text
    assert exporter.get_finished_spans() == ()


WORKER = textwrap.dedent("""
    import sys
    from fastapi.testclient import TestClient
    from api.main import create_app
    from rag.settings import Settings
    with TestClient(create_app(Settings(index_root=sys.argv[1]))) as c:
        for _ in range(int(sys.argv[2])):
            assert c.get("/healthz").status_code == 200
        if sys.argv[3] == "scrape":
            print(c.get("/metrics").text)
""")


def test_multiprocess_mode_sums_the_workers(tmp_path):
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "PYTHONPATH": str(PROJECT_ROOT)}

    def worker(requests: int, scrape: bool) -> str:
        done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "idx"),
                               str(requests), "scrape" if scrape else "-"], env=env,
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout

    worker(3, scrape=False)
    found = samples(worker(2, scrape=True))
    assert value(found, "unrag_http_requests_total", method="GET", route="/healthz",
                 status="200") == 5
    assert value(found, "unrag_http_request_duration_seconds_count", method="GET",
                 route="/healthz") == 5
    assert value(found, "unrag_index_loaded") == 0  # this worker's own state
    assert len(list(folder.glob("*.db"))) >= 2  # one file set per worker process


def test_missing_multiprocess_folder_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(Settings(index_root=tmp_path))
