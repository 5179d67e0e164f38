"""Check gold question files: fields, ids, types, and that every gold quote exists in the
seed documents (after the normalisation of eval/MATCHING.md).

    python eval/check_gold.py [FILES...]      (default: dev, extra, dev chat, tune, test,
                                               cover tune, cover test)
    rag eval validate [FILES...]              (the same checks)

A quote must be found in the cleaned text of one of its ``doc`` files (page headers,
footnote blocks and links removed); a quote that only matches the raw text, i.e. one that
spans a running header, is reported as an error too, since no passage could contain it.

Optional fields (tune_qa.jsonl, test_qa.jsonl):

* ``category``: a finer label than ``type`` (CATEGORIES); it must agree with ``type``
  (CATEGORY_TYPES: the unanswerable categories go with type ``unanswerable`` and only
  they). A row with a category is held to the stricter rules of the newer sets: every
  answer fact has at least one alternative found verbatim (normalised) in the cleaned
  text of its documents, and a question over several documents quotes each of them.
* ``turns`` (or ``history``, its older name): earlier chat turns before the final question,
  a list of ``{"role": "user"|"assistant", "content": "..."}`` alternating from a user turn
  and ending with an assistant turn.
* ``draft`` (written by ``rag feedback export`` from evaluators' verdicts): the judged
  answer, its citations, the verdict and comment, and ``todo``, what a person still has to
  fill in or check; each step is reported as a problem, and so is the field itself until it
  is deleted, so that a draft never enters an evaluation unchecked.
* ``rewrite`` (chat_tune_qa.jsonl, chat_test_qa.jsonl): the explicit rewrite of a
  multi-turn question, the self-contained question its follow-up means, used to compare
  last-turn fact coverage with the rewrite's; a non-empty string (checked when the row is
  read, :func:`eval.dataset.parse_question`).
* ``short_answer`` and ``answer_type`` (cover_tune_qa.jsonl, cover_test_qa.jsonl), given
  together on an answerable row: the acceptable short spans of the answer as the document
  writes them, each found (normalised) in the cleaned text of the row's documents, and their
  kind (ANSWER_TYPES); a ``yes_no`` answer is oui/non/yes/no instead.

Category ``document`` (a question about the document itself: symbol, distribution date,
original language, signatory…) may take its answer facts and short answers from the
masthead, which the cleaner keeps out of the passages: they are looked up in the raw text
too. Its gold quotes, like every other, must be in the cleaned text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from eval.dataset import ANSWER_TYPES, GoldQuestion, normalize, parse_question  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.ingest.documents import load_corpus  # noqa: E402

LANGS = {"fr", "en"}
TYPES = {"factoid", "list", "explanation", "multi_doc", "unanswerable"}
DEFAULT_FILES = [HERE / "dev_qa.jsonl", HERE / "extra_qa.jsonl", HERE / "dev_chat_qa.jsonl",
                 HERE / "tune_qa.jsonl", HERE / "test_qa.jsonl", HERE / "cover_tune_qa.jsonl",
                 HERE / "cover_test_qa.jsonl"]
UNANSWERABLE_CATEGORIES = {"near_miss", "after_date", "unknown_entity", "gibberish",
                           "greeting", "general_knowledge", "injection", "off_topic"}
ANSWERABLE_TYPES = TYPES - {"unanswerable"}
CATEGORY_TYPES: dict[str, set[str]] = {
    "list": {"list"},
    "explanation": {"explanation"},
    "summary": {"explanation"},
    "comparison": {"explanation", "multi_doc"},
    "multi_doc": {"multi_doc"},
    "multi_part": ANSWERABLE_TYPES,
    "yes_no": {"factoid", "explanation"},
    "factoid": {"factoid"},
    "document": {"factoid"},
    **{c: {"unanswerable"} for c in UNANSWERABLE_CATEGORIES},
}
# Categories whose facts may come from the masthead (raw text), see the module docstring.
MASTHEAD_CATEGORIES = {"document"}
YES_NO = {"oui", "non", "yes", "no"}
CATEGORIES = set(CATEGORY_TYPES)
ROLES = ("user", "assistant")


def corpus_texts(seeds: Path = SEEDS) -> tuple[dict[str, str], dict[str, str]]:
    """Normalised raw and cleaned text of each seed file, by file name."""
    raw = {p.name: normalize(p.read_text("utf-8")) for p in seeds.iterdir()
           if p.suffix in (".txt", ".md")}
    clean = {d.meta.file: normalize(d.text + " " + " ".join(d.footnotes.values()))
             for d in load_corpus(seeds)}
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
    if "category" in row:
        problems += _check_category(row, raw, clean)
    if "short_answer" in row or "answer_type" in row:
        problems += _check_short_answer(row, raw, clean)
    if "draft" in row:
        problems += _check_draft(row)
    given = [key for key in ("turns", "history") if key in row]
    if len(given) > 1:
        problems.append(f"{qid}: give the earlier chat turns as 'turns' or 'history', not both")
    for key in given:
        problems += _check_history(row, key)
    return problems


def _check_draft(row: dict) -> list[str]:
    """A draft (``rag feedback export``): what a person still has to do, from its ``todo``,
    then delete the ``draft`` field; a gold file with a draft is not ready for ``rag
    eval``."""
    qid = row.get("id", "?")
    draft = row["draft"]
    todo = draft.get("todo") if isinstance(draft, dict) else None
    steps = [str(t) for t in todo] if isinstance(todo, list) else []
    return [f"{qid}: draft: {step}" for step in steps] + [
        f"{qid}: draft: once checked, delete its 'draft' field"]


def _fact_texts(row: dict, raw: dict[str, str], clean: dict[str, str]) -> list[str]:
    """Normalised texts in which the answer facts and short answers of ``row`` may be found:
    the cleaned text of its documents, plus their raw text for the masthead categories."""
    texts = [clean.get(d, "") for d in row["doc"]]
    if row.get("category") in MASTHEAD_CATEGORIES:
        texts += [raw.get(d, "") for d in row["doc"]]
    return texts


def _check_category(row: dict, raw: dict[str, str], clean: dict[str, str]) -> list[str]:
    """The optional ``category`` and the stricter rules that come with it."""
    qid = row.get("id", "?")
    category = row["category"]
    if category not in CATEGORIES:
        return [f"{qid}: category {category!r} not in {sorted(CATEGORIES)}"]
    problems = []
    if row["type"] not in CATEGORY_TYPES[category]:
        problems.append(f"{qid}: category {category!r} does not go with type "
                        f"{row['type']!r} (allowed: {sorted(CATEGORY_TYPES[category])})")
    if row["type"] == "multi_doc" and len(row["doc"]) < 2:
        problems.append(f"{qid}: a multi_doc question needs at least two documents")
    texts = [clean.get(d, "") for d in row["doc"]]
    if len(row["doc"]) > 1:
        for doc, text in zip(row["doc"], texts, strict=True):
            if not any(normalize(q) and normalize(q) in text for q in row["gold_quotes"]):
                problems.append(f"{qid}: no gold quote from {doc} (each document of a "
                                f"multi-document question needs one)")
    fact_texts = _fact_texts(row, raw, clean)
    for i, fact in enumerate(row["answer_facts"]):
        if isinstance(fact, list) and fact and not any(
                isinstance(a, str) and normalize(a) and normalize(a) in t
                for a in fact for t in fact_texts):
            problems.append(f"{qid}: answer fact {i} has no alternative found in its "
                            f"documents: {fact[:3]!r}")
    return problems


def _check_short_answer(row: dict, raw: dict[str, str], clean: dict[str, str]) -> list[str]:
    """``short_answer`` and ``answer_type``: together, on an answerable row; each short
    answer is in its documents (or oui/non/yes/no for a ``yes_no`` answer)."""
    qid = row.get("id", "?")
    short, kind = row.get("short_answer"), row.get("answer_type")
    if short is None or kind is None:
        return [f"{qid}: give 'short_answer' and 'answer_type' together"]
    problems = []
    if kind not in ANSWER_TYPES:
        problems.append(f"{qid}: answer_type {kind!r} not in {sorted(ANSWER_TYPES)}")
    if row["type"] == "unanswerable":
        problems.append(f"{qid}: an unanswerable question has no short answer")
    if not isinstance(short, list) or not short or not all(
            isinstance(a, str) and a.strip() for a in short):
        return [*problems, f"{qid}: short_answer must be a non-empty list of non-empty "
                           f"strings"]
    texts = _fact_texts(row, raw, clean)
    for answer in short:
        if kind == "yes_no":
            if normalize(answer) not in YES_NO:
                problems.append(f"{qid}: a yes_no short answer is one of {sorted(YES_NO)}, "
                                f"not {answer!r}")
        elif not any(normalize(answer) in t for t in texts):
            problems.append(f"{qid}: short answer not found in its documents: {answer!r}")
    return problems


def _check_history(row: dict, key: str = "history") -> list[str]:
    """``turns`` or ``history``: alternating user/assistant turns, user first, assistant
    last."""
    qid = row.get("id", "?")
    history = row[key]
    if not isinstance(history, list) or not history:
        return [f"{qid}: {key} must be a non-empty list of turns"]
    problems = []
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or set(turn) != {"role", "content"}:
            problems.append(f"{qid}: history turn {i} must have exactly 'role' and 'content'")
            continue
        if turn["role"] not in ROLES:
            problems.append(f"{qid}: history turn {i} has role {turn['role']!r}, not one of "
                            f"{list(ROLES)}")
        elif turn["role"] != ROLES[i % 2]:
            problems.append(f"{qid}: history turn {i} should be a {ROLES[i % 2]} turn "
                            f"(user and assistant alternate, user first)")
        if not isinstance(turn["content"], str) or not turn["content"].strip():
            problems.append(f"{qid}: history turn {i} has empty content")
    if isinstance(history[-1], dict) and history[-1].get("role") != "assistant":
        problems.append(f"{qid}: the last history turn must be an assistant turn")
    return problems


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


def check_files(paths: list[Path]) -> list[str]:
    """Problems over all files as ``file:line: id: problem``, including ids repeated
    across files (:func:`validate_files`)."""
    return [str(p) for p in validate_files(paths)[1]]


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [p for p in DEFAULT_FILES if p.exists()]
    problems = check_files(paths)
    for p in problems:
        print(p)
    total = sum(1 for p in paths for line in p.read_text("utf-8").splitlines() if line.strip())
    print(f"{total} questions in {len(paths)} file(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
