"""Faults an operator meets: a build killed mid-way, a missing model cache, an index
replaced under a running server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.index.load import load_index
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[2]


def test_killed_build_leaves_the_previous_index_servable(tmp_path):
    settings = Settings(index_root=tmp_path, seeds_dir=SEEDS, embedding_model="test-hash")
    build_index(settings.index_options(), HashEmbedder())
    target = os.readlink(settings.index_dir)
    script = textwrap.dedent(f"""
        import sys, time
        sys.path[:0] = [{str(ROOT)!r}]
        from tests.support.fakes import HashEmbedder
        import rag.index.build
        from rag.settings import Settings

        write = rag.index.build._write_jsonl

        def slow_write(path, rows):  # killed while the new build is half written
            write(path, rows)
            time.sleep(60)

        rag.index.build._write_jsonl = slow_write
        rag.index.build.build_index(Settings(index_root={str(tmp_path)!r},
                                             seeds_dir={str(SEEDS)!r},
                                             embedding_model="test-hash").index_options(),
                                    HashEmbedder())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 60
        def staged() -> list[Path]:
            return [p for p in tmp_path.glob(".default.tmp-*") if (p / "passages.jsonl").exists()]

        while time.time() < deadline and not staged():
            time.sleep(0.1)
        assert staged(), "the build never started writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert os.readlink(settings.index_dir) == target
    index = load_index(settings.index_options())
    assert len(index.passages) == index.manifest.passages > 0
    # the next build removes the dead one's leftovers
    build_index(settings.index_options(), HashEmbedder())
    assert not list(tmp_path.glob(".default.tmp-*"))


@pytest.mark.model
@pytest.mark.parametrize("missing", ["model.safetensors", "tokenizer.json"])
def test_missing_or_damaged_model_cache_is_rebuilt_from_the_wheel(tmp_path, missing):
    import shutil

    from rag.encoders.base import resolve_model_path
    from rag.encoders.e5_convert import MARKER

    settings = Settings(cache_dir=tmp_path)
    # a model cache holding a complete conversion: a copy of the default cache's (converted
    # there once), so that only the rebuild below converts
    shared = Path(resolve_model_path(settings.embedding_model, Settings().cache_dir))
    shutil.copytree(shared, tmp_path / shared.relative_to(Settings().cache_dir))
    folder = Path(resolve_model_path(settings.embedding_model, settings.cache_dir))
    assert folder.is_relative_to(tmp_path) and (folder / MARKER).exists()
    (folder / missing).unlink()
    (folder / MARKER).unlink()
    again = Path(resolve_model_path(settings.embedding_model, settings.cache_dir))
    assert again == folder and (folder / missing).exists() and (folder / MARKER).exists()


def test_reload_swaps_in_a_rebuilt_index_without_failing_requests(built_settings, pipeline,
                                                                   tmp_path):
    import shutil
    import threading

    from fastapi.testclient import TestClient

    from api.main import create_app

    root = tmp_path / "index"
    shutil.copytree(built_settings.index_root, root, symlinks=True)
    settings = built_settings.model_copy(update={"index_root": root})
    errors: list[int] = []
    stop = threading.Event()
    with TestClient(create_app(settings, pipeline=pipeline.reloaded(settings)),
                    base_url="http://localhost") as client:
        def hammer() -> None:
            while not stop.is_set():
                r = client.post("/v1/search", json={"query": "OSCE", "top_k": 2})
                if r.status_code != 200:
                    errors.append(r.status_code)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        before = client.get("/readyz").json()["index_created"]
        # rebuild: same files, new snapshot folder and manifest time, atomically repointed
        snapshot = Path(os.path.realpath(root / "default"))
        fresh = root / f".default@{time.strftime('%Y%m%dT%H%M%S')}999999"
        shutil.copytree(snapshot, fresh)
        manifest = fresh / "manifest.json"
        manifest.write_text(manifest.read_text().replace(before, "2001-01-01T00:00:00+00:00"))
        link = root / ".default.link-test"
        link.symlink_to(fresh.name)
        os.replace(link, root / "default")
        reloaded = client.post("/v1/admin/reload").json()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        assert reloaded["status"] == "reloaded"
        assert reloaded["index_created"] == "2001-01-01T00:00:00+00:00"
        assert client.get("/readyz").json()["index_created"] == "2001-01-01T00:00:00+00:00"
    assert errors == []


def test_reload_of_a_broken_index_keeps_serving_the_old_one(built_settings, pipeline, tmp_path):
    import shutil

    from fastapi.testclient import TestClient

    from api.main import create_app

    root = tmp_path / "index"
    shutil.copytree(built_settings.index_root, root, symlinks=True)
    settings = built_settings.model_copy(update={"index_root": root})
    with TestClient(create_app(settings, pipeline=pipeline.reloaded(settings)),
                    base_url="http://localhost") as client:
        vectors = Path(os.path.realpath(root / "default")) / "vectors.faiss"
        vectors.write_bytes(b"garbage")
        r = client.post("/v1/admin/reload")
        assert r.status_code == 503 and "rag index" in r.json()["error"]["message"]
        assert client.post("/v1/search", json={"query": "OSCE"}).status_code == 200


def test_the_service_writes_nothing_outside_its_configured_directories(built_settings,
                                                                       tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": "",
           "RAG_INDEX_ROOT": str(built_settings.index_root),
           "RAG_CACHE_DIR": str(built_settings.cache_dir)}
    env.pop("XDG_CACHE_HOME")
    done = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Rôle de l'OSCE ?", "--json"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(home.rglob("*")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
