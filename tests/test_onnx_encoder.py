"""The ONNX Runtime encoder gives the torch (sentence-transformers) vectors: cosine ≥ 0.9999
on every seed passage text (as the index embeds it) and every dev question, and the same
top-5 dense retrieval on the dev questions; the export is done once, atomically, and redone
when the file is corrupt; ``RAG_EMBEDDING_BACKEND`` picks the backend."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                    "(pip install 'unrag[fast]'); the ONNX backend is optional")

from rag.chunking import chunk_corpus
from rag.documents import load_corpus
from rag.embeddings import SentenceTransformerEmbedder, load_embedder
from rag.index import _with_items, chunk_options
from rag.onnx_encoder import MARKER, MODEL_FILE, OnnxEmbedder, export_dir
from rag.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"
DEV_QA = PROJECT_ROOT / "eval" / "dev_qa.jsonl"
MIN_COSINE = 0.9999
MIN_OVERLAP = 0.98
K = 5


def passage_texts(settings: Settings) -> list[str]:
    """Every seed passage text exactly as ``rag.index.build_index`` embeds it."""
    docs = load_corpus(settings.seeds_dir, settings.catalog_path)
    passages = chunk_corpus(docs, chunk_options(settings))
    titles = {d.id: d.meta.title for d in docs}
    texts = {p.id: p.text for p in passages}
    return [_with_items(p, p.embedding_text(titles[p.doc_id]), texts) for p in passages]


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_QA.read_text().splitlines()
            if line.strip()]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(seeds_dir=SEEDS, embedding_cache=False)


@pytest.fixture(scope="module")
def backends(settings: Settings) -> tuple[SentenceTransformerEmbedder, OnnxEmbedder]:
    return SentenceTransformerEmbedder(settings), OnnxEmbedder(settings)


@pytest.fixture(scope="module")
def vectors(settings: Settings, backends) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    torch_model, onnx_model = backends
    texts, questions = passage_texts(settings), dev_questions()
    assert len(texts) > 100 and len(questions) >= 40
    return {
        "passages": (torch_model.embed(texts), onnx_model.embed(texts)),
        "questions": (torch_model.embed(questions, query=True),
                      onnx_model.embed(questions, query=True)),
    }


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


def test_batching_and_empty_input(backends) -> None:
    _, onnx_model = backends
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
                                               ("auto", "OnnxEmbedder")])
def test_backend_setting(backend: str, kind: str, caplog) -> None:
    settings = Settings(embedding_backend=backend, embedding_cache=False)
    with caplog.at_level(logging.INFO, logger="rag.embeddings"):
        embedder = load_embedder(settings).embedder  # under the question cache
    assert type(embedder).__name__ == kind
    expected = "onnx" if kind == "OnnxEmbedder" else "torch"
    assert f"embedding backend: {expected}" in caplog.text


def test_auto_falls_back_to_torch_without_onnxruntime(monkeypatch, caplog) -> None:
    import rag.onnx_encoder

    monkeypatch.setattr(rag.onnx_encoder, "onnxruntime_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="rag.embeddings"):
        embedder = load_embedder(Settings(embedding_backend="auto", embedding_cache=False)).embedder
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "embedding backend: torch (onnxruntime not installed)" in caplog.text
