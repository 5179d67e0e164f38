"""Manage the corpus: add, replace and remove source documents, then update the index.

The seeds folder is the corpus; the index is always derived from all of it, so an index
updated document by document is the one a full build gives. What makes an update cheap is
the embedding cache: only new passage and sentence texts are embedded. Every change holds a
cross-process lock, validates all files before touching the folder, and rolls the folder
back if the index cannot be built, so the index being served never changes on failure.

A file is stored as ``<document id><suffix>`` (see :func:`rag.ingest.documents.document_id`), or,
when its name says nothing (``scan001.pdf``, ``document.pdf``), as the id of the UN symbol it
prints (``S-2021-297.pdf``: the same symbol added again replaces it); the name it was added
under, where it differs, is kept in ``.file-names.json`` of the corpus folder, so that the
same name added again replaces it and another name is another document.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout

from rag.encoders.base import Embedder, encoder_of
from rag.encoders.embedding_cache import CachedEmbedder, EmbeddingCache
from rag.encoders.load import choose_encoder, load_embedder
from rag.errors import CorpusBusy, DocumentRejected, RagError, UnknownDocument
from rag.index.build import build_index, embed_ahead
from rag.index.load import read_sources
from rag.index.manifest import CARDS, DOCUMENTS, PASSAGES, read_manifest
from rag.ingest.documents import (
    Source,
    check_file_name,
    document_id,
    is_generic_name,
    numbered_id,
    read_file,
    seed_files,
    source_symbol,
    symbol_id,
)
from rag.ingest.sources import SUPPORTED_SUFFIXES
from rag.ingest.sources.ocr import recognise_once
from rag.settings import Settings

Action = Literal["added", "replaced", "unchanged", "removed"]
BACKUP_PREFIX = ".corpus-backup-"
#: a backup whose files could not all be put back: kept for a person to look at, no longer
#: retried (so it never blocks later changes)
UNRESTORED_PREFIX = ".corpus-unrestored-"
JOURNAL = "journal.json"
NAMES_FILE = ".file-names.json"  # in the corpus folder: stored file name → name given
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What happened to one document."""

    doc_id: str
    file: str
    action: Action


@dataclass
class ChangeReport:
    """The outcome of a corpus change."""

    changes: list[Change]
    index: Path | None = None  # None when nothing needed rebuilding
    embedded: int = 0  # texts the model embedded
    cached: int = 0  # texts read from the embedding cache
    seconds: float = 0.0
    documents: int = 0

    def as_json(self) -> dict[str, Any]:
        """JSON shape shared by the CLI and the API."""
        return {"changes": [c.__dict__ for c in self.changes], "rebuilt": self.index is not None,
                "embedded_texts": self.embedded, "cached_texts": self.cached,
                "seconds": round(self.seconds, 2), "documents": self.documents}


def ocr_folder(settings: Settings) -> Path:
    """Where the text recognised in scanned PDFs is kept, by content (beside the embedding
    cache), so that a rebuild does not recognise a scan again."""
    return settings.embedding_cache_path.parent / "ocr"


def build_embedder(settings: Settings, embedder: Embedder | None = None,
                   show_progress: bool = False) -> Embedder:
    """The embedder builds use: the model (``embedder``, or loaded on first need) behind the
    embedding cache when it is enabled."""
    def make() -> Embedder:
        return embedder or load_embedder(settings.encoder_options(), show_progress=show_progress)

    if not settings.embedding_cache:
        return make()
    expected = encoder_of(embedder) if embedder is not None else \
        choose_encoder(settings.encoder_options())
    return CachedEmbedder(settings.embedding_model, make,
                          EmbeddingCache(settings.embedding_cache_path), settings.passage_prompt,
                          expected)


@contextmanager
def corpus_lock(settings: Settings, timeout: float = -1) -> Iterator[bool]:
    """One corpus change or build at a time, across processes (``timeout`` -1 = wait).

    Yields True when a change a crashed process left half done was just undone."""
    settings.index_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.index_root / ".corpus.lock")
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise CorpusBusy("Another change to the corpus is in progress; try again shortly") \
            from exc
    try:
        yield recover(settings)
    finally:
        lock.release()


def collect_files(paths: list[Path]) -> list[Path]:
    """Files named by ``paths``: files as given, folders expanded to their supported files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file()
                           and p.suffix.lower() in SUPPORTED_SUFFIXES
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            root = path.resolve()
            for p in found:
                if not p.resolve().is_relative_to(root):
                    raise DocumentRejected(p, f"symlink to {p.resolve()} leaves the folder "
                                           f"{path}; name the file itself to add it")
            if not found:
                raise DocumentRejected(path, "folder holds no supported documents "
                                       f"({', '.join(SUPPORTED_SUFFIXES)})", "unsupported_type")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise DocumentRejected(path, "no such file")
    return files


class _Folder:
    """Moves files in and out of the seeds folder, journalling each step before doing it, so
    that a change interrupted by a crash is undone by the next one (see ``recover``)."""

    def __init__(self, settings: Settings) -> None:
        self.seeds = settings.seeds_dir
        self.backup = settings.index_root / f"{BACKUP_PREFIX}{time.time_ns()}"
        self.created: list[Path] = []
        self.moved: list[tuple[Path, Path]] = []
        self.backup.mkdir(parents=True)
        self._journal()

    def _journal(self, committed: bool = False) -> None:
        state = {"created": [str(p) for p in self.created],
                 "moved": [[str(a), str(o)] for a, o in self.moved], "committed": committed}
        tmp = self.backup / f"{JOURNAL}.tmp"
        tmp.write_text(json.dumps(state), "utf-8")
        tmp.replace(self.backup / JOURNAL)

    def set_aside(self, path: Path) -> None:
        aside = self.backup / path.name
        self.moved.append((aside, path))
        self._journal()
        shutil.move(path, aside)

    def put(self, source: Path, name: str) -> None:
        target = self.seeds / name
        self.created.append(target)
        self._journal()
        tmp = self.seeds / f".{name}.incoming"
        shutil.copyfile(source, tmp)
        tmp.replace(target)

    def write_names(self, names: dict[str, str]) -> None:
        """Replace the corpus folder's record of the names files were added under."""
        path = self.seeds / NAMES_FILE
        if path.exists():
            self.set_aside(path)
        if names:
            new = self.backup / "file-names.new"
            new.write_text(json.dumps(names, ensure_ascii=False, indent=1, sort_keys=True),
                           "utf-8")
            self.put(new, NAMES_FILE)

    def undo(self) -> None:
        """Put the folder back as it was (never raises: the change's own error matters)."""
        _finish(self.backup, _undo(self.created, self.moved))

    def commit(self) -> None:
        self._journal(committed=True)
        shutil.rmtree(self.backup, ignore_errors=True)


def _undo(created: list[Path], moved: list[tuple[Path, Path]]) -> bool:
    """Remove the files a change created and move back those it set aside, each step on its
    own; False if one of them failed (logged)."""
    restored = True
    for path in created:
        for leftover in (path, path.parent / f".{path.name}.incoming"):
            try:
                leftover.unlink(missing_ok=True)
            except OSError as exc:
                if exc.errno != errno.ENAMETOOLONG:  # such a name cannot exist: nothing to do
                    log.error("cannot remove %s while undoing a corpus change: %s", leftover, exc)
                    restored = False
    for aside, original in reversed(moved):
        try:
            if aside.exists():
                shutil.move(aside, original)
        except OSError as exc:
            log.error("cannot move %s back to %s while undoing a corpus change: %s", aside,
                      original, exc)
            restored = False
    return restored


def _finish(backup: Path, restored: bool) -> None:
    """Delete a backup folder, or, when some of its files could not be put back, keep it
    under another name (so that it no longer blocks changes) and say where."""
    if restored:
        shutil.rmtree(backup, ignore_errors=True)
        if backup.exists() and not backup.is_dir():
            backup.unlink(missing_ok=True)
        return
    kept = backup.with_name(UNRESTORED_PREFIX + backup.name.removeprefix(BACKUP_PREFIX))
    try:
        backup.rename(kept)
    except OSError as exc:
        log.error("cannot rename %s: %s", backup, exc)
        return
    log.error("a corpus change could not be fully undone: the files it had set aside are "
              "kept in %s; check the corpus folder against them", kept)


def _read_journal(backup: Path) -> dict[str, Any] | None:
    """The journal of a backup folder, or None if it is missing or unreadable."""
    try:
        state = json.loads((backup / JOURNAL).read_text("utf-8"))
        created = [Path(str(p)) for p in state.get("created", [])]
        moved = [(Path(str(a)), Path(str(o))) for a, o in state.get("moved", [])]
        return {"created": created, "moved": moved, "committed": bool(state.get("committed"))}
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def recover(settings: Settings) -> bool:
    """Undo corpus changes a crashed process left half done (call with the lock held);
    True if the folder was changed back, so the index must be rebuilt. Never raises for a
    leftover backup: one that cannot be undone is set aside with a log line."""
    changed = False
    for backup in sorted(settings.index_root.glob(f"{BACKUP_PREFIX}*")):
        state = _read_journal(backup)
        if state is None:  # no journal: removed unless it holds files (then kept, logged)
            held = backup.is_dir() and any(p.name not in (JOURNAL, f"{JOURNAL}.tmp")
                                           for p in backup.iterdir())
            log.warning("leftover corpus backup %s without a readable journal: %s", backup.name,
                        "kept" if held else "removed")
            _finish(backup, restored=not held)
            continue
        if state["committed"]:
            log.info("removed %s, left by a finished corpus change", backup.name)
            _finish(backup, restored=True)
            continue
        restored = _undo(state["created"], state["moved"])
        log.warning("undid a corpus change cut short by a crash (%s)", backup.name)
        _finish(backup, restored)
        changed = True
    return changed


def _rebuild(settings: Settings, folder: _Folder, changes: list[Change], embedder: Embedder,
             on_step: Callable[[str], None] | None, started: float) -> ChangeReport:
    try:
        with recognise_once(ocr_folder(settings)):
            path = build_index(settings.index_options(), embedder, on_step=on_step)
    except BaseException:
        folder.undo()
        raise
    folder.commit()
    stats = getattr(embedder, "stats", None)
    return ChangeReport(changes, path, getattr(stats, "embedded", 0), getattr(stats, "hits", 0),
                        time.perf_counter() - started, read_manifest(path).documents)


def read_file_names(seeds_dir: Path) -> dict[str, str]:
    """Stored file name → the name the file was added under, where the two differ."""
    try:
        data = json.loads((seeds_dir / NAMES_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _name_key(name: str) -> str:
    """What makes two file names the same name: the name without its suffix, NFKC."""
    return unicodedata.normalize("NFKC", Path(name).stem)


def _free_id(name: str, taken: set[str]) -> str:
    """The id of a new document named ``name``: its own, or ``-2``, ``-3``… when taken."""
    base = doc_id = document_id(Path(name))
    n = 1
    while doc_id in taken:
        n += 1
        doc_id = numbered_id(base, n)
    return doc_id


def _symbol_id(name: str, source: Source) -> str | None:
    """The id of the UN symbol a generically named file (``scan001.pdf``) prints, if any."""
    if not is_generic_name(name):
        return None
    symbol = source_symbol(source)
    return symbol_id(symbol) if symbol else None


def add_documents(settings: Settings, paths: list[Path], *, names: list[str] | None = None,
                  embedder: Embedder | None = None,
                  on_step: Callable[[str], None] | None = None,
                  lock_timeout: float = -1) -> ChangeReport:
    """Copy the files at ``paths`` into the corpus and update the index.

    ``names``: the name each of ``paths`` (files) was given, when it was saved under
    another one (uploads). A file with the same name (suffix aside, so ``rapport.pdf``
    replaces ``rapport.txt``) as a document's file replaces that document; an identical
    file changes nothing; a file with another name is a new document, whose id gets
    ``-2``, ``-3``… if another document has it. A file with a generic name (``scan001.pdf``,
    :func:`rag.ingest.documents.is_generic_name`) that prints a UN symbol is the document of that
    symbol (id ``S-2021-297``), whatever its name. Nothing is changed if any file is refused
    (a name with control characters included). A scanned PDF is recognised (OCR) once,
    however often the add reads it.
    """
    with recognise_once(ocr_folder(settings)):
        return _add_documents(settings, paths, names, embedder, on_step, lock_timeout)


def _add_documents(settings: Settings, paths: list[Path], names: list[str] | None,
                   embedder: Embedder | None, on_step: Callable[[str], None] | None,
                   lock_timeout: float) -> ChangeReport:
    started = time.perf_counter()
    if names is None:
        files = [(p, p.name) for p in collect_files(paths)]
    else:
        if len(names) != len(paths):
            raise ValueError("add_documents: one name for each path")
        files = list(zip(paths, names, strict=True))
    files = [(p, check_file_name(n)) for p, n in files]
    cached = build_embedder(settings, embedder)
    ahead = []  # read and embedded before the lock: only the build's own writes hold it
    for path, _ in files:
        try:
            ahead.append(read_file(path, settings.max_document_bytes))
        except DocumentRejected:
            ahead = []  # refused under the lock, by name
            break
    embed_ahead(settings.index_options(), ahead, cached)
    with corpus_lock(settings, lock_timeout) as recovered:
        seeds = settings.seeds_dir
        existing = {document_id(p): p for p in seed_files(seeds)}
        recorded = read_file_names(seeds)
        by_name: dict[str, str] = {}  # name key → id of the document added under that name
        for doc_id, p in existing.items():
            by_name.setdefault(_name_key(recorded.get(p.name, p.name)), doc_id)
        by_file = {p.resolve(): doc_id for doc_id, p in existing.items()}
        taken = set(existing)
        claimed: dict[str, str] = {}  # id → name, in this change
        keys: dict[str, str] = {}  # name key → name, in this change
        planned: dict[str, tuple[Path, str, Action]] = {}
        given: dict[str, str] = {}  # stored name → name given, for the new files
        changes: list[Change] = []
        for path, name in files:
            try:
                source = read_file(path, settings.max_document_bytes)
            except DocumentRejected as exc:
                if len(files) == 1 and exc.file == name:
                    raise
                more = f" (none of the {len(files)} files was added)" if len(files) > 1 else ""
                raise DocumentRejected(name, f"{exc.detail}{more}", exc.reason) from exc
            key = _name_key(name)
            by_symbol = _symbol_id(name, source)
            if key in keys and not by_symbol:
                raise DocumentRejected(name, f"has the same name as {keys[key]}; add one of "
                                       "them")
            keys[key] = name
            doc_id = by_file.get(path.resolve()) or by_symbol or by_name.get(key) or \
                _free_id(name, taken)
            if doc_id in claimed:
                raise DocumentRejected(name, f"names the same document {doc_id!r} as "
                                       f"{claimed[doc_id]}; add one of them")
            claimed[doc_id] = name
            taken.add(doc_id)
            stored = doc_id + Path(name).suffix.lower()
            old = existing.get(doc_id)
            if old is not None and old.name == stored and \
                    hashlib.sha256(old.read_bytes()).hexdigest() == source.sha256:
                changes.append(Change(doc_id, stored, "unchanged"))
                continue
            action: Action = "replaced" if old is not None else "added"
            planned[doc_id] = (path, stored, action)
            given[stored] = name
            changes.append(Change(doc_id, stored, action))
        if not planned and not recovered:
            return ChangeReport(changes, seconds=time.perf_counter() - started,
                                documents=len(existing))
        gone = {existing[d].name for d in planned if d in existing} | set(given)
        names_after = {k: v for k, v in recorded.items() if k not in gone} | {
            stored: name for stored, name in given.items() if name != stored}
        folder = _Folder(settings)
        try:
            for doc_id, (path, stored, _) in planned.items():
                if doc_id in existing:
                    folder.set_aside(existing[doc_id])
                folder.put(path, stored)
            if names_after != recorded:
                folder.write_names(names_after)
        except BaseException:
            folder.undo()
            raise
        return _rebuild(settings, folder, changes, cached, on_step, started)


def remove_documents(settings: Settings, doc_ids: list[str], *,
                     embedder: Embedder | None = None,
                     on_step: Callable[[str], None] | None = None,
                     lock_timeout: float = -1) -> ChangeReport:
    """Remove documents (by id, file name, the name a file was added under, or symbol)
    from the corpus and update the index."""
    started = time.perf_counter()
    with corpus_lock(settings, lock_timeout):
        files = seed_files(settings.seeds_dir)
        recorded = read_file_names(settings.seeds_dir)
        by_key = {document_id(p): p for p in files} | {p.name: p for p in files}
        by_key |= {name: by_key[stored] for stored, name in recorded.items()
                   if stored in by_key and name not in by_key}
        by_key |= {symbol: by_key[doc_id] for symbol, doc_id in _symbols(settings).items()
                   if doc_id in by_key}
        unknown = [d for d in doc_ids if d not in by_key]
        if unknown:
            raise UnknownDocument(f"Unknown document {', '.join(map(repr, unknown))}; "
                                  f"{known_ids([document_id(p) for p in files])}")
        doomed = {by_key[d] for d in doc_ids}
        if len(doomed) == len(files):
            raise RagError("Refusing to remove every document: the index would be empty")
        names_after = {k: v for k, v in recorded.items() if k not in {p.name for p in doomed}}
        folder = _Folder(settings)
        changes = []
        try:
            for path in sorted(doomed):
                folder.set_aside(path)
                changes.append(Change(document_id(path), path.name, "removed"))
            if names_after != recorded:
                folder.write_names(names_after)
        except BaseException:
            folder.undo()
            raise
        return _rebuild(settings, folder, changes, build_embedder(settings, embedder),
                        on_step, started)


def known_ids(ids: list[str], show: int = 8) -> str:
    """``known: a, b, c`` — a few of them on a large corpus."""
    more = f" and {len(ids) - show} more (see rag documents)" if len(ids) > show else ""
    return f"known: {', '.join(ids[:show])}{more}"


def _symbols(settings: Settings) -> dict[str, str]:
    """Document symbol → id, from the index on disk ({} without one)."""
    try:
        rows = json.loads((settings.index_dir / DOCUMENTS).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {r["symbol"]: r["id"] for r in rows if r.get("symbol")}


@dataclass
class DocumentInfo:
    """One indexed document, as ``rag documents`` lists it."""

    id: str
    symbol: str | None
    title: str
    date: str | None
    passages: int
    file: str
    format: str | None = None
    pages: int | None = None
    added: str | None = None
    card: dict[str, Any] | None = None  # {"fields": [...]}: see rag.ingest.cards.card_json
    extra: dict[str, Any] = field(default_factory=dict)


def list_documents(settings: Settings) -> list[DocumentInfo]:
    """The documents of the index on disk, with passage counts and added dates."""
    path = settings.index_dir
    read_manifest(path)
    counts: dict[str, int] = {}
    with (path / PASSAGES).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)["doc_id"]
                counts[doc] = counts.get(doc, 0) + 1
    sources = read_sources(path)
    cards = {c["doc_id"]: {"fields": c["fields"]}
             for c in json.loads((path / CARDS).read_text("utf-8"))}
    out = []
    for meta in json.loads((path / DOCUMENTS).read_text("utf-8")):
        src = sources.get(meta["id"])
        out.append(DocumentInfo(meta["id"], meta.get("symbol"), meta.get("title", ""),
                                meta.get("date"), counts.get(meta["id"], 0), meta["file"],
                                src.format if src else None, src.pages if src else None,
                                src.added if src else None, cards.get(meta["id"])))
    return out
