"""Index builds stream vectors to disk chunk by chunk and resume after a kill: a build
killed with SIGKILL leaves no index behind, and the next build embeds only what the killed
one had not finished, giving the same vectors and manifest as an uninterrupted build."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.index.load import load_index
from rag.index.manifest import MANIFEST, SENTENCE_VECTORS
from rag.index.vectors import embed_to_file
from rag.settings import PROJECT_ROOT, Settings
from tests.support.helpers import vectors_of

SEEDS = PROJECT_ROOT / "seeds"
SUBSET = ["000_f2da49a2d68de082.txt", "002_b093fe27a274807f.txt"]


class CountingEmbedder:
    model_id, dim = "fake", 3

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[int] = []
        self.fail_after = fail_after

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt  # what Ctrl-C looks like in the middle of a build
        self.calls.append(len(texts))
        rows = np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_embed_to_file_writes_rows_in_order_chunk_by_chunk(tmp_path: Path) -> None:
    texts = [f"texte {'a' * i}" for i in range(10)]
    model = CountingEmbedder()
    out = embed_to_file(model, texts, tmp_path / "v.npy", chunk=4, dtype=np.float16)
    assert model.calls == [4, 4, 2]
    assert isinstance(out, np.memmap) and out.dtype == np.float16 and out.shape == (10, 3)
    np.testing.assert_allclose(out, model.embed(texts).astype(np.float16))
    assert np.load(tmp_path / "v.npy").shape == (10, 3)  # a plain .npy file
    empty = embed_to_file(model, [], tmp_path / "e.npy", chunk=4)
    assert empty.shape == (0, 3)


def test_embedder_returning_the_wrong_shape_is_an_error(tmp_path: Path) -> None:
    class Short(CountingEmbedder):
        def embed(self, texts, *, query=False):
            return super().embed(texts[:-1])

    with pytest.raises(ValueError, match="returned"):
        embed_to_file(Short(), ["a", "b"], tmp_path / "v.npy", chunk=2)


def _subset(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(SEEDS / "catalog.toml", folder / "catalog.toml")
    for name in SUBSET:
        shutil.copy(SEEDS / name, folder / name)
    return folder


def test_interrupted_build_leaves_nothing_half_written(tmp_path: Path) -> None:
    from rag.index.build import build_index

    settings = Settings(seeds_dir=_subset(tmp_path / "seeds"), index_root=tmp_path / "idx",
                        build_chunk_size=8, embedding_cache=False)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings.index_options(), CountingEmbedder(fail_after=3))
    assert not settings.index_dir.exists()
    assert [p.name for p in settings.index_root.iterdir()] == []  # staging folder removed


def _build(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag.cli", "index", "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# `rag index` with the test embedder in place of the model, each call taking DELAY seconds
FAKE_MODEL_INDEX = f"""
import os, sys, time
sys.path[:0] = [{str(PROJECT_ROOT)!r}]
import rag.corpus
from rag.cli import main
from tests.support.fakes import HashEmbedder

DELAY = float(os.environ["TEST_EMBED_DELAY"])
real = rag.corpus.build_embedder


class Slow(HashEmbedder):
    def embed(self, texts, *, query=False):
        time.sleep(DELAY)
        return super().embed(texts, query=query)


rag.corpus.build_embedder = lambda settings, embedder=None, show_progress=False: real(
    settings, Slow(settings.embedding_model))
sys.exit(main(["index", "--quiet"]))
"""


def _build_with_the_test_embedder(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", FAKE_MODEL_INDEX],
                            env={"TEST_EMBED_DELAY": "0", **env,
                                 "RAG_EMBEDDING_MODEL": "test-hash"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _cached_rows(root: Path) -> int:
    cache = root / ".cache" / "embeddings.sqlite3"
    if not cache.exists():  # sqlite3.connect would create it
        return 0
    try:
        with sqlite3.connect(cache, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    except sqlite3.Error:
        return 0


def _comparable(manifest: dict) -> dict:
    """The manifest without the build's clock times (``sources.json`` records when each
    document was added: its hash is compared apart, without those dates)."""
    files = {k: v for k, v in manifest["files"].items() if k != "sources.json"}
    return {**{k: v for k, v in manifest.items() if k not in ("created", "build_seconds")},
            "files": files}


def _sources_without_dates(folder: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "added"}
            for row in json.loads((folder / "sources.json").read_text())]


def test_killed_build_with_the_test_embedder_resumes_with_the_same_vectors_and_manifest(
        tmp_path: Path) -> None:
    """``rag index`` killed mid-way and run again, with the test embedder in place of the
    model: what is cached, what is embedded again, what is written."""
    _kill_and_resume(tmp_path, _build_with_the_test_embedder,
                     embedding_model="test-hash")


@pytest.mark.slow
@pytest.mark.model
def test_killed_build_resumes_with_the_same_vectors_and_manifest(tmp_path: Path) -> None:
    """The same with the real model (three builds of two documents: slow)."""
    _kill_and_resume(tmp_path, _build)


def _kill_and_resume(tmp_path: Path, build: Callable[[dict[str, str]], subprocess.Popen],
                     **changes: str) -> None:
    """A reference build, a build killed once it has cached two chunks, then the same build
    again: it embeds only what the killed one lacked and writes the reference's index.
    ``changes``: settings of the builds that are not the defaults (their model)."""
    seeds = _subset(tmp_path / "seeds")
    base = {**os.environ, "RAG_SEEDS_DIR": str(seeds), "RAG_BUILD_CHUNK_SIZE": "16"}
    reference_root, resumed_root = tmp_path / "reference", tmp_path / "resumed"
    reference = build({**base, "RAG_INDEX_ROOT": str(reference_root)})
    output = reference.communicate(timeout=600)[0]
    assert reference.returncode == 0, output
    all_texts = _embedded(output)

    env = {**base, "RAG_INDEX_ROOT": str(resumed_root)}
    killed = build({**env, "TEST_EMBED_DELAY": "0.2"})  # (the real model takes its time)
    deadline = time.monotonic() + 300
    while _cached_rows(resumed_root) < 32 and killed.poll() is None:
        assert time.monotonic() < deadline, "the build never stored a chunk"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    done_before = _cached_rows(resumed_root)
    assert not (resumed_root / "default").exists()  # nothing half-written is served

    resumed = build(env)
    output = resumed.communicate(timeout=600)[0]
    assert resumed.returncode == 0, output
    assert 0 < done_before < all_texts
    assert _embedded(output) == all_texts - done_before  # only what the killed build lacked
    assert [p.name for p in resumed_root.iterdir() if ".tmp-" in p.name] == []

    a = load_index(Settings(seeds_dir=seeds, index_root=reference_root,
                             **changes).index_options())
    b = load_index(Settings(seeds_dir=seeds, index_root=resumed_root,
                             **changes).index_options())
    np.testing.assert_array_equal(vectors_of(a), vectors_of(b))
    np.testing.assert_array_equal(np.load(a.path / SENTENCE_VECTORS),
                                  np.load(b.path / SENTENCE_VECTORS))
    assert _comparable(json.loads((a.path / MANIFEST).read_text())) == \
        _comparable(json.loads((b.path / MANIFEST).read_text()))  # every other file identical
    assert _sources_without_dates(a.path) == _sources_without_dates(b.path)


def _embedded(output: str) -> int:
    """Texts the model embedded, from ``rag index``'s report line."""
    return int(output.split("embedded ")[1].split(" texts")[0])
