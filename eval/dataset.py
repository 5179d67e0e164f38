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


@dataclass(frozen=True)
class GoldQuestion:
    """One gold question."""

    id: str
    lang: str
    type: str
    question: str
    doc: tuple[str, ...] = ()
    gold_quotes: tuple[str, ...] = ()
    answer_facts: tuple[tuple[str, ...], ...] = ()
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        """Unanswerable questions have no gold quotes."""
        return self.type != "unanswerable" and bool(self.gold_quotes)


def load_questions(path: Path = DEV_SET) -> list[GoldQuestion]:
    """Read a gold question file; raises ValueError naming the bad line."""
    questions = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            known = {"id", "lang", "type", "question", "doc", "gold_quotes", "answer_facts",
                     "notes"}
            questions.append(GoldQuestion(
                id=row["id"], lang=row["lang"], type=row["type"], question=row["question"],
                doc=tuple(row.get("doc") or ()), gold_quotes=tuple(row.get("gold_quotes") or ()),
                answer_facts=tuple(tuple(f) for f in row.get("answer_facts") or ()),
                notes=row.get("notes", ""), extra={k: v for k, v in row.items() if k not in known},
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a gold question ({exc})") from exc
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
