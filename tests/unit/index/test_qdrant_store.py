"""The Qdrant vector store in qdrant-client's local mode: store operations, builds behind an
alias, corpus changes, failures. Every test that takes the ``qdrant`` fixture runs again
against a real server in tests/integration/test_qdrant_server.py (``RAG_QDRANT_URL``); the
session-index comparisons with FAISS are in tests/integration/test_qdrant_pipeline.py."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from rag.corpus import add_documents, build_embedder, remove_documents
from rag.errors import IndexCorrupt, IndexMismatch
from rag.index.build import build_index
from rag.index.lexical import lexical_texts
from rag.index.load import load_index
from rag.index.sparse import average_lengths
from rag.index.stores.base import Points, Query
from rag.index.stores.qdrant import QdrantStore, alias_name, client_for
from rag.query.retrieval import rrf
from rag.settings import PROJECT_ROOT, Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder

DEV = PROJECT_ROOT / "eval" / "dev_qa.jsonl"


@dataclass(frozen=True)
class QdrantTarget:
    """Where the store tests put their collections: a local-mode folder here, a server in
    the server run. Every index and collection name starts with ``prefix``, unique to the
    test, so that tests sharing a server never see each other's collections."""

    url: str
    prefix: str
    api_key: str | None = None

    def client(self) -> QdrantClient:
        return client_for(self.url, self.api_key)

    def name(self, name: str) -> str:
        return f"{self.prefix}{name}"


@pytest.fixture()
def qdrant(tmp_path: Path) -> QdrantTarget:
    """Local mode, in a folder of the test's own."""
    return QdrantTarget(str(tmp_path / "qdrant"), "unit_")


def test_store_add_remove_count_and_vectors(qdrant: QdrantTarget):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"mission politique spéciale {i}" for i in range(30)]
    docs = [f"d{i % 3}" for i in range(30)]
    collection = qdrant.name("store")
    store = QdrantStore.create(qdrant.client(), collection, 8, average_lengths(texts),
                               url=qdrant.url)
    try:
        store.add(Points(0, docs, vectors, texts))
        assert store.count() == 30 and store.version == collection
        assert np.allclose(store.vectors([29, 4]), vectors[[29, 4]], atol=1e-6)
        found = store.search(Query(vectors[5], "mission", "words"), 5, ["d2"])
        assert found.dense[0][0] == 5 and {r % 3 for r, _ in found.dense} == {2}
        assert len(found.lexical) == 5 and found.lexical_score(found.lexical[0][0])
        assert store.remove(["d1"]) == 10 and store.count() == 20
        assert store.search(Query(vectors[4], "mission", "words"), 30).dense[0][0] != 4
        with pytest.raises(KeyError, match="lacks rows"):
            store.vectors([4])
    finally:
        store.drop()


def test_server_side_weighted_rrf_ranks_differently_from_ours(qdrant: QdrantTarget):
    """Why fusion stays on the client: Qdrant weighs a list by dividing the rank
    (1 / (rank / w + k − 1)), we multiply its contribution (w / (k + rank))."""
    dense, lexical = [1, 2, 3, 4], [4, 3]
    ours = rrf([(dense, 1.0), (lexical, 0.5)], 60)
    client, collection = qdrant.client(), qdrant.name("rrf")
    client.create_collection(collection, vectors_config={
        "a": models.VectorParams(size=4, distance=models.Distance.DOT),
        "b": models.VectorParams(size=4, distance=models.Distance.DOT)})
    try:
        client.upsert(collection, [models.PointStruct(
            id=i, vector={"a": [4.0 - dense.index(i), 0, 0, 0],
                          "b": [3.0 - lexical.index(i) if i in lexical else -9.0, 0, 0, 0]})
            for i in dense])
        fused = client.query_points(collection, prefetch=[
            models.Prefetch(query=[1.0, 0, 0, 0], using="a", limit=4),
            models.Prefetch(query=[1.0, 0, 0, 0], using="b", limit=2,
                            score_threshold=0.0)],
            query=models.RrfQuery(rrf=models.Rrf(k=60, weights=[1.0, 0.5])), limit=4).points
    finally:
        client.delete_collection(collection)
    theirs = {int(p.id): p.score for p in fused}
    assert sorted(ours, key=ours.get) != sorted(theirs, key=theirs.get)
    assert theirs[4] == pytest.approx(1 / (4 + 59) + 1 / (1 / 0.5 + 59))


# --- builds, aliases and corpus changes (test embedder) -----------------------------------

def _settings(tmp_path: Path, qdrant: QdrantTarget, files: int = 3) -> Settings:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "catalog.toml", seeds / "catalog.toml")
    for f in sorted(SEEDS.glob("*.txt"))[:files]:
        shutil.copy(f, seeds / f.name)
    return Settings(index_root=tmp_path / "index", seeds_dir=seeds, embedding_model="test-hash",
                    vector_store="qdrant", qdrant_url=qdrant.url, qdrant_api_key=qdrant.api_key,
                    index_name=qdrant.name("default"))


def _collections(settings: Settings) -> list[str]:
    """The collections of the settings' index (a server may hold others)."""
    client = client_for(settings.qdrant_location, settings.qdrant_api_key)
    return sorted(c.name for c in client.get_collections().collections
                  if c.name.startswith(alias_name(settings.index_name) + "_"))


def _alias_target(settings: Settings) -> str:
    client = client_for(settings.qdrant_location, settings.qdrant_api_key)
    aliases = {a.alias_name: a.collection_name for a in client.get_aliases().aliases}
    return aliases[alias_name(settings.index_name)]


def test_builds_fill_a_new_collection_then_move_the_alias(tmp_path: Path, qdrant: QdrantTarget):
    settings = _settings(tmp_path, qdrant)
    first = build_index(settings.index_options(), HashEmbedder())
    old = load_index(settings.index_options())
    for _ in range(2):
        build_index(settings.index_options(), HashEmbedder())
    new = load_index(settings.index_options())
    assert new.store.version != old.store.version
    assert _alias_target(settings) == new.store.version
    assert len(_collections(settings)) == 2 and old.store.version not in _collections(settings)
    assert first == settings.index_dir and new.manifest.faiss_index.startswith("Qdrant ")
    assert not (new.path / "vectors.faiss").exists() and (new.path / "store.json").exists()
    assert new.store.count() == len(new.passages)
    hits = new.store.search(Query(HashEmbedder().embed(["sécurité"])[0], "sécurité"), 5)
    assert hits.dense and hits.lexical


def test_a_failed_build_drops_its_collection_and_keeps_the_alias(tmp_path: Path,
                                                                   qdrant: QdrantTarget,
                                                                   monkeypatch):
    import rag.index.build as index_module

    settings = _settings(tmp_path, qdrant)
    build_index(settings.index_options(), HashEmbedder())
    before, collections = _alias_target(settings), _collections(settings)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_module, "_write_jsonl", full)
    with pytest.raises(OSError):
        build_index(settings.index_options(), HashEmbedder())
    assert _alias_target(settings) == before and _collections(settings) == collections
    assert load_index(settings.index_options()).store.version == before


def test_add_and_remove_documents_on_qdrant(tmp_path: Path, qdrant: QdrantTarget):
    settings = _settings(tmp_path, qdrant, files=2)
    build_index(settings.index_options(), HashEmbedder())
    extra = sorted(SEEDS.glob("*.txt"))[2]
    embedder = build_embedder(settings, HashEmbedder())
    report = add_documents(settings, [extra], embedder=embedder)
    index = load_index(settings.index_options())
    assert report.changes[0].action == "added" and extra.stem in index.documents
    assert index.store.count() == len(index.passages)
    found = index.store.search(Query(HashEmbedder().embed(["paix"])[0], "paix"), 50,
                               [extra.stem])
    assert found.dense and {index.passages[r].doc_id for r, _ in found.dense} == {extra.stem}
    remove_documents(settings, [extra.stem], embedder=embedder)
    index = load_index(settings.index_options())
    assert extra.stem not in index.documents and index.store.count() == len(index.passages)
    assert _alias_target(settings) == index.store.version


def test_an_index_is_read_only_with_the_store_it_was_built_for(tmp_path: Path,
                                                               qdrant: QdrantTarget):
    settings = _settings(tmp_path, qdrant)
    build_index(settings.index_options(), HashEmbedder())
    with pytest.raises(IndexMismatch, match="built for the qdrant vector store"):
        load_index(settings.model_copy(update={"vector_store": "faiss"}).index_options())
    faiss_settings = settings.model_copy(update={"vector_store": "faiss",
                                                 "index_name": qdrant.name("plain")})
    build_index(faiss_settings.index_options(), HashEmbedder())
    with pytest.raises(IndexMismatch, match="built for the faiss vector store"):
        load_index(faiss_settings.model_copy(
            update={"vector_store": "qdrant"}).index_options())


def test_a_missing_collection_is_named(tmp_path: Path, qdrant: QdrantTarget):
    settings = _settings(tmp_path, qdrant)
    build_index(settings.index_options(), HashEmbedder())
    collection = load_index(settings.index_options()).store.version
    qdrant.client().delete_collection(collection)
    with pytest.raises(IndexCorrupt, match=f"no collection {collection}"):
        load_index(settings.index_options())


def test_settings_hide_the_qdrant_key_and_default_to_a_local_folder(tmp_path: Path,
                                                                     monkeypatch):
    monkeypatch.delenv("RAG_QDRANT_URL", raising=False)  # set for the server run
    settings = Settings(index_root=tmp_path, qdrant_api_key="s3cr3t-qdrant-key")
    assert "s3cr3t" not in repr(settings)
    assert settings.qdrant_location == str(tmp_path / ".qdrant")
    assert settings.vector_store == "faiss"


def test_lexical_texts_average_lengths_count_empty_passages_as_one_term():
    assert average_lengths(["", "coopération régionale"]) == {"words": 1.5, "grams": 9.5}
    assert lexical_texts([]) == []
