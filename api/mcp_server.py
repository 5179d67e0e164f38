"""MCP server over the index, for agents and desktop clients: tools ``search``, ``ask``,
``get_passage`` and ``list_documents``, and the documents as resources
(``unrag://documents``, ``unrag://documents/{doc_id}``).

:func:`build_server` takes a function giving the current pipeline, so one server definition
runs over stdio (:func:`local_server`, ``rag mcp``: the index loaded on first use) and inside
the HTTP app (:func:`mount`, ``/mcp`` of ``rag serve``: the app's current, reloadable
pipeline behind the API key, the session manager run in the app's lifespan).

The tools' structured output is the compact models of :mod:`api.responses`, which the HTTP
responses extend.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, Resource, TextContent, ToolAnnotations
from pydantic import Field
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.deps import require_api_key, served_hosts
from api.errors import ApiError
from api.index_follow import follow_index
from api.responses import AskResult, DocumentList, PassageDetail, SearchResult
from api.routes.documents import document_detail, document_summary
from api.schemas import Turn
from api.validation import HISTORY_TURNS, clean_question, clean_turn
from rag import __version__
from rag.answer.render import answer_json, format_answer
from rag.answer.serialize import hit_json, passage_json
from rag.answer.types import Answer
from rag.errors import RagError, UnknownDocument, UnknownPassage, redact_paths
from rag.pipeline import Pipeline
from rag.settings import Settings

PipelineSource = Callable[[], Awaitable[Pipeline]]
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
INSTRUCTIONS = ("Cited question answering over French UN documents (Security Council and "
                "General Assembly) on cooperation with regional organisations. Use `ask` for "
                "an answer with [n] citations, `search` for ranked passages, `get_passage` to "
                "read a cited passage, `list_documents` for the documents and their ids.")
DOCUMENTS_URI = "unrag://documents"
TopK = Annotated[int | None, Field(ge=1, le=50, description="Passages returned (default: the "
                                                               "server's RAG_TOP_K).")]
PassageId = Annotated[str, Field(description="A passage id from search or ask, e.g. "
                                             "'004_69fee26534a39183#p40'.")]
DocumentIds = Annotated[list[str] | None, Field(
    max_length=50, description="Restrict to these documents (ids or symbols, e.g. 'S/2021/297'; "
    "see list_documents).")]


class UnragServer(MCPServer):
    """An MCP server whose resource list also names each document of the current index."""

    def __init__(self, pipeline: PipelineSource, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pipeline = pipeline

    async def list_resources(self) -> list[Resource]:
        listed = await super().list_resources()
        try:
            pipe = await self.pipeline()
        except RagError:
            return listed
        return listed + [Resource(uri=f"{DOCUMENTS_URI}/{d.id}", name=d.id,
                                  title=" — ".join(x for x in (d.symbol, d.title) if x),
                                  mime_type="application/json")
                         for d in pipe.index.documents.values()]


def build_server(pipeline: PipelineSource, settings: Settings, *,
                 redact: bool = False,
                 on_answer: Callable[[Answer], None] | None = None) -> MCPServer:
    """The MCP server over the pipeline ``pipeline()`` returns (raising ``RagError`` when
    there is none); ``redact`` strips absolute paths from error messages (remote callers);
    ``on_answer`` sees every answer of the ``ask`` tool (the served app counts them)."""
    # log_level WARNING: MCPServer configures the root logger (a no-op when it has handlers)
    server = UnragServer(pipeline, name="unrag", title="UN regional cooperation Q&A",
                         instructions=INSTRUCTIONS, version=__version__,
                         log_level="WARNING")

    def message(exc: Exception) -> str:
        text = exc.message if isinstance(exc, ApiError) else str(exc)
        return redact_paths(text) if redact else text

    @contextmanager
    def failures(kind: type[Exception]) -> Iterator[None]:
        """Library and validation errors reach the client as ``kind`` with their message."""
        try:
            yield
        except UnknownDocument as exc:
            raise (ResourceNotFoundError if kind is ResourceError else kind)(message(exc)) \
                from exc
        except (RagError, ApiError) as exc:
            raise kind(message(exc)) from exc

    @server.tool(annotations=READ_ONLY)
    async def search(query: Annotated[str, Field(description="Words or a question.")],
                     k: TopK = None, documents: DocumentIds = None) -> SearchResult:
        """Ranked passages of the documents for a query (hybrid dense + BM25 search), each
        with its passage id, document, paragraph label, citation and score."""
        with failures(ToolError):
            query = clean_question(query, settings, "query")
            pipe = await pipeline()
            hits = await anyio.to_thread.run_sync(pipe.search, query, k, documents)
        return SearchResult.model_validate({"query": query, "hits": [hit_json(h) for h in hits]})

    @server.tool(annotations=READ_ONLY)
    async def ask(question: Annotated[str, Field(description="In French or English.")],
                  documents: DocumentIds = None,
                  history: Annotated[list[Turn] | None, Field(
                      max_length=50, description="Earlier turns of the conversation, oldest "
                      "first: the question is then a follow-up ('Et en 2019 ?').")] = None,
                  ) -> Annotated[CallToolResult, AskResult]:
        """Answer a question from the documents: sentences quoted from them, each ending
        with [n] markers whose citations give the document, paragraph and passage id; says
        so (abstained) when the documents do not answer. With ``history``, a follow-up is
        resolved against the conversation (``resolved_question`` says how)."""
        with failures(ToolError):
            question = clean_question(question, settings)
            turns = [(t.role, clean_turn(t.content, settings)) for t in history or ()
                     if t.content.strip()][-HISTORY_TURNS:]
            pipe = await pipeline()
            answer = await anyio.to_thread.run_sync(
                lambda: pipe.ask(question, documents=documents, history=turns))
        if on_answer is not None:
            on_answer(answer)
        data = AskResult.model_validate(answer_json(answer)).model_dump(mode="json")
        return CallToolResult(content=[
            TextContent(type="text", text=format_answer(answer)),
            TextContent(type="text", text=json.dumps(data, ensure_ascii=False))],
            structured_content=data)

    @server.tool(annotations=READ_ONLY)
    async def get_passage(passage_id: PassageId) -> PassageDetail:
        """One passage by id: its full text and citation information."""
        with failures(ToolError):
            pipe = await pipeline()
            passage = pipe.index.passage(passage_id.strip())
            if passage is None:
                raise UnknownPassage(f"Unknown passage {passage_id!r}; ids come from the "
                                     "passage_id fields of search and ask")
        return PassageDetail.model_validate(
            passage_json(passage, pipe.index.documents[passage.doc_id]))

    @server.tool(annotations=READ_ONLY)
    async def list_documents() -> DocumentList:
        """The indexed documents: id, symbol, title, date, number of passages and card (symbols,
        dates, original language, sender, signatory, addressee, agenda item, meeting date
        and theme, presidency, each field with the passage id it was read from)."""
        with failures(ToolError):
            pipe = await pipeline()
        return DocumentList.model_validate(
            {"documents": [document_summary(pipe, d) for d in pipe.index.documents]})

    @server.resource(DOCUMENTS_URI, name="documents", mime_type="application/json",
                     description="The indexed documents with their metadata.")
    async def documents_resource() -> str:
        with failures(ResourceError):
            pipe = await pipeline()
        return json.dumps({"documents": [document_summary(pipe, d)
                                         for d in pipe.index.documents]}, ensure_ascii=False)

    @server.resource(DOCUMENTS_URI + "/{doc_id}", name="document", mime_type="application/json",
                     description="One document: metadata and passages in reading order.")
    async def document_resource(doc_id: str) -> str:
        with failures(ResourceError):
            pipe = await pipeline()
            detail = document_detail(pipe, pipe.retriever.resolve_document(doc_id))
        return json.dumps(detail, ensure_ascii=False)

    return server


def local_server(settings: Settings) -> MCPServer:
    """The server of ``rag mcp``: the index is loaded on first use, a rebuilt index swapped
    in when a later call sees it, and a failed load tried again on the next call."""
    state: dict[str, Any] = {"pipeline": None, "lock": None, "failed": None}

    async def current() -> Pipeline:
        state["lock"] = state["lock"] or anyio.Lock()
        async with state["lock"]:
            pipe: Pipeline | None = state["pipeline"]
            if pipe is None:
                pipe = await anyio.to_thread.run_sync(Pipeline.load, settings)
            else:
                target = _index_target(settings)
                if target not in (None, pipe.index.path, state["failed"]):
                    try:
                        pipe = await anyio.to_thread.run_sync(pipe.reloaded)
                    except RagError:  # a broken rebuild: keep answering from the old index
                        state["failed"] = target
            state["pipeline"] = pipe
            return pipe

    return build_server(current, settings)


def _index_target(settings: Settings) -> Path | None:
    try:
        return settings.index_dir.resolve(strict=True)
    except OSError:
        return None


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Without an API key, ``/mcp`` answers only requests addressed to this machine
    (loopback or ``RAG_ALLOWED_HOSTS`` Host and Origin: the MCP specification's
    DNS-rebinding guard, :func:`api.deps.served_hosts`); with a key,
    the key guards it like the rest of the API, under any host name."""
    if settings.api_key:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = served_hosts(settings)  # the rule of the API's state-changing routes
    schemes = ("http", "https")
    return TransportSecuritySettings(
        allowed_hosts=[*hosts, *(f"{h}:*" for h in hosts)],
        allowed_origins=[*(f"{s}://{h}" for h in hosts for s in schemes),
                         *(f"{s}://{h}:*" for h in hosts for s in schemes),
                         *settings.cors_origins])


async def app_pipeline(app: FastAPI) -> Pipeline:
    """The app's current pipeline (a rebuilt index swapped in first), as the routes get it."""
    pipeline = await follow_index(app)
    if pipeline is None:
        raise RagError(str(getattr(app.state, "load_error", None) or "The service is starting."))
    return pipeline


class McpEndpoint:
    """The ASGI app at ``/mcp``: the API key check, then the MCP streamable-HTTP transport
    (stateless, JSON responses: any worker of ``rag serve --workers N`` can answer)."""

    def __init__(self, app: FastAPI) -> None:
        self.settings: Settings = app.state.settings
        def count(answer: Answer) -> None:
            metrics = getattr(app.state, "metrics", None)
            if metrics is not None:
                metrics.count_answer(answer, "mcp")

        self.server = build_server(lambda: app_pipeline(app), self.settings, redact=True,
                                   on_answer=count)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run a session manager for one lifespan of the app (a manager runs only once)."""
        self.server.streamable_http_app(stateless_http=True, json_response=True,
                                        transport_security=transport_security(self.settings))
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        require_api_key(Request(scope))  # a 401 goes through the app's JSON error handler
        await self.server.session_manager.handle_request(scope, receive, send)


def mount(app: FastAPI) -> McpEndpoint:
    """Serve MCP at ``/mcp`` of ``app``; run ``endpoint.running()`` in the app's lifespan."""
    endpoint = McpEndpoint(app)
    app.add_route("/mcp", endpoint, include_in_schema=False)
    return endpoint
