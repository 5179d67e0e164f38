"""OpenAI Chat Completions compatible endpoint, for chatbot front ends.

The last user message is answered; the earlier user and assistant turns go along as the
conversation, from which the question analysis (:mod:`rag.question`) completes a
follow-up ("et pour l’OSCE ?", "when was it signed?"): the entities and documents in play.
The follow-up's own words decide what kind of answer it asks for. Citations are appended to
the message as a numbered source list and returned in ``citations``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, PipelineDep, SettingsDep
from api.errors import ApiError
from api.schemas import ChatMessage, ChatRequest
from api.validation import clean_question, clean_turn
from rag.answer import Answer, citation_json
from rag.citations import citation_label

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Authorized])
MODELS = {"unrag": "extractive", "unrag-extractive": "extractive", "unrag-llm": "llm"}
_HISTORY_TURNS = 8  # earlier turns passed to the question analysis


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
        raise ApiError(400, "no_user_message", "The conversation has no user message to answer")
    question = turns[-1][1]
    history = [(role, text) for role, text in turns[:-1] if text.strip()]
    return question, history


def message_content(answer: Answer) -> str:
    """Answer text followed by its numbered sources."""
    if not answer.citations:
        return answer.text
    heading = "Sources :" if answer.language == "fr" else "Sources:"
    sources = "\n".join(f"[{c.marker}] {citation_label(c.document, c.passage)}"
                        for c in answer.citations)
    return f"{answer.text}\n\n{heading}\n{sources}"


def _completion(answer: Answer, model: str, content: str) -> dict[str, Any]:
    prompt_tokens = len(answer.question.split())
    completion_tokens = len(content.split())
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
        "citations": [citation_json(c) for c in answer.citations],
        "abstained": answer.abstained,
    }


def sse_chunks(answer: Answer, model: str, content: str) -> Iterator[str]:
    """``data: {chunk}`` events: role, content pieces, a final chunk with citations, DONE."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": [{"index": 0, "delta": delta,
                                             "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*", content):
        yield chunk({"content": piece})
    yield chunk({}, "stop", citations=[citation_json(c) for c in answer.citations])
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, pipeline: PipelineDep,
                           settings: SettingsDep) -> dict[str, Any] | StreamingResponse:
    """Answer the last user message, OpenAI style (``stream: true`` for SSE)."""
    if body.model not in MODELS:
        raise ApiError(404, "model_not_found",
                       f"Unknown model {body.model!r}; available: {', '.join(MODELS)}")
    question, history = resolve_question(body.messages)
    question = clean_question(question, settings, "messages")
    history = [(role, clean_turn(text, settings)) for role, text in history[-_HISTORY_TURNS:]]
    answer = await run_in_threadpool(pipeline.ask, question, None, None, MODELS[body.model],
                                     history)
    content = message_content(answer)
    if body.stream:
        return StreamingResponse(sse_chunks(answer, body.model, content),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    return _completion(answer, body.model, content)


@router.get("/models")
async def list_models() -> dict[str, Any]:
    """The models (answering modes) this service offers."""
    return {"object": "list", "data": [
        {"id": name, "object": "model", "created": 0, "owned_by": "unrag"} for name in MODELS]}
