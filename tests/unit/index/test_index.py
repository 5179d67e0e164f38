"""Index build and load: atomic replacement, manifest checks, named errors with the rebuild
command, id stability across rebuilds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rag.errors import IndexCorrupt, IndexMismatch, IndexNotBuilt
from rag.index.build import build_index
from rag.index.load import load_index
from rag.index.manifest import MANIFEST, PASSAGES, VECTORS
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(index_root=tmp_path / "index", seeds_dir=SEEDS,
                    embedding_model="test-hash")


@pytest.fixture()
def built(settings: Settings) -> Settings:
    build_index(settings.index_options(), HashEmbedder())
    return settings


def test_build_writes_every_file_and_a_manifest(built: Settings, passages):
    expected = sum(len(p) for p in passages.values())  # what the chunker makes of the seeds
    path = built.index_dir
    assert path.is_symlink()
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["model"] == "test-hash" and manifest["dim"] == 64
    assert manifest["passages"] == expected and manifest["documents"] == len(passages)
    assert manifest["chunker_version"] and len(manifest["corpus_hash"]) == 64
    index = load_index(built.index_options())
    assert len(index.passages) == index.vectors.ntotal == expected
    assert len(index.sentences) == len(index.sentence_vectors) > expected


def test_ids_are_stable_across_rebuilds(built: Settings):
    first = [p.id for p in load_index(built.index_options()).passages]
    build_index(built.index_options(), HashEmbedder())
    assert [p.id for p in load_index(built.index_options()).passages] == first


def test_missing_index_says_how_to_rebuild(settings: Settings):
    with pytest.raises(IndexNotBuilt, match="rag index"):
        load_index(settings.index_options())


def test_index_of_another_model_is_refused(built: Settings):
    other = built.model_copy(update={"embedding_model": "intfloat/multilingual-e5-base"})
    with pytest.raises(IndexMismatch, match=r"built with model 'test-hash'.*rag index"):
        load_index(other.index_options())


def test_dimension_mismatch_is_refused(built: Settings):
    with pytest.raises(IndexMismatch, match="64 dimensions, model gives 384"):
        load_index(built.index_options(), dim=384)


def test_truncated_faiss_file_is_reported_as_corrupt(built: Settings):
    vectors = built.index_dir / VECTORS
    vectors.write_bytes(vectors.read_bytes()[:1000])
    with pytest.raises(IndexCorrupt, match=r"vectors\.faiss.*rag index"):
        load_index(built.index_options())


def test_corrupted_passages_file_is_reported(built: Settings):
    passages = built.index_dir / PASSAGES
    data = passages.read_bytes()
    passages.write_bytes(data[: len(data) // 2] + b"x" * (len(data) - len(data) // 2))
    with pytest.raises(IndexCorrupt, match="rag index"):
        load_index(built.index_options())


def test_unreadable_manifest_is_reported(built: Settings):
    (built.index_dir / MANIFEST).write_text("{not json")
    with pytest.raises(IndexCorrupt, match=r"manifest\.json is unreadable"):
        load_index(built.index_options())


def test_failed_build_leaves_the_previous_index_intact(built: Settings, monkeypatch):
    before = os.readlink(built.index_dir)
    ids = [p.id for p in load_index(built.index_options()).passages]

    class Exploding(HashEmbedder):
        def embed(self, texts, *, query=False):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        build_index(built.index_options(), Exploding())
    assert os.readlink(built.index_dir) == before
    assert [p.id for p in load_index(built.index_options()).passages] == ids
    assert not list(built.index_root.glob(".default.tmp-*"))


def test_disk_full_while_writing_leaves_no_half_written_index(built: Settings, monkeypatch):
    import rag.index.build as index_module

    before = os.readlink(built.index_dir)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_module, "_write_jsonl", full)
    with pytest.raises(OSError):
        build_index(built.index_options(), HashEmbedder())
    assert os.readlink(built.index_dir) == before
    assert not list(built.index_root.glob(".default.tmp-*"))
    load_index(built.index_options())


def test_old_builds_are_pruned(built: Settings):
    for _ in range(3):
        build_index(built.index_options(), HashEmbedder())
    assert len(list(built.index_root.glob(".default@*"))) == 2


def test_index_kind_follows_settings(settings: Settings):
    from rag.index.dense import choose_kind, describe

    hnsw = settings.model_copy(update={"index_kind": "hnsw", "hnsw_ef_search": 256})
    build_index(hnsw.index_options(), HashEmbedder())
    index = load_index(hnsw.index_options())
    assert describe(index.vectors) == "IndexHNSWFlat"
    assert choose_kind(10_000, hnsw.index_spec()) == "hnsw"
    assert choose_kind(10_000, settings.index_spec()) == "flat"
    assert choose_kind(1_000_000, settings.index_spec()) == "ivf"
