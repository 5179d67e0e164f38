"""Gold questions (JSON Lines) and the chunker-agnostic matching rule of eval/MATCHING.md."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

EVAL_DIR = Path(__file__).resolve().parent
DEV_SET = EVAL_DIR / "dev_qa.jsonl"
_NON_ALNUM = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """NFKC, lower case, then only letters and digits."""
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", text).lower())


TYPES = frozenset({"factoid", "list", "explanation", "multi_doc", "unanswerable"})
# ``category`` refines ``type``; a question without one takes its type as category.
# ``document``: a question about a document itself (symbol, dates, signatory, original
# language, presidency, the meeting it announces); ``unknown_entity``: an unanswerable
# question about an organisation, place or person the corpus never names.
CATEGORIES = TYPES | {
    "summary", "comparison", "multi_part", "yes_no", "document", "near_miss", "after_date",
    "unknown_entity", "gibberish", "greeting", "general_knowledge", "injection", "off_topic"}
# Questions that are not about the documents at all: the service should decline them.
# (``near_miss``, ``after_date`` and ``unknown_entity`` are on the documents' subject: the
# service should abstain, not decline.)
OFFTOPIC_CATEGORIES = frozenset({"gibberish", "greeting", "general_knowledge", "injection",
                                 "off_topic"})
# ``answer_type`` of a question with a ``short_answer`` (the short spans that answer it).
ANSWER_TYPES = frozenset({"place", "date", "count", "person", "organisation", "amount",
                          "yes_no"})
HISTORY_ROLES = ("user", "assistant")
# Earlier chat turns: ``turns`` (``history`` is the older name, kept by tune/test).
HISTORY_FIELDS = ("turns", "history")
_REQUIRED = ("id", "lang", "type", "question")
_KNOWN = {*_REQUIRED, "category", *HISTORY_FIELDS, "doc", "gold_quotes", "answer_facts",
          "notes", "short_answer", "answer_type", "rewrite"}


@dataclass(frozen=True)
class GoldQuestion:
    """One gold question.

    ``category`` defaults to ``type``; ``history`` holds the (role, content) turns of a chat
    before the question (the ``turns`` or ``history`` field; empty for a standalone
    question); ``short_answer`` lists the acceptable short spans of a typed factoid and
    ``answer_type`` their kind (ANSWER_TYPES; both empty when not given); ``split`` is the
    stem of the file the question was read from (set by :func:`load_questions`);
    ``rewrite`` is the explicit, self-contained question a multi-turn follow-up means
    ("Et en 2010 ?" → "Quel montant … en 2010 ?"), used to compare last-turn fact coverage
    with the rewrite's (None when not given)."""

    id: str
    lang: str
    type: str
    question: str
    doc: tuple[str, ...] = ()
    gold_quotes: tuple[str, ...] = ()
    answer_facts: tuple[tuple[str, ...], ...] = ()
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    category: str = ""
    history: tuple[tuple[str, str], ...] = ()
    short_answer: tuple[str, ...] = ()
    answer_type: str = ""
    split: str = ""
    rewrite: str | None = None

    def __post_init__(self) -> None:
        if not self.category:
            object.__setattr__(self, "category", self.type)
        object.__setattr__(self, "history", parse_history(self.history))

    @property
    def answerable(self) -> bool:
        """Unanswerable questions have no gold quotes."""
        return self.type != "unanswerable" and bool(self.gold_quotes)

    @property
    def history_turns(self) -> list[dict[str, str]]:
        """The history as ``pipeline.ask`` takes it: ``[{"role": …, "content": …}]``."""
        return [{"role": role, "content": content} for role, content in self.history]


def parse_history(turns: object) -> tuple[tuple[str, str], ...]:
    """Chat turns as (role, content) pairs, from dicts ``{"role", "content"}`` or pairs;
    raises ValueError on anything else."""
    if turns is None:
        return ()
    if not isinstance(turns, list | tuple):
        raise ValueError(f"history must be a list of turns, not {type(turns).__name__}")
    parsed = []
    for i, turn in enumerate(turns):
        if isinstance(turn, dict):
            if set(turn) - {"role", "content"}:
                raise ValueError(f"history turn {i}: unexpected keys "
                                 f"{sorted(set(turn) - {'role', 'content'})}")
            role, content = turn.get("role"), turn.get("content")
        elif isinstance(turn, list | tuple) and len(turn) == 2:
            role, content = turn
        else:
            raise ValueError(f"history turn {i}: expected {{'role', 'content'}} or a pair, "
                             f"got {turn!r}")
        if role not in HISTORY_ROLES:
            raise ValueError(f"history turn {i}: role {role!r} not in {list(HISTORY_ROLES)}")
        if not isinstance(content, str) or not content.strip():
            raise ValueError(f"history turn {i}: content must be a non-empty string")
        parsed.append((role, content))
    return tuple(parsed)


def _strings(row: dict[str, Any], key: str) -> tuple[str, ...]:
    value = row.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"field {key!r} must be a list of strings")
    return tuple(value)


def parse_question(row: object, split: str = "") -> GoldQuestion:
    """One gold question from its decoded JSON object; raises ValueError when a field is
    missing, has the wrong shape, or names an unknown type or category."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    missing = [k for k in _REQUIRED if k not in row]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    for key in (*_REQUIRED, "notes"):
        if key in row and not isinstance(row[key], str):
            raise ValueError(f"field {key!r} must be a string")
    if not row["id"].strip() or not row["question"].strip():
        raise ValueError("empty id or question")
    if row["type"] not in TYPES:
        raise ValueError(f"unknown type {row['type']!r} (known: {', '.join(sorted(TYPES))})")
    category = row.get("category") or row["type"]
    if not isinstance(category, str) or category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r} "
                         f"(known: {', '.join(sorted(CATEGORIES))})")
    if all(k in row for k in HISTORY_FIELDS):
        raise ValueError("give the earlier chat turns as 'turns' or 'history', not both")
    answer_type = row.get("answer_type", "")
    if not isinstance(answer_type, str) or (answer_type and answer_type not in ANSWER_TYPES):
        raise ValueError(f"unknown answer_type {answer_type!r} "
                         f"(known: {', '.join(sorted(ANSWER_TYPES))})")
    rewrite = row.get("rewrite")
    if rewrite is not None and (not isinstance(rewrite, str) or not rewrite.strip()):
        raise ValueError("field 'rewrite' must be a non-empty string")
    facts = row.get("answer_facts") or []
    if not isinstance(facts, list) or not all(
            isinstance(f, list) and f and all(isinstance(a, str) for a in f) for f in facts):
        raise ValueError("field 'answer_facts' must be a list of non-empty lists of strings")
    return GoldQuestion(
        id=row["id"], lang=row["lang"], type=row["type"], question=row["question"],
        doc=_strings(row, "doc"), gold_quotes=_strings(row, "gold_quotes"),
        answer_facts=tuple(tuple(f) for f in facts), notes=row.get("notes", ""),
        extra={k: v for k, v in row.items() if k not in _KNOWN}, category=category,
        history=parse_history(row.get("turns", row.get("history"))),
        short_answer=_strings(row, "short_answer"), answer_type=answer_type, split=split,
        rewrite=rewrite,
    )


def load_questions(path: Path = DEV_SET) -> list[GoldQuestion]:
    """Read a gold question file; raises ValueError naming the bad line (a malformed or
    incomplete question, an unknown type or category, an id seen on an earlier line)."""
    questions: list[GoldQuestion] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = parse_question(json.loads(line), split=path.stem)
        except (json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{path}:{n}: not a gold question ({exc})") from exc
        if q.id in seen:
            raise ValueError(f"{path}:{n}: duplicate id {q.id!r} (first on line {seen[q.id]})")
        seen[q.id] = n
        questions.append(q)
    return questions


def grouped_metrics(outcomes: Sequence[T], key: str,
                    summarize: Callable[[Sequence[T]], dict[str, Any]]) -> dict[str, dict]:
    """``summarize`` per value of a question attribute (``lang``, ``type``), plus ``all``.
    Outcomes carry the question they answer in ``.question``."""
    groups: dict[str, list[T]] = {}
    for o in outcomes:
        groups.setdefault(str(getattr(o.question, key)), []).append(o)  # type: ignore[attr-defined]
    table = {name: summarize(items) for name, items in sorted(groups.items())}
    table["all"] = summarize(outcomes)
    return table


def passage_matches(passage_text: str, quotes: tuple[str, ...]) -> list[int]:
    """Indices of the gold quotes contained in the passage (after normalisation)."""
    text = normalize(passage_text)
    return [i for i, q in enumerate(quotes) if normalize(q) and normalize(q) in text]


def fact_covered(answer: str, alternatives: tuple[str, ...]) -> bool:
    """True when the answer contains one normalised alternative of the fact."""
    text = normalize(answer)
    return any(normalize(a) and normalize(a) in text for a in alternatives)
