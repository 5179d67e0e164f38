"""How a component declares its settings: each knob once, in the component's options
dataclass, as ``name: type = knob(default, "description", ge=…)``: its default, bounds and
description. :class:`rag.settings.Settings` reads these declarations and makes each knob the
environment variable ``RAG_<NAME>`` (with a group prefix such as ``llm_`` for
:class:`rag.answer.options.LLMOptions`, or the ``setting`` name given here), with the same
default, bounds and description; its ``…_options()`` methods build the objects back.

A dataclass field declared without :func:`knob` (a folder the service derives, a value
another knob gives) is no setting of its own. This module imports nothing heavy: the option
dataclasses stay plain values that any module can name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KNOB = "rag.knob"  # the metadata key of a knob's declaration
BOUNDS = ("ge", "gt", "le", "lt")


@dataclasses.dataclass(frozen=True)
class Knob:
    """A knob's declaration: the description and bounds the settings field gets."""

    description: str
    bounds: dict[str, float]
    secret: bool = False  # never printed (repr, ``rag settings``)
    setting: str | None = None  # the settings name, when it is not prefix + field name


def knob(default: Any = dataclasses.MISSING, description: str = "", *,
         default_factory: Callable[[], Any] | None = None, secret: bool = False,
         setting: str | None = None, **bounds: float) -> Any:
    """A dataclass field that is a setting: ``default`` (or ``default_factory``), a
    ``description`` (one sentence or two, what ``rag settings`` prints) and bounds
    (``ge``, ``gt``, ``le``, ``lt``) that the settings enforce."""
    if not description:
        raise ValueError("a knob needs a description")
    if unknown := set(bounds) - set(BOUNDS):
        raise TypeError(f"unknown bounds {sorted(unknown)}")
    meta = {KNOB: Knob(description, dict(bounds), secret, setting)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, repr=not secret,
                                 metadata=meta)
    return dataclasses.field(default=default, repr=not secret, metadata=meta)


def knobs(options: type) -> Iterator[tuple[dataclasses.Field[Any], Knob]]:
    """The fields of the options dataclass ``options`` that are knobs, in order."""
    for f in dataclasses.fields(options):
        if isinstance(declared := f.metadata.get(KNOB), Knob):
            yield f, declared
