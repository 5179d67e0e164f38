"""The configured embedder: the backend chosen (GPU torch, openvino, onnx or torch on the
CPU, :mod:`rag.encoders.base` and one module per backend), then wrapped for concurrent
questions (:mod:`rag.encoders.micro_batch`) and repeated ones (:mod:`rag.encoders.query_cache`).
"""

from __future__ import annotations

import logging

from rag.encoders import gpu, onnx, openvino
from rag.encoders.base import Embedder, EncoderChoice, SentenceTransformerEmbedder
from rag.encoders.micro_batch import MicroBatcher
from rag.encoders.query_cache import QueryCache
from rag.errors import ModelUnavailable
from rag.settings import Settings

log = logging.getLogger(__name__)


def load_embedder(settings: Settings, *, show_progress: bool = False) -> Embedder:
    """The configured embedder: ``RAG_EMBEDDING_BACKEND`` torch, onnx, openvino, or auto (the
    first of openvino, onnx, torch that is installed and works); concurrent questions embedded
    together (``RAG_QUERY_BATCH_SIZE``) and question vectors cached (``RAG_QUERY_CACHE_SIZE``)."""
    embedder = _backend(settings, show_progress)
    if settings.query_batch_size > 1:
        embedder = MicroBatcher(embedder, max_batch=settings.query_batch_size,
                                window_ms=settings.query_batch_window_ms,
                                threads=settings.inference_threads)
    if settings.query_cache_size:
        embedder = QueryCache(embedder, settings.query_cache_size)
    return embedder


def _candidates(settings: Settings) -> list[str]:
    backend = settings.embedding_backend
    if backend != "auto":
        return [backend]
    return [name for name, found in (("openvino", openvino.openvino_available()),
                                     ("onnx", onnx.onnxruntime_available())) if found] + ["torch"]


def _gpu(settings: Settings) -> EncoderChoice | None:
    """The GPU encoder when ``RAG_EMBEDDING_DEVICE`` resolves to a GPU, else None."""
    device = gpu.resolve_device(settings.embedding_device)
    if device == "cpu":
        return None
    if settings.embedding_backend not in ("auto", "torch"):
        raise ModelUnavailable(f"RAG_EMBEDDING_BACKEND={settings.embedding_backend} runs on "
                               f"the CPU; on {device} use torch or auto, or set "
                               "RAG_EMBEDDING_DEVICE=cpu")
    return EncoderChoice("torch", gpu.device_precision(device, settings.embedding_precision),
                         device)


def choose_encoder(settings: Settings) -> EncoderChoice:
    """The encoder ``load_embedder`` will use, decided without loading the model (so that
    the embedding cache can key vectors by precision before any model is needed)."""
    if on_gpu := _gpu(settings):
        return on_gpu
    first = _candidates(settings)[0]
    if first == "openvino":
        try:
            return EncoderChoice("openvino", openvino.openvino_precision(settings))
        except onnx.OnnxUnsupported as exc:
            raise ModelUnavailable(str(exc)) from exc
    return EncoderChoice(first)


def _backend(settings: Settings, show_progress: bool) -> Embedder:
    if on_gpu := _gpu(settings):
        embedder = gpu.DeviceEmbedder(settings, on_gpu.device, on_gpu.precision,
                                      show_progress=show_progress)
        log.info("embedding backend: torch %s on %s", on_gpu.precision, on_gpu.device)
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


def _exported(name: str, settings: Settings, show_progress: bool) -> onnx.ExportedEmbedder:
    if name == "openvino":
        return openvino.OpenVinoEmbedder(settings, show_progress=show_progress)
    return onnx.OnnxEmbedder(settings, show_progress=show_progress)
