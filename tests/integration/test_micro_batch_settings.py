"""Settings wire the micro-batcher under the question cache, around the session's backend
(the real model, loaded once per session: the wiring is what is tested, not a second load)."""

from __future__ import annotations

import pytest

from rag.encoders.micro_batch import MicroBatcher


@pytest.mark.model
def test_settings_wire_the_batcher_under_the_question_cache(session_model, monkeypatch) -> None:
    import rag.encoders.load
    from rag.encoders.load import load_embedder
    from rag.encoders.query_cache import QueryCache
    from rag.settings import Settings

    backend = session_model
    while isinstance(backend, (QueryCache, MicroBatcher)):
        backend = backend.embedder
    monkeypatch.setattr(rag.encoders.load, "_backend", lambda settings, show_progress: backend)
    embedder = load_embedder(Settings(query_batch_size=8,
                                      query_batch_window_ms=1).encoder_options())
    assert isinstance(embedder.embedder, MicroBatcher)
    assert embedder.embedder.max_batch == 8
    assert embedder.tokenizer is not None  # token counts see through both wrappers
    vectors = embedder.embed(["Quelle ville ?", "Quel pays ?"], query=True)
    assert vectors.shape == (2, embedder.dim)
    model = embedder.embedder.embedder  # the backend under both wrappers
    assert model is backend
    assert (vectors[0] * model.embed(["Quelle ville ?"], query=True)[0]).sum() > 0.9999
    # without batching nor cache the backend is returned as is (that model, not a new one)
    assert load_embedder(Settings(query_batch_size=1,
                                  query_cache_size=0).encoder_options()) is model
