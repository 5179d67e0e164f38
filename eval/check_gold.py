"""Check gold question files: fields, ids, types, and that every gold quote exists in the
seed documents (after the normalisation of eval/MATCHING.md).

    python eval/check_gold.py [FILES...]      (default: dev_qa.jsonl and extra_qa.jsonl)

A quote must be found in the cleaned text of one of its ``doc`` files (page headers,
footnote blocks and links removed); a quote that only matches the raw text, i.e. one that
spans a running header, is reported as an error too, since no passage could contain it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from eval.dataset import normalize  # noqa: E402
from rag.documents import load_corpus  # noqa: E402

LANGS = {"fr", "en"}
TYPES = {"factoid", "list", "explanation", "multi_doc", "unanswerable"}
DEFAULT_FILES = [HERE / "dev_qa.jsonl", HERE / "extra_qa.jsonl"]


def _texts() -> tuple[dict[str, str], dict[str, str]]:
    raw = {p.name: normalize(p.read_text("utf-8")) for p in SEEDS.iterdir()
           if p.suffix in (".txt", ".md")}
    clean = {d.meta.file: normalize(d.text + " " + " ".join(d.footnotes.values()))
             for d in load_corpus(SEEDS)}
    return raw, clean


def check_question(row: dict, raw: dict[str, str], clean: dict[str, str]) -> list[str]:
    """Problems of one question (empty list when it is fine)."""
    qid = row.get("id", "?")
    problems = []
    for field, kind in (("id", str), ("lang", str), ("type", str), ("question", str),
                        ("doc", list), ("gold_quotes", list), ("answer_facts", list)):
        if not isinstance(row.get(field), kind):
            problems.append(f"{qid}: field '{field}' missing or not a {kind.__name__}")
    if problems:
        return problems
    if row["lang"] not in LANGS:
        problems.append(f"{qid}: lang {row['lang']!r} not in {sorted(LANGS)}")
    if row["type"] not in TYPES:
        problems.append(f"{qid}: type {row['type']!r} not in {sorted(TYPES)}")
    empty = not row["doc"] and not row["gold_quotes"] and not row["answer_facts"]
    if (row["type"] == "unanswerable") != empty:
        problems.append(f"{qid}: unanswerable questions (only) have empty doc, gold_quotes "
                        f"and answer_facts")
    for doc in row["doc"]:
        if doc not in raw:
            problems.append(f"{qid}: unknown doc {doc!r}")
    for quote in row["gold_quotes"]:
        needle = normalize(quote)
        if len(needle) < 15:
            problems.append(f"{qid}: gold quote too short to be specific: {quote!r}")
        elif not any(needle in clean.get(d, "") for d in row["doc"]):
            where = "only across a page header or footnote" if any(
                needle in raw.get(d, "") for d in row["doc"]) else "nowhere"
            problems.append(f"{qid}: gold quote found {where} in {row['doc']}: {quote[:70]!r}")
    for i, fact in enumerate(row["answer_facts"]):
        if not isinstance(fact, list) or not fact or not all(isinstance(a, str) and a.strip()
                                                             for a in fact):
            problems.append(f"{qid}: answer fact {i} needs at least one non-empty alternative")
    return problems


def check_files(paths: list[Path]) -> list[str]:
    """Problems over all files, including ids repeated across files."""
    raw, clean = _texts()
    problems: list[str] = []
    ids: Counter[str] = Counter()
    for path in paths:
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path.name}:{n}: invalid JSON ({exc})")
                continue
            ids[row.get("id", f"{path.name}:{n}")] += 1
            problems += [f"{path.name}: {p}" for p in check_question(row, raw, clean)]
    problems += [f"duplicate id {i} ({n} times)" for i, n in ids.items() if n > 1]
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or DEFAULT_FILES
    problems = check_files(paths)
    for p in problems:
        print(p)
    total = sum(1 for p in paths for line in p.read_text("utf-8").splitlines() if line.strip())
    print(f"{total} questions in {len(paths)} file(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
