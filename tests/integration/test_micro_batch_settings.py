"""Settings wire the micro-batcher under the question cache (the real model)."""

from __future__ import annotations

import pytest

from rag.encoders.micro_batch import MicroBatcher


@pytest.mark.model
def test_settings_wire_the_batcher_under_the_question_cache(monkeypatch) -> None:
    import rag.encoders.load
    from rag.encoders.load import load_embedder
    from rag.settings import Settings

    embedder = load_embedder(Settings(query_batch_size=8, query_batch_window_ms=1))
    assert isinstance(embedder.embedder, MicroBatcher)
    assert embedder.embedder.max_batch == 8
    assert embedder.tokenizer is not None  # token counts see through both wrappers
    vectors = embedder.embed(["Quelle ville ?", "Quel pays ?"], query=True)
    assert vectors.shape == (2, embedder.dim)
    model = embedder.embedder.embedder  # the backend under both wrappers
    assert not isinstance(model, MicroBatcher)
    assert (vectors[0] * model.embed(["Quelle ville ?"], query=True)[0]).sum() > 0.9999
    # without batching nor cache the backend is returned as is (that model, not a new one)
    monkeypatch.setattr(rag.encoders.load, "_backend", lambda settings, show_progress: model)
    assert load_embedder(Settings(query_batch_size=1, query_cache_size=0)) is model
