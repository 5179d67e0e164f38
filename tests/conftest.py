"""Shared fixtures: the real seed corpus, and (for integration tests) one real index built
once per session with the real default model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.ingest.chunking import chunk_document
from rag.ingest.documents import load_corpus
from rag.records import Document, Passage
from rag.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"
# (backend_pipeline asks for the pipelines by name, so they are not among its fixture names)
MODEL_FIXTURES = {"session_model", "built_settings", "pipeline", "live_server",
                  "backend_pipeline"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use neither the session index nor a ``model`` marker are ``unit`` tests:
    ``pytest -m unit`` runs them in seconds (``RAG_EMBEDDING_MODEL=/nonexistent pytest -m unit``
    proves they never load the encoder)."""
    for item in items:
        if item.get_closest_marker("model") is None and \
                not MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def corpus() -> dict[str, Document]:
    """The cleaned seed documents by id."""
    return {d.id: d for d in load_corpus(SEEDS)}


@pytest.fixture(scope="session")
def passages(corpus: dict[str, Document]) -> dict[str, list[Passage]]:
    """Passages of each seed document."""
    return {doc_id: chunk_document(doc) for doc_id, doc in corpus.items()}


@pytest.fixture(scope="session")
def session_model():
    """The default embedding model as the service loads it (backend, question batcher and
    cache), loaded once per session: the session index is built with it and the session
    pipeline answers with it."""
    from rag.encoders.load import load_embedder

    return load_embedder(Settings(seeds_dir=SEEDS).encoder_options())


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, session_model) -> Settings:
    """Settings whose index is built once per session from seeds/ with the default model."""
    from rag.corpus import build_embedder
    from rag.index.build import build_index

    root = tmp_path_factory.mktemp("index")
    settings = Settings(index_root=root, seeds_dir=SEEDS)
    # the cache starts empty: every vector comes from the model; the build leaves a warm
    # embedding cache in root (see warm_embedding_cache)
    build_index(settings.index_options(), build_embedder(settings, session_model))
    return settings


def warm_embedding_cache(built: Settings, index_root: Path) -> Path:
    """Copy the session index's embedding cache into ``index_root``, so that a build there
    with the default model embeds only texts the session build did not (the cache is keyed
    by model, prompt, text and precision, so what it returns is what the model would give).
    Returns the copy's path."""
    target = index_root / built.embedding_cache_path.relative_to(built.index_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built.embedding_cache_path, target)
    return target


@pytest.fixture(scope="session")
def pipeline(built_settings: Settings, session_model):
    """The pipeline over the session index, as ``Pipeline.load`` assembles it, on the session
    model (not loaded a second time)."""
    from rag.index.load import load_index
    from rag.index.manifest import read_manifest
    from rag.pipeline import Pipeline

    read_manifest(built_settings.index_dir)
    index = load_index(built_settings.index_options(), dim=session_model.dim)
    return Pipeline.from_parts(built_settings, session_model, index)


def by_id(items: list[Passage]) -> dict[str, Passage]:
    """Passages keyed by id."""
    return {p.id: p for p in items}



@pytest.fixture(scope="session")
def live_server(built_settings: Settings, pipeline):
    """The real app served by uvicorn on a free local port (in a thread); yields its URL."""
    from api.main import create_app
    from tests.support.helpers import serve_app

    with serve_app(create_app(built_settings, pipeline=pipeline)) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="session")
def qdrant_settings(built_settings: Settings, session_model) -> Settings:
    """The session index built again into Qdrant's local mode (in memory), from the same
    seeds and the warm embedding cache."""
    from rag.corpus import build_embedder
    from rag.index.build import build_index

    settings = built_settings.model_copy(update={"index_name": "qdrant-e2e",
                                                 "vector_store": "qdrant",
                                                 "qdrant_url": ":memory:"})
    build_index(settings.index_options(), build_embedder(settings, session_model))
    return settings


@pytest.fixture(scope="session")
def qdrant_pipeline(qdrant_settings: Settings, pipeline):
    """A pipeline over the Qdrant build, sharing the session pipeline's model."""
    from rag.index.load import load_index
    from rag.pipeline import Pipeline

    index = load_index(qdrant_settings.index_options(), dim=pipeline.embedder.dim)
    return Pipeline.from_parts(qdrant_settings, pipeline.embedder, index)


@pytest.fixture(params=["faiss", "qdrant"])
def backend_pipeline(request: pytest.FixtureRequest):
    """The session pipeline on each vector store."""
    return request.getfixturevalue("pipeline" if request.param == "faiss"
                                   else "qdrant_pipeline")


@pytest.fixture(scope="session")
def torch_reference():
    """The reference the fast encoders are held to: sentence-transformers (torch fp32)
    vectors of ``tests.support.helpers.encoder_texts(size)``, computed once per size and session
    (the model is loaded on first use)."""
    from rag.encoders.base import SentenceTransformerEmbedder
    from tests.support.helpers import encoder_texts

    model: list[SentenceTransformerEmbedder] = []
    done: dict[str, dict] = {}

    def vectors(size: str) -> dict:
        if size not in done:
            if not model:
                model.append(SentenceTransformerEmbedder(
                    Settings(embedding_cache=False).encoder_options()))
            texts = encoder_texts(size)
            done[size] = {"passages": model[0].embed(texts["passages"]),
                          "questions": model[0].embed(texts["questions"], query=True)}
        return done[size]

    return vectors
