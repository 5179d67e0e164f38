"""Corpus management: add, replace and remove documents; the embedding cache; an index
updated document by document answers exactly like one built from scratch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.cli import main as cli_main
from rag.corpus import add_documents, build_embedder, list_documents, remove_documents
from rag.encoders.embedding_cache import CachedEmbedder, EmbeddingCache
from rag.errors import DocumentRejected, UnknownDocument
from rag.index.build import build_index
from rag.index.load import load_index
from rag.index.manifest import read_manifest
from rag.ingest.documents import seed_files
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder

SEED_FILES = sorted(p for p in SEEDS.glob("*.txt"))


def _seeds(folder: Path, files: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEEDS / "catalog.toml", folder / "catalog.toml")
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Two seed documents indexed with the hashing test embedder."""
    settings = Settings(index_root=tmp_path / "index",
                        seeds_dir=_seeds(tmp_path / "seeds", SEED_FILES[:2]),
                        embedding_model="test-hash")
    build_index(settings.index_options(), build_embedder(settings, HashEmbedder()))
    return settings


def _target(settings: Settings) -> Path:
    return settings.index_dir.resolve()


# --- embedding cache -------------------------------------------------------------------

class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed(texts, query=query)


def test_cache_embeds_each_text_once(tmp_path: Path):
    model = CountingEmbedder()
    cached = CachedEmbedder("test-hash", lambda: model, EmbeddingCache(tmp_path / "c.sqlite3"))
    first = cached.embed(["un", "deux", "un"])
    again = cached.embed(["deux", "trois"])
    assert model.calls == [["un", "deux"], ["trois"]]
    assert np.allclose(first[1], again[0]) and np.allclose(first[0], first[2])
    assert cached.stats.embedded == 3 and cached.stats.hits == 2


def test_cache_is_per_model_and_prompt_and_questions_bypass_it(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    a, b = CountingEmbedder(), CountingEmbedder()
    CachedEmbedder("model-a", lambda: a, cache).embed(["texte"])
    CachedEmbedder("model-b", lambda: b, cache).embed(["texte"])
    CachedEmbedder("model-a", lambda: a, cache).embed(["texte"], query=True)
    CachedEmbedder("model-a", lambda: a, cache, prompt="doc: ").embed(["texte"])
    assert a.calls == [["texte"], ["texte"], ["texte"]] and b.calls == [["texte"]]


def test_model_is_not_loaded_when_everything_is_cached(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    CachedEmbedder("m", CountingEmbedder, cache).embed(["a", "b"])

    def refuse() -> HashEmbedder:
        raise AssertionError("the model should not be loaded")

    out = CachedEmbedder("m", refuse, cache).embed(["b", "a"])
    assert out.shape == (2, 64)


def test_corrupt_cache_file_is_set_aside(tmp_path: Path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = EmbeddingCache(path)
    cache.put([(b"k", np.ones(4, dtype=np.float32))])
    assert len(cache) == 1
    assert list(tmp_path.glob("c.sqlite3.corrupt-*"))


def test_an_altered_vector_is_never_served_and_is_embedded_again(tmp_path: Path):
    import sqlite3

    path = tmp_path / "c.sqlite3"
    model = CountingEmbedder()
    cached = CachedEmbedder("m", lambda: model, EmbeddingCache(path))
    good = cached.embed(["un", "deux"])
    with sqlite3.connect(path) as db:  # a vector changed in place, its checksum left as is
        key, blob = db.execute("SELECT key, vec FROM vectors").fetchone()
        altered = np.frombuffer(blob, dtype=np.float32).copy()
        altered[0] += 0.5
        db.execute("UPDATE vectors SET vec = ? WHERE key = ?", (altered.tobytes(), key))
    again = CachedEmbedder("m", lambda: model, EmbeddingCache(path))
    assert np.allclose(again.embed(["un", "deux"]), good)
    assert model.calls[-1] in (["un"], ["deux"]) and again.cache.rejected == 1


def test_a_cache_written_before_checksums_is_embedded_again_once(tmp_path: Path):
    import sqlite3

    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as db:  # the former schema, without checksums
        db.execute("CREATE TABLE vectors (key BLOB PRIMARY KEY, dim INTEGER, vec BLOB)")
    model = CountingEmbedder()
    cached = CachedEmbedder("m", lambda: model, EmbeddingCache(path))
    key = cached._keys(["un"])[0]
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO vectors (key, dim, vec) VALUES (?, 4, ?)",
                   (key, np.ones(4, dtype=np.float32).tobytes()))
    assert cached.embed(["un"]).shape == (1, 64)  # not the unchecked 4-vector
    cached.embed(["un"])
    assert model.calls == [["un"]]  # stored with its checksum: read back the second time


def test_damaged_pages_found_after_opening_are_not_fatal(tmp_path: Path):
    path = tmp_path / "c.sqlite3"
    cache = EmbeddingCache(path)
    cache.put([(bytes([i]) * 32, np.full(384, i, dtype=np.float32)) for i in range(200)])
    data = bytearray(path.read_bytes())
    for offset in (4096 + 100, 8192 + 7, len(data) // 2):  # bytes flipped inside pages
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    found = cache.get([bytes([i]) * 32 for i in range(200)])
    for key, vector in found.items():  # whatever is still read passed its checksum
        assert np.allclose(vector, key[0])
    cache.put([(b"k" * 32, np.ones(4, dtype=np.float32))])
    assert len(cache.get([b"k" * 32])) == 1


# --- add / replace / remove (test embedder: mechanics) -------------------------------------

def test_add_replace_unchanged_and_remove(fake_settings: Settings, tmp_path: Path):
    settings = fake_settings
    report = add_documents(settings, [SEED_FILES[2]], embedder=HashEmbedder())
    assert [(c.doc_id, c.action) for c in report.changes] == [(SEED_FILES[2].stem, "added")]
    assert read_manifest(settings.index_dir).documents == 3
    assert 0 < report.embedded < report.cached + report.embedded

    before = _target(settings)
    again = add_documents(settings, [SEED_FILES[2]], embedder=HashEmbedder())
    assert [c.action for c in again.changes] == ["unchanged"] and again.index is None
    assert _target(settings) == before

    changed = tmp_path / SEED_FILES[2].name
    changed.write_text(SEED_FILES[2].read_text("utf-8") + "\n 99. Paragraphe ajouté pour le "
                       "test de remplacement.\n", "utf-8")
    replaced = add_documents(settings, [changed], embedder=HashEmbedder())
    assert [c.action for c in replaced.changes] == ["replaced"]
    index = load_index(settings.index_options())
    assert any("remplacement" in p.text for p in index.passages)
    assert replaced.embedded < 10  # only the new paragraph and its sentence

    removed = remove_documents(settings, [SEED_FILES[0].stem], embedder=HashEmbedder())
    assert [c.action for c in removed.changes] == ["removed"]
    index = load_index(settings.index_options())
    assert SEED_FILES[0].stem not in index.documents
    assert not any(p.doc_id == SEED_FILES[0].stem for p in index.passages)
    assert not (settings.seeds_dir / SEED_FILES[0].name).exists()


def test_added_date_survives_other_changes(fake_settings: Settings):
    first = {d.id: d.added for d in list_documents(fake_settings)}
    add_documents(fake_settings, [SEED_FILES[3]], embedder=HashEmbedder())
    listed = {d.id: d for d in list_documents(fake_settings)}
    assert all(listed[k].added == v for k, v in first.items())
    assert listed[SEED_FILES[3].stem].passages > 0 and listed[SEED_FILES[3].stem].format == "text"


def test_a_refused_file_changes_nothing(fake_settings: Settings, tmp_path: Path, capsys):
    before = _target(fake_settings)
    files_before = sorted(p.name for p in fake_settings.seeds_dir.iterdir())
    empty = tmp_path / "vide.txt"
    empty.write_bytes(b"")
    with pytest.raises(DocumentRejected, match=r"vide\.txt"):
        add_documents(fake_settings, [SEED_FILES[2], empty], embedder=HashEmbedder())
    assert _target(fake_settings) == before
    assert sorted(p.name for p in fake_settings.seeds_dir.iterdir()) == files_before


def test_failed_build_restores_the_corpus_folder(fake_settings: Settings, tmp_path: Path,
                                                 monkeypatch):
    import rag.corpus

    before = _target(fake_settings)
    original = (fake_settings.seeds_dir / SEED_FILES[1].name).read_bytes()
    changed = tmp_path / SEED_FILES[1].name
    changed.write_text("1. Un tout autre texte, assez long pour être un paragraphe.\n", "utf-8")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rag.corpus, "build_index", explode)
    with pytest.raises(OSError):
        add_documents(fake_settings, [changed, SEED_FILES[2]], embedder=HashEmbedder())
    assert (fake_settings.seeds_dir / SEED_FILES[1].name).read_bytes() == original
    assert not (fake_settings.seeds_dir / SEED_FILES[2].name).exists()
    with pytest.raises(OSError):
        remove_documents(fake_settings, [SEED_FILES[0].stem], embedder=HashEmbedder())
    assert (fake_settings.seeds_dir / SEED_FILES[0].name).exists()
    assert _target(fake_settings) == before
    assert not list(fake_settings.index_root.glob(".corpus-backup-*"))


def test_remove_unknown_or_every_document_is_refused(fake_settings: Settings):
    with pytest.raises(UnknownDocument, match="nope"):
        remove_documents(fake_settings, ["nope"], embedder=HashEmbedder())
    with pytest.raises(Exception, match="every document"):
        remove_documents(fake_settings, [p.stem for p in SEED_FILES[:2]],
                         embedder=HashEmbedder())


def test_symlink_leaving_the_corpus_folder_is_refused(fake_settings: Settings, tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("1. Mot de passe administrateur : hunter2.\n", "utf-8")
    (fake_settings.seeds_dir / "lien.txt").symlink_to(outside)
    with pytest.raises(DocumentRejected, match=r"lien\.txt.*leaves the corpus folder"):
        seed_files(fake_settings.seeds_dir)


def test_cli_add_refused_file_exits_2_naming_it(fake_settings: Settings, tmp_path: Path,
                                               monkeypatch, capsys):
    monkeypatch.setenv("RAG_INDEX_ROOT", str(fake_settings.index_root))
    monkeypatch.setenv("RAG_SEEDS_DIR", str(fake_settings.seeds_dir))
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "test-hash")
    from rag.settings import get_settings

    get_settings.cache_clear()
    try:
        nul = tmp_path / "zeros.txt"
        nul.write_bytes(b"\0" * 4096)
        assert cli_main(["add", str(nul)]) == 2
        assert "zeros.txt" in capsys.readouterr().err
        assert cli_main(["remove", "inconnu"]) == 2
        assert cli_main(["add", "--json", str(nul)]) == 2
        assert json.loads(capsys.readouterr().out)["error"]["message"].startswith("zeros.txt")
        assert cli_main(["documents", "--json"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert {r["id"] for r in rows} == {p.stem for p in SEED_FILES[:2]}
        assert all(r["added"] and r["passages"] > 0 for r in rows)
    finally:
        get_settings.cache_clear()


# --- catalogue ------------------------------------------------------------------------

def test_catalogue_entry_follows_the_document_into_another_format():
    from rag.ingest.documents import catalog_entry, load_catalog

    catalog = load_catalog(SEEDS / "catalog.toml")
    assert catalog_entry(catalog, Path("001_72201535bd96dd17.pdf"))["symbol"] == "S/2021/297"
    assert catalog_entry(catalog, Path("autre.pdf")) is None


def test_folder_symlink_leaving_it_is_refused(fake_settings: Settings, tmp_path: Path):
    from rag.corpus import collect_files

    folder = tmp_path / "arrivees"
    folder.mkdir()
    shutil.copy(SEED_FILES[2], folder)
    (folder / "pw.txt").symlink_to("/etc/passwd")
    with pytest.raises(DocumentRejected, match="leaves the folder"):
        collect_files([folder])


def test_a_refused_file_in_a_batch_says_nothing_was_added(fake_settings: Settings,
                                                         tmp_path: Path):
    blank = tmp_path / "blanc.md"
    blank.write_text("   \n\n  ", "utf-8")
    with pytest.raises(DocumentRejected, match=r"blanc\.md.*none of the 2 files was added"):
        add_documents(fake_settings, [SEED_FILES[2], blank], embedder=HashEmbedder())


def test_remove_by_symbol(fake_settings: Settings):
    report = remove_documents(fake_settings, ["S/2021/297"], embedder=HashEmbedder())
    assert [c.doc_id for c in report.changes] == ["001_72201535bd96dd17"]


def test_metadata_falls_back_on_the_file(tmp_path: Path):
    from rag.ingest.documents import load_document

    path = tmp_path / "note_conference-geneve.txt"
    path.write_text("Genève, le 3 mars 2025\n\n1. La Conférence régionale s’est tenue à "
                    "Genève ; elle a adopté un plan d’action.\n", "utf-8")
    meta = load_document(path).meta
    assert meta.title == "note conference geneve" and meta.date == "2025-03-03"


def test_a_change_cut_short_by_a_crash_is_undone_by_the_next_one(fake_settings: Settings,
                                                                 tmp_path: Path):
    from rag.corpus import _Folder

    seeds = fake_settings.seeds_dir
    original = (seeds / SEED_FILES[1].name).read_bytes()
    half_done = _Folder(fake_settings)  # a process that dies after moving files around
    half_done.set_aside(seeds / SEED_FILES[1].name)
    half_done.put(SEED_FILES[3], SEED_FILES[3].name)
    assert (seeds / SEED_FILES[3].name).exists()

    report = add_documents(fake_settings, [seeds / SEED_FILES[0].name], embedder=HashEmbedder())
    assert [c.action for c in report.changes] == ["unchanged"]
    assert report.index is not None  # rebuilt from the restored folder
    assert (seeds / SEED_FILES[1].name).read_bytes() == original
    assert not (seeds / SEED_FILES[3].name).exists()
    assert not list(fake_settings.index_root.glob(".corpus-backup-*"))
    assert set(load_index(fake_settings.index_options()).documents) == \
        {p.stem for p in SEED_FILES[:2]}


def test_a_document_with_too_many_texts_to_embed_is_refused_before_embedding(
        tmp_path: Path):
    model = CountingEmbedder()
    settings = Settings(index_root=tmp_path / "index",
                        seeds_dir=_seeds(tmp_path / "seeds", SEED_FILES[:1]),
                        embedding_model="test-hash", max_document_texts=50)
    with pytest.raises(DocumentRejected, match="texts to embed") as refused:
        build_index(settings.index_options(), build_embedder(settings, model))
    assert refused.value.reason == "too_large" and model.calls == []


def test_an_added_document_is_embedded_before_the_corpus_lock(fake_settings: Settings,
                                                               monkeypatch):
    from contextlib import contextmanager

    import rag.corpus as corpus

    held = [False]
    real_lock = corpus.corpus_lock

    @contextmanager
    def watched(settings, timeout=-1):
        with real_lock(settings, timeout) as recovered:
            held[0] = True
            try:
                yield recovered
            finally:
                held[0] = False

    class Watching(CountingEmbedder):
        def embed(self, texts, *, query=False):
            self.calls.append((held[0], len(texts)))
            return HashEmbedder.embed(self, texts, query=query)

    model = Watching()
    monkeypatch.setattr(corpus, "corpus_lock", watched)
    report = add_documents(fake_settings, [SEED_FILES[2]], embedder=model)
    assert report.changes[0].action == "added"
    before = sum(n for locked, n in model.calls if not locked)
    during = sum(n for locked, n in model.calls if locked)
    assert before >= 30 and during < before / 5, model.calls  # the gazetteer's names only
