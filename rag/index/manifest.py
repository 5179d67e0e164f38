"""The index format: the files of an index folder, :class:`Manifest` (written last by a
build, read first by a load) and the file digests it lists.

The manifest lists every file of the folder with its size and BLAKE2b hash; a load checks
them (a missing, extra, truncated or altered file is refused). Whatever goes wrong while
reading it surfaces as ``IndexNotBuilt``, ``IndexCorrupt`` or ``IndexMismatch``, each naming
the reason and the rebuild command, never as another exception.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rag.errors import IndexCorrupt, IndexMismatch, IndexNotBuilt, RagError
from rag.ingest.documents import (
    seed_files,
)
from rag.records import (
    ChunkOptions,
)

# 2: the manifest lists every file with its size and BLAKE2b hash (``files``); format 1 had
# the sizes of four files (``file_sizes``) and is refused with the rebuild hint.
# 3: a gazetteer (``gazetteer.json``, ``gazetteer.npy``) and a card per document (``cards.json``).
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.json"
LEXICAL = "bm25"
SENTENCES = "sentences.jsonl"
SENTENCE_VECTORS = "sentences.npy"
GAZETTEER = "gazetteer.json"  # the names the corpus uses (rag.ingest.gazetteer)
GAZETTEER_VECTORS = "gazetteer.npy"  # one vector per gazetteer entry
SOURCES = "sources.json"
CARDS = "cards.json"
STORE = "store.json"  # instead of VECTORS and LEXICAL: the Qdrant collection of the build


@dataclass(frozen=True)
class FileDigest:
    """Size and content hash of one file of an index folder (in the manifest)."""

    bytes: int
    blake2b: str


DIGEST_SIZE = 32  # bytes of BLAKE2b output (64 hex digits)
_HEX_DIGEST = re.compile(f"[0-9a-f]{{{2 * DIGEST_SIZE}}}")


@dataclass(frozen=True)
class Manifest:
    """What an index was built from, and every file it holds; checked on load."""

    model: str
    dim: int
    corpus_hash: str
    chunker_version: str
    chunk_options: dict[str, int]
    passages: int
    documents: int
    faiss_index: str
    created: str
    format_version: int = FORMAT_VERSION
    files: dict[str, FileDigest] = field(default_factory=dict)  # path → size and hash
    build_seconds: float = 0.0
    encoder: dict[str, str] = field(default_factory=dict)  # backend, precision, device


def corpus_hash(seeds_dir: Path, catalog: Path) -> str:
    """sha256 over the names and content hashes of the seed files and the catalogue."""
    files = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in seed_files(seeds_dir)]
    return _names_hash(files, catalog)


def _names_hash(files: list[tuple[str, str]], catalog: Path) -> str:
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(f"{name}\0{content}\0".encode())
    if catalog.exists():
        digest.update(b"catalog\0" + catalog.read_bytes())
    return digest.hexdigest()


def index_files(folder: Path) -> list[str]:
    """Every file of the index folder ``folder`` except the manifest, as sorted relative
    paths with ``/`` separators (the names the manifest lists)."""
    found = []
    for root, dirs, files in os.walk(folder, onerror=_raise):
        here = Path(root).relative_to(folder)
        # a symlinked folder is not walked into; it is listed, so it cannot hide files
        links = [d for d in dirs if (Path(root) / d).is_symlink()]
        found.extend((here / name).as_posix() for name in [*files, *links])
    return sorted(name for name in found if name != MANIFEST)


def _raise(exc: OSError) -> None:
    raise exc


def file_digest(path: Path) -> FileDigest:
    """Size and BLAKE2b hash of the file at ``path``."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest = hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=DIGEST_SIZE))
    return FileDigest(size, digest.hexdigest())


def file_digests(folder: Path) -> dict[str, FileDigest]:
    """Size and hash of every file of ``folder`` but the manifest (written at build)."""
    return {name: file_digest(folder / name) for name in index_files(folder)}


def verify_files(path: Path, manifest: Manifest, folder: Path | None = None) -> None:
    """Check that the index folder holds exactly the files its manifest lists, with their
    sizes and hashes; raise ``IndexCorrupt`` naming the first difference."""
    folder = folder or path.resolve()
    present, listed = set(index_files(folder)), set(manifest.files)
    if missing := sorted(listed - present):
        raise IndexCorrupt(path, f"missing {_plural(missing)}: {', '.join(missing)}")
    if extra := sorted(present - listed):
        raise IndexCorrupt(path, f"unexpected {_plural(extra)} not in the manifest: "
                                 f"{', '.join(extra)}")
    for name in sorted(listed):  # sizes first: a stat per file
        size, expected = (folder / name).stat().st_size, manifest.files[name].bytes
        if size != expected:
            raise IndexCorrupt(path, f"{name} has {size} bytes, manifest says {expected}")
    for name in sorted(listed):
        if file_digest(folder / name).blake2b != manifest.files[name].blake2b:
            raise IndexCorrupt(path, f"{name} was altered since the build (its BLAKE2b hash "
                                     "differs from the manifest's)")


def _plural(names: list[str]) -> str:
    return "file" if len(names) == 1 else "files"


def check_index_files(path: Path) -> Manifest:
    """The manifest of the index at ``path``, every file it lists checked (sizes and
    hashes): the cheap checks that need no model, so that a damaged index is reported in
    moments rather than after the model has loaded."""
    with _reading(path):
        folder = _index_folder(path)
        manifest = _read_manifest(path, folder)
        verify_files(path, manifest, folder)
        return manifest


def read_manifest(path: Path) -> Manifest:
    """Read and validate ``manifest.json`` of the index at ``path``: ``IndexNotBuilt`` if
    there is none, ``IndexMismatch`` for an index of another format, ``IndexCorrupt`` if
    it is unreadable or malformed (never another error)."""
    with _reading(path):
        return _read_manifest(path, _index_folder(path))


def _index_folder(path: Path) -> Path:
    """The build folder the index name ``path`` points at."""
    if not path.exists():
        raise IndexNotBuilt(path)
    folder = path.resolve(strict=True)
    if not folder.is_dir():
        raise IndexCorrupt(path, "it is a file, not an index folder")
    return folder


def _read_manifest(path: Path, folder: Path) -> Manifest:
    try:
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError as exc:
        raise IndexCorrupt(path, f"{MANIFEST} is missing") from exc
    except OSError as exc:
        raise IndexCorrupt(path, f"{MANIFEST} cannot be read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSON or UTF-8 errors
        raise IndexCorrupt(path, f"{MANIFEST} is unreadable: {_short(exc)}") from exc
    return manifest_from_json(path, data)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value) \
        and value >= 0  # type: ignore[operator]


def _is_date(value: object) -> bool:
    """An ISO 8601 time with its time zone, not in the future (a day's slack for clocks)."""
    if not _is_text(value):
        return False
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return when.tzinfo is not None and when <= datetime.now(UTC) + timedelta(days=1)


_ENCODER_VALUES = {"backend": {"torch", "onnx", "openvino", "exported"},
                   "precision": {"fp32", "fp16", "bf16"}}


def _is_encoder(value: object) -> bool:
    """``{"backend", "precision", "device"}`` with a known backend and precision."""
    return isinstance(value, dict) and set(value) == {"backend", "precision", "device"} and \
        all(_is_text(x) for x in value.values()) and all(
            value[k] in allowed for k, allowed in _ENCODER_VALUES.items())


_MANIFEST_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "model": (_is_text, "a model name"),
    "dim": (lambda v: _is_int(v) and v > 0, "a positive integer"),  # type: ignore[operator]
    "corpus_hash": (lambda v: _is_text(v) and re.fullmatch(r"[0-9a-f]{64}", str(v)) is not None,
                    "a SHA-256 hex digest"),
    "chunker_version": (_is_text, "a version string"),
    "chunk_options": (lambda v: isinstance(v, dict) and set(v) == {
        f.name for f in fields(ChunkOptions)} and all(_is_int(x) and x > 0  # type: ignore[operator]
                                                      for x in v.values()),
                      "the chunk options, positive integers"),
    "passages": (lambda v: _is_int(v) and v > 0, "a positive integer"),  # type: ignore[operator]
    "documents": (lambda v: _is_int(v) and v > 0, "a positive integer"),  # type: ignore[operator]
    "faiss_index": (_is_text, "a FAISS index name"),
    "created": (_is_date, "an ISO 8601 time with its zone, not in the future"),
    "build_seconds": (_is_number, "a number of seconds"),
    "encoder": (_is_encoder, "backend, precision and device of a known encoder"),
}


_OPTIONAL_FIELDS = {"encoder"}  # absent from indexes built before it was recorded


def manifest_from_json(path: Path, data: object) -> Manifest:
    """A ``Manifest`` from the parsed ``manifest.json`` of the index at ``path``, every field
    checked: another format version is ``IndexMismatch``, any malformed field
    ``IndexCorrupt``."""
    if not isinstance(data, dict):
        raise IndexCorrupt(path, f"{MANIFEST} is not a JSON object")
    version = data.get("format_version")
    if not _is_int(version):
        raise IndexCorrupt(path, f"{MANIFEST} has no valid format_version ({_show(version)})")
    if version != FORMAT_VERSION:
        raise IndexMismatch(path, f"index format {version}, this version reads format "
                                  f"{FORMAT_VERSION}")
    names = [f.name for f in fields(Manifest)]
    if missing := [n for n in names if n not in data and n not in _OPTIONAL_FIELDS]:
        raise IndexCorrupt(path, f"{MANIFEST} lacks {', '.join(missing)}")
    if unknown := sorted(set(data) - set(names)):
        raise IndexCorrupt(path, f"{MANIFEST} has unknown fields {', '.join(unknown)}")
    for name, (valid, expected) in _MANIFEST_FIELDS.items():
        if name in data and not valid(data[name]):
            raise IndexCorrupt(path, f"{MANIFEST} field {name!r} is malformed (expected "
                                     f"{expected}, found {_show(data[name])})")
    return Manifest(**{**data, "files": _manifest_files(path, data["files"])})


def _manifest_files(path: Path, files: object) -> dict[str, FileDigest]:
    if not isinstance(files, dict) or not files:
        raise IndexCorrupt(path, f"{MANIFEST} field 'files' is malformed (expected an object "
                                 f"of file entries, found {_show(files)})")
    out = {}
    for name, entry in files.items():
        if not _safe_name(name):
            raise IndexCorrupt(path, f"{MANIFEST} lists an invalid file name {_show(name)}")
        if not (isinstance(entry, dict) and set(entry) == {"bytes", "blake2b"}
                and _is_int(entry["bytes"]) and entry["bytes"] >= 0
                and isinstance(entry["blake2b"], str)
                and _HEX_DIGEST.fullmatch(entry["blake2b"])):
            raise IndexCorrupt(path, f"{MANIFEST} entry of {name} is malformed "
                                     f"({_show(entry)})")
        out[name] = FileDigest(entry["bytes"], entry["blake2b"])
    return out


def _safe_name(name: str) -> bool:
    """A relative path inside the index folder (no ``..``, no absolute path)."""
    parts = name.split("/")
    return name != MANIFEST and "\\" not in name and "\0" not in name \
        and all(p not in ("", ".", "..") for p in parts)


def _show(value: object, limit: int = 60) -> str:
    text = f"{type(value).__name__} {json.dumps(value, ensure_ascii=False)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(exc: BaseException, limit: int = 200) -> str:
    """One line naming the error, for a reason in a message."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _reading(path: Path, part: str | None = None) -> Iterator[None]:
    """Turn any error while reading (a ``part`` of) the index at ``path`` into
    ``IndexCorrupt``; the named index errors pass through."""
    try:
        yield
    except RagError:
        raise
    except Exception as exc:
        reason = f"{part}: {_short(exc)}" if part else _short(exc)
        raise IndexCorrupt(path, reason) from exc
