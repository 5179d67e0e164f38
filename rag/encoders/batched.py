"""What every hand-run encoder shares: prompts, lower-casing, longest-first batches, one
gate on concurrent model calls, and the ``EncoderChoice`` it reports. Subclasses turn one
batch of texts into L2-normalised rows (``_encode``)."""

from __future__ import annotations

import threading

import numpy as np
from tqdm import tqdm

from rag.encoders.base import EncoderChoice
from rag.encoders.options import EncoderOptions


class BatchedEncoder:
    """Base of the ONNX Runtime, OpenVINO and GPU encoders (not used on its own)."""

    backend = "torch"
    precision = "fp32"
    device = "cpu"
    lower = False
    dim = 0

    def __init__(self, options: EncoderOptions, *, show_progress: bool = False) -> None:
        self.options = options
        self.model_id = options.embedding_model
        self.show_progress = show_progress
        self._gate = threading.BoundedSemaphore(options.embed_concurrency)

    @property
    def encoder(self) -> EncoderChoice:
        """Runtime, precision and device of the vectors."""
        return EncoderChoice(self.backend, self.precision, self.device)

    @property
    def batch_size(self) -> int:
        """Texts per model call."""
        return self.options.embed_batch_size

    def _encode(self, batch: list[str]) -> np.ndarray:
        """L2-normalised float32 rows for one batch."""
        raise NotImplementedError

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        prompt = self.options.query_prompt if query else self.options.passage_prompt
        inputs = [(prompt or "") + t for t in texts]
        if self.lower:
            inputs = [t.lower() for t in inputs]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = np.argsort([-len(t) for t in inputs], kind="stable")
        size = self.batch_size
        starts = range(0, len(order), size)
        if self.show_progress and len(texts) > 1:

            starts = tqdm(starts, desc="Batches")
        with self._gate:
            for start in starts:
                idx = order[start:start + size]
                out[idx] = self._encode([inputs[i] for i in idx])
        return out
