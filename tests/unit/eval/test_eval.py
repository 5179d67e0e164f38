"""Evaluation metrics, and the answer-quality floors on the dev set (real pipeline)."""

from __future__ import annotations

import json

import pytest

from eval.answer_metrics import AnswerOutcome, summarize_answers
from eval.dataset import DEV_SET, GoldQuestion, fact_covered, load_questions, normalize
from eval.harness import check_floors
from eval.retrieval_metrics import score_ranking, summarize

Q = GoldQuestion(id="t1", lang="fr", type="factoid", question="?", doc=("a.txt",),
                 gold_quotes=("qui se tiendra le 16 novembre",),
                 answer_facts=(("16 novembre", "16 November"), ("10 heures", "10 am")))


def test_normalisation_follows_the_matching_rules():
    assert normalize("L’ONU, « Notre programme » – 2021 !") == "lonunotreprogramme2021"
    assert fact_covered("Le débat aura lieu le 16 novembre.", ("16 November", "16 novembre"))


def test_retrieval_outcome_ranks_and_recall():
    ranked = [("x", "autre chose"), ("y", "… qui se tiendra le 16 novembre 2021 …")]
    outcome = score_ranking(Q, ranked)
    assert outcome.first_relevant_rank == 2 and outcome.reciprocal_rank == 0.5
    assert summarize([outcome])["hit@1"] == 0 and summarize([outcome])["hit@5"] == 1


def test_answer_metrics():
    good = AnswerOutcome(Q, "le 16 novembre à 10 heures [1]", False, 0.9,
                         ("… qui se tiendra le 16 novembre 2021",), ("a#t1",), ("a",), None, 10)
    half = AnswerOutcome(Q, "le 16 novembre [1] [2]", False, 0.9,
                         ("qui se tiendra le 16 novembre", "hors sujet"), ("a#t1", "a#p2"),
                         ("a", "a"), None, 30)
    m = summarize_answers([good, half])
    assert m["fact_coverage"] == pytest.approx(0.75)
    assert m["citation_precision"] == pytest.approx(2 / 3)
    assert m["false_abstention"] == 0 and m["latency_p50_ms"] == pytest.approx(20)
    assert good.right and half.right and m["right"] == 1  # coverage 1 and 0.5, gold cited
    assert m["noncontent_only"] == 0 and m["abstention_offtopic"] is None


def test_floor_check():
    assert check_floors({"fact_coverage": 0.7, "false_abstention": 0.2},
                        {"fact_coverage": 0.8, "max_false_abstention": 0.1}) == [
        "fact_coverage = 0.700 < 0.8", "false_abstention = 0.200 > 0.1"]


def test_dev_set_is_well_formed():
    questions = load_questions(DEV_SET)
    assert len({q.id for q in questions}) == len(questions) > 0  # unique ids
    assert all(q.category == q.type and q.split == "dev_qa" for q in questions)


def test_gold_files_quote_the_seeds_exactly():
    from eval.check_gold import DEFAULT_FILES, check_files

    assert check_files(DEFAULT_FILES) == []
    assert len(load_questions(DEFAULT_FILES[1])) >= 40


def test_gold_checker_catches_a_misquote(tmp_path):
    from eval.check_gold import check_files

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({
        "id": "b1", "lang": "fr", "type": "factoid", "question": "?",
        "doc": ["004_69fee26534a39183.txt"],
        "gold_quotes": ["une phrase qui ne figure dans aucun document onusien"],
        "answer_facts": [["x"]]}) + "\n", "utf-8")
    assert any("found nowhere" in p for p in check_files([bad]))
