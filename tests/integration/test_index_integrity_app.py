"""The app on a damaged index starts and answers 503 (the session model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder
from tests.unit.index.test_index_integrity import (
    _files_wrong_type,
    _npy_emptied,
    _path_is_a_file,
)


def _real_model_index(pristine_root: Path) -> Settings:
    """An index with the real model's name and dimension, built with the fast embedder, so
    that the app loads the real model and then meets the damage."""
    from rag.encoders.base import resolve_model_path

    settings = Settings(index_root=pristine_root, seeds_dir=SEEDS)
    model = Path(resolve_model_path(settings.embedding_model, settings.cache_dir))
    dim = json.loads((model / "config.json").read_text())["hidden_size"]
    build_index(settings.index_options(), HashEmbedder(settings.embedding_model, dim))
    return settings


@pytest.fixture(scope="module")
def real_model_pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _real_model_index(tmp_path_factory.mktemp("real")).index_dir.resolve()


@pytest.mark.parametrize("damaging", [_npy_emptied, _files_wrong_type, _path_is_a_file],
                         ids=["empty_npy_in_bm25", "manifest_files_wrong_type",
                              "index_path_is_a_file"])
@pytest.mark.model
def test_app_on_a_damaged_index_starts_and_answers_503(real_model_pristine: Path,
                                                       tmp_path: Path, damaging,
                                                       session_model, monkeypatch):
    from fastapi.testclient import TestClient

    import rag.pipeline
    from api.main import create_app

    # the app tries to load the pipeline at start-up and again on each request: each time
    # the real model (the session's, already loaded) and then the damaged index
    monkeypatch.setattr(rag.pipeline, "load_embedder", lambda settings: session_model)
    root = tmp_path / "index"
    root.mkdir()
    shutil.copytree(real_model_pristine, root / real_model_pristine.name)
    (root / "default").symlink_to(real_model_pristine.name)
    settings = Settings(index_root=root, seeds_dir=SEEDS)
    damaging(settings)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        errors = {}
        for url, body in (("/v1/ask", {"question": "Rôle de l'OSCE ?"}),
                          ("/v1/admin/reload", None)):
            r = client.post(url, json=body)
            assert r.status_code == 503, (url, r.text)
            errors[url] = r.json()["error"]
            assert "unusable" in errors[url]["message"], (url, errors[url])
            assert "rag index" in errors[url]["message"], (url, errors[url])
        assert client.get("/healthz").status_code == 200
    assert {url: e["code"] for url, e in errors.items()} == {
        "/v1/ask": "index_corrupt", "/v1/admin/reload": "index_corrupt"}
