"""Micro-batching of concurrent questions: one forward pass for the questions that arrive
together, on a bounded number of inference threads.

A server answering many clients at once would otherwise run one model call per request, each
in its own thread, fighting over the same cores. ``MicroBatcher`` puts each question-side
``embed`` call in a queue; an inference thread takes the first waiting call, adds every call
already queued behind it (up to ``max_batch`` texts), and — only when it found company, i.e.
under concurrency — waits up to ``window_ms`` for more. One model call embeds them all and
each caller gets its own rows back. A lone client therefore never waits for the window: its
call runs as soon as a thread is free. Passage-side calls (index builds, uploads) and calls
larger than a batch go straight to the model.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.encoders.base import Embedder, encoder_of

log = logging.getLogger(__name__)


@dataclass
class _Call:
    texts: list[str]
    future: Future[np.ndarray] = field(default_factory=Future)


@dataclass
class BatchStats:
    """What the batcher did: model calls, questions and the largest batch seen."""

    calls: int = 0
    texts: int = 0
    largest: int = 0

    @property
    def mean_batch(self) -> float:
        """Texts per model call on average."""
        return self.texts / self.calls if self.calls else 0.0


class MicroBatcher:
    """``Embedder`` wrapper that embeds concurrent question calls together."""

    def __init__(self, embedder: Embedder, *, max_batch: int = 16, window_ms: float = 2.0,
                 threads: int = 1) -> None:
        if max_batch < 1 or threads < 1 or window_ms < 0:
            raise ValueError("max_batch and threads must be ≥ 1, window_ms ≥ 0")
        self.embedder = embedder
        self.model_id, self.dim = embedder.model_id, embedder.dim
        self.encoder = encoder_of(embedder)
        self.max_batch, self.window = max_batch, window_ms / 1000
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._stats_lock = threading.Lock()
        self._closed = False
        # the threads hold the batcher only while running a batch: a batcher nobody uses
        # any more is collected (its model with it), and its threads are told to stop
        self._threads = [threading.Thread(target=_serve, args=(self._queue, weakref.ref(self)),
                                          name=f"rag-embed-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()
        weakref.finalize(self, _stop, self._queue, threads)

    @property
    def tokenizer(self) -> Any:
        """The wrapped embedder's tokenizer, if it has one."""
        return getattr(self.embedder, "tokenizer", None)

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Question vectors through the shared batches; anything else straight through."""
        if not query or not texts or len(texts) > self.max_batch or self._closed:
            return self.embedder.embed(texts, query=query)
        call = _Call(list(texts))
        self._queue.put(call)
        return call.future.result()

    def close(self) -> None:
        """Stop the inference threads once the calls already queued are answered."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def _collect(self, first: _Call) -> tuple[list[_Call], bool]:
        """The first call plus those queued behind it; waits for more only under load."""
        batch, size = [first], len(first.texts)
        deadline: float | None = None
        while size < self.max_batch:
            try:
                if deadline is None:
                    call = self._queue.get_nowait()
                else:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    call = self._queue.get(timeout=left)
            except queue.Empty:
                if deadline is not None or len(batch) == 1 or not self.window:
                    break
                deadline = time.perf_counter() + self.window  # company found: wait a little
                continue
            if call is None:
                return batch, True
            if size + len(call.texts) > self.max_batch:
                self._queue.put(call)  # next batch; order among concurrent calls is free
                break
            batch.append(call)
            size += len(call.texts)
        return batch, False

    def _run(self, batch: list[_Call]) -> None:
        texts = [t for call in batch for t in call.texts]
        try:
            vectors = self.embedder.embed(texts, query=True)
        except BaseException as exc:  # every waiting caller gets the model's error
            for call in batch:
                call.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        start = 0
        for call in batch:
            call.future.set_result(vectors[start:start + len(call.texts)])
            start += len(call.texts)
        with self._stats_lock:
            self.stats.calls += 1
            self.stats.texts += len(texts)
            self.stats.largest = max(self.stats.largest, len(texts))


def _serve(calls: queue.SimpleQueue[_Call | None], ref: weakref.ref[MicroBatcher]) -> None:
    """An inference thread: batches of waiting calls until told to stop."""
    while True:
        first = calls.get()
        if first is None:
            return
        batcher = ref()
        if batcher is None:  # collected meanwhile: nobody waits for an answer
            return
        batch, stop = batcher._collect(first)
        batcher._run(batch)
        del batcher
        if stop:
            return


def _stop(calls: queue.SimpleQueue[_Call | None], threads: int) -> None:
    for _ in range(threads):
        calls.put(None)
