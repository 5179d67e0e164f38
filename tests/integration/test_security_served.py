"""Security of the app over the session index: authentication hints, cross-site requests,
probes and reload."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient

from api.main import create_app
from rag.settings import Settings


def test_unauthorized_answers_say_how_to_authenticate(built_settings, pipeline):
    secured = built_settings.model_copy(update={"api_key": secrets.token_urlsafe(24)})
    with TestClient(create_app(secured, pipeline=pipeline)) as client:
        r = client.post("/v1/ask", json={"question": "OSCE ?"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["error"]["code"] == "unauthorized"


def test_cross_site_requests_cannot_change_the_service(built_settings, pipeline):
    with TestClient(create_app(built_settings, pipeline=pipeline),
                    base_url="http://localhost") as client:
        evil = client.post("/v1/admin/reload", headers={"Origin": "https://evil.example"})
        fetch = client.post("/v1/admin/reload", headers={"Sec-Fetch-Site": "cross-site"})
        upload = client.post("/v1/documents", headers={"Origin": "https://evil.example"},
                             files={"file": ("x.txt", b"1. Texte.")})
        delete = client.delete("/v1/documents/x", headers={"Origin": "null"})
        own = client.post("/v1/admin/reload", headers={"Origin": "http://localhost"})
        plain = client.post("/v1/admin/reload")
    assert {r.status_code for r in (evil, fetch, upload, delete)} == {403}
    assert evil.json()["error"]["code"] == "cross_site"
    assert own.status_code == 200 and plain.status_code == 200


def test_probes_and_errors_show_no_paths_and_reload_brings_the_server_up(built_settings,
                                                                         pipeline, tmp_path):
    from rag.corpus import build_embedder
    from rag.index.build import build_index
    from tests.conftest import SEEDS, warm_embedding_cache

    settings = Settings(index_root=tmp_path / "index", seeds_dir=SEEDS,
                        reload_poll_seconds=0)
    warm_embedding_cache(built_settings, settings.index_root)  # the build below embeds nothing
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert str(tmp_path) not in ready.text and "rag index" in ready.text
        ask = client.post("/v1/ask", json={"question": "OSCE ?"})
        assert ask.status_code == 503 and str(tmp_path) not in ask.text

        build_index(settings.index_options(), build_embedder(settings, pipeline.embedder))
        r = client.post("/v1/admin/reload")
        assert r.status_code == 200, r.text
        assert client.get("/readyz").json()["status"] == "ready"
