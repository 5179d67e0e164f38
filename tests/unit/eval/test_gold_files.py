"""eval/check_gold.py: the optional ``category``, ``history``, ``short_answer`` and
``answer_type`` fields, on made-up rows."""

from __future__ import annotations

import json

import pytest

from eval.check_gold import (
    CATEGORIES,
    DEFAULT_FILES,
    UNANSWERABLE_CATEGORIES,
    check_files,
    check_question,
)
from eval.dataset import ANSWER_TYPES, OFFTOPIC_CATEGORIES, normalize, parse_question

# A made-up corpus of two documents (the checker compares normalised text); the raw text of
# a.txt also has a masthead that the cleaned text lacks.
DOCS = {
    "a.txt": "La réunion imaginaire se tiendra le 3 mars à Genève, présidée par la Lune.",
    "b.txt": "Le rapport fictif recommande trois mesures : écouter, noter, répéter.",
}
MASTHEAD = "Distr. générale 1er février. Original : klingon. "
CLEAN = {name: normalize(text) for name, text in DOCS.items()}
RAW = {**CLEAN, "a.txt": normalize(MASTHEAD + DOCS["a.txt"])}


def row(**changes) -> dict:
    base = {"id": "z1", "lang": "fr", "type": "factoid", "category": "factoid",
            "question": "Où se tiendra la réunion imaginaire ?", "doc": ["a.txt"],
            "gold_quotes": ["se tiendra le 3 mars à Genève"],
            "answer_facts": [["Genève", "Geneva"]]}
    base.update(changes)
    return base


def problems(**changes) -> list[str]:
    return check_question(row(**changes), RAW, CLEAN)


def test_a_well_formed_row_with_category_and_history_passes():
    history = [{"role": "user", "content": "Parle-moi de la réunion imaginaire."},
               {"role": "assistant", "content": "Elle se tiendra le 3 mars (a.txt)."}]
    assert problems(history=history, question="Et où ?") == []
    assert problems() == []
    assert check_question({k: v for k, v in row().items() if k != "category"}, RAW, CLEAN) == []


def test_category_must_be_known_and_agree_with_type():
    assert any("not in" in p for p in problems(category="trivia"))
    assert any("does not go with type" in p for p in problems(category="near_miss"))
    assert any("does not go with type" in p for p in problems(category="list"))
    empty = {"doc": [], "gold_quotes": [], "answer_facts": []}
    assert any("does not go with type" in p
               for p in problems(type="unanswerable", category="summary", **empty))
    for category in UNANSWERABLE_CATEGORIES:
        assert problems(type="unanswerable", category=category, **empty) == []
    assert UNANSWERABLE_CATEGORIES < CATEGORIES
    assert problems(type="explanation", category="summary") == []
    assert problems(type="explanation", category="comparison") == []


def test_category_rows_need_facts_found_in_their_documents():
    assert any("no alternative found" in p
               for p in problems(answer_facts=[["Genève"], ["Paris", "Lyon"]]))
    # English-only alternatives are fine as long as one alternative is in the document.
    assert problems(answer_facts=[["Geneva", "Genève"]]) == []


def test_multi_document_rows_quote_each_document():
    both = dict(type="multi_doc", category="multi_doc", doc=["a.txt", "b.txt"],
                answer_facts=[["Genève"], ["écouter"]])
    assert problems(gold_quotes=["se tiendra le 3 mars à Genève",
                                 "recommande trois mesures : écouter"], **both) == []
    missing = problems(gold_quotes=["se tiendra le 3 mars à Genève"], **both)
    assert any("no gold quote from b.txt" in p for p in missing)
    assert any("at least two documents" in p for p in problems(type="multi_doc",
                                                               category="multi_doc"))


def test_history_turns_are_checked():
    user = {"role": "user", "content": "Bonjour ?"}
    assistant = {"role": "assistant", "content": "Bonjour, que voulez-vous savoir ?"}
    assert any("last history turn" in p for p in problems(history=[user]))
    assert any("alternate" in p for p in problems(history=[assistant]))
    assert any("alternate" in p for p in problems(history=[user, user, assistant]))
    assert any("role" in p for p in problems(history=[{"role": "system", "content": "x"},
                                                      assistant]))
    assert any("empty content" in p for p in problems(history=[user, {"role": "assistant",
                                                                      "content": "  "}]))
    assert any("exactly 'role' and 'content'" in p
               for p in problems(history=[{"role": "user"}, assistant]))
    assert any("non-empty list" in p for p in problems(history=[]))
    assert any("non-empty list" in p for p in problems(history="user: bonjour"))


def test_default_files_keep_dev_and_extra_first_and_include_the_new_sets():
    names = [p.name for p in DEFAULT_FILES]
    assert names[:2] == ["dev_qa.jsonl", "extra_qa.jsonl"]
    assert {"tune_qa.jsonl", "test_qa.jsonl", "cover_tune_qa.jsonl",
            "cover_test_qa.jsonl"} <= set(names)


def test_unknown_entity_is_an_unanswerable_category_but_not_off_topic():
    empty = {"doc": [], "gold_quotes": [], "answer_facts": []}
    assert problems(type="unanswerable", category="unknown_entity", **empty) == []
    assert any("does not go with type" in p for p in problems(category="unknown_entity"))
    assert parse_question(row(type="unanswerable", category="unknown_entity", **empty)
                          ).category == "unknown_entity"
    assert "unknown_entity" not in OFFTOPIC_CATEGORIES


def test_document_questions_may_take_their_facts_from_the_masthead():
    masthead = dict(category="document", question="Dans quelle langue est l’original ?",
                    answer_facts=[["klingon", "Klingon"]])
    assert problems(**masthead) == []
    assert any("no alternative found" in p for p in problems(**{**masthead,
                                                               "category": "factoid"}))
    # The quotes still come from the cleaned text: no passage holds the masthead.
    assert any("only across a page header" in p
               for p in problems(**masthead, gold_quotes=["Original : klingon. La réunion"]))
    assert any("does not go with type" in p for p in problems(**masthead, type="list"))


def test_short_answer_and_answer_type():
    typed = dict(short_answer=["Genève"], answer_type="place")
    assert problems(**typed) == []
    assert parse_question(row(**typed)).short_answer == ("Genève",)
    assert parse_question(row(**typed)).answer_type == "place"
    assert "short_answer" not in parse_question(row(**typed)).extra
    assert any("short answer not found" in p
               for p in problems(short_answer=["Paris"], answer_type="place"))
    assert any("together" in p for p in problems(short_answer=["Genève"]))
    assert any("together" in p for p in problems(answer_type="place"))
    assert any("not in" in p for p in problems(short_answer=["Genève"], answer_type="city"))
    assert any("non-empty list" in p for p in problems(short_answer=[], answer_type="place"))
    assert problems(short_answer=["oui", "yes"], answer_type="yes_no") == []
    assert any("yes_no short answer" in p
               for p in problems(short_answer=["peut-être"], answer_type="yes_no"))
    assert "klingon" not in CLEAN["a.txt"]
    assert problems(category="document", short_answer=["klingon"], answer_type="organisation",
                    answer_facts=[["klingon"]]) == []
    assert any("no short answer" in p for p in problems(
        type="unanswerable", category="near_miss", doc=[], gold_quotes=[], answer_facts=[],
        short_answer=["Genève"], answer_type="place"))
    assert {"place", "date", "count", "person", "organisation", "amount",
            "yes_no"} == ANSWER_TYPES
    with pytest.raises(ValueError, match="answer_type"):
        parse_question(row(short_answer=["Genève"], answer_type="city"))
    with pytest.raises(ValueError, match="short_answer"):
        parse_question(row(short_answer="Genève", answer_type="place"))


def test_check_files_reports_a_bad_category_by_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({
        "id": "z9", "lang": "en", "type": "unanswerable", "category": "list",
        "question": "hello?", "doc": [], "gold_quotes": [], "answer_facts": []}) + "\n", "utf-8")
    assert any(p.startswith(f"{bad}:1: z9: category 'list'") for p in check_files([bad]))


def test_rewrite_is_kept_on_the_question():
    turns = [{"role": "user", "content": "Où se tiendra la réunion imaginaire ?"},
             {"role": "assistant", "content": "À Genève [1]."}]
    follow_up = row(turns=turns, question="Et quand ?",
                    rewrite="Quand se tiendra la réunion imaginaire ?")
    assert check_question(follow_up, RAW, CLEAN) == []
    question = parse_question(follow_up)
    assert question.rewrite == "Quand se tiendra la réunion imaginaire ?"
    assert "rewrite" not in question.extra
    assert parse_question(row()).rewrite is None
    for bad in ("", "  ", ["Quand ?"]):
        with pytest.raises(ValueError, match="rewrite"):
            parse_question(row(turns=turns, rewrite=bad))


def test_the_chat_gold_files_validate_and_every_follow_up_has_a_rewrite():
    from eval.check_gold import HERE
    from eval.dataset import load_questions

    files = [HERE / "chat_tune_qa.jsonl", HERE / "chat_test_qa.jsonl"]
    assert check_files(files) == []
    for path, prefix in zip(files, ("ct", "cf"), strict=True):
        questions = load_questions(path)
        assert len(questions) >= 22
        assert all(q.id.startswith(prefix) and q.history and q.rewrite for q in questions)
        assert sum(q.type == "unanswerable" for q in questions) >= 5
