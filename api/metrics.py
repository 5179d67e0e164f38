"""Prometheus metrics: request counts and latency by route template, answers, abstentions,
evaluators' verdicts and errors by code, and the served index (documents, passages, model
and version).

Each app has its own registry (tests build many apps in one process). With ``--workers N``
each worker counts its own requests; a scrape reaches one worker, so by default it sees that
worker's numbers. Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty, writable folder before
starting the server (cleared at every start) and every scrape sums the counters and
histograms of all workers (``prometheus_client`` multiprocess mode; the index gauges then
come from the worker that answers, all of which follow the same index).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

from fastapi import FastAPI, Request
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import HTTP_ERROR_CODES
from api.middleware import route_template
from rag.answer.types import Answer

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: request latency buckets, seconds: health probes (ms) to slow LLM answers (tens of s)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_MAX_ERROR_BODY = 65536


def multiprocess_dir() -> str | None:
    """The shared folder of multiprocess mode, if set."""
    return os.environ.get(MULTIPROC_ENV) or None


class IndexCollector:
    """Gauges read from the app's pipeline at scrape time (a reload shows at once)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        """``unrag_index_loaded``, ``unrag_index_documents``, ``unrag_index_passages`` and
        ``unrag_info`` (service version, model, index creation time and corpus hash)."""
        pipeline = getattr(self.app.state, "pipeline", None)
        manifest = pipeline.index.manifest if pipeline is not None else None
        yield GaugeMetricFamily("unrag_index_loaded", "1 when an index is loaded and served",
                                value=int(manifest is not None))
        yield GaugeMetricFamily("unrag_index_documents", "Documents in the served index",
                                value=manifest.documents if manifest else 0)
        yield GaugeMetricFamily("unrag_index_passages", "Passages in the served index",
                                value=manifest.passages if manifest else 0)
        yield InfoMetricFamily("unrag", "Service version, embedding model and index version",
                               value={"version": self.app.version,
                                      "model": manifest.model if manifest else "",
                                      "index_created": manifest.created if manifest else "",
                                      "corpus_hash": manifest.corpus_hash[:16] if manifest
                                      else "",
                                      "faiss_index": manifest.faiss_index if manifest else ""})


class Metrics:
    """The app's metrics and their registry."""

    def __init__(self, app: FastAPI) -> None:
        folder = multiprocess_dir()
        if folder is not None and not os.path.isdir(folder):
            raise ValueError(f"{MULTIPROC_ENV}={folder} is not a folder; create it (empty) "
                             f"before starting the server, or unset it")
        self.app = app
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("unrag_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("unrag_http_request_duration_seconds",
                                 "Time to answer a request, to the last byte",
                                 ["method", "route"], buckets=BUCKETS, registry=self.registry)
        self.errors = Counter("unrag_errors", "Error responses by status and error code",
                              ["status", "code"], registry=self.registry)
        self.answers = Counter("unrag_answers", "Answers given, abstentions included",
                               ["endpoint", "composer"], registry=self.registry)
        self.abstentions = Counter("unrag_abstentions",
                                   "Answers that said the documents do not say",
                                   ["endpoint", "composer"], registry=self.registry)
        self.feedback = Counter("unrag_feedback", "Evaluators' verdicts stored (POST "
                                "/v1/feedback): up or down", ["verdict"],
                                registry=self.registry)
        for verdict in ("up", "down"):  # both series exist from the start, at 0
            self.feedback.labels(verdict)
        if folder is None:

            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                self.registry.register(collector)
            self.registry.register(IndexCollector(app))

    def exposition(self) -> bytes:
        """The text exposition format of everything (all workers' in multiprocess mode)."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.registry)

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
        registry.register(IndexCollector(self.app))
        return generate_latest(registry)

    def observe(self, method: str, route: str, status: int, seconds: float,
                error_code: str | None) -> None:
        """Count one answered request."""
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 400:
            self.errors.labels(str(status), error_code or HTTP_ERROR_CODES.get(
                status, "http_error")).inc()

    def count_answer(self, answer: Answer, endpoint: str) -> None:
        """Count an answer (and an abstention)."""
        self.answers.labels(endpoint, answer.composer).inc()
        if answer.abstained:
            self.abstentions.labels(endpoint, answer.composer).inc()


def count_answer(request: Request, answer: Answer, endpoint: str) -> None:
    """Count ``answer`` in the app's metrics (if the app has them)."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.count_answer(answer, endpoint)


def count_feedback(request: Request, verdict: str) -> None:
    """Count a stored verdict in the app's metrics (if the app has them)."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.feedback.labels(verdict).inc()


def _error_code(body: bytes) -> str | None:
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


class RequestMetrics:
    """Outermost middleware: times every request to its last byte and counts it under its
    route template (``/v1/documents/{doc_id}``, ``unmatched`` for no route: never the raw
    path), with the error code read from JSON error bodies."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        error_body: list[bytes] | None = None

        async def watch(message: Message) -> None:
            nonlocal status, error_body
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if status >= 400 and "json" in content_type:
                    error_body = []
            elif message["type"] == "http.response.body" and error_body is not None \
                    and sum(map(len, error_body)) < _MAX_ERROR_BODY:
                error_body.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            code = _error_code(b"".join(error_body)) if error_body else None
            self.metrics.observe(scope["method"], route_template(scope) or "unmatched", status,
                                 time.perf_counter() - started, code)


def install_metrics(app: FastAPI) -> Metrics:
    """Create the app's metrics and add the middleware (call last: it must be outermost)."""
    metrics = Metrics(app)
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)
    return metrics
