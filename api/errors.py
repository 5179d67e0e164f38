"""One JSON error shape, ``{"error": {"code", "message", "request_id"}}``, for every failure
(``param`` too where one request parameter is at fault, as OpenAI does); its model is
:class:`api.responses.ErrorResponse`."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import LANGUAGE, http_phrase, rag_message, say, validation_message
from api.responses import ErrorDetail, ErrorResponse
from rag.errors import (
    ComposerUnavailable,
    CorpusBusy,
    DocumentRejected,
    IndexCorrupt,
    IndexMismatch,
    IndexNotBuilt,
    ModelServerError,
    ModelServerTimeout,
    ModelServerUnavailable,
    ModelUnavailable,
    RagError,
    UnknownDocument,
    UnknownPassage,
    redact_paths,
)
from rag.feedback import FeedbackFull, FeedbackTooLarge

log = logging.getLogger("api")


#: id of the request being answered (set by ``api.middleware.TimingAndLog``)
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class ApiError(Exception):
    """An error with an HTTP status, a stable machine-readable code and optionally the
    request parameter at fault."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param


def error_body(code: str, message: str, param: str | None = None) -> dict[str, object]:
    """``{"error": {...}}`` (:class:`api.responses.ErrorResponse`) with the current request
    id, and ``param`` when given."""
    error = ErrorDetail(code=code, message=message, param=param, request_id=REQUEST_ID.get())
    return ErrorResponse(error=error).model_dump(exclude_none=True)


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None,
                   param: str | None = None) -> JSONResponse:
    """The JSON error response, its ``Content-Language`` the language of its message (the
    request's, :mod:`api.i18n`)."""
    language = {"Content-Language": LANGUAGE.get(), "Vary": "Accept-Language"}
    return JSONResponse(error_body(code, message, param), status_code=status,
                        headers={**language, **(headers or {})})


#: code of a bare HTTP error (Starlette's, or one rewritten by ``api.middleware.JsonErrors``)
HTTP_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden",
                    404: "not_found", 405: "method_not_allowed", 408: "request_timeout",
                    413: "body_too_large", 416: "range_not_satisfiable",
                    421: "misdirected_request", 429: "rate_limited",
                    500: "internal_error", 502: "bad_gateway", 503: "unavailable",
                    504: "gateway_timeout"}


_RAG_STATUS: list[tuple[type[RagError], int, str]] = [
    (ComposerUnavailable, 400, "composer_unavailable"),
    (FeedbackTooLarge, 413, "feedback_too_large"),
    (FeedbackFull, 507, "feedback_full"),
    (CorpusBusy, 409, "corpus_busy"),
    (UnknownDocument, 404, "unknown_document"),
    (UnknownPassage, 404, "unknown_passage"),
    (IndexNotBuilt, 503, "index_not_built"),
    (IndexCorrupt, 503, "index_corrupt"),
    (IndexMismatch, 503, "index_mismatch"),
    (ModelUnavailable, 503, "model_unavailable"),
    (ModelServerTimeout, 504, "model_server_timeout"),
    (ModelServerUnavailable, 503, "model_server_unavailable"),
    (ModelServerError, 502, "model_server_error"),
]


def rag_error_status(exc: RagError) -> tuple[int, str]:
    """HTTP status and code of a library error."""
    if isinstance(exc, DocumentRejected):
        return {"too_large": 413, "unsupported_type": 415}.get(exc.reason, 422), \
            f"document_{exc.reason}"
    for kind, status, code in _RAG_STATUS:
        if isinstance(exc, kind):
            return status, code
    return 400, "bad_request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception kind to the JSON error shape."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, param=exc.param)

    @app.exception_handler(RagError)
    async def _rag(_: Request, exc: RagError) -> JSONResponse:
        status, code = rag_error_status(exc)
        if status >= 500:  # index and model failures: the log has the paths, callers do not
            log.error(json.dumps({"event": code, "reason": str(exc)}))
            return error_response(status, code, rag_message(code, redact_paths(str(exc)), exc))
        return error_response(status, code, rag_message(code, str(exc), exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", validation_message(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, http_phrase(exc.status_code,
                                                                 str(exc.detail)),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", say("internal_error"))
