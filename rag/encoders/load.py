"""The configured embedder: the backend chosen (GPU torch, openvino, onnx or torch on the
CPU, :mod:`rag.encoders.base` and one module per backend), then wrapped for concurrent
questions (:mod:`rag.encoders.micro_batch`) and repeated ones (:mod:`rag.encoders.query_cache`).
"""

from __future__ import annotations

import logging

from rag.encoders import gpu, onnx, openvino
from rag.encoders.base import Embedder, EncoderChoice, SentenceTransformerEmbedder
from rag.encoders.micro_batch import MicroBatcher
from rag.encoders.options import EncoderOptions
from rag.encoders.query_cache import QueryCache
from rag.errors import ModelUnavailable

log = logging.getLogger(__name__)


def load_embedder(options: EncoderOptions, *, show_progress: bool = False) -> Embedder:
    """The configured embedder: ``RAG_EMBEDDING_BACKEND`` torch, onnx, openvino, or auto (the
    first of openvino, onnx, torch that is installed and works); concurrent questions embedded
    together (``RAG_QUERY_BATCH_SIZE``) and question vectors cached (``RAG_QUERY_CACHE_SIZE``)."""
    embedder = _backend(options, show_progress)
    if options.query_batch_size > 1:
        embedder = MicroBatcher(embedder, max_batch=options.query_batch_size,
                                window_ms=options.query_batch_window_ms,
                                threads=options.inference_threads)
    if options.query_cache_size:
        embedder = QueryCache(embedder, options.query_cache_size)
    return embedder


def _candidates(options: EncoderOptions) -> list[str]:
    backend = options.embedding_backend
    if backend != "auto":
        return [backend]
    return [name for name, found in (("openvino", openvino.openvino_available()),
                                     ("onnx", onnx.onnxruntime_available())) if found] + ["torch"]


def _gpu(options: EncoderOptions) -> EncoderChoice | None:
    """The GPU encoder when ``RAG_EMBEDDING_DEVICE`` resolves to a GPU, else None."""
    device = gpu.resolve_device(options.embedding_device)
    if device == "cpu":
        return None
    if options.embedding_backend not in ("auto", "torch"):
        raise ModelUnavailable(f"RAG_EMBEDDING_BACKEND={options.embedding_backend} runs on "
                               f"the CPU; on {device} use torch or auto, or set "
                               "RAG_EMBEDDING_DEVICE=cpu")
    return EncoderChoice("torch", gpu.device_precision(device, options.embedding_precision),
                         device)


def choose_encoder(options: EncoderOptions) -> EncoderChoice:
    """The encoder ``load_embedder`` will use, decided without loading the model (so that
    the embedding cache can key vectors by precision before any model is needed)."""
    if on_gpu := _gpu(options):
        return on_gpu
    first = _candidates(options)[0]
    if first == "openvino":
        try:
            return EncoderChoice("openvino", openvino.openvino_precision(options))
        except onnx.OnnxUnsupported as exc:
            raise ModelUnavailable(str(exc)) from exc
    return EncoderChoice(first)


def _backend(options: EncoderOptions, show_progress: bool) -> Embedder:
    if on_gpu := _gpu(options):
        embedder = gpu.DeviceEmbedder(options, on_gpu.device, on_gpu.precision,
                                      show_progress=show_progress)
        log.info("embedding backend: torch %s on %s", on_gpu.precision, on_gpu.device)
        return embedder
    candidates = _candidates(options)
    if options.embedding_precision == "bf16":
        candidates = [c for c in candidates if c == "openvino"]
        if not candidates:
            raise ModelUnavailable("RAG_EMBEDDING_PRECISION=bf16 needs the openvino backend "
                                   "(RAG_EMBEDDING_BACKEND=openvino or auto; pip install "
                                   "openvino)")
    for name in candidates:
        if name == "torch":
            log.info("embedding backend: torch")
            return SentenceTransformerEmbedder(options, show_progress=show_progress)
        try:
            embedder = _exported(name, options, show_progress)
        except Exception as exc:  # a missing runtime or a failed export must not stop us
            if len(candidates) == 1:
                raise ModelUnavailable(f"{name} embedding backend unavailable: {exc}") from exc
            log.warning("embedding backend %s unavailable (%s); trying the next", name, exc)
            continue
        log.info("embedding backend: %s %s (%s)", name, embedder.precision, embedder.folder)
        return embedder
    raise ModelUnavailable(f"no embedding backend among {candidates} works")


def _exported(name: str, options: EncoderOptions, show_progress: bool) -> onnx.ExportedEmbedder:
    if name == "openvino":
        return openvino.OpenVinoEmbedder(options, show_progress=show_progress)
    return onnx.OnnxEmbedder(options, show_progress=show_progress)
