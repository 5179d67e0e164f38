"""Optional OpenTelemetry spans around the pipeline's steps (``rag.ask``, ``rag.retrieve``,
``rag.compose``).

With ``opentelemetry-api`` installed, :func:`span` opens a span on the globally configured
tracer provider (a no-op until an SDK provider is set, e.g. by ``opentelemetry-instrument``
or the application); without it, :func:`span` does nothing. No hard dependency.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - depends on the environment
    _trace = None

TRACER_NAME = "unrag"


class _NoSpan:
    """Stands in for a span without OpenTelemetry."""

    def set_attribute(self, key: str, value: Any) -> None:
        """Ignored."""


@contextmanager
def span(name: str, **attributes: str | int | float | bool) -> Iterator[Any]:
    """A span named ``name`` with ``attributes`` around the block; yields it (something
    with ``set_attribute`` in any case). Exceptions are recorded on the span and re-raised."""
    if _trace is None:
        yield _NoSpan()
        return
    tracer = _trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current
