"""Micro-batching: concurrent questions share one model call, each caller gets its own rows,
a lone question does not wait for the window, errors reach every caller of the batch."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.encoders.micro_batch import MicroBatcher


class SlowEmbedder:
    """A model call that takes ``delay`` seconds; vectors derived from the text."""

    model_id, dim = "fake", 4

    def __init__(self, delay: float = 0.05, fail: bool = False) -> None:
        self.delay, self.fail = delay, fail
        self.calls: list[tuple[list[str], bool]] = []
        self.lock = threading.Lock()

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        with self.lock:
            self.calls.append((list(texts), query))
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("model failed")
        return np.array([[len(t), sum(map(ord, t)) % 97, float(query), 1.0] for t in texts],
                        dtype=np.float32)


def expected(text: str) -> np.ndarray:
    return SlowEmbedder().embed([text], query=True)[0]


def test_concurrent_questions_share_model_calls() -> None:
    model = SlowEmbedder(delay=0.05)
    batcher = MicroBatcher(model, max_batch=16, window_ms=20)
    questions = [f"question numéro {i} " * (i % 3 + 1) for i in range(24)]
    start = threading.Barrier(len(questions))

    def ask(q: str) -> np.ndarray:
        start.wait()
        return batcher.embed([q], query=True)

    with ThreadPoolExecutor(len(questions)) as pool:
        results = list(pool.map(ask, questions))
    for q, row in zip(questions, results, strict=True):
        np.testing.assert_array_equal(row[0], expected(q))  # each caller gets its own row
    assert len(model.calls) < len(questions) // 2
    assert all(len(texts) <= 16 and query for texts, query in model.calls)
    assert batcher.stats.texts == len(questions) and batcher.stats.largest > 1
    batcher.close()


def test_multi_text_calls_keep_their_rows_together() -> None:
    model = SlowEmbedder(delay=0.02)
    batcher = MicroBatcher(model, max_batch=8, window_ms=10)
    calls = [[f"a{i}", f"bb{i}", f"ccc{i}"] for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda texts: batcher.embed(texts, query=True), calls))
    for texts, rows in zip(calls, results, strict=True):
        assert rows.shape == (3, 4)
        np.testing.assert_array_equal(rows, np.vstack([expected(t) for t in texts]))
    assert all(len(texts) <= 8 for texts, _ in model.calls)
    batcher.close()


def test_lone_question_does_not_wait_for_the_window() -> None:
    model = SlowEmbedder(delay=0)
    batcher = MicroBatcher(model, max_batch=16, window_ms=100)  # the maximum window
    started = time.perf_counter()
    for i in range(5):
        batcher.embed([f"q{i}"], query=True)
    assert time.perf_counter() - started < 0.25  # five windows would be 0.5 s
    assert [len(texts) for texts, _ in model.calls] == [1] * 5
    batcher.close()


def test_passages_and_large_calls_go_straight_to_the_model() -> None:
    model = SlowEmbedder(delay=0)
    batcher = MicroBatcher(model, max_batch=4)
    batcher.embed(["un passage"])
    batcher.embed([f"q{i}" for i in range(5)], query=True)
    assert batcher.stats.calls == 0 and len(model.calls) == 2
    assert model.calls[0] == (["un passage"], False)
    batcher.close()


def test_a_model_error_reaches_every_caller_of_the_batch() -> None:
    batcher = MicroBatcher(SlowEmbedder(delay=0.05, fail=True), max_batch=16, window_ms=20)
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(batcher.embed, [f"q{i}"], query=True) for i in range(6)]
        for future in futures:
            with pytest.raises(RuntimeError, match="model failed"):
                future.result()
    ok = MicroBatcher(SlowEmbedder(delay=0), max_batch=4)
    assert ok.embed(["encore"], query=True).shape == (1, 4)  # a failure does not stop it
    batcher.close()
    ok.close()


def test_close_stops_the_threads_and_later_calls_still_work() -> None:
    batcher = MicroBatcher(SlowEmbedder(delay=0), threads=2)
    batcher.close()
    assert not any(t.is_alive() for t in batcher._threads)
    assert batcher.embed(["après"], query=True).shape == (1, 4)  # straight to the model


def test_an_unused_batcher_is_collected_with_its_model_and_threads() -> None:
    import gc
    import weakref

    model = SlowEmbedder(delay=0)
    batcher = MicroBatcher(model, threads=2)
    batcher.embed(["q"], query=True)
    threads, model_ref = batcher._threads, weakref.ref(model)
    del batcher, model
    gc.collect()
    assert model_ref() is None  # the inference threads do not keep the model alive
    for thread in threads:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in threads)
