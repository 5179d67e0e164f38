"""The encoder on a GPU (CUDA, or Apple's MPS) with PyTorch: half precision (bf16, or fp16
where bf16 is missing), length-sorted batches whose padded length is rounded up to a
multiple of 32 tokens (fewer distinct shapes, tensor-core friendly), SDPA attention, and
optional ``torch.compile`` for large builds.

Mean pooling and normalisation run in fp32 on the device, as sentence-transformers does for
``Transformer → Pooling(mean) → Normalize`` models; other module stacks are refused (``auto``
then keeps the CPU backends). The same code runs on the CPU in fp32, which is how the tests
here prove it reproduces sentence-transformers when no GPU is present.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from rag.encoders.base import _load, _set_offline, resolve_model_path
from rag.encoders.batched import BatchedEncoder
from rag.encoders.onnx import OnnxUnsupported, check_modules
from rag.encoders.options import EncoderOptions
from rag.errors import ModelUnavailable

log = logging.getLogger(__name__)
PAD_MULTIPLE = 32
GPUS = ("cuda", "mps")


def _torch() -> Any:
    import torch

    return torch


def resolve_device(wanted: str) -> str:
    """``auto`` → ``cuda`` or ``mps`` when torch sees one, else ``cpu``; a device asked for
    and absent is a one-line ``ModelUnavailable``."""
    if wanted == "cpu":
        return "cpu"
    torch = _torch()
    found = {"cuda": torch.cuda.is_available(),
             "mps": bool(getattr(torch.backends, "mps", None)
                         and torch.backends.mps.is_available())}
    if wanted == "auto":
        return next((name for name in GPUS if found[name]), "cpu")
    if wanted not in found:
        raise ModelUnavailable(f"RAG_EMBEDDING_DEVICE={wanted!r} is unknown (auto, cpu, cuda, "
                               "mps)")
    if not found[wanted]:
        raise ModelUnavailable(f"RAG_EMBEDDING_DEVICE={wanted}, but torch {torch.__version__} "
                               f"sees no {wanted.upper()} device here; use auto or cpu")
    return wanted


def device_precision(device: str, wanted: str) -> str:
    """fp32 on the CPU; on a GPU ``auto`` = bf16 where supported, else fp16."""
    if device == "cpu":
        if wanted == "bf16":
            raise ModelUnavailable("RAG_EMBEDDING_PRECISION=bf16 on the CPU needs the openvino "
                                   "backend")
        return "fp32"
    if wanted == "fp32":
        return "fp32"
    torch = _torch()
    bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    if wanted == "bf16" and not bf16:
        raise ModelUnavailable(f"this {device} device has no bf16; use "
                               "RAG_EMBEDDING_PRECISION=auto (fp16) or fp32")
    return "bf16" if bf16 else "fp16"


class DeviceEmbedder(BatchedEncoder):
    """``Embedder`` running the sentence-transformers model's transformer on ``device``."""

    backend = "torch"

    def __init__(self, options: EncoderOptions, device: str, precision: str = "fp32", *,
                 show_progress: bool = False) -> None:

        super().__init__(options, show_progress=show_progress)
        torch = _torch()
        self.device, self.precision = device, precision
        path = resolve_model_path(options.embedding_model, options.cache_dir)
        _set_offline(Path(path).exists(), options.allow_model_download)
        model = _load(path, show_progress)
        try:
            check_modules(model)
        except OnnxUnsupported as exc:
            raise ModelUnavailable(f"the {device} encoder runs mean-pooled transformers only: "
                                   f"{exc}") from exc
        transformer = model[0]
        self.tokenizer = transformer.tokenizer
        self.max_length = int(transformer.max_seq_length or self.tokenizer.model_max_length)
        self.lower = bool(getattr(transformer, "do_lower_case", False))
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        auto_model = transformer.auto_model.to(device=device, dtype=dtype).eval()
        try:
            auto_model.set_attn_implementation("sdpa")
        except Exception as exc:  # older transformers or a model without SDPA support
            log.info("SDPA attention unavailable (%s); keeping %s", exc,
                     getattr(auto_model.config, "_attn_implementation", "default"))
        self.dim = int(auto_model.config.hidden_size)
        self.inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids")
                       if n in self.tokenizer.model_input_names]
        self.forward = auto_model
        if options.embedding_compile and device != "cpu":
            self.forward = torch.compile(auto_model, dynamic=True)
        self._torch = torch

    @property
    def batch_size(self) -> int:
        """Texts per forward pass: large on a GPU, the CPU setting elsewhere."""
        if self.device == "cpu":
            return self.options.embed_batch_size
        return self.options.gpu_batch_size

    def _encode(self, batch: list[str]) -> np.ndarray:
        torch = self._torch
        multiple = PAD_MULTIPLE if self.max_length % PAD_MULTIPLE == 0 else None
        enc = self.tokenizer(batch, padding=True, truncation="longest_first",
                             max_length=self.max_length, pad_to_multiple_of=multiple,
                             return_tensors="pt")
        feeds = {n: enc[n].to(self.device, non_blocking=True) for n in self.inputs}
        with torch.inference_mode():
            tokens = self.forward(**feeds, return_dict=True)[0].float()
            mask = feeds["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.cpu().numpy().astype(np.float32, copy=False)
