"""OpenAI Chat Completions compatible endpoint, for chatbot front ends.

The last user message is answered; when it looks like a follow-up ("et pour l’OSCE ?",
"what about Africa?") the previous user message is added to the retrieval query. Citations
are appended to the message as a numbered source list and returned in ``citations``.
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
from api.validation import clean_question
from rag.answer import Answer, citation_json
from rag.citations import citation_label

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Authorized])
MODELS = {"unrag": "extractive", "unrag-extractive": "extractive", "unrag-llm": "llm"}
_FOLLOW_UP = re.compile(
    r"^(?:et|and|also|aussi|what about|how about|qu[’']en est-il|et pour|et en|et dans)\b|"
    r"\b(?:elle|il|ils|elles|celle-ci|celui-ci|cette organisation|it|they|this organi[sz]ation"
    r"|that)\b", re.I)


def message_text(message: ChatMessage) -> str:
    """Text of a message whose content is a string or a list of text parts."""
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):
        return " ".join(str(part.get("text", "")) for part in message.content
                        if part.get("type") == "text")
    return ""


def resolve_question(messages: list[ChatMessage]) -> tuple[str, str]:
    """(question to answer, retrieval query) from the conversation."""
    users = [message_text(m) for m in messages if m.role == "user"]
    if not users or not users[-1].strip():
        raise ApiError(400, "no_user_message", "The conversation has no user message to answer")
    question = users[-1]
    query = question
    if len(users) > 1 and (len(question.split()) <= 6 or _FOLLOW_UP.search(question)):
        query = f"{users[-2]} {question}"
    return question, query


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
    question, query = resolve_question(body.messages)
    question = clean_question(question, settings, "messages")
    query = clean_question(query, settings, "messages")
    answer = await run_in_threadpool(pipeline.ask, query, None, None, MODELS[body.model])
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
