"""Evaluators' feedback on answers: 👍 / 👎 and an optional comment, kept append-only.

Each record is one JSON line of ``<folder>/feedback.jsonl`` (:class:`FeedbackOptions`; the
service keeps it under the index root). An append writes its whole line in one ``write`` on
a file opened with ``O_APPEND``, under a lock file shared by every thread and process, so
concurrent appends from several server workers never interleave; the size cap is checked
under the same lock. A line a crash left unfinished is skipped on reading and never glued to
the next record. Nothing is rewritten: a changed verdict is a new record with the same
``answer_id``, and :func:`latest_per_answer` keeps the last one.

:func:`draft_gold_items` turns records into draft gold questions in the format of
``eval/README.md`` (``rag feedback export``): question, earlier turns, cited documents and
quotes, and under ``draft`` the answer, its citations, the verdict, the comment and what a
person still has to fill in (``todo``); ``rag eval validate`` lists those items until the
``draft`` field is deleted.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from rag.errors import RagError
from rag.records import FeedbackOptions
from rag.text import detect_language

LOCK_FILE = ".feedback.lock"
Verdict = Literal["up", "down"]
VERDICTS: tuple[Verdict, ...] = ("up", "down")
#: gold question types (``eval.dataset.TYPES``) for the answer kinds of ``rag.query.plan``
GOLD_TYPES = {"factoid": "factoid", "list": "list", "explanation": "explanation",
              "summary": "explanation", "comparison": "explanation", "yes_no": "factoid",
              "multi_part": "factoid"}
MIN_QUOTE_CHARS = 15  # a gold quote shorter than this (letters and digits) is not specific


class FeedbackFull(RagError):
    """The feedback file reached its size cap (HTTP 507)."""


class FeedbackTooLarge(RagError):
    """One feedback record is over the per-record cap (HTTP 413)."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the millisecond, with ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def append_feedback(options: FeedbackOptions, record: dict[str, Any]) -> dict[str, Any]:
    """Store ``record`` (its ``verdict`` one of :data:`VERDICTS`) as one line, with a new
    ``id`` and the ``received`` time put first; returns what was stored. Raises
    :class:`FeedbackTooLarge` or :class:`FeedbackFull` and then stores nothing."""
    if record.get("verdict") not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, not {record.get('verdict')!r}")
    stored = {"id": uuid.uuid4().hex, "received": now_iso(),
              **{k: v for k, v in record.items() if k not in ("id", "received")}}
    line = (json.dumps(stored, ensure_ascii=False, separators=(",", ":")) + "\n").encode(
        "utf-8", "replace")  # a lone surrogate cannot be UTF-8: "?"
    if len(line) > options.max_record_bytes:
        raise FeedbackTooLarge(f"This feedback takes {len(line)} bytes; the limit is "
                               f"{options.max_record_bytes}")
    options.folder.mkdir(parents=True, exist_ok=True)
    with FileLock(options.folder / LOCK_FILE):
        fd = os.open(options.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            size = os.fstat(fd).st_size
            if size and _last_byte(options.path) != b"\n":
                line = b"\n" + line  # a crash left half a line: start a fresh one
            if size + len(line) > options.max_bytes:
                raise FeedbackFull(f"The feedback file is full ({size} of {options.max_bytes} "
                                   "bytes); export it (rag feedback export) and move it "
                                   "away, or raise RAG_FEEDBACK_MAX_BYTES")
            written = os.write(fd, line)
            while written < len(line):  # a short write (disk full…): finish or fail loudly
                written += os.write(fd, line[written:])
        finally:
            os.close(fd)
    return stored


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1)


@dataclass
class FeedbackLog:
    """The records read from a feedback file, and how many lines were not records."""

    records: list[dict[str, Any]]
    skipped: int = 0


def read_feedback(path: Path) -> FeedbackLog:
    """Every record of the file in order (none when it does not exist); lines that are not
    a JSON object with a verdict (e.g. one cut short by a crash) are counted, not
    returned."""
    log = FeedbackLog([])
    if not path.exists():
        return log
    with path.open("rb") as f:
        for raw in f:
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:  # UnicodeDecodeError too
                log.skipped += 1
                continue
            if isinstance(record, dict) and record.get("verdict") in VERDICTS \
                    and isinstance(record.get("question"), str):
                log.records.append(record)
            else:
                log.skipped += 1
    return log


def latest_per_answer(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per answer: the last one given for each ``answer_id`` (records without
    one stand alone), in the order of those last records."""
    last: dict[str, dict[str, Any]] = {}
    for n, record in enumerate(records):
        key = record.get("answer_id")
        last.pop(f"a:{key}" if key else f"n:{n}", None)  # re-inserted: keeps the last order
        last[f"a:{key}" if key else f"n:{n}"] = record
    return list(last.values())


def summarize(log: FeedbackLog) -> dict[str, Any]:
    """Counts: records, answers (latest verdict each), their verdicts, comments, skipped
    lines, and the time of the first and last record."""
    latest = latest_per_answer(log.records)
    verdicts = Counter(r["verdict"] for r in latest)
    times = [r["received"] for r in log.records if isinstance(r.get("received"), str)]
    return {"records": len(log.records), "answers": len(latest),
            "up": verdicts["up"], "down": verdicts["down"],
            "with_comment": sum(1 for r in latest if r.get("comment")),
            "skipped_lines": log.skipped, "first": min(times, default=None),
            "last": max(times, default=None)}


def _normalized(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _turns(history: object) -> list[dict[str, str]] | None:
    """The earlier turns in the gold ``turns`` form (user first, alternating, assistant
    last), or None when they do not have that form."""
    if not isinstance(history, list) or not history:
        return None
    turns = []
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or turn.get("role") != ("user", "assistant")[i % 2] \
                or not isinstance(turn.get("content"), str) or not turn["content"].strip():
            return None
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns if turns[-1]["role"] == "assistant" else None


def draft_gold_item(record: dict[str, Any]) -> dict[str, Any]:
    """A draft gold question from one feedback record (see the module docstring).

    👍 on an answer: its cited documents and quotes become ``doc`` and ``gold_quotes``;
    the answer facts are left to fill in. 👍 on an abstention: an ``unanswerable``
    question. 👎: the documents and quotes that do answer it are left to find (the wrong
    answer's citations stay under ``draft``)."""
    question = str(record["question"])
    citations = [c for c in record.get("citations") or [] if isinstance(c, dict)]
    files = list(dict.fromkeys(str(c["file"]) for c in citations if c.get("file")))
    language = record.get("language")
    kind = str(record.get("kind") or "factoid")
    gold_type = GOLD_TYPES.get(kind, "factoid")
    if kind == "comparison" and len(files) > 1:
        gold_type = "multi_doc"
    todo: list[str] = []
    doc: list[str] = []
    quotes: list[str] = []
    if record["verdict"] == "up" and record.get("abstained"):
        gold_type = "unanswerable"
        todo.append("check that the documents do not answer it (👍 on an abstention); "
                    "set a category (near_miss, after_date, unknown_entity…) if it helps")
    elif record["verdict"] == "up":
        doc = files
        quotes = list(dict.fromkeys(
            str(c["quote"]).strip() for c in citations if isinstance(c.get("quote"), str)
            and len(_normalized(c["quote"])) >= MIN_QUOTE_CHARS))
        todo.append("fill in answer_facts: the facts a right answer must contain, each a "
                    "list of accepted alternatives (French and English)")
        todo.append("check that doc and gold_quotes are what answers the question "
                    "(taken from the approved answer's citations)")
        if any(not c.get("file") for c in citations):
            todo.append("a cited passage is not in the served index any more: see "
                        "draft.citations")
    else:
        todo.append("the answer was judged wrong: find the passages that answer the "
                    "question (doc, gold_quotes, answer_facts), or make it type "
                    "'unanswerable' with them empty if the documents do not say")
    todo.append(f"check type {gold_type!r} and lang")
    item: dict[str, Any] = {
        "id": f"fb-{str(record.get('id') or uuid.uuid4().hex)[:12]}",
        "lang": language if language in ("fr", "en") else detect_language(question),
        "type": gold_type, "question": question}
    turns = _turns(record.get("history"))
    if turns:
        item["turns"] = turns
        resolved = record.get("resolved_question")
        if isinstance(resolved, str) and resolved.strip() and resolved != question:
            item["rewrite"] = resolved
    elif record.get("history"):
        todo.append("the earlier turns were not user/assistant pairs: see draft.history")
    comment = str(record.get("comment") or "").strip()
    mark = "👍" if record["verdict"] == "up" else "👎"
    item.update({
        "doc": doc, "gold_quotes": quotes, "answer_facts": [],
        "notes": f"Draft from evaluator feedback {mark} ({record.get('received', '?')})"
                 + (f": {comment}" if comment else ""),
        "draft": {"source": "feedback", "feedback_id": record.get("id"),
                  "verdict": record["verdict"], "comment": comment or None,
                  "answer": record.get("answer"), "abstained": bool(record.get("abstained")),
                  "kind": kind, "citations": citations,
                  **({"history": record["history"]} if record.get("history") and not turns
                     else {}),
                  "index": record.get("index"), "todo": todo}})
    return item


def draft_gold_items(records: Iterable[dict[str, Any]], verdict: str = "all"
                     ) -> Iterator[dict[str, Any]]:
    """Draft gold questions of the latest record of each answer (``verdict``: up, down or
    all)."""
    for record in latest_per_answer(records):
        if verdict in ("all", record["verdict"]):
            yield draft_gold_item(record)
