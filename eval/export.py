"""``rag eval export RUN --format ragas|deepeval --out FILE``: a finished run in the dataset
shape of an LLM-judged evaluation library.

* ``ragas``: JSON Lines of ``SingleTurnSample`` fields, read by
  ``ragas.EvaluationDataset.from_jsonl``: ``user_input`` (the question), ``response`` (the
  whole answer), ``retrieved_contexts`` / ``retrieved_context_ids`` (the passages the answer
  was composed from), ``reference`` (the gold answer, below) and ``reference_contexts``
  (the gold quotes). Older ragas names: question, answer, contexts, ground_truth.
* ``deepeval``: a JSON list of goldens, read by
  ``deepeval.dataset.EvaluationDataset().add_goldens_from_json_file``: ``input``,
  ``actual_output``, ``expected_output`` (the gold answer), ``retrieval_context``,
  ``context`` (the gold quotes), ``name`` (the question id) and ``additional_metadata``.

The gold answer (``reference`` / ``expected_output``) lists the gold facts, each as its
accepted alternatives (``16 novembre / 16 November; 10 heures``); for an unanswerable
question it is the sentence that the documents do not answer it. A chat follow-up keeps its
earlier turns in ``additional_metadata.history`` (deepeval); ragas single-turn samples have
no place for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.results import Run, answerable
from rag.errors import RagError

FORMATS = ("ragas", "deepeval")
NO_ANSWER = {"fr": "Les documents ne répondent pas à cette question.",
             "en": "The documents do not answer this question."}
_NEEDED = ("question", "answer", "contexts", "gold_quotes", "answer_facts")


def reference(row: dict[str, Any]) -> str:
    """The gold answer as text: every fact with its alternatives, or the no-answer
    sentence."""
    if not answerable(row) or not row.get("answer_facts"):
        return NO_ANSWER.get(row.get("lang", "fr"), NO_ANSWER["en"])
    return "; ".join(" / ".join(alternatives) for alternatives in row["answer_facts"])


def ragas_sample(row: dict[str, Any]) -> dict[str, Any]:
    """One ragas ``SingleTurnSample``."""
    return {"user_input": row["question"], "response": row["answer"],
            "retrieved_contexts": list(row["contexts"]),
            "retrieved_context_ids": list(row.get("context_ids", [])),
            "reference": reference(row), "reference_contexts": list(row["gold_quotes"])}


def deepeval_golden(row: dict[str, Any]) -> dict[str, Any]:
    """One deepeval ``Golden``."""
    metadata = {k: row.get(k) for k in ("id", "split", "lang", "type", "category", "history",
                                        "abstained", "confidence", "right", "fact_coverage",
                                        "citations")}
    return {"name": str(row["id"]), "input": row["question"], "actual_output": row["answer"],
            "expected_output": reference(row), "retrieval_context": list(row["contexts"]),
            "context": list(row["gold_quotes"]), "additional_metadata": metadata}


def export_run(run: Run, fmt: str, out: Path) -> int:
    """Write ``run`` to ``out`` in ``fmt``; returns the number of questions written."""
    if fmt not in FORMATS:
        raise RagError(f"unknown export format {fmt!r} (choose {' or '.join(FORMATS)})")
    rows = list(run.rows.values())
    for key, row in run.rows.items():
        missing = [f for f in _NEEDED if f not in row]
        if missing:
            raise RagError(f"{run.path}: {key} has no {', '.join(missing)}: written by an "
                           f"older 'rag eval'; run it again to export")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "ragas":
        # ASCII escapes: ragas opens the file in the locale's encoding
        out.write_text("".join(json.dumps(ragas_sample(r)) + "\n" for r in rows), "utf-8")
    else:
        out.write_text(json.dumps([deepeval_golden(r) for r in rows], ensure_ascii=False,
                                  indent=1) + "\n", "utf-8")
    return len(rows)
