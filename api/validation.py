"""Checks on user text that the JSON schema cannot express."""

from __future__ import annotations

import unicodedata

from api.errors import ApiError
from api.i18n import say
from rag.settings import Settings


def clean_question(text: str, settings: Settings, field: str = "question") -> str:
    """Strip control characters; 400 when nothing is left, 413 when too long."""
    cleaned = _printable(text)
    if not cleaned:
        raise ApiError(400, "empty_question", say("empty_question", field=field))
    if len(cleaned) > settings.max_question_chars:
        raise ApiError(413, "question_too_long", say(
            "question_too_long", field=field, n=len(cleaned), limit=settings.max_question_chars))
    return cleaned


HISTORY_TURNS = 8  # earlier turns a follow-up is resolved against (chat and /v1/ask)


def clean_turn(text: str, settings: Settings) -> str:
    """An earlier turn of a conversation: control characters stripped, cut to the question
    length limit (an earlier answer may be long; it is context, not a question)."""
    return _printable(text)[: settings.max_question_chars]


def without_controls(text: str) -> str:
    """Control characters removed (line breaks and tabs kept)."""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")


def _printable(text: str) -> str:
    """Control characters removed, whitespace runs collapsed to single spaces."""
    return " ".join(without_controls(text).split())
