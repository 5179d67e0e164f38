"""Each component's options have their defaults in one place (the component's dataclass);
``Settings`` takes its defaults from there and builds the options from its fields, so an
environment override reaches the component."""

from __future__ import annotations

from dataclasses import fields

import pytest

from rag.records import ChunkOptions, IndexSpec, RetrievalOptions
from rag.settings import Settings


def test_retrieval_defaults_come_from_the_retriever_options() -> None:
    assert Settings().retrieval_options() == RetrievalOptions()


def test_index_and_chunking_defaults_come_from_their_components() -> None:
    settings = Settings()
    assert settings.index_spec() == IndexSpec()
    chunk = ChunkOptions()
    assert (settings.max_window_chars, settings.group_items_max_chars) == \
        (chunk.max_window_chars, chunk.group_items_max_chars)


@pytest.mark.parametrize("option", [f.name for f in fields(RetrievalOptions)])
def test_an_environment_override_reaches_the_retriever(monkeypatch, option: str) -> None:
    default = getattr(RetrievalOptions(), option)
    changed = default * 2 if isinstance(default, int) else default + 0.25
    monkeypatch.setenv(f"RAG_{option.upper()}", str(changed))
    assert getattr(Settings().retrieval_options(), option) == changed
