"""Multi-turn gold questions go to ``Pipeline.ask`` the way ``POST /v1/chat/completions``
sends a chat follow-up (api/routes/chat.py): the conversation is read as chat messages,
the last user message is the question, the earlier non-empty user/assistant turns (the
last few) are the history, cleaned like user text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.routes.chat import resolve_question
from api.schemas import ChatMessage
from api.validation import HISTORY_TURNS, clean_question, clean_turn


def chat_arguments(question: str, turns: Sequence[tuple[str, str]], settings: Any
                   ) -> tuple[str, list[tuple[str, str]]]:
    """``(question, history)`` as the chat endpoint passes them to ``Pipeline.ask``."""
    messages = [ChatMessage(role=role, content=content) for role, content in turns]
    messages.append(ChatMessage(role="user", content=question))
    asked, history = resolve_question(messages)
    asked = clean_question(asked, settings, "messages")
    recent = history[-HISTORY_TURNS:]
    return asked, [(role, clean_turn(text, settings)) for role, text in recent]
