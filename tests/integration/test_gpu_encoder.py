"""Device choice for the encoder: ``auto`` stays on the CPU here, an absent GPU asked for is
a one-line error, and the GPU encoder's own loop (half precision on a GPU, batches padded to
a multiple of 32 tokens, mean pooling on the device) reproduces sentence-transformers. The
loop is checked on the CPU in fp32 everywhere; the ``gpu`` tests run it on CUDA in bf16 and
hold it to the fidelity bar (cosine ≥ 0.999, top-5 overlap ≥ 0.98 against CPU fp32)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from rag.encoders.base import EncoderChoice
from rag.encoders.gpu import DeviceEmbedder, device_precision, resolve_device
from rag.encoders.load import choose_encoder
from rag.errors import ModelUnavailable
from rag.settings import Settings
from tests.support.helpers import encoder_texts

pytestmark = pytest.mark.model  # loads the embedding model

torch = pytest.importorskip("torch")
HAS_CUDA = torch.cuda.is_available()
needs_gpu = pytest.mark.skipif(not HAS_CUDA, reason="torch sees no CUDA GPU")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(embedding_cache=False)


@pytest.fixture(scope="module")
def reference(torch_reference) -> dict[str, np.ndarray]:
    """sentence-transformers' vectors of every seed passage and dev question."""
    return torch_reference("full")


@pytest.mark.skipif(HAS_CUDA, reason="a GPU is present")
def test_auto_is_the_cpu_without_a_gpu() -> None:
    assert resolve_device("auto") == "cpu"
    assert choose_encoder(Settings().encoder_options()).device == "cpu"
    assert device_precision("cpu", "auto") == "fp32"


@pytest.mark.skipif(HAS_CUDA, reason="a GPU is present")
def test_absent_gpu_is_a_one_line_error(tmp_path) -> None:
    with pytest.raises(ModelUnavailable, match="sees no CUDA device here; use auto or cpu"):
        resolve_device("cuda")
    with pytest.raises(ModelUnavailable):
        choose_encoder(Settings(embedding_device="cuda").encoder_options())
    env = {**os.environ, "RAG_EMBEDDING_DEVICE": "cuda", "RAG_INDEX_ROOT": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "rag.cli", "index"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "RAG_EMBEDDING_DEVICE=cuda" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_cpu_only_backends_refuse_a_gpu(monkeypatch) -> None:
    import rag.encoders.gpu

    monkeypatch.setattr(rag.encoders.gpu, "resolve_device", lambda wanted: "cuda")
    monkeypatch.setattr(rag.encoders.gpu, "device_precision", lambda device, wanted: "bf16")
    assert choose_encoder(Settings().encoder_options()) == EncoderChoice("torch", "bf16", "cuda")
    with pytest.raises(ModelUnavailable, match="openvino runs on the CPU"):
        choose_encoder(Settings(embedding_backend="openvino").encoder_options())


@pytest.mark.parametrize("size", ["sample", pytest.param("full", marks=pytest.mark.slow)])
def test_device_loop_reproduces_sentence_transformers_on_the_cpu(settings, torch_reference,
                                                                 size: str) -> None:
    texts, reference = encoder_texts(size), torch_reference(size)
    model = DeviceEmbedder(settings.encoder_options(), "cpu", "fp32")
    assert model.encoder == EncoderChoice("torch", "fp32", "cpu")
    passages = model.embed(texts["passages"])
    questions = model.embed(texts["questions"], query=True)
    assert (passages * reference["passages"]).sum(axis=1).min() >= 0.9999
    assert (questions * reference["questions"]).sum(axis=1).min() >= 0.9999
    assert model.embed([]).shape == (0, model.dim)


def _top5_overlap(reference: dict[str, np.ndarray], passages: np.ndarray,
                  questions: np.ndarray) -> float:
    ref = np.argsort(-reference["questions"] @ reference["passages"].T, axis=1)[:, :5]
    got = np.argsort(-questions @ passages.T, axis=1)[:, :5]
    return float(np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ref, got, strict=True)]))


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("compile_model", [False, True])
def test_gpu_half_precision_meets_the_fidelity_bar(settings, reference,
                                                   compile_model: bool) -> None:
    gpu_settings = settings.model_copy(update={"embedding_compile": compile_model})
    choice = choose_encoder(gpu_settings.encoder_options())
    assert choice.device == "cuda" and choice.precision in ("bf16", "fp16")
    model = DeviceEmbedder(gpu_settings.encoder_options(), "cuda", choice.precision)
    texts = encoder_texts("full")
    passages = model.embed(texts["passages"])
    questions = model.embed(texts["questions"], query=True)
    assert (passages * reference["passages"]).sum(axis=1).min() >= 0.999
    assert (questions * reference["questions"]).sum(axis=1).min() >= 0.999
    assert _top5_overlap(reference, passages, questions) >= 0.98


@pytest.mark.gpu
@needs_gpu
def test_gpu_build_records_device_and_precision(tmp_path) -> None:
    import json

    from rag.corpus import build_embedder
    from rag.index.build import build_index
    from rag.index.manifest import MANIFEST

    settings = Settings(index_root=tmp_path)
    path = build_index(settings.index_options(), build_embedder(settings))
    encoder = json.loads((path / MANIFEST).read_text())["encoder"]
    assert encoder["device"] == "cuda" and encoder["precision"] in ("bf16", "fp16")
