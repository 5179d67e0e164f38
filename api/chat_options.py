"""OpenAI Chat Completions parameters: which are honoured, ignored or refused.

Honoured: ``messages``, ``model``, ``stream``, ``stream_options.include_usage``,
``max_tokens`` / ``max_completion_tokens`` (the latter wins; the reply is cut to that many
tokens of the embedding model's tokenizer, ``finish_reason: "length"``) and ``stop`` (the
reply ends before the first stop sequence, ``finish_reason: "stop"``).

Accepted and ignored (the answer is extractive and deterministic): ``temperature``,
``top_p``, ``seed``, ``user``, ``presence_penalty``, ``frequency_penalty``, ``n: 1``,
``logprobs: false``, ``response_format: {"type": "text"}``, ``tool_choice: "none"``, and any
field not named here (``logit_bias``, ``metadata``, ``store``…).

Refused with 400 ``unsupported_parameter`` (and ``param`` naming it): ``n`` > 1, ``tools``,
``tool_choice``, ``functions``, ``function_call``, ``response_format`` other than text,
``logprobs: true`` and ``top_logprobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.errors import ApiError
from api.i18n import say
from api.schemas import ChatRequest
from rag.text import TokenCounter

MAX_STOP_SEQUENCES = 4


def _refuse(param: str, why: str) -> ApiError:
    return ApiError(400, "unsupported_parameter",
                    say("unsupported_parameter", param=param, why=say(why)), param)


def _invalid(param: str, why: str, **values: Any) -> ApiError:
    return ApiError(400, "invalid_parameter",
                    say("invalid_parameter", param=param, why=say(why, **values)), param)


def _not_none(value: Any) -> bool:
    return value not in (None, "none")


#: parameter → (is the value refused?, why: a key of api.i18n.MESSAGES)
UNSUPPORTED: dict[str, tuple[Callable[[Any], bool], str]] = {
    "n": (lambda v: v is not None and v != 1, "one_choice"),
    "tools": (bool, "no_tool_calls"),
    "tool_choice": (_not_none, "no_tool_calls"),
    "functions": (bool, "no_function_calls"),
    "function_call": (_not_none, "no_function_calls"),
    "response_format": (lambda v: v is not None and v != {"type": "text"}, "text_replies"),
    "logprobs": (lambda v: v not in (None, False), "no_logprobs"),
    "top_logprobs": (lambda v: v not in (None, 0), "no_logprobs"),
}


def check_options(body: ChatRequest) -> None:
    """Raise a 400 for a parameter this service cannot honour or a value out of range."""
    for param, (refused, why) in UNSUPPORTED.items():
        value = getattr(body, param)
        if refused(value):
            if param == "n" and isinstance(value, int) and value < 1:
                raise _invalid("n", "at_least_1")
            raise _refuse(param, why)
    for param in ("max_tokens", "max_completion_tokens"):
        value = getattr(body, param)
        if value is not None and value < 1:
            raise _invalid(param, "at_least_1")
    if body.stream_options is not None and not body.stream:
        raise _invalid("stream_options", "stream_only")
    if isinstance(body.stop, list) and len(body.stop) > MAX_STOP_SEQUENCES:
        raise _invalid("stop", "stop_sequences", n=MAX_STOP_SEQUENCES)


def token_limit(body: ChatRequest) -> int | None:
    """Most tokens the reply may have (``max_completion_tokens``, else ``max_tokens``)."""
    return body.max_completion_tokens or body.max_tokens


def stop_sequences(body: ChatRequest) -> list[str]:
    """The non-empty stop sequences."""
    stops = [body.stop] if isinstance(body.stop, str) else body.stop or []
    return [s for s in stops if s]


def limit_reply(content: str, stops: list[str], limit: int | None,
                counter: TokenCounter) -> tuple[str, str]:
    """(reply, finish_reason): ``content`` ended before its first stop sequence, then cut to
    ``limit`` tokens (``"length"`` if that cut anything, else ``"stop"``)."""
    found = [i for i in (content.find(s) for s in stops) if i >= 0]
    if found:
        content = content[:min(found)]
    if limit is not None:
        content, cut = counter.truncate(content, limit)
        if cut:
            return content, "length"
    return content, "stop"
