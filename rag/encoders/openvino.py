"""OpenVINO encoder: the exported ONNX transformer run by OpenVINO, in bf16 where the CPU
computes bf16 natively (AVX512-BF16 or AMX), else fp32.

It reuses the ONNX export of :mod:`rag.encoders.onnx` (same folder, same tokenizer, same
pooling), so switching runtime never re-exports. bf16 keeps retrieval unchanged on this
model (cosine ≥ 0.9999 against fp32 on every seed passage and dev question, same top-5 lists;
``tests/integration/test_encoders.py``) while int8, measured in the throughput issue, did not.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.encoders.onnx import ExportedEmbedder, OnnxUnsupported
from rag.encoders.options import EncoderOptions


def openvino_available() -> bool:
    """Whether ``openvino`` is installed (found without importing it)."""
    return importlib.util.find_spec("openvino") is not None


def import_openvino(cache_dir: Path) -> Any:
    """Import OpenVINO; its telemetry package writes a client id under ``$HOME/intel`` on
    import, so point ``HOME`` at our cache folder meanwhile (the service writes nowhere else).
    Nothing is sent: OpenVINO's telemetry needs an explicit opt-in."""
    previous = os.environ.get("HOME")
    cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ["HOME"] = str(cache_dir)
    try:
        import openvino
    except ImportError as exc:
        raise OnnxUnsupported("openvino is not installed (pip install openvino)") from exc
    finally:
        if previous is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous
    return openvino


@cache
def native_bf16(cache_dir: Path) -> bool:
    """Whether OpenVINO computes bf16 natively on this CPU (asked once per process: the
    backend choice and the encoder both need it)."""
    try:
        ov = import_openvino(cache_dir)
        capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # no runtime, no CPU plugin: no bf16
        return False
    return "BF16" in capabilities


def openvino_precision(options: EncoderOptions) -> str:
    """The precision OpenVINO will run at: ``bf16`` where native (unless fp32 is asked),
    else ``fp32``; ``bf16`` asked on a CPU without it is an error."""
    wanted = options.embedding_precision
    if wanted == "fp32":
        return "fp32"
    if native_bf16(options.cache_dir):
        return "bf16"
    if wanted == "bf16":
        raise OnnxUnsupported("this CPU has no native bf16 (AVX512-BF16 or AMX); use "
                              "RAG_EMBEDDING_PRECISION=fp32 or auto")
    return "fp32"


class OpenVinoEmbedder(ExportedEmbedder):
    """``Embedder`` running the exported transformer with OpenVINO on the CPU."""

    backend = "openvino"

    def __init__(self, options: EncoderOptions, *, show_progress: bool = False) -> None:
        self._ov = import_openvino(options.cache_dir)
        self.precision = openvino_precision(options)
        self._local = threading.local()
        super().__init__(options, show_progress=show_progress)

    def _open(self, model_file: str) -> None:
        config = {
            "INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32",
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": os.cpu_count() or 1,
        }
        self.compiled = self._ov.Core().compile_model(model_file, "CPU", config)

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:  # an infer request is not thread-safe: one per thread
            request = self._local.request = self.compiled.create_infer_request()
        return request.infer(feeds)[0]
