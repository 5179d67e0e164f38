"""A damaged index is refused at load with a named error (IndexCorrupt, IndexNotBuilt or
IndexMismatch, each with the rebuild command), never another exception and never silently:
every file of a built index × every kind of damage, damage hidden behind a re-sealed
manifest, malformed manifests, inconsistent parts, and the app's 503 on such an index."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorrupt, IndexMismatch, IndexNotBuilt
from rag.index.build import build_index
from rag.index.load import load_index
from rag.index.manifest import FORMAT_VERSION, read_manifest
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder

NAMED = (IndexCorrupt, IndexNotBuilt, IndexMismatch)
MANIFEST = "manifest.json"
# Every file of a built index; test_matrix_covers_every_file_of_a_built_index keeps this
# list equal to what a build writes, so that a new file cannot escape the matrix.
INDEX_FILES = sorted([
    MANIFEST, "vectors.faiss", "passages.jsonl", "documents.json", "sentences.jsonl",
    "sentences.npy", "sources.json", "cards.json", "gazetteer.json", "gazetteer.npy",
    *(f"bm25/{analyzer}/{name}" for analyzer in ("words", "grams")
      for name in ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy",
                   "params.index.json", "vocab.index.json")),
])


def _half(data: bytes) -> bytes | None:
    return data[: len(data) // 2]


def _zero(data: bytes) -> bytes | None:
    return b""


def _random(data: bytes) -> bytes | None:
    return random.Random(len(data)).randbytes(len(data))


def _flip16(data: bytes) -> bytes | None:
    middle = max(0, len(data) // 2 - 8)
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:]


def _delete(data: bytes) -> bytes | None:
    return None


DAMAGE: dict[str, Callable[[bytes], bytes | None]] = {
    "half": _half, "zero": _zero, "random": _random, "flip16": _flip16, "delete": _delete}


def _settings(root: Path, **changes: object) -> Settings:
    return Settings(index_root=root, seeds_dir=SEEDS, embedding_model="test-hash", **changes)


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index built with the fast test embedder; each test damages a copy of it."""
    settings = _settings(tmp_path_factory.mktemp("pristine"))
    build_index(settings.index_options(), HashEmbedder())
    return settings.index_dir.resolve()


def _copy(pristine: Path, root: Path) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(pristine, root / pristine.name)
    (root / "default").symlink_to(pristine.name)
    return _settings(root)


@pytest.fixture()
def fresh(pristine: Path, tmp_path: Path) -> Settings:
    """Settings of a private, intact copy of the pristine index."""
    return _copy(pristine, tmp_path / "index")


def damage(folder: Path, name: str, kind: str) -> None:
    """Apply damage ``kind`` to file ``name`` of the index folder."""
    path = folder / name
    data = DAMAGE[kind](path.read_bytes())
    if data is None:
        path.unlink()
    else:
        path.write_bytes(data)


def reseal(folder: Path) -> None:
    """Rewrite the manifest's file list (sizes, BLAKE2b hashes) to match the folder as it
    is now, as a careless tool would: only the load-time parsing and cross-checks remain to
    catch the damage."""
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"] = {
        name: {"bytes": (folder / name).stat().st_size,
               "blake2b": hashlib.blake2b((folder / name).read_bytes(), digest_size=32).hexdigest()}
        for name in _listing(folder) if name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def edit_manifest(folder: Path, **changes: object) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest.update(changes)
    (folder / MANIFEST).write_text(json.dumps(manifest))


def folder_of(settings: Settings) -> Path:
    return settings.index_dir.resolve()


def test_matrix_covers_every_file_of_a_built_index(pristine: Path):
    assert _listing(pristine) == INDEX_FILES
    manifest = json.loads((pristine / MANIFEST).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert sorted(manifest["files"]) == [n for n in INDEX_FILES if n != MANIFEST]


def test_intact_copy_loads(fresh: Settings):
    index = load_index(fresh.index_options())
    assert len(index.passages) == index.vectors.ntotal == index.manifest.passages > 0
    assert load_index(fresh.index_options(),
                      mmap=True).vectors.ntotal == index.manifest.passages


@pytest.mark.parametrize("kind", list(DAMAGE))
@pytest.mark.parametrize("name", INDEX_FILES)
def test_damaged_file_is_refused_naming_it(fresh: Settings, name: str, kind: str):
    damage(folder_of(fresh), name, kind)
    with pytest.raises(IndexCorrupt) as refused:
        load_index(fresh.index_options())
    message = str(refused.value)
    assert name in message and "rag index" in message
    if name == MANIFEST:  # the app reads the manifest first, before loading the model
        with pytest.raises(IndexCorrupt):
            read_manifest(fresh.index_dir)


@pytest.mark.parametrize("name", [n for n in INDEX_FILES if n != MANIFEST][:3])
def test_a_damaged_index_is_refused_before_the_model_loads(fresh: Settings, name: str,
                                                          monkeypatch):
    import rag.pipeline

    def refuse(settings):
        raise AssertionError("the model was loaded for a damaged index")

    damage(folder_of(fresh), name, next(iter(DAMAGE)))
    monkeypatch.setattr(rag.pipeline, "load_embedder", refuse)
    with pytest.raises(IndexCorrupt, match="rag index"):
        rag.pipeline.Pipeline.load(fresh)


@pytest.mark.parametrize("kind", list(DAMAGE))
@pytest.mark.parametrize("name", [n for n in INDEX_FILES if n != MANIFEST])
def test_damage_behind_a_resealed_manifest_is_still_a_named_error(fresh: Settings, name: str,
                                                                  kind: str):
    """With the hashes rewritten to match, parsing and cross-checks must still refuse a
    truncated or missing file, and any other damage is a named error or a servable index."""
    folder = folder_of(fresh)
    damage(folder, name, kind)
    reseal(folder)
    if kind in ("half", "zero", "delete"):
        with pytest.raises(IndexCorrupt, match="rag index"):
            load_index(fresh.index_options())
        return
    try:
        index = load_index(fresh.index_options())
    except NAMED as exc:
        assert "rag index" in str(exc)
        return
    _answers(fresh, index)  # loaded (values changed in place): it must still answer


def _answers(settings: Settings, index) -> None:
    from rag.pipeline import Pipeline

    pipeline = Pipeline.from_parts(settings, HashEmbedder(), index)
    for question in ("Quel est le rôle de l'OSCE ?", "cooperation with the African Union"):
        pipeline.search(question, 5)
        pipeline.ask(question)


# -- item: crashes at start-up instead of a named error ---------------------------------

def test_zero_length_npy_in_the_lexical_index_is_corrupt(fresh: Settings):
    folder = folder_of(fresh)
    (folder / "bm25/words/indptr.csc.index.npy").write_bytes(b"")
    with pytest.raises(IndexCorrupt, match=r"bm25/words/indptr\.csc\.index\.npy has 0 bytes"):
        load_index(fresh.index_options())
    reseal(folder)  # the parser itself (EOFError) must give the named error too
    with pytest.raises(IndexCorrupt, match=r"bm25/: EOFError.*rag index"):
        load_index(fresh.index_options())


def test_index_path_that_is_a_regular_file_is_corrupt(tmp_path: Path):
    settings = _settings(tmp_path)
    settings.index_dir.write_text("not an index")
    for read in (lambda s: load_index(s.index_options()), lambda s: read_manifest(s.index_dir)):
        with pytest.raises(IndexCorrupt, match=r"is a file, not an index folder.*rag index"):
            read(settings)


def test_index_root_that_is_a_regular_file_means_no_index(tmp_path: Path):
    (tmp_path / "root").write_text("")
    with pytest.raises(IndexNotBuilt, match="rag index"):
        load_index(_settings(tmp_path / "root").index_options())


def test_symlink_to_a_missing_build_means_no_index(tmp_path: Path):
    (tmp_path / "default").symlink_to(".default@gone")
    with pytest.raises(IndexNotBuilt, match="rag index"):
        load_index(_settings(tmp_path).index_options())


MALFORMED: dict[str, dict[str, object]] = {
    "files_list": {"files": ["vectors.faiss"]},
    "files_string": {"files": "vectors.faiss"},
    "files_empty": {"files": {}},
    "files_entry_int": {"files": {"vectors.faiss": 353325}},
    "files_entry_bad_hash": {"files": {"vectors.faiss": {"bytes": 1, "blake2b": "xyz"}}},
    "files_entry_extra_key": {"files": {"vectors.faiss": {"bytes": 1, "blake2b": "0" * 64,
                                                          "sha": "x"}}},
    "files_outside": {"files": {"../../etc/passwd": {"bytes": 1, "blake2b": "0" * 64}}},
    "files_self": {"files": {MANIFEST: {"bytes": 1, "blake2b": "0" * 64}}},
    "dim_string": {"dim": "64"},
    "dim_zero": {"dim": 0},
    "passages_negative": {"passages": -1},
    "passages_bool": {"passages": True},
    "documents_float": {"documents": 5.0},
    "model_null": {"model": None},
    "chunk_options_list": {"chunk_options": [1200, 900]},
    # forged fields that /readyz would otherwise report as they are
    "chunk_options_forged": {"chunk_options": {"max_window_chars": 1200, "evil": 1}},
    "chunk_options_zero": {"chunk_options": {"max_window_chars": 0,
                                             "group_items_max_chars": 900}},
    "created_not_a_date": {"created": "yesterday"},
    "created_no_zone": {"created": "2026-01-01T00:00:00"},
    "created_future": {"created": "2999-01-01T00:00:00+00:00"},
    "corpus_hash_forged": {"corpus_hash": "<script>alert(1)</script>"},
    "encoder_unknown_backend": {"encoder": {"backend": "quantum", "precision": "fp32",
                                            "device": "cpu"}},
    "encoder_extra_key": {"encoder": {"backend": "torch", "precision": "fp32",
                                      "device": "cpu", "note": "x"}},
    "build_seconds_text": {"build_seconds": "fast"},
    "unknown_field": {"file_sizes": {"vectors.faiss": 1}},
    "format_string": {"format_version": str(FORMAT_VERSION)},
    "format_null": {"format_version": None},
}


@pytest.mark.parametrize("change", list(MALFORMED))
def test_malformed_manifest_is_corrupt(fresh: Settings, change: str):
    edit_manifest(folder_of(fresh), **MALFORMED[change])
    for read in (lambda s: load_index(s.index_options()), lambda s: read_manifest(s.index_dir)):
        with pytest.raises(IndexCorrupt, match=r"manifest\.json.*rag index"):
            read(fresh)


@pytest.mark.parametrize("body", ["[]", "null", '"manifest"', "42", "{}", "[" * 100_000])
def test_manifest_that_is_not_an_object_is_corrupt(fresh: Settings, body: str):
    (folder_of(fresh) / MANIFEST).write_text(body)
    with pytest.raises(IndexCorrupt, match=r"manifest\.json"):
        load_index(fresh.index_options())


def test_manifest_missing_a_field_is_corrupt(fresh: Settings):
    folder = folder_of(fresh)
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["created"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match=r"manifest\.json lacks created"):
        load_index(fresh.index_options())


@pytest.mark.parametrize("file_sizes", [{"vectors.faiss": 353325}, ["vectors.faiss"], "big"])
def test_index_of_the_previous_format_asks_for_a_rebuild(fresh: Settings, file_sizes: object):
    """A format-1 manifest (sizes of four files, no hashes), even a damaged one."""
    folder = folder_of(fresh)
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["files"]
    manifest.update(format_version=1, file_sizes=file_sizes)
    (folder / MANIFEST).write_text(json.dumps(manifest))
    for read in (lambda s: load_index(s.index_options()), lambda s: read_manifest(s.index_dir)):
        with pytest.raises(IndexMismatch, match=r"index format 1, this version reads format "
                                                rf"{FORMAT_VERSION}.*rag index"):
            read(fresh)


# -- item: same-size corruption ------------------------------------------------------------

def test_sentence_vectors_rolled_by_one_row_are_detected(fresh: Settings):
    """Same size, same shape, valid file: only the hash tells (this changed answers)."""
    path = folder_of(fresh) / "sentences.npy"
    np.save(path, np.roll(np.load(path), 1, axis=0))
    with pytest.raises(IndexCorrupt, match=r"sentences\.npy was altered"):
        load_index(fresh.index_options())


@pytest.mark.parametrize("name", ["documents.json", "sources.json", "cards.json",
                                  "bm25/grams/params.index.json"])
def test_same_size_edit_of_any_file_is_detected(fresh: Settings, name: str):
    path = folder_of(fresh) / name
    data = path.read_bytes()
    edited = data.replace(b"1", b"2", 1) if b"1" in data else data.replace(b"a", b"b", 1)
    assert len(edited) == len(data) and edited != data
    path.write_bytes(edited)
    with pytest.raises(IndexCorrupt, match=rf"{name} was altered"):
        load_index(fresh.index_options())


@pytest.mark.parametrize("extra", ["notes.txt", "bm25/words/extra.npy", "bm25/other/x.json"])
def test_a_file_the_manifest_does_not_list_is_corrupt(fresh: Settings, extra: str):
    path = folder_of(fresh) / extra
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    with pytest.raises(IndexCorrupt, match=rf"unexpected file not in the manifest: {extra}"):
        load_index(fresh.index_options())


def test_verification_can_be_skipped(fresh: Settings):
    path = folder_of(fresh) / "sentences.npy"
    np.save(path, np.roll(np.load(path), 1, axis=0))
    index = load_index(fresh.index_options(), verify=False)
    assert index.vectors.ntotal == index.manifest.passages > 0


# -- item: cross-checks between the parts (behind a resealed manifest) ---------------------

def _rewrite_jsonl(path: Path, change: Callable[[list[dict]], list[dict]]) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in change(rows)))


def _rewrite_json(path: Path, change: Callable[[object], object]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text())), ensure_ascii=False))


def _set(row: dict, **values: object) -> dict:
    row.update(values)
    return row


CROSS: dict[str, tuple[Callable[[Path], None], str]] = {
    "passage_dropped": (
        lambda f: _rewrite_jsonl(f / "passages.jsonl", lambda rows: rows[:-1]),
        r"236 vectors for 235 passages"),
    "passage_count_in_manifest": (
        lambda f: edit_manifest(f, passages=237),
        r"236 vectors for 236 passages, manifest says 237"),
    "sentence_dropped": (
        lambda f: _rewrite_jsonl(f / "sentences.jsonl", lambda rows: rows[:-1]),
        r"sentences\.npy holds \d+ vectors of 64 dimensions for \d+ sentences"),
    "sentence_of_no_passage": (
        lambda f: _rewrite_jsonl(f / "sentences.jsonl",
                                 lambda rows: [*rows[:-1], _set(rows[-1], passage=236)]),
        r"belongs to passage row 236, out of range"),
    "sentence_passage_text": (
        lambda f: _rewrite_jsonl(f / "sentences.jsonl",
                                 lambda rows: [_set(rows[0], passage="0"), *rows[1:]]),
        r"sentences\.jsonl: ValueError: sentence '0': passage is not an integer"),
    "passage_of_unknown_document": (
        lambda f: _rewrite_jsonl(f / "passages.jsonl",
                                 lambda rows: [_set(rows[0], doc_id="ghost"), *rows[1:]]),
        r"passages of documents missing from documents\.json: ghost"),
    "passage_text_not_text": (
        lambda f: _rewrite_jsonl(f / "passages.jsonl",
                                 lambda rows: [_set(rows[0], text=["a"]), *rows[1:]]),
        r"passages\.jsonl: ValueError: passage .*: text is not a string"),
    "passage_unknown_field": (
        lambda f: _rewrite_jsonl(f / "passages.jsonl",
                                 lambda rows: [_set(rows[0], score=1), *rows[1:]]),
        r"passages\.jsonl: TypeError"),
    "passage_ids_repeat": (
        lambda f: _rewrite_jsonl(f / "passages.jsonl",
                                 lambda rows: [rows[1], *rows[1:]]),
        r"passages\.jsonl repeats passage ids"),
    "document_dropped": (
        lambda f: _rewrite_json(f / "documents.json", lambda rows: rows[1:]),
        r"documents\.json lists 4 documents, manifest says 5"),
    "documents_not_a_list": (
        lambda f: _rewrite_json(f / "documents.json", lambda rows: {"rows": rows}),
        r"documents\.json: ValueError: not a JSON list"),
    "card_dropped": (
        lambda f: _rewrite_json(f / "cards.json", lambda rows: rows[1:]),
        r"cards\.json and documents\.json list different documents"),
    "card_cites_another_document": (
        lambda f: _rewrite_json(f / "cards.json", lambda rows: [
            {**rows[0], "fields": [_set(rows[0]["fields"][0],
                                        passage_id=rows[1]["fields"][0]["passage_id"])]},
            *rows[1:]]),
        r"cards\.json: the title of 000_\w+ cites '001_\w+#\w+', not a passage of that"),
    "card_field_unknown": (
        lambda f: _rewrite_json(f / "cards.json", lambda rows: [
            {**rows[0], "fields": [_set(rows[0]["fields"][0], name="colour")]}, *rows[1:]]),
        r"cards\.json: ValueError: card field 'colour' of source '\w+' is not a card field"),
    "card_field_value_not_text": (
        lambda f: _rewrite_json(f / "cards.json", lambda rows: [
            {**rows[0], "fields": [_set(rows[0]["fields"][0], value=12)]}, *rows[1:]]),
        r"cards\.json: ValueError: card field .*: value is not a string"),
    "source_dropped": (
        lambda f: _rewrite_json(f / "sources.json", lambda rows: rows[1:]),
        r"sources\.json and documents\.json list different documents"),
    "lexical_count": (
        lambda f: _rewrite_json(f / "bm25/words/params.index.json",
                                lambda p: {**p, "num_docs": 1000}),
        r"bm25/: ValueError: the analyzers cover different passage counts"),
    "lexical_counts_agree_but_differ": (
        lambda f: [_rewrite_json(f / f"bm25/{a}/params.index.json",
                                 lambda p: {**p, "num_docs": 1000}) for a in ("words", "grams")],
        r"the BM25 index \(bm25/\) covers 1000 passages, not 236"),
    "lexical_pointer": (
        lambda f: np.save(f / "bm25/grams/indptr.csc.index.npy",
                          np.load(f / "bm25/grams/indptr.csc.index.npy")[::-1]),
        r"bm25/: ValueError: grams: score matrix pointers"),
    "lexical_passage_beyond": (
        lambda f: np.save(f / "bm25/words/indices.csc.index.npy",
                          np.load(f / "bm25/words/indices.csc.index.npy") + 1000),
        r"bm25/: ValueError: words: score matrix refers to passages beyond 236"),
    "lexical_vocabulary": (
        lambda f: _rewrite_json(f / "bm25/words/vocab.index.json",
                                lambda v: {**v, "zzz": 10**6}),
        r"bm25/: ValueError: words: vocabulary ids"),
    "lexical_dtype": (
        lambda f: _rewrite_json(f / "bm25/words/params.index.json",
                                lambda p: {**p, "dtype": "nonsense"}),
        r"bm25/: TypeError"),
    "dimensions": (
        lambda f: edit_manifest(f, dim=32), r"vectors\.faiss has 64 dimensions, manifest says 32"),
    "sentence_vectors_wide": (
        lambda f: np.save(f / "sentences.npy",
                          np.hstack([np.load(f / "sentences.npy")] * 2)),
        r"sentences\.npy holds \d+ vectors of 128 dimensions"),
    "sentence_vectors_flat": (
        lambda f: np.save(f / "sentences.npy", np.load(f / "sentences.npy").ravel()),
        r"sentences\.npy: ValueError: expected a matrix"),
    "sentence_vectors_nan": (
        lambda f: _poke_nan(f / "sentences.npy"),
        r"sentences\.npy: ValueError: it holds values that are not finite"),
    "sentence_vectors_pickled": (
        lambda f: np.save(f / "sentences.npy", np.array([{"a": 1}], dtype=object),
                          allow_pickle=True),
        r"sentences\.npy: ValueError"),
    "vectors_l2": (
        lambda f: _rewrite_as_l2(f / "vectors.faiss"),
        r"vectors\.faiss: ValueError: the FAISS index uses metric"),
}


def _poke_nan(path: Path) -> None:
    vectors = np.load(path)
    vectors[3, 5] = np.nan
    np.save(path, vectors)


def _rewrite_as_l2(path: Path) -> None:
    import faiss

    index = faiss.read_index(str(path))
    other = faiss.IndexFlatL2(index.d)
    other.add(index.reconstruct_n(0, index.ntotal))
    faiss.write_index(other, str(path))


@pytest.mark.parametrize("case", list(CROSS))
def test_inconsistent_parts_fail_at_load(fresh: Settings, case: str):
    change, reason = CROSS[case]
    folder = folder_of(fresh)
    change(folder)
    reseal(folder)
    with pytest.raises(IndexCorrupt, match=reason) as refused:
        load_index(fresh.index_options())
    assert "rag index" in str(refused.value)


# -- the app: a damaged index gives 503 with the JSON error, not a crash at start-up -------


def _npy_emptied(settings: Settings) -> None:
    folder = folder_of(settings)
    (folder / "bm25/grams/data.csc.index.npy").write_bytes(b"")
    reseal(folder)


def _files_wrong_type(settings: Settings) -> None:
    edit_manifest(folder_of(settings), files=["vectors.faiss"])


def _path_is_a_file(settings: Settings) -> None:
    settings.index_dir.unlink()
    settings.index_dir.write_text("not an index")
