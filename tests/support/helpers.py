"""Small helpers shared by tests (not part of the library)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import numpy as np

from rag.index.load import Index
from rag.settings import PROJECT_ROOT, Settings

DEV_QA = PROJECT_ROOT / "eval" / "dev_qa.jsonl"


def vectors_of(index: Index) -> np.ndarray:
    """All stored passage vectors of ``index``, in row order."""
    return index.store.vectors(range(len(index.passages)))


@contextmanager
def serve_app(app: Any, **options: Any) -> Iterator[tuple[str, int]]:
    """``app`` served by uvicorn (with ``options``, e.g. ``api.server.uvicorn_options``) on a
    free local port in a thread; yields (host, port) once it accepts connections."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def passage_texts(settings: Settings) -> list[str]:
    """Every seed passage text exactly as ``rag.index.build.build_index`` embeds it."""
    from rag.index.build import passage_vector_texts
    from rag.ingest.chunking import chunk_corpus
    from rag.ingest.documents import load_corpus

    docs = load_corpus(settings.seeds_dir, settings.catalog_path)
    return passage_vector_texts(docs, chunk_corpus(docs, settings.chunk_options()))


def dev_questions() -> list[str]:
    """The dev set's questions."""
    return [json.loads(line)["question"] for line in DEV_QA.read_text().splitlines()
            if line.strip()]


@cache
def encoder_texts(size: str) -> dict[str, list[str]]:
    """What the encoder equivalence tests embed as passages and as questions: ``full``, every
    seed passage (as the index embeds it) and every dev question; ``sample``, every 8th
    passage with the 4 longest (truncation, padding) and every 4th question."""
    passages = passage_texts(Settings(seeds_dir=PROJECT_ROOT / "seeds"))
    questions = dev_questions()
    if size == "full":
        assert len(passages) > 100 and len(questions) >= 40
        return {"passages": passages, "questions": questions}
    assert size == "sample", size
    longest = sorted(passages, key=len)[-4:]
    sample = list(dict.fromkeys(passages[::8] + longest))
    assert len(sample) >= 30 and len(questions[::4]) >= 10
    return {"passages": sample, "questions": questions[::4]}
