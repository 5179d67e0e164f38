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
