"""What an evaluation run was: date, git commit, settings that differ from the defaults,
the index it read (manifest summary) and the model; the header of report.md and run.json."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.settings import PROJECT_ROOT

UNKNOWN = "unknown"
SECRET_SETTINGS = frozenset({"api_key", "llm_api_key"})


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """The checked-out commit (``+ uncommitted changes`` when tracked files differ from it),
    or ``unknown`` outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    if not commit:
        return UNKNOWN
    return f"{commit} + uncommitted changes" if dirty else commit


def settings_diff(settings: Any) -> dict[str, str] | None:
    """Settings whose value differs from the field's default (secrets shown as ``(set)``);
    None for an object that is not a pydantic settings model."""
    fields = getattr(type(settings), "model_fields", None)
    if not fields:
        return None
    changed = {}
    for name, info in fields.items():
        value = getattr(settings, name)
        if value != info.get_default(call_default_factory=True, validated_data={}):
            changed[name] = "(set)" if name in SECRET_SETTINGS and value else str(value)
    return changed


def manifest_summary(pipeline: Any) -> dict[str, Any]:
    """The loaded index's manifest: format, documents, passages, build time, corpus hash,
    creation date, model and FAISS structure (empty when the pipeline has no index)."""
    manifest = getattr(getattr(pipeline, "index", None), "manifest", None)
    if manifest is None:
        return {}
    return {
        "format_version": manifest.format_version, "documents": manifest.documents,
        "passages": manifest.passages, "build_seconds": round(manifest.build_seconds, 1),
        "corpus_hash": manifest.corpus_hash, "created": manifest.created,
        "model": manifest.model, "faiss_index": manifest.faiss_index,
        "chunker_version": manifest.chunker_version,
    }


def document_labels(pipeline: Any) -> dict[str, str]:
    """``file → "file stem (symbol)"`` for the indexed documents (a symbol only where the
    document has one)."""
    documents = getattr(getattr(pipeline, "index", None), "documents", None) or {}
    return {meta.file: f"{meta.id} ({meta.symbol})" if meta.symbol else meta.id
            for meta in documents.values()}


def run_info(pipeline: Any, composer: str | None, warmup: int) -> dict[str, Any]:
    """Everything the report header says about the run."""
    settings = getattr(pipeline, "settings", None)
    chosen = composer or getattr(settings, "composer", None) or UNKNOWN
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "composer": chosen,
        "model": getattr(settings, "embedding_model", None) or UNKNOWN,
        "settings": settings_diff(settings),
        "index": manifest_summary(pipeline),
        "warmup_questions": warmup,
    }
    if chosen == "llm":
        info["llm_model"] = getattr(settings, "llm_model", None) or UNKNOWN
    return info


def header_markdown(info: dict[str, Any]) -> str:
    """The run as a Markdown list."""
    index = info.get("index") or {}
    if index:
        index_line = (f"format {index['format_version']}, {index['documents']} documents, "
                      f"{index['passages']} passages, built {index['created']} in "
                      f"{index['build_seconds']} s, corpus hash `{index['corpus_hash']}`, "
                      f"FAISS `{index['faiss_index']}`, chunker {index['chunker_version']}")
    else:
        index_line = UNKNOWN
    changed = info.get("settings")
    if changed is None:
        settings_line = UNKNOWN
    else:
        settings_line = (", ".join(f"`{k}={v}`" for k, v in sorted(changed.items()))
                         or "all defaults")
    model = f"`{info['model']}`" + (f", LLM `{info['llm_model']}`" if "llm_model" in info
                                    else "")
    return "\n".join([
        f"- date: {info['date']}",
        f"- commit: `{info['commit']}`",
        f"- composer: `{info['composer']}`; model: {model}",
        f"- index: {index_line}",
        f"- settings differing from the defaults: {settings_line}",
        f"- latency warm-up: the first {info['warmup_questions']} question(s) (answers scored, "
        f"latency reported apart)",
    ])
