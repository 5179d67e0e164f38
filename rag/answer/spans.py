"""The short answer a factoid question expects (a place, a date, a number, a person…),
taken verbatim from the sentence that will be quoted, so that the answer can begin with it
("À Moscou [1].") before the supporting quote. Nothing is ever made up: no span of the
expected kind in the sentence, no short answer."""

from __future__ import annotations

import re

from rag.ingest.gazetteer import actors_in
from rag.query.coverage import tokens_of
from rag.query.expectations import (
    _AGE,
    _CURRENCY,
    _DATE_EXPR,
    _MONTH_YEAR,
    _NUMBER_WORDS,
    _PERCENT,
    _PLACE,
    _YEAR_ONLY,
    TIME_OF_DAY,
    Expectation,
    _strip_references,
    counted_noun,
    person_names,
)
from rag.text import FUNCTION_WORDS, fold

_COUNT = re.compile(rf"\b(?:\d+(?:[\s.,]\d{{3}})*|{_NUMBER_WORDS})\b(?:\s+[^\W\d_][\w’'-]*){{1,3}}",
                    re.I)
_AGENT_AFTER = re.compile(r"\s+(?:du|de la|de l[’']|des|d[’']|of|by|par)\b", re.I)
_WORD = re.compile(r"[\w’'-]+")
_OPENING_WORDS = 3  # a name whose first words the question holds is the one it names
_EN_COUNTED = re.compile(r"\bhow many\s+(\w{3,})(?:\s+(\w{3,}))?", re.I)


def _new(span: str, question: str) -> bool:
    """The span says something the question does not already say."""
    return fold(span.strip()) not in fold(question)


def _first(pattern: re.Pattern[str], sentence: str, question: str) -> str | None:
    for m in pattern.finditer(sentence):
        if _new(m.group(0), question):
            return m.group(0).strip(" ,;")
    return None


def _count(sentence: str, question: str) -> str | None:
    nouns = [n for n in [counted_noun(question)] if n]
    if not nouns and (m := _EN_COUNTED.search(question)):  # "how many (armed) groups"
        nouns = [w.lower() for w in m.groups() if w]
    text = _strip_references(sentence)
    for m in _COUNT.finditer(text):
        words = re.findall(r"[^\W\d_][\w’'-]*", m.group(0))
        if re.fullmatch(r"(?:19|20)\d{2}", m.group(0).split()[0]):
            continue  # a year, not a count
        if not nouns or any(fold(w)[:4] == fold(n)[:4] for w in words for n in nouns):
            return m.group(0).strip()
    return None


def _person(sentence: str, question: str, common: frozenset[str]) -> str | None:
    return next((n for n in person_names(sentence, common) if _new(n, question)), None)


def actor(sentence: str, question: str, near: list[int], common: frozenset[str] = frozenset(),
          named: tuple[frozenset[str], ...] = ()) -> str | None:
    """The name or title in ``sentence`` that answers a *who* or *which body* question: one
    the question does not already name (all its words in the question or in one of
    ``named``, the words of each name the question's acronyms stand for; or its first words
    in the question, which may shorten it), the closest to the offsets ``near`` (where the
    sentence states the question's relation), else the first."""
    question_words = frozenset(tokens_of(question))
    asked = [question_words, *named]

    def given(span: str) -> bool:
        words = [w for w in tokens_of(span) if w not in FUNCTION_WORDS]
        return any(set(words) <= a for a in asked) or set(
            words[:_OPENING_WORDS]) <= question_words

    found = [(start, span) for start, span in actors_in(sentence, common) if not given(span)]
    if not found:
        return None
    if not near:
        return found[0][1]
    # a noun of the act with its agent after it ("sous la présidence du Mexique", "led
    # by X"): the closest name after it
    after = [(start - n, span) for start, span in found for n in near
             if start > n and _AGENT_AFTER.match(sentence, _word_end(sentence, n))]
    if after:
        return min(after)[1]
    # the subject: the closest name ending before the verb; else the closest after it
    # ("… ont été salués par X")
    before = [(n - (start + len(span)), span) for start, span in found for n in near
              if start + len(span) <= n]
    if before:
        return min(before)[1]
    return min(found, key=lambda f: min(abs(f[0] - n) for n in near))[1]


def _word_end(text: str, start: int) -> int:
    m = _WORD.match(text, start)
    return m.end() if m else start


def short_answer(expected: Expectation, sentence: str, question: str,
                 common: frozenset[str] = frozenset()) -> str | None:
    """The span of ``sentence`` answering a question that expects ``expected``, as
    written (a person's name must hold a word not in ``common``, the corpus's ordinary
    words), or None when the sentence holds none that the question does not already
    state."""
    if expected == "place":
        return _first(_PLACE, sentence, question)
    if expected == "time":
        return _first(TIME_OF_DAY, sentence, question)
    if expected == "day":
        return _first(_DATE_EXPR, sentence, question)
    if expected == "date":
        return (_first(_DATE_EXPR, sentence, question) or _first(_MONTH_YEAR, sentence, question)
                or _first(_YEAR_ONLY, _strip_references(sentence), question))
    if expected == "amount":
        return _first(_CURRENCY, sentence, question)
    if expected == "percent":
        return _first(_PERCENT, sentence, question)
    if expected == "age":
        return _first(_AGE, sentence, question)
    if expected == "count":
        return _count(sentence, question)
    if expected == "person":
        return _person(sentence, question, common)
    return None


def lead(span: str) -> str:
    """The span as the opening of an answer: capitalised first letter."""
    return span[:1].upper() + span[1:]
