"""Every fast encoder backend gives the torch (sentence-transformers fp32) vectors: cosine
≥ 0.9999 on every seed passage text (as the index embeds it) and every dev question, and
the same top-5 dense retrieval on the dev questions (overlap ≥ 0.98). ONNX Runtime runs
fp32; OpenVINO runs fp32 and, where the CPU computes it natively, bf16. The export is done
once, atomically, and redone when the file is corrupt; ``RAG_EMBEDDING_BACKEND`` and
``RAG_EMBEDDING_PRECISION`` pick the backend, with a clean fallback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import chunk_corpus
from rag.documents import load_corpus
from rag.embeddings import (
    EncoderChoice,
    SentenceTransformerEmbedder,
    choose_encoder,
    load_embedder,
)
from rag.errors import ModelUnavailable
from rag.index import chunk_options, passage_vector_texts
from rag.onnx_encoder import MARKER, MODEL_FILE, OnnxEmbedder, export_dir
from rag.openvino_encoder import OpenVinoEmbedder, native_bf16
from rag.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.model  # loads the embedding model

SEEDS = PROJECT_ROOT / "seeds"
DEV_QA = PROJECT_ROOT / "eval" / "dev_qa.jsonl"
MIN_COSINE = 0.9999
MIN_OVERLAP = 0.98
K = 5
FAST = ["onnx", "openvino-fp32", "openvino-bf16"]


def passage_texts(settings: Settings) -> list[str]:
    """Every seed passage text exactly as ``rag.index.build_index`` embeds it."""
    docs = load_corpus(settings.seeds_dir, settings.catalog_path)
    return passage_vector_texts(docs, chunk_corpus(docs, chunk_options(settings)))


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_QA.read_text().splitlines()
            if line.strip()]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(seeds_dir=SEEDS, embedding_cache=False)


@pytest.fixture(scope="module")
def reference(settings: Settings) -> dict[str, np.ndarray]:
    model = SentenceTransformerEmbedder(settings)
    texts, questions = passage_texts(settings), dev_questions()
    assert len(texts) > 100 and len(questions) >= 40
    return {"passages": model.embed(texts), "questions": model.embed(questions, query=True)}


def make_fast(name: str, settings: Settings):
    if name == "onnx":
        return OnnxEmbedder(settings)
    precision = name.split("-")[1]
    if precision == "bf16" and not native_bf16(settings.cache_dir):
        pytest.skip("this CPU has no native bf16")
    return OpenVinoEmbedder(settings.model_copy(update={"embedding_precision": precision}))


@pytest.fixture(scope="module", params=FAST)
def fast(request, settings: Settings):
    return make_fast(request.param, settings)


@pytest.fixture(scope="module")
def vectors(settings: Settings, reference, fast) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    texts, questions = passage_texts(settings), dev_questions()
    return {"passages": (reference["passages"], fast.embed(texts)),
            "questions": (reference["questions"], fast.embed(questions, query=True))}


@pytest.mark.parametrize("kind", ["passages", "questions"])
def test_same_vectors_as_torch(vectors, kind: str) -> None:
    reference, fast = vectors[kind]
    assert fast.dtype == np.float32 and fast.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (reference * fast).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= MIN_COSINE, f"{kind} #{worst}: cosine {cosines.min():.6f}"


def test_same_top5_retrieval(vectors) -> None:
    import faiss

    overlaps = []
    results = []
    for side in (0, 1):
        index = faiss.IndexFlatIP(vectors["passages"][side].shape[1])
        index.add(vectors["passages"][side])
        results.append(index.search(vectors["questions"][side], K)[1])
    for torch_ids, onnx_ids in zip(*results, strict=True):
        overlaps.append(len(set(torch_ids) & set(onnx_ids)) / K)
    assert np.mean(overlaps) >= MIN_OVERLAP, f"top-{K} overlap {np.mean(overlaps):.4f}"


def test_batching_and_empty_input(fast) -> None:
    onnx_model = fast
    texts = ["court", "un texte nettement plus long que le premier " * 20, "moyen texte ici"]
    together = onnx_model.embed(texts)
    alone = np.vstack([onnx_model.embed([t]) for t in texts])
    assert (together * alone).sum(axis=1).min() >= MIN_COSINE  # padding changes nothing
    assert onnx_model.embed([]).shape == (0, onnx_model.dim)


def test_export_is_reused_and_redone_when_corrupt(tmp_path: Path) -> None:
    model_folder = str(_converted_folder())
    settings = Settings(cache_dir=tmp_path, embedding_model=model_folder, embedding_cache=False)
    first = OnnxEmbedder(settings)
    folder = export_dir(model_folder, tmp_path)
    assert first.folder == folder and (folder / MODEL_FILE).is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp left
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns
    OnnxEmbedder(settings)  # valid export: reused as is
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp
    (folder / MODEL_FILE).write_bytes(b"truncated")  # corrupt: exported again
    again = OnnxEmbedder(settings)
    assert (folder / MODEL_FILE).stat().st_size == json.loads(
        (folder / MARKER).read_text())["size"] > 1_000_000
    vector = again.embed(["Chapitre VIII de la Charte"])
    assert (vector * first.embed(["Chapitre VIII de la Charte"])).sum() >= MIN_COSINE


def _converted_folder() -> Path:
    from rag.embeddings import resolve_model_path

    settings = Settings()
    return Path(resolve_model_path(settings.embedding_model, settings.cache_dir))


@pytest.mark.parametrize(("backend", "kind"), [("torch", "SentenceTransformerEmbedder"),
                                               ("onnx", "OnnxEmbedder"),
                                               ("openvino", "OpenVinoEmbedder"),
                                               ("auto", "OpenVinoEmbedder")])
def test_backend_setting(backend: str, kind: str, caplog) -> None:
    settings = Settings(embedding_backend=backend, embedding_cache=False)
    with caplog.at_level(logging.INFO, logger="rag.embeddings"):
        embedder = load_embedder(settings).embedder.embedder  # under cache and batcher
    assert type(embedder).__name__ == kind
    assert f"embedding backend: {embedder.encoder.backend}" in caplog.text
    assert embedder.encoder == choose_encoder(settings)  # predicted without loading


def test_auto_falls_back_to_onnx_then_torch(monkeypatch, caplog) -> None:
    import rag.onnx_encoder
    import rag.openvino_encoder

    settings = Settings(embedding_backend="auto", embedding_cache=False, query_batch_size=1,
                        query_cache_size=0)
    monkeypatch.setattr(rag.openvino_encoder, "openvino_available", lambda: False)
    assert isinstance(load_embedder(settings), OnnxEmbedder)
    assert choose_encoder(settings) == EncoderChoice("onnx")
    monkeypatch.setattr(rag.onnx_encoder, "onnxruntime_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="rag.embeddings"):
        embedder = load_embedder(settings)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "embedding backend: torch" in caplog.text


def test_auto_skips_a_backend_that_fails(monkeypatch, caplog) -> None:
    import rag.openvino_encoder

    def broken(*args, **kwargs):
        raise RuntimeError("plugin crashed")

    monkeypatch.setattr(rag.openvino_encoder.OpenVinoEmbedder, "__init__", broken)
    settings = Settings(embedding_cache=False, query_batch_size=1, query_cache_size=0)
    with caplog.at_level(logging.WARNING, logger="rag.embeddings"):
        assert isinstance(load_embedder(settings), OnnxEmbedder)
    assert "openvino unavailable (plugin crashed)" in caplog.text
    with pytest.raises(ModelUnavailable, match="openvino embedding backend unavailable"):
        load_embedder(settings.model_copy(update={"embedding_backend": "openvino"}))


def test_bf16_needs_openvino() -> None:
    with pytest.raises(ModelUnavailable, match="bf16 needs the openvino backend"):
        load_embedder(Settings(embedding_backend="onnx", embedding_precision="bf16"))
