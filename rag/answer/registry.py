"""The composers, by name: the one list that ``rag ask --composer``, ``RAG_COMPOSER``, the
``composer`` of ``POST /v1/ask`` and the models of ``/v1/chat/completions`` and
``/v1/models`` read. A new composer: a class with ``name``, ``compose(plan, evidence)`` and a
factory taking :class:`~rag.answer.types.ComposerInputs`, then one entry in ``COMPOSERS``.

This module imports nothing of the composers, not even their types (settings read it at
start): each factory is named by a ``"module:attribute"`` string and imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rag.errors import RagError


@dataclass(frozen=True)
class ComposerSpec:
    """One way of writing answers."""

    name: str
    description: str
    factory: str  # "module:Class.method" called with ComposerInputs, imported on first use
    chat_models: tuple[str, ...]  # its model ids on /v1/chat/completions and /v1/models
    needs: tuple[str, ...] = ()  # Settings fields of which one must be set to offer it

    def configured(self, settings: object) -> bool:
        """Whether ``settings`` (a :class:`rag.settings.Settings`) set what it needs."""
        return not self.needs or any(getattr(settings, f, None) for f in self.needs)

    def load_factory(self) -> Callable[[Any], Any]:
        """The factory, imported now: called with a :class:`rag.answer.types.ComposerInputs`
        it returns a :class:`rag.answer.types.Composer`, or raises
        :class:`rag.errors.ModelUnavailable` when the composer cannot run here."""
        module, _, attribute = self.factory.partition(":")
        factory: Any = importlib.import_module(module)
        for part in attribute.split("."):
            factory = getattr(factory, part)
        return factory


#: the extractive composer is always loaded: it declines off-topic input before retrieval
#: and judges the evidence (``confidence``) for every composer
EXTRACTIVE = "extractive"

COMPOSERS: tuple[ComposerSpec, ...] = (
    ComposerSpec(EXTRACTIVE, "cited sentences of the documents, chosen by the kind of "
                 "question (default, offline)",
                 "rag.answer.extractive:ExtractiveComposer.build", ("unrag", "unrag-extractive")),
    ComposerSpec("llm", "a chat model writes the answer from the same passages, citations "
                 "checked (RAG_LLM_*)",
                 "rag.answer.llm:LLMComposer.build", ("unrag-llm",),
                 needs=("llm_model", "llm_base_url")),
)
COMPOSER_NAMES: tuple[str, ...] = tuple(c.name for c in COMPOSERS)
ComposerName = Literal[COMPOSER_NAMES]  # type: ignore[valid-type]  # settings and API enum
DEFAULT_COMPOSER = EXTRACTIVE


def composer_spec(name: str) -> ComposerSpec:
    """The composer called ``name`` (a :class:`RagError` naming the others if none is)."""
    for spec in COMPOSERS:
        if spec.name == name:
            return spec
    raise RagError(f"Unknown composer {name!r}; choose one of {', '.join(COMPOSER_NAMES)}")


def chat_models() -> dict[str, str]:
    """Model id of the chat endpoint → composer name, in registry order."""
    return {model: spec.name for spec in COMPOSERS for model in spec.chat_models}


def composer_help() -> str:
    """One line per composer, for ``--help``."""
    return "; ".join(f"{spec.name}: {spec.description}" for spec in COMPOSERS)
