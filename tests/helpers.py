"""Small helpers shared by tests (not part of the library)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from rag.index import Index


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
