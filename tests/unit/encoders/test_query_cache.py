"""The question-embedding LRU: repeated questions skip the model, vectors are identical."""

from __future__ import annotations

import threading

import numpy as np

from rag.encoders.query_cache import QueryCache
from tests.support.fakes import HashEmbedder


class Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[list[str], bool]] = []

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        self.calls.append((list(texts), query))
        return super().embed(texts, query=query)


def test_repeated_questions_skip_the_model():
    model = Counting()
    cache = QueryCache(model, size=2)
    first = cache.embed(["Quel rôle  pour l’OSCE ?"], query=True)
    again = cache.embed([" Quel rôle pour l’OSCE ?", "Et l’UA ?"], query=True)
    assert model.calls == [(["Quel rôle pour l’OSCE ?"], True), (["Et l’UA ?"], True)]
    assert np.array_equal(first[0], again[0]) and cache.hits == 1 and cache.misses == 2
    cache.embed(["troisième"], query=True)  # evicts the least recently used
    cache.embed(["Quel rôle pour l’OSCE ?"], query=True)
    assert model.calls[-1] == (["Quel rôle pour l’OSCE ?"], True)


def test_passages_go_straight_through_and_results_are_copies():
    model = Counting()
    cache = QueryCache(model, size=8)
    cache.embed(["un passage"])
    cache.embed(["un passage"])
    assert model.calls == [(["un passage"], False), (["un passage"], False)]
    v = cache.embed(["q"], query=True)
    v[0, :] = 0
    assert np.linalg.norm(cache.embed(["q"], query=True)) > 0.99


def test_concurrent_use_is_safe():
    cache = QueryCache(Counting(), size=16)
    errors: list[Exception] = []

    def work(i: int) -> None:
        try:
            for j in range(200):
                out = cache.embed([f"question {(i + j) % 40}"], query=True)
                assert out.shape == (1, 64)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache._vectors) <= 16
