"""Request bodies (validated) of the JSON endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    """``POST /v1/ask``."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question, in French or English.")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages returned.")
    documents: list[str] | None = Field(None, max_length=50,
                                        description="Restrict to these document ids/symbols.")
    composer: Literal["extractive", "llm"] | None = None


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
    content: str | list[dict[str, object]] | None = None


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions`` (the fields this service uses; others are accepted)."""

    model_config = ConfigDict(extra="allow")
    model: str = "unrag"
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
