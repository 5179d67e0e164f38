"""Validate gold question files, naming the file and line of every problem: a line that is
not a question (bad JSON, missing field, wrong field type, unknown type or category), a
gold quote absent from the corpus after the normalisation of eval/MATCHING.md, an id seen
before (in the same file or an earlier one), and the rules of :mod:`eval.check_gold`.

``rag eval validate FILE...`` prints the problems; ``rag eval`` refuses files with any."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.check_gold import SEEDS, check_question, corpus_texts
from eval.dataset import GoldQuestion, parse_question
from rag.errors import RagError


@dataclass(frozen=True)
class Problem:
    """One problem of a gold file; ``line`` is 1-based (0: the file as a whole)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class GoldFileError(RagError):
    """Gold question files that do not validate (the message lists every problem)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the gold question files:\n"
                         f"{shown}")


def validate_files(paths: Sequence[Path], seeds: Path = SEEDS
                   ) -> tuple[list[GoldQuestion], list[Problem]]:
    """The questions of every file and the problems found; quotes are looked up in the
    documents of ``seeds``."""
    raw, clean = corpus_texts(seeds)
    questions: list[GoldQuestion] = []
    problems: list[Problem] = []
    first_seen: dict[str, tuple[Path, int]] = {}
    for path in paths:
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(path, 0, f"cannot be read ({exc})"))
            continue
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                question = parse_question(row, split=path.stem)
            except json.JSONDecodeError as exc:
                problems.append(Problem(path, n, f"invalid JSON ({exc})"))
                continue
            except ValueError as exc:
                qid = row.get("id") if isinstance(row, dict) else None
                prefix = f"{qid}: " if isinstance(qid, str) else ""
                problems.append(Problem(path, n, f"{prefix}not a gold question ({exc})"))
                continue
            problems += [Problem(path, n, p) for p in check_question(row, raw, clean)]
            if question.id in first_seen:
                where, at = first_seen[question.id]
                problems.append(Problem(path, n, f"{question.id}: duplicate id (first at "
                                                 f"{where}:{at})"))
            else:
                first_seen[question.id] = (path, n)
            questions.append(question)
    return questions, problems


def load_validated(paths: Sequence[Path], seeds: Path = SEEDS) -> list[GoldQuestion]:
    """The questions of ``paths``; raises :class:`GoldFileError` if any file has a
    problem."""
    questions, problems = validate_files(paths, seeds)
    if problems:
        raise GoldFileError(problems)
    return questions
