"""Request bodies (validated) of the JSON endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag.answer.registry import ComposerName, composer_help


class Turn(BaseModel):
    """One earlier turn of a conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(..., max_length=20_000)


class AskRequest(BaseModel):
    """``POST /v1/ask``."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question, in French or English.")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages returned.")
    documents: list[str] | None = Field(None, max_length=50,
                                        description="Restrict to these document ids/symbols.")
    composer: ComposerName | None = Field(  # the enum is the registry's names
        None, description=f"Default: RAG_COMPOSER. {composer_help()}.")
    history: list[Turn] | None = Field(
        None, max_length=50, description="Earlier turns of a conversation, oldest first: "
        "the question is then resolved as a follow-up ('Et en 2019 ?').")
    language: Literal["fr", "en"] | None = Field(
        None, description="Language of the service's own sentences in the answer (not found, "
        "lead-ins, what the documents do not say…): `fr` or `en`; default: the question's. "
        "Quotes stay as the documents write them.")


class SearchRequest(BaseModel):
    """``POST /v1/search``."""

    model_config = ConfigDict(extra="forbid")
    query: str
    top_k: int | None = Field(None, ge=1, le=50)
    documents: list[str] | None = Field(None, max_length=50)


class ChatMessage(BaseModel):
    """One message of an OpenAI-style conversation."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, object]] | None = Field(
        None, description="A string, or a list of parts: the `text` parts (`{\"type\": "
        "\"text\", \"text\": \"…\"}`, `text` a string) are read, other kinds ignored.")

    @field_validator("content")
    @classmethod
    def _text_parts_are_strings(cls, content: object) -> object:
        if isinstance(content, list):
            for n, part in enumerate(content):
                if part.get("type") == "text" and not isinstance(part.get("text"), str):
                    raise ValueError(f"part {n} is a text part whose 'text' is not a string")
        return content


class StreamOptions(BaseModel):
    """``stream_options`` of a chat request."""

    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``. What each OpenAI parameter does here, and which are
    refused, is in :mod:`api.chat_options`; unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = "unrag"
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = Field(None, description="Up to 4 stop sequences.")
    # refused unless harmless (api.chat_options.UNSUPPORTED): typed loosely so that any
    # value gets the clear 400 rather than a type error
    n: Any = None
    logprobs: Any = None
    top_logprobs: Any = None
    tools: Any = None
    tool_choice: Any = None
    functions: Any = None
    function_call: Any = None
    response_format: Any = None
    # accepted and ignored (the answer is extractive and deterministic)
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    user: str | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None


class FeedbackCitation(BaseModel):
    """A citation of the judged answer, as ``/v1/ask`` gave it (its other fields, such as
    ``text`` or ``document``, are accepted and not stored)."""

    model_config = ConfigDict(extra="ignore")
    passage_id: str = Field(..., min_length=1, max_length=300)
    marker: int | None = Field(None, ge=0, le=1000)
    reference: str | None = Field(None, max_length=500)
    quote: str | None = Field(None, max_length=5000)


class FeedbackRequest(BaseModel):
    """``POST /v1/feedback``: an evaluator's verdict on one answer."""

    model_config = ConfigDict(extra="forbid")
    verdict: Literal["up", "down"] = Field(..., description="up: a good answer; down: wrong "
                                                            "or incomplete.")
    comment: str | None = Field(None, max_length=2000, description="What is wrong or missing.")
    question: str = Field(..., description="The question as asked.")
    history: list[Turn] | None = Field(None, max_length=50, description="The earlier turns "
                                       "it was asked with, oldest first (a follow-up).")
    resolved_question: str | None = Field(None, max_length=4000,
                                          description="How a follow-up was understood.")
    answer: str = Field(..., max_length=20_000, description="The answer text judged.")
    abstained: bool = False
    language: Literal["fr", "en"] | None = None
    kind: str | None = Field(None, max_length=40, description="The answer's `kind`.")
    composer: str | None = Field(None, max_length=40)
    confidence: float | None = Field(None, ge=0, le=1)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=50)
    answer_id: str | None = Field(None, min_length=1, max_length=100,
                                  pattern=r"^[A-Za-z0-9._:-]+$",
                                  description="The client's id of the answer: a later verdict "
                                  "on the same id replaces the earlier one in exports.")
