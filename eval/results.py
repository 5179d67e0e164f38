"""Read a finished run back: ``results.jsonl`` (one line per question, written by
``rag eval``) and its ``run.json``, from a run folder or a results file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import RagError

RESULTS = "results.jsonl"
RUN_INFO = "run.json"


@dataclass(frozen=True)
class Run:
    """The rows of one run keyed by ``split:id`` (in file order), and its run.json."""

    path: Path
    rows: dict[str, dict[str, Any]]
    info: dict[str, Any]


def row_key(row: dict[str, Any]) -> str:
    """``split:id``, or the id alone for rows without a split."""
    return f"{row['split']}:{row['id']}" if row.get("split") else str(row["id"])


def load_run(path: Path) -> Run:
    """A run from its folder (holding results.jsonl) or from a results file; raises
    RagError naming the file and line of anything unreadable."""
    results = path / RESULTS if path.is_dir() else path
    if not results.is_file():
        raise RagError(f"{path}: no {RESULTS} here (give a run folder written by "
                       f"'rag eval --out' or a results file)")
    rows: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(results.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RagError(f"{results}:{n}: invalid JSON ({exc})") from exc
        if not isinstance(row, dict) or "id" not in row:
            raise RagError(f"{results}:{n}: not a result line (no 'id')")
        key = row_key(row)
        if key in rows:
            raise RagError(f"{results}:{n}: {key} appears twice")
        rows[key] = row
    info_path = results.parent / RUN_INFO
    info = json.loads(info_path.read_text("utf-8")) if info_path.is_file() else {}
    return Run(results, rows, info)


def answerable(row: dict[str, Any]) -> bool:
    """Whether the question has an answer in the documents (older results lack the field:
    then every type but ``unanswerable``)."""
    return bool(row.get("answerable", row.get("type") != "unanswerable"))
