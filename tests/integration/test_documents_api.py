"""``POST /v1/documents`` and ``DELETE /v1/documents/{id}`` on the real app and model: an
upload is answerable as soon as the call returns, other workers pick the new index up, and
a refused upload changes nothing."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from rag.corpus import build_embedder
from rag.index.build import build_index
from rag.index.load import load_index
from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.conftest import SEEDS, warm_embedding_cache

KEY = "k3y-for-the-documents-api-tests"
AUTH = {"Authorization": f"Bearer {KEY}"}
NEW_DOC = """Nations Unies  S/2026/999

Conseil de sécurité
Distr. générale
3 novembre 2026

Lettre datée du 2 novembre 2026, adressée au Secrétaire général par le Représentant
permanent de l’Islande auprès de l’Organisation des Nations Unies

 1. Le Conseil nordique et l’Organisation des Nations Unies ont tenu à Reykjavik, le
12 octobre 2026, une réunion consacrée à la coopération en matière de sécurité maritime
dans l’Arctique.

 2. Les participants sont convenus de créer un groupe de travail conjoint sur la
surveillance des routes maritimes polaires, qui se réunira deux fois par an.
"""
QUESTION = "Où le Conseil nordique et l’ONU se sont-ils réunis sur la sécurité maritime ?"


@pytest.fixture(scope="module")
def corpus_settings(built_settings: Settings, pipeline,
                    tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("docs-api")
    seeds = root / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "catalog.toml", seeds)
    for f in sorted(SEEDS.glob("*.txt"))[:4]:
        shutil.copy(f, seeds)
    settings = Settings(index_root=root / "index", seeds_dir=seeds, api_key=KEY,
                        reload_poll_seconds=0.2)
    # the session build embedded these seeds already: only uploads are new to the model
    warm_embedding_cache(built_settings, settings.index_root)
    build_index(settings.index_options(), build_embedder(settings, pipeline.embedder))
    return settings


def _client(settings: Settings, model) -> Iterator[TestClient]:
    app = create_app(settings, pipeline=Pipeline.from_parts(settings, model,
                                                            load_index(settings.index_options())))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(corpus_settings: Settings, pipeline) -> Iterator[TestClient]:
    yield from _client(corpus_settings, pipeline.embedder)


@pytest.fixture
def sibling(corpus_settings: Settings, pipeline) -> Iterator[TestClient]:
    """A second worker over the same index folder."""
    yield from _client(corpus_settings, pipeline.embedder)


def _ids(client: TestClient) -> set[str]:
    return {d["id"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]}


def test_upload_is_answerable_at_once_then_delete(client: TestClient, sibling: TestClient):
    started = time.perf_counter()
    r = client.post("/v1/documents", headers=AUTH,
                    files={"file": ("islande 2026.txt", NEW_DOC.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["changes"] == [{"doc_id": "islande-2026", "file": "islande-2026.txt",
                                "action": "added"}]
    assert body["rebuilt"] and 0 < body["embedded_texts"] < body["cached_texts"]
    assert time.perf_counter() - started < 60

    answer = client.post("/v1/ask", headers=AUTH, json={"question": QUESTION}).json()
    assert not answer["abstained"]
    assert "Reykjavik" in answer["answer"]
    assert answer["citations"][0]["document"]["symbol"] == "S/2026/999"

    # another worker answers from the new index on its very next request (read-your-writes)
    assert "islande-2026" in _ids(sibling)
    listed = {d["id"]: d for d in sibling.get("/v1/documents", headers=AUTH).json()
              ["documents"]}["islande-2026"]
    assert listed["format"] == "text" and listed["added"] and listed["file"] == "islande-2026.txt"
    card = {f["name"]: f for f in reversed(listed["card"]["fields"])}  # read from its text
    assert (card["symbol"]["value"], card["symbol"]["passage_id"]) == (
        "S/2026/999", "islande-2026#masthead")
    assert (card["date"]["iso"], card["distribution_date"]["iso"]) == ("2026-11-02",
                                                                       "2026-11-03")
    assert card["sender"]["value"] == ("le Représentant permanent de l’Islande auprès de "
                                       "l’Organisation des Nations Unies")
    assert listed["title"].startswith("Lettre datée du 2 novembre 2026, adressée au ")

    same = client.post("/v1/documents", headers=AUTH,
                       files={"file": ("islande 2026.txt", NEW_DOC.encode(), "text/plain")})
    assert same.status_code == 201 and same.json()["changes"][0]["action"] == "unchanged"
    assert not same.json()["rebuilt"]

    gone = client.delete("/v1/documents/islande-2026", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["changes"][0]["action"] == "removed"
    assert "islande-2026" not in _ids(client)
    after = client.post("/v1/ask", headers=AUTH, json={"question": QUESTION}).json()
    assert all(c["document"]["symbol"] != "S/2026/999" for c in after["citations"])


@pytest.mark.parametrize(("name", "content", "status", "code"), [
    ("vide.txt", b"", 422, "document_unreadable"),
    ("zeros.txt", b"\0" * 2048, 422, "document_unreadable"),
    ("programme.exe", b"MZ\x90\x00", 415, "unsupported_type"),
    ("faux.pdf", b"1. Ceci n'est pas un PDF.\n", 422, "document_unreadable"),
])
def test_refused_upload_names_the_file_and_changes_nothing(client: TestClient, name: str,
                                                           content: bytes, status: int,
                                                           code: str):
    before = client.get("/readyz").json()
    ids = _ids(client)
    r = client.post("/v1/documents", headers=AUTH, files={"file": (name, content)})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and name in error["message"]
    assert _ids(client) == ids
    assert client.get("/readyz").json() == before


def test_upload_limits_and_key(client: TestClient, corpus_settings: Settings):
    assert client.post("/v1/documents", files={"file": ("a.txt", b"1. Texte.")}
                       ).status_code == 401
    big = b"1. " + b"mot " * (corpus_settings.max_upload_bytes // 4)
    r = client.post("/v1/documents", headers=AUTH, files={"file": ("gros.txt", big)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    assert client.post("/v1/documents", headers=AUTH).status_code == 422
    assert client.delete("/v1/documents/inconnu", headers=AUTH).status_code == 404


def test_document_too_large_for_the_corpus_is_413(corpus_settings: Settings, pipeline):
    settings = corpus_settings.model_copy(update={"max_document_bytes": 16_000})
    for c in _client(settings, pipeline.embedder):  # the seeds here are all under 14 kB
        r = c.post("/v1/documents", headers=AUTH,
                   files={"file": ("long.txt", NEW_DOC.encode() * 30)})
        assert r.status_code == 413 and "long.txt" in r.json()["error"]["message"]


def test_upload_path_is_reduced_to_its_name(client: TestClient, corpus_settings: Settings):
    r = client.post("/v1/documents", headers=AUTH,
                    files={"file": ("../../etc/evil.txt", NEW_DOC.encode())})
    assert r.status_code == 201, r.text
    assert (corpus_settings.seeds_dir / "evil.txt").exists()
    assert client.delete("/v1/documents/evil", headers=AUTH).status_code == 200
    assert not Path(corpus_settings.seeds_dir / "evil.txt").exists()


def test_pdf_upload_is_cited_by_paragraph(client: TestClient, tmp_path: Path):
    import pypdfium2 as pdfium

    from tests.support.fixtures_sources import render

    report = max(SEEDS.glob("*.txt"), key=lambda p: p.stat().st_size)  # not in this corpus
    full = pdfium.PdfDocument(render(report, tmp_path, "pdfraw"))
    pages = pdfium.PdfDocument.new()
    pages.import_pages(full, [0, 1, 2, 3])
    pdf = tmp_path / "rapport-sg.pdf"
    pages.save(pdf)
    r = client.post("/v1/documents", headers=AUTH,
                    files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")})
    assert r.status_code == 201, r.text
    doc = client.get("/v1/documents/rapport-sg", headers=AUTH).json()
    assert doc["symbol"] == "A/75/345-S/2020/898" and doc["format"] == "pdf"
    card = doc["card"]["fields"]
    assert [f["value"] for f in card if f["name"] == "symbol"] == ["A/75/345", "S/2020/898"]
    assert {"name": "date", "value": "2020", "passage_id": "rapport-sg#masthead",
            "source": "inferred", "iso": "2020", "note": "year from the symbol S/2020/898"
            } in card
    assert doc["pages"] == 4
    labels = [p["paragraph"] for p in doc["passage_list"]]
    assert {"1", "2", "3"} <= set(labels)
    answer = client.post("/v1/ask", headers=AUTH, json={
        "question": "Quelle crise a mis en évidence la fragilité de l’humanité ?"}).json()
    assert "COVID-19" in answer["answer"]
    assert answer["citations"][0]["document"]["id"] == "rapport-sg"
    assert answer["citations"][0]["paragraph"] == "1"
    assert client.delete("/v1/documents/rapport-sg", headers=AUTH).status_code == 200
