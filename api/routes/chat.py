"""OpenAI Chat Completions compatible endpoint, for chatbot front ends.

The last user message is answered; the earlier user and assistant turns go along as the
conversation, from which the question analysis (:mod:`rag.query.plan`) completes a
follow-up ("et pour l’OSCE ?", "when was it signed?"): the entities and documents in play.
The follow-up's own words decide what kind of answer it asks for. Citations are appended to
the message as a numbered source list and returned in the top-level ``citations`` extension
field (on the finishing chunk of a stream). ``usage`` counts tokens of the embedding model's
tokenizer (:mod:`rag.text`) over every message of the request and over the reply.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.chat_options import check_options, limit_reply, stop_sequences, token_limit
from api.deps import Authorized, PipelineDep, SettingsDep
from api.errors import ApiError, rag_error_status
from api.i18n import rag_message, say
from api.metrics import count_answer
from api.responses import (
    ANY_ROUTE,
    GUARDED,
    WITH_BODY,
    ChatCompletion,
    ChatCompletionChunk,
    ModelCard,
    ModelList,
    error_responses,
    inline_schema,
)
from api.schemas import ChatMessage, ChatRequest
from api.validation import HISTORY_TURNS, clean_question, clean_turn
from rag.answer.llm import FALLBACK_NOTE
from rag.answer.registry import COMPOSERS, chat_models
from rag.answer.render import citation_json, sources_block
from rag.answer.types import Answer
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.text import TokenCounter, token_counter

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Authorized])
MODELS = chat_models()  # model id → composer (rag.answer.registry)


def message_text(message: ChatMessage) -> str:
    """Text of a message whose content is a string or a list of text parts."""
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):
        return " ".join(str(part.get("text", "")) for part in message.content
                        if part.get("type") == "text")
    return ""


def resolve_question(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """(question to answer, earlier user/assistant turns) from the conversation."""
    turns = [(m.role, message_text(m)) for m in messages if m.role in ("user", "assistant")]
    while turns and turns[-1][0] == "assistant":
        turns.pop()  # answer the last user message
    if not turns or not turns[-1][1].strip():
        raise ApiError(400, "no_user_message", say("no_user_message"))
    question = turns[-1][1]
    history = [(role, text) for role, text in turns[:-1] if text.strip()]
    return question, history


#: said first in a chat reply when the model's reply was set aside (rag.answer.llm)
FALLBACK_LINE = {"fr": "(Le modèle n’a cité aucun passage : voici la réponse extraite des "
                       "documents.)",
                 "en": "(The model cited no passage: here is the answer drawn from the "
                       "documents.)"}


def message_content(answer: Answer) -> str:
    """Answer text followed by its numbered sources (after a line saying so when an LLM
    reply without a valid citation was replaced by the extractive answer)."""
    text = answer.text
    if FALLBACK_NOTE in answer.notes:
        text = f"{FALLBACK_LINE['en' if answer.language == 'en' else 'fr']}\n\n{text}"
    if not answer.citations:
        return text
    return f"{text}\n\n{sources_block(answer)}"


@dataclass(frozen=True)
class Reply:
    """What a chat completion returns: the message, why it ended, the citations it still
    holds, and the token counts."""

    content: str
    finish_reason: str
    citations: list[dict[str, Any]]
    abstained: bool
    prompt_tokens: int
    completion_tokens: int
    resolved_question: str | None = None

    def usage(self) -> dict[str, int]:
        """OpenAI's ``usage`` object (:class:`api.responses.Usage`; tokens of the embedding
        model's tokenizer)."""
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}


def make_reply(answer: Answer, body: ChatRequest, counter: TokenCounter) -> Reply:
    """The answer as a chat reply: sources appended, stop sequences and the token limit
    applied (a cut reply keeps only the citations whose ``[n]`` it still shows), tokens
    counted over every message of the request and over the reply."""
    original = message_content(answer)
    content, finish = limit_reply(original, stop_sequences(body), token_limit(body), counter)
    full = content == original
    citations = [citation_json(c) for c in answer.citations
                 if full or f"[{c.marker}]" in content]
    prompt = sum(counter.count(message_text(m)) for m in body.messages)
    return Reply(content, finish, citations, answer.abstained, prompt, counter.count(content),
                 answer.understood)


def _completion(reply: Reply, model: str) -> ChatCompletion:
    return ChatCompletion.model_validate({
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                     "finish_reason": reply.finish_reason}],
        "usage": reply.usage(),
        "citations": reply.citations,
        "abstained": reply.abstained,
        "resolved_question": reply.resolved_question,
    })


def sse_chunks(reply: Reply, model: str, include_usage: bool = False) -> Iterator[str]:
    """``data: {chunk}`` events (:class:`api.responses.ChatCompletionChunk`): role, content
    pieces, the finishing chunk with the citations, with ``include_usage`` a chunk with no
    choices and the usage, then DONE."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    usage_field = {"usage": None} if include_usage else {}

    def event(body: dict[str, Any]) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return event({"id": cid, "object": "chat.completion.chunk", "created": created,
                      "model": model, "choices": [{"index": 0, "delta": delta,
                                                   "finish_reason": finish}],
                      **usage_field, **extra})

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*|\s+", reply.content):
        yield chunk({"content": piece})
    yield chunk({}, reply.finish_reason, citations=reply.citations, abstained=reply.abstained,
                resolved_question=reply.resolved_question)
    if include_usage:
        yield event({"id": cid, "object": "chat.completion.chunk", "created": created,
                     "model": model, "choices": [], "usage": reply.usage()})
    yield "data: [DONE]\n\n"


def _answer(pipeline: Pipeline, question: str, history: list[tuple[str, str]],
            body: ChatRequest) -> tuple[Answer, Reply]:
    """Answer and build the reply (in a worker thread: the model runs, tokens are counted)."""
    answer = pipeline.ask(question, None, None, MODELS[body.model], history)
    return answer, make_reply(answer, body, token_counter(pipeline.embedder))


#: one event of a streamed completion, as OpenAPI 3.1 documents an SSE stream without
#: ``itemSchema``: ``data`` is a JSON chunk, or ``[DONE]`` last
_SSE_EVENT = {
    "type": "object",
    "required": ["data"],
    "properties": {"data": {"anyOf": [
        {"const": "[DONE]"},
        {"type": "string", "contentMediaType": "application/json",
         "contentSchema": inline_schema(ChatCompletionChunk)},
    ]}},
}
_STREAMED = {"description": "The completion (`application/json`), or with `stream: true` "
                            "its chunks as server-sent events, each `data:` a "
                            "`chat.completion.chunk`, then `data: [DONE]`.",
             "content": {"text/event-stream": {"schema": _SSE_EVENT}}}


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: _STREAMED, **error_responses(*ANY_ROUTE, *GUARDED, *WITH_BODY,
                                                           404, 422, 502, 503, 504)})
async def chat_completions(body: ChatRequest, pipeline: PipelineDep, settings: SettingsDep,
                           request: Request) -> ChatCompletion | StreamingResponse:
    """Answer the last user message, OpenAI style (``stream: true`` for SSE). Honoured,
    ignored and refused parameters: :mod:`api.chat_options`. Extension fields: top-level
    ``citations`` (the /v1/ask citation objects; in a stream, on the finishing chunk) and
    ``abstained`` and ``resolved_question`` (how the last message was understood)."""
    if body.model not in MODELS:
        raise ApiError(404, "model_not_found", say("model_not_found", model=repr(body.model),
                                                   models=", ".join(MODELS)))
    check_options(body)
    question, history = resolve_question(body.messages)
    question = clean_question(question, settings, "messages")
    history = [(role, clean_turn(text, settings)) for role, text in history[-HISTORY_TURNS:]]
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        items = pipeline.ask_stream(question, None, None, MODELS[body.model], history)
        # the first piece (or the whole answer) before the response starts: a model server
        # that fails at once is a named error status, not a broken stream
        first = await run_in_threadpool(next, items)
        if isinstance(first, Answer):
            count_answer(request, first, "chat")
            reply = make_reply(first, body, token_counter(pipeline.embedder))
            events = sse_chunks(reply, body.model, include_usage)
        else:
            events = _passed_through(first, items, body, pipeline, request, include_usage)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    answer, reply = await run_in_threadpool(_answer, pipeline, question, history, body)
    count_answer(request, answer, "chat")
    return _completion(reply, body.model)


def _passed_through(first: str, items: Iterator[str | Answer], body: ChatRequest,
                    pipeline: Pipeline, request: Request, include_usage: bool
                    ) -> Iterator[str]:
    """The events of a reply sent as the model writes it: each checked sentence as it
    comes (stop sequences and the token limit applied as it grows), then the sources, the
    finishing chunk with the citations, the usage, DONE. A model-server failure midway is
    an error event (the status line is gone by then)."""
    counter = token_counter(pipeline.embedder)
    stops, limit = stop_sequences(body), token_limit(body)
    events = _Events(body.model, include_usage)
    yield events.chunk({"role": "assistant", "content": ""})
    sent, finish, answer = "", "stop", None
    pending: Iterator[str | Answer] = iter([first])
    try:
        for item in (x for source in (pending, items) for x in source):
            if isinstance(item, Answer):
                answer = item
                break
            content, finish = limit_reply(sent + item, stops, limit, counter)
            if content[len(sent):]:
                yield events.chunk({"content": content[len(sent):]})
            cut = content != sent + item
            sent = content
            if cut:  # a stop sequence or the token limit: the model's reply ends here
                items.close()
                break
    except RagError as exc:
        status, code = rag_error_status(exc)
        yield events.event({"error": {"code": code, "message": rag_message(code, str(exc), exc),
                                      "status": status}})
        yield "data: [DONE]\n\n"
        return
    citations: list[dict[str, Any]] = []
    abstained, resolved = False, None
    if answer is not None:
        count_answer(request, answer, "chat")
        abstained, resolved = answer.abstained, answer.understood
        if answer.citations and sent == answer.text[:len(sent)] and finish == "stop":
            block = f"\n\n{sources_block(answer)}"
            content, finish = limit_reply(sent + block, stops, limit, counter)
            if content[len(sent):]:
                yield events.chunk({"content": content[len(sent):]})
            sent = content
        citations = [citation_json(c) for c in (answer.citations if answer else ())
                     if f"[{c.marker}]" in sent]
    yield events.chunk({}, finish, citations=citations, abstained=abstained,
                       resolved_question=resolved)
    if include_usage:
        prompt = sum(counter.count(message_text(m)) for m in body.messages)
        completion = counter.count(sent)
        yield events.event({**events.head(), "choices": [], "usage": {
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}})
    yield "data: [DONE]\n\n"


class _Events:
    """``data:`` events of one streamed completion (one id, one creation time)."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.id, self.created, self.model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), model
        self.usage = {"usage": None} if include_usage else {}

    def head(self) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model}

    @staticmethod
    def event(body: dict[str, Any]) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return self.event({**self.head(), "choices": [{"index": 0, "delta": delta,
                                                       "finish_reason": finish}],
                           **self.usage, **extra})


def available_models(pipeline: Pipeline | None) -> list[str]:
    """The model ids that can answer now: none without a loaded index; those of each
    composer whose settings are set (``unrag-llm``: ``RAG_LLM_MODEL`` or
    ``RAG_LLM_BASE_URL``), that can be built, and whose model server answers its model
    list (a probe, its verdict kept a few seconds)."""
    if pipeline is None:
        return []
    names = []
    for spec in COMPOSERS:
        if not spec.configured(pipeline.settings):
            continue
        try:
            composer = pipeline.composer(spec.name)
        except RagError:
            continue
        if (probe := getattr(composer, "unreachable", None)) and probe():
            continue  # its model server does not answer now
        names += spec.chat_models
    return names


@router.get("/models", responses=error_responses(*ANY_ROUTE, *GUARDED))
async def list_models(request: Request) -> ModelList:
    """The models (answering modes) that can answer now (an LLM whose model server does
    not answer is left out)."""
    pipeline = getattr(request.app.state, "pipeline", None)
    names = await run_in_threadpool(available_models, pipeline)
    return ModelList(object="list", data=[
        ModelCard(id=name, object="model", created=0, owned_by="unrag") for name in names])
