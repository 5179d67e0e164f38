"""Uploads and corpus changes that used to fail (issue 24), on the test embedder: long and
non-Latin file names, control characters, id collisions, leftover backups and staging
folders, deep HTML, host names without a key (DNS rebinding), chat content parts."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from rag.cli import main as cli_main
from rag.corpus import BACKUP_PREFIX, UNRESTORED_PREFIX, build_embedder
from rag.index.build import build_index
from rag.index.load import load_index
from rag.ingest.documents import MAX_ID_CHARS
from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder

KEY = "k3y-for-the-upload-hardening-tests"
AUTH = {"Authorization": f"Bearer {KEY}"}
LONG_246 = "M" * 246 + ".txt"
LONG_300 = "N" * 300 + ".txt"


def text(n: int, words: str = "coopération régionale") -> bytes:
    return (f"1. Le document numéro {n} traite de {words} entre organisations.\n\n"
            f"2. Son paragraphe suivant, numéro {n}, conclut.\n").encode()


@pytest.fixture
def corpus(tmp_path: Path) -> Settings:
    """Two seed documents indexed with the hashing test embedder, behind a key."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "catalog.toml", seeds)
    for f in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(f, seeds)
    settings = Settings(index_root=tmp_path / "index", seeds_dir=seeds, api_key=KEY,
                        embedding_model="test-hash", reload_poll_seconds=0)
    build_index(settings.index_options(), build_embedder(settings, HashEmbedder()))
    return settings


def app_for(settings: Settings):
    return create_app(settings, pipeline=Pipeline.from_parts(settings, HashEmbedder(),
                                                             load_index(settings.index_options())))


@pytest.fixture
def client(corpus: Settings) -> Iterator[TestClient]:
    with TestClient(app_for(corpus)) as c:
        yield c


def upload(client: TestClient, name: str, content: bytes, **headers: str):
    return client.post("/v1/documents", headers={**AUTH, **headers},
                       files={"file": (name, content, "text/plain")})


def raw_upload(client: TestClient, name: bytes, content: bytes):
    """A multipart body written by hand: httpx would percent-encode a NUL in the name."""
    body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
            + b"\"\r\nContent-Type: text/plain\r\n\r\n" + content + b"\r\n--B--\r\n")
    return client.post("/v1/documents", content=body, headers={
        **AUTH, "content-type": "multipart/form-data; boundary=B"})


def ids(client: TestClient) -> set[str]:
    return {d["id"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]}


def leftovers(settings: Settings) -> list[Path]:
    return list(settings.index_root.glob(f"{BACKUP_PREFIX}*"))


# --- file names ----------------------------------------------------------------------------

def test_long_file_names_are_stored_under_short_ids(client: TestClient, corpus: Settings):
    added = {}
    for n, name in enumerate((LONG_246, LONG_300)):
        r = upload(client, name, text(n))
        assert r.status_code == 201, r.text
        (change,) = r.json()["changes"]
        assert change["action"] == "added" and len(change["doc_id"]) <= MAX_ID_CHARS
        assert (corpus.seeds_dir / change["file"]).exists()
        added[name] = change["doc_id"]
    assert len(set(added.values())) == 2 and set(added.values()) <= ids(client)
    assert not leftovers(corpus)
    again = upload(client, LONG_246, text(0))  # the same name again: the same document
    assert again.json()["changes"][0] == {"doc_id": added[LONG_246],
                                          "file": added[LONG_246] + ".txt",
                                          "action": "unchanged"}
    # nothing is wedged: other uploads and deletions go on
    assert upload(client, "suivant.txt", text(3)).status_code == 201
    for doc_id in added.values():
        assert client.delete(f"/v1/documents/{doc_id}", headers=AUTH).status_code == 200
    assert not leftovers(corpus)


@pytest.mark.parametrize("name", [b"a\x00b.txt", b"a\x01b.txt", b"tab\tname.txt"])
def test_control_characters_in_a_file_name_are_a_422(client: TestClient, corpus: Settings,
                                                     name: bytes):
    before = sorted(p.name for p in corpus.seeds_dir.iterdir())
    r = raw_upload(client, name, text(1))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "document_bad_file_name" and "control character" in error["message"]
    assert sorted(p.name for p in corpus.seeds_dir.iterdir()) == before


def test_names_in_other_scripts_keep_their_documents_apart(client: TestClient):
    first = {}
    for n, name in enumerate(("报告.txt", "文件.txt", "..txt", "доклад.txt")):
        r = upload(client, name, text(n))
        assert r.status_code == 201, r.text
        (change,) = r.json()["changes"]
        assert change["action"] == "added", (name, change)
        first[name] = change["doc_id"]
    assert len(set(first.values())) == 4 and set(first.values()) <= ids(client)
    # a genuine re-upload of the same name replaces that document, and only it
    r = upload(client, "报告.txt", text(9, "sécurité maritime"))
    assert r.json()["changes"] == [{"doc_id": first["报告.txt"],
                                    "file": first["报告.txt"] + ".txt", "action": "replaced"}]
    assert set(first.values()) <= ids(client)


def test_a_different_name_whose_id_is_taken_gets_a_suffix(client: TestClient,
                                                          corpus: Settings):
    assert upload(client, "resume.txt", text(1)).json()["changes"][0]["doc_id"] == "resume"
    other = upload(client, "résumé.txt", text(2)).json()["changes"][0]
    assert (other["doc_id"], other["action"]) == ("resume-2", "added")
    spaced = upload(client, "resume 2.txt", text(3)).json()["changes"][0]
    assert spaced["doc_id"] == "resume-2-2"  # "resume-2" belongs to résumé.txt
    again = upload(client, "résumé.txt", text(4)).json()["changes"][0]
    assert (again["doc_id"], again["action"]) == ("resume-2", "replaced")
    assert (corpus.seeds_dir / "resume.txt").read_bytes() == text(1)
    # a file in another format under the same name replaces the document (documented)
    pdf_less = upload(client, "resume.md", text(5)).json()["changes"][0]
    assert (pdf_less["doc_id"], pdf_less["action"]) == ("resume", "replaced")
    assert not (corpus.seeds_dir / "resume.txt").exists()
    # the name a file was added under also removes it
    r = client.delete("/v1/documents/résumé.txt", headers=AUTH)
    assert r.status_code == 200 and r.json()["changes"][0]["doc_id"] == "resume-2"
    names = json.loads((corpus.seeds_dir / ".file-names.json").read_text("utf-8"))
    assert names == {"resume-2-2.txt": "resume 2.txt"}


def test_cli_add_and_remove_long_and_bad_names(corpus: Settings, tmp_path: Path, monkeypatch,
                                               capsys):
    import rag.corpus
    from rag.settings import get_settings

    monkeypatch.setenv("RAG_INDEX_ROOT", str(corpus.index_root))
    monkeypatch.setenv("RAG_SEEDS_DIR", str(corpus.seeds_dir))
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "test-hash")
    monkeypatch.setattr(rag.corpus, "load_embedder", lambda *a, **k: HashEmbedder())
    folder = tmp_path / "in"
    folder.mkdir()
    long_file = folder / ("L" * 250 + ".txt")
    long_file.write_bytes(text(1))
    bad = folder / "bad\x01name.txt"
    bad.write_bytes(text(2))
    get_settings.cache_clear()
    try:
        assert cli_main(["add", "--json", str(long_file)]) == 0
        (change,) = json.loads(capsys.readouterr().out)["changes"]
        assert change["action"] == "added" and len(change["file"]) < 110
        assert cli_main(["add", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "control character (U+0001)" in err
        assert cli_main(["remove", long_file.name]) == 0  # by the name it was added under
        assert f"removed  {change['doc_id']}" in capsys.readouterr().out
        assert cli_main(["documents", "--json"]) == 0
        assert change["doc_id"] not in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert not leftovers(corpus)


# --- changes cut short -------------------------------------------------------------------

def test_a_leftover_backup_is_recovered_never_a_wedge(client: TestClient, corpus: Settings,
                                                      caplog):
    """The backup a crashed change left (here the one of issue 24: a name too long for a
    temporary file) is undone by the next change, which then goes through."""
    seeds = corpus.seeds_dir
    victim = sorted(seeds.glob("*.txt"))[0]
    crashed = corpus.index_root / f"{BACKUP_PREFIX}1"
    crashed.mkdir()
    shutil.move(victim, crashed / victim.name)  # set aside, never put back
    journal = {"created": [str(seeds / LONG_300)], "committed": False,
               "moved": [[str(crashed / victim.name), str(victim)]]}
    (crashed / "journal.json").write_text(json.dumps(journal), "utf-8")
    broken = corpus.index_root / f"{BACKUP_PREFIX}2"  # a file it cannot move back
    broken.mkdir()
    (broken / "kept.txt").write_bytes(text(7))
    (broken / "journal.json").write_text(json.dumps({
        "created": [], "committed": False,
        "moved": [[str(broken / "kept.txt"), str(seeds / "gone" / "kept.txt")]]}), "utf-8")
    with caplog.at_level(logging.INFO, logger="rag.corpus"):
        r = upload(client, "apres.txt", text(5))
    assert r.status_code == 201, r.text
    assert victim.exists() and not leftovers(corpus)
    kept = corpus.index_root / f"{UNRESTORED_PREFIX}2"
    assert (kept / "kept.txt").read_bytes() == text(7)
    assert "cut short by a crash" in caplog.text and str(kept) in caplog.text
    assert client.delete("/v1/documents/apres", headers=AUTH).status_code == 200


def test_a_failed_change_under_a_non_latin_name_is_undone(corpus: Settings,
                                                          monkeypatch):
    import rag.corpus
    from rag.corpus import add_documents

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rag.corpus, "build_index", explode)
    before = sorted(p.name for p in corpus.seeds_dir.iterdir())
    source = corpus.index_root.parent / "报告.txt"
    source.write_bytes(text(1))
    with pytest.raises(OSError, match="disk full"):
        add_documents(corpus, [source], embedder=HashEmbedder())
    assert sorted(p.name for p in corpus.seeds_dir.iterdir()) == before
    assert not leftovers(corpus)


def test_stale_upload_folders_are_removed_at_start_and_on_upload(corpus: Settings):
    from api.routes.documents import _HOST

    staged = corpus.index_root / ".uploads"
    staged.mkdir()
    dead = staged / f".upload-999999999@{_HOST}-abcd1234"  # no such process
    live = staged / f".upload-{os.getpid()}@{_HOST}-efgh5678"
    old = staged / ".upload-oldname"  # a name without its process: judged by age
    fresh = staged / ".upload-newname"
    for folder in (dead, live, old, fresh):
        folder.mkdir()
        (folder / "0.txt").write_bytes(text(1))
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    with TestClient(app_for(corpus)) as c:
        assert not dead.exists() and not old.exists()
        assert live.exists() and fresh.exists()
        os.utime(fresh, (hours_ago, hours_ago))
        assert upload(c, "encore.txt", text(2)).status_code == 201
    assert not fresh.exists() and live.exists()
    assert [p.name for p in staged.iterdir()] == [live.name]  # the upload's own is gone


# --- deep HTML -----------------------------------------------------------------------------

def test_deeply_nested_html_is_read(client: TestClient):
    page = ("<html><body>" + "<div>" * 1000 + "<p>1. Le texte au fond des sections "
            "imbriquées.</p>" + "</div>" * 1000 + "</body></html>").encode()
    assert len(page) > 11_000
    r = client.post("/v1/documents", headers=AUTH,
                    files={"file": ("profond.html", page, "text/html")})
    assert r.status_code == 201, r.text
    doc = client.get("/v1/documents/profond", headers=AUTH).json()
    assert any("au fond des sections" in p["text"] for p in doc["passage_list"])


# --- host names without a key (DNS rebinding) -----------------------------------------------

@pytest.fixture
def open_corpus(corpus: Settings) -> Settings:
    return corpus.model_copy(update={"api_key": None})


def test_changes_under_a_foreign_host_name_are_refused_without_a_key(open_corpus: Settings):
    evil = {"Host": "evil.example:18910", "Origin": "http://evil.example:18910"}
    doc_id = sorted(p.stem for p in open_corpus.seeds_dir.glob("*.txt"))[0]
    with TestClient(app_for(open_corpus), base_url="http://localhost:18910") as c:
        refused = [c.post("/v1/documents", headers=evil, files={"file": ("x.txt", text(1))}),
                   c.post("/v1/admin/reload", headers=evil),
                   c.delete(f"/v1/documents/{doc_id}", headers=evil)]
        for r in refused:
            assert r.status_code == 421, r.text
            assert r.json()["error"]["code"] == "misdirected_request"
        assert doc_id in ids(c)
        assert c.get("/v1/documents", headers=evil).status_code == 200  # reading is fine
        for host in ("localhost:18910", "127.0.0.1:18910", "[::1]:18910", "LOCALHOST"):
            r = c.post("/v1/admin/reload", headers={"Host": host})
            assert r.status_code == 200, (host, r.text)
        own = c.post("/v1/admin/reload", headers={"Origin": "http://localhost:18910"})
        assert own.status_code == 200


def test_configured_host_names_and_keys_are_served(open_corpus: Settings):
    named = open_corpus.model_copy(update={"allowed_hosts": ["rag.example.org"]})
    with TestClient(app_for(named), base_url="http://rag.example.org:8443") as c:
        assert c.post("/v1/admin/reload").status_code == 200
        assert c.post("/v1/admin/reload", headers={"Host": "evil.example"}).status_code == 421
        mcp = c.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                     headers={"Accept": "application/json, text/event-stream"})
        assert mcp.status_code == 200, mcp.text  # /mcp follows the same rule
    with TestClient(app_for(open_corpus.model_copy(update={"api_key": KEY})),
                    base_url="http://any.example.org") as c:
        assert c.post("/v1/admin/reload", headers=AUTH).status_code == 200


# --- chat content parts ---------------------------------------------------------------------

@pytest.mark.parametrize("part", [{"type": "text", "text": {"a": [1, 2]}},
                                  {"type": "text", "text": 12},
                                  {"type": "text"}])
def test_a_text_part_whose_text_is_not_a_string_is_a_422(client: TestClient, part):
    r = client.post("/v1/chat/completions", headers=AUTH, json={
        "messages": [{"role": "user", "content": [part]}]})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and "not a string" in error["message"]


def test_text_parts_are_still_read(client: TestClient):
    r = client.post("/v1/chat/completions", headers=AUTH, json={"messages": [{
        "role": "user", "content": [{"type": "text", "text": "Rôle de l’OSCE ?"},
                                    {"type": "image_url", "image_url": {"url": "x"}}]}]})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"]
