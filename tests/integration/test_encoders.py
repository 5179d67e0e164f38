"""Every fast encoder backend gives the torch (sentence-transformers fp32) vectors: cosine
≥ 0.9999 on every seed passage text (as the index embeds it) and every dev question, and
the same top-5 dense retrieval on the dev questions (overlap ≥ 0.98). ONNX Runtime runs
fp32; OpenVINO runs fp32 and, where the CPU computes it natively, bf16. The export is done
once, atomically, and redone when the file is corrupt; ``RAG_EMBEDDING_BACKEND`` and
``RAG_EMBEDDING_PRECISION`` pick the backend, with a clean fallback.

The default run holds each backend to that bar on a sample of the passages and questions
(``tests.support.helpers.encoder_texts``); ``pytest -m slow`` on all of them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from rag.encoders.base import EncoderChoice, SentenceTransformerEmbedder
from rag.encoders.load import choose_encoder, load_embedder
from rag.encoders.onnx import MARKER, MODEL_FILE, OnnxEmbedder, export_dir
from rag.encoders.openvino import OpenVinoEmbedder, native_bf16
from rag.errors import ModelUnavailable
from rag.settings import PROJECT_ROOT, Settings
from tests.support.helpers import encoder_texts

pytestmark = pytest.mark.model  # loads the embedding model

SEEDS = PROJECT_ROOT / "seeds"
MIN_COSINE = 0.9999
MIN_OVERLAP = 0.98
K = 5
FAST = ["onnx", "openvino-fp32", "openvino-bf16"]
SIZES = ["sample", pytest.param("full", marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(seeds_dir=SEEDS, embedding_cache=False)


def make_fast(name: str, settings: Settings):
    if name == "onnx":
        return OnnxEmbedder(settings.encoder_options())
    precision = name.split("-")[1]
    if precision == "bf16" and not native_bf16(settings.cache_dir):
        pytest.skip("this CPU has no native bf16")
    return OpenVinoEmbedder(settings.model_copy(
        update={"embedding_precision": precision}).encoder_options())


@pytest.fixture(scope="module")
def fast_models() -> dict[str, object]:
    """The fast encoders this module has loaded, by name (each loaded once, whichever order
    the parametrised tests run in)."""
    return {}


@pytest.fixture(scope="module", params=FAST)
def fast(request, settings: Settings, fast_models: dict[str, object]):
    if request.param not in fast_models:
        fast_models[request.param] = make_fast(request.param, settings)
    return fast_models[request.param]


@pytest.fixture(scope="module", params=SIZES)
def vectors(request, torch_reference, fast) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    texts, reference = encoder_texts(request.param), torch_reference(request.param)
    return {"passages": (reference["passages"], fast.embed(texts["passages"])),
            "questions": (reference["questions"], fast.embed(texts["questions"], query=True))}


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


def tiny_model(folder: Path) -> Path:
    """A sentence-transformers model of the default model's kind (BERT, a fast tokenizer,
    mean pooling, normalisation) with a word-level vocabulary of a few words and one layer of
    random weights: it loads and exports to ONNX in a second or two, where the default
    model's export takes half a minute."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]",
             *"passage query : chapitre viii de la charte exemple texte court".split()]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, "[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    hf = folder / "hf"
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=512,
                            pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                            sep_token="[SEP]").save_pretrained(str(hf))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(words), hidden_size=64, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=4096)
              ).save_pretrained(str(hf))  # 4096: an ONNX file over 1 MB, like real ones
    try:  # sentence-transformers 6 moved the modules
        from sentence_transformers.sentence_transformer import modules as st
    except ImportError:
        from sentence_transformers import models as st
    transformer = st.Transformer(str(hf), max_seq_length=512)
    SentenceTransformer(modules=[transformer, st.Pooling(64, "mean"), st.Normalize()],
                        device="cpu").save(str(folder / "st"))
    return folder / "st"


@pytest.mark.parametrize("model", ["tiny", pytest.param("default", marks=pytest.mark.slow)])
def test_export_is_reused_and_redone_when_corrupt(tmp_path: Path, model: str) -> None:
    model_folder = str(tiny_model(tmp_path / "tiny") if model == "tiny"
                       else _converted_folder())
    cache = tmp_path / "cache"
    settings = Settings(cache_dir=cache, embedding_model=model_folder, embedding_cache=False)
    first = OnnxEmbedder(settings.encoder_options())
    folder = export_dir(model_folder, cache)
    assert first.folder == folder and (folder / MODEL_FILE).is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp left
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns
    OnnxEmbedder(settings.encoder_options())  # valid export: reused as is
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp
    (folder / MODEL_FILE).write_bytes(b"truncated")  # corrupt: exported again
    again = OnnxEmbedder(settings.encoder_options())
    assert (folder / MODEL_FILE).stat().st_size == json.loads(
        (folder / MARKER).read_text())["size"] > 1_000_000
    vector = again.embed(["Chapitre VIII de la Charte"])
    assert (vector * first.embed(["Chapitre VIII de la Charte"])).sum() >= MIN_COSINE


@pytest.fixture(scope="module")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the tiny model, for the tests of which backend is chosen (not of the
    vectors): every backend loads it in a second."""
    root = tmp_path_factory.mktemp("tiny")
    return Settings(cache_dir=root / "cache", embedding_model=str(tiny_model(root / "model")),
                    embedding_cache=False)


def _converted_folder() -> Path:
    from rag.encoders.base import resolve_model_path

    settings = Settings()
    return Path(resolve_model_path(settings.embedding_model, settings.cache_dir))


@pytest.mark.parametrize(("backend", "kind"), [("torch", "SentenceTransformerEmbedder"),
                                               ("onnx", "OnnxEmbedder"),
                                               ("openvino", "OpenVinoEmbedder"),
                                               ("auto", "OpenVinoEmbedder")])
def test_backend_setting(backend: str, kind: str, tiny_settings: Settings, caplog) -> None:
    settings = tiny_settings.model_copy(update={"embedding_backend": backend})
    with caplog.at_level(logging.INFO, logger="rag.encoders.load"):
        # under cache and batcher
        embedder = load_embedder(settings.encoder_options()).embedder.embedder
    assert type(embedder).__name__ == kind
    assert f"embedding backend: {embedder.encoder.backend}" in caplog.text
    # predicted without loading
    assert embedder.encoder == choose_encoder(settings.encoder_options())


def test_auto_falls_back_to_onnx_then_torch(tiny_settings: Settings, monkeypatch,
                                            caplog) -> None:
    import rag.encoders.onnx
    import rag.encoders.openvino

    settings = tiny_settings.model_copy(update={"embedding_backend": "auto",
                                                "query_batch_size": 1, "query_cache_size": 0})
    monkeypatch.setattr(rag.encoders.openvino, "openvino_available", lambda: False)
    assert isinstance(load_embedder(settings.encoder_options()), OnnxEmbedder)
    assert choose_encoder(settings.encoder_options()) == EncoderChoice("onnx")
    monkeypatch.setattr(rag.encoders.onnx, "onnxruntime_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="rag.encoders.load"):
        embedder = load_embedder(settings.encoder_options())
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "embedding backend: torch" in caplog.text


def test_auto_skips_a_backend_that_fails(tiny_settings: Settings, monkeypatch,
                                         caplog) -> None:
    import rag.encoders.openvino

    def broken(*args, **kwargs):
        raise RuntimeError("plugin crashed")

    monkeypatch.setattr(rag.encoders.openvino.OpenVinoEmbedder, "__init__", broken)
    settings = tiny_settings.model_copy(update={"query_batch_size": 1, "query_cache_size": 0})
    with caplog.at_level(logging.WARNING, logger="rag.encoders.load"):
        assert isinstance(load_embedder(settings.encoder_options()), OnnxEmbedder)
    assert "openvino unavailable (plugin crashed)" in caplog.text
    with pytest.raises(ModelUnavailable, match="openvino embedding backend unavailable"):
        load_embedder(settings.model_copy(
            update={"embedding_backend": "openvino"}).encoder_options())


def test_bf16_needs_openvino() -> None:
    with pytest.raises(ModelUnavailable, match="bf16 needs the openvino backend"):
        load_embedder(Settings(embedding_backend="onnx",
                               embedding_precision="bf16").encoder_options())
