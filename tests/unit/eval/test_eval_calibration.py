"""Evaluation harness: gold-question parsing (category, history), the *right* rule,
calibration metrics (bins, ECE, Brier) and the report written by ``rag eval`` — all on
made-up questions and a fake pipeline."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from eval.answer_metrics import AnswerOutcome, summarize_answers
from eval.calibration import (
    bin_index,
    brier_score,
    expected_calibration_error,
    mean_where,
    reliability_bins,
)
from eval.dataset import GoldQuestion, load_questions, parse_question

# ---------------------------------------------------------------- calibration metrics


def test_bins_are_equal_width_and_edges_fall_upwards():
    assert bin_index([0.0, 0.05, 0.1, 0.3, 0.7, 0.99, 1.0]).tolist() == [0, 0, 1, 3, 7, 9, 9]
    assert bin_index([-0.2, 1.3]).tolist() == [0, 9]  # clipped into [0, 1]


def test_reliability_bins_count_mean_confidence_and_share_right():
    bins = reliability_bins([0.15, 0.15, 0.85, 0.95, 0.9], [False, True, True, True, False])
    assert len(bins) == 10 and [b.count for b in bins] == [0, 2, 0, 0, 0, 0, 0, 0, 1, 2]
    assert bins[1].mean_confidence == pytest.approx(0.15) and bins[1].share_right == 0.5
    assert bins[9].mean_confidence == pytest.approx(0.925) and bins[9].share_right == 0.5
    assert bins[9].gap == pytest.approx(-0.425)
    assert bins[0].mean_confidence is None and bins[0].gap is None
    assert (bins[3].lo, bins[3].hi) == (0.3, 0.4)


def test_ece_weights_each_bin_gap_by_its_share():
    conf = [0.15, 0.15, 0.85, 0.95, 0.9]
    right = [False, True, True, True, False]
    # bin 1: |0.5 - 0.15| * 2/5; bin 8: |1 - 0.85| * 1/5; bin 9: |0.5 - 0.925| * 2/5
    expected = 0.35 * 0.4 + 0.15 * 0.2 + 0.425 * 0.4
    assert expected_calibration_error(conf, right) == pytest.approx(expected)
    assert expected_calibration_error([0.95, 0.95], [True, True]) == pytest.approx(0.05)
    assert expected_calibration_error([], []) is None


def test_perfectly_calibrated_confidence_has_zero_ece():
    conf = [0.25] * 4 + [0.75] * 4
    right = [True, False, False, False, True, True, True, False]
    assert expected_calibration_error(conf, right) == pytest.approx(0.0)


def test_brier_score_and_mean_confidences():
    assert brier_score([1.0, 0.0, 0.5], [True, False, True]) == pytest.approx(0.25 / 3)
    assert brier_score([0.8, 0.6], [False, True]) == pytest.approx((0.64 + 0.16) / 2)
    assert brier_score([], []) is None
    assert mean_where([0.9, 0.7, 0.2], [True, True, False], True) == pytest.approx(0.8)
    assert mean_where([0.9], [True], False) is None
    with pytest.raises(ValueError):
        brier_score([0.5, 0.5], [True])


# ---------------------------------------------------------------- gold questions


def _row(**kw: object) -> dict:
    row = {"id": "z1", "lang": "fr", "type": "factoid", "question": "Quand ?",
           "doc": ["a.txt"], "gold_quotes": ["une citation assez longue"],
           "answer_facts": [["mardi"]]}
    row.update(kw)
    return {k: v for k, v in row.items() if v is not None}


def _write(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "mini_qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def test_category_defaults_to_type_and_history_is_parsed(tmp_path):
    path = _write(tmp_path, _row(), _row(id="z2", category="yes_no", history=[
        {"role": "user", "content": "Parle-moi du document."},
        {"role": "assistant", "content": "Il traite de la paix."}]),
        _row(id="z3", type="unanswerable", category="greeting", doc=[], gold_quotes=[],
             answer_facts=[], history=[["user", "Bonjour"]]))
    plain, follow_up, greeting = load_questions(path)
    assert plain.category == "factoid" and plain.history == () and plain.split == "mini_qa"
    assert follow_up.category == "yes_no" and "category" not in follow_up.extra
    assert follow_up.history == (("user", "Parle-moi du document."),
                                 ("assistant", "Il traite de la paix."))
    assert follow_up.history_turns[1] == {"role": "assistant",
                                          "content": "Il traite de la paix."}
    assert greeting.history == (("user", "Bonjour"),) and not greeting.answerable
    assert "history" not in follow_up.extra
    made = GoldQuestion(id="m", lang="fr", type="list", question="?",
                        history=({"role": "user", "content": "x"},))  # type: ignore[arg-type]
    assert made.category == "list" and made.history == (("user", "x"),)


@pytest.mark.parametrize(("row", "message"), [
    (_row(type="trivia"), "unknown type 'trivia'"),
    (_row(category="riddle"), "unknown category 'riddle'"),
    (_row(question=None), "missing field(s) question"),
    (_row(id=None, lang=None), "missing field(s) id, lang"),
    (_row(history=[{"role": "system", "content": "x"}]), "role 'system'"),
    (_row(history="bonjour"), "history must be a list"),
    (_row(answer_facts=["mardi"]), "answer_facts"),
    (_row(gold_quotes="citation"), "gold_quotes"),
    (_row(lang=3), "'lang' must be a string"),
])
def test_bad_question_is_a_value_error_naming_the_line(tmp_path, row, message):
    path = _write(tmp_path, _row(id="ok"), row)
    with pytest.raises(ValueError) as err:
        load_questions(path)
    assert f"{path}:2:" in str(err.value) and message in str(err.value)


def test_non_object_line_and_duplicate_id_are_rejected(tmp_path):
    with pytest.raises(ValueError, match=r":1: .*JSON object"):
        load_questions(_write(tmp_path, ["not", "an", "object"]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r":2: duplicate id 'z1'"):
        load_questions(_write(tmp_path, _row(), _row()))
    with pytest.raises(ValueError, match="missing field"):
        parse_question({"id": "x"})


# ---------------------------------------------------------------- right / non-content

Q = GoldQuestion(id="a1", lang="fr", type="factoid", question="?", doc=("a.txt",),
                 gold_quotes=("le débat se tiendra le 16 novembre",),
                 answer_facts=(("16 novembre",), ("10 heures",)))
U = GoldQuestion(id="u1", lang="fr", type="unanswerable", question="?", category="near_miss")
OFF = GoldQuestion(id="o1", lang="en", type="unanswerable", question="hi", category="greeting")
GOLD = "… le débat se tiendra le 16 novembre 2021 …"


def _outcome(q: GoldQuestion, answer: str = "", abstained: bool = False, conf: float = 0.5,
             cited: tuple[str, ...] = (), roles: tuple[str, ...] | None = None) -> AnswerOutcome:
    roles = roles if roles is not None else ("body",) * len(cited)
    return AnswerOutcome(q, answer, abstained, conf, cited, tuple(f"p{i}" for i in
                         range(len(cited))), ("a",) * len(cited), None, 5.0, roles)


def test_right_needs_half_the_facts_and_a_gold_citation():
    assert _outcome(Q, "le 16 novembre [1]", cited=(GOLD,)).right  # coverage 0.5
    assert not _outcome(Q, "le 17 mai [1]", cited=(GOLD,)).right  # coverage 0
    assert not _outcome(Q, "le 16 novembre à 10 heures", cited=("autre chose",)).right
    assert not _outcome(Q, "le 16 novembre à 10 heures", abstained=True, cited=(GOLD,)).right
    assert _outcome(U, "Je ne sais pas.", abstained=True).right
    assert not _outcome(U, "Une réponse inventée.", cited=("x",)).right


def test_noncontent_only_and_offtopic_abstention_in_the_summary():
    title_only = _outcome(Q, "16 novembre", cited=(GOLD, "Nations Unies"),
                          roles=("title", "letterhead"))
    mixed = _outcome(Q, "16 novembre", cited=(GOLD, "x"), roles=("body", "footnote"))
    abstained = _outcome(Q, "", abstained=True)
    assert title_only.noncontent_only and not mixed.noncontent_only
    assert not abstained.noncontent_only
    greeted = _outcome(OFF, "Bonjour ! Posez une question sur les documents.", abstained=True)
    answered_off = _outcome(OFF, "The capital is Paris.", cited=("x",))
    m = summarize_answers([title_only, mixed, abstained, greeted, answered_off,
                           _outcome(U, abstained=False, cited=("x",))])
    assert m["noncontent_only"] == pytest.approx(0.5)  # of the 2 answered answerable
    assert m["abstention_offtopic"] == pytest.approx(0.5)
    assert m["abstention_unanswerable"] == pytest.approx(1 / 3)
    assert m["right"] == pytest.approx(3 / 6)
    assert summarize_answers([title_only])["abstention_offtopic"] is None


# ---------------------------------------------------------------- the report


@dataclass
class _Passage:
    id: str
    text: str
    doc_id: str = "a"
    kind: str = "paragraph"
    role: str = "body"


@dataclass
class _Citation:
    passage: _Passage


@dataclass
class _Answer:
    text: str
    abstained: bool
    confidence: float
    citations: tuple[_Citation, ...] = ()
    timings_ms: dict = field(default_factory=dict)


@dataclass
class _Hit:
    passage: _Passage


class FakePipeline:
    """Answers from a table keyed by question; records the history it was given."""

    settings = argparse.Namespace(composer="fake", embedding_model="none",
                                  max_question_chars=2000)

    def __init__(self, answers: dict[str, _Answer]) -> None:
        self.answers = answers
        self.histories: dict[str, object] = {}

    def ask(self, question: str, k=None, documents=None, composer=None, **kw) -> _Answer:
        if "history" in kw:
            self.histories[question] = kw["history"]
        return self.answers.get(question, _Answer("?", True, 0.1))

    def search(self, query: str, k: int = 10) -> list[_Hit]:
        return [_Hit(c.passage) for c in self.answers[query].citations]


def test_report_has_split_and_category_tables_calibration_and_full_answers(tmp_path):
    from eval.harness import run_answer_eval

    long_answer = "Le débat aura lieu le 16 novembre. " + "Détail sans rapport. " * 30 + "FIN"
    gold = _Passage("a#p1", GOLD)
    title = _Passage("a#t", "NATIONS UNIES", role="title")
    q_rows = [
        _row(id="a1", question="Quand le débat ?", gold_quotes=[GOLD.strip("… ")],
             answer_facts=[["16 novembre"], ["10 heures"]]),
        _row(id="a2", question="Et à quelle heure ?", category="multi_part",
             gold_quotes=[GOLD.strip("… ")], answer_facts=[["10 heures"]],
             history=[{"role": "user", "content": "Quand le débat ?"},
                      {"role": "assistant", "content": "Le 16 novembre."}]),
    ]
    other_rows = [
        _row(id="b1", type="unanswerable", category="gibberish", question="asdf qwer",
             doc=[], gold_quotes=[], answer_facts=[]),
        _row(id="b2", question="Qui signe ?", gold_quotes=[GOLD.strip("… ")],
             answer_facts=[["16 novembre"]]),
    ]
    first, second = tmp_path / "dev_qa.jsonl", tmp_path / "tune_qa.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in q_rows), "utf-8")
    second.write_text("".join(json.dumps(r) + "\n" for r in other_rows), "utf-8")
    pipe = FakePipeline({
        "Quand le débat ?": _Answer(long_answer, False, 0.85, (_Citation(gold),)),
        "Et à quelle heure ?": _Answer("À 11 heures.", False, 0.75, (_Citation(gold),)),
        "asdf qwer": _Answer("Je ne trouve pas.", True, 0.05),
        "Qui signe ?": _Answer("Le 16 novembre.", False, 0.65, (_Citation(title),)),
    })
    questions = load_questions(first) + load_questions(second)
    out = tmp_path / "out"
    args = argparse.Namespace(out=out, composer=None, check=False)
    assert run_answer_eval(pipe, questions, args) == 0

    assert pipe.histories == {"Et à quelle heure ?": [  # as the chat endpoint passes it
        ("user", "Quand le débat ?"), ("assistant", "Le 16 novembre.")]}
    report = (out / "report.md").read_text("utf-8")
    for heading in ("## Answers by file", "## Answers by question type",
                    "## Answers by category", "### tune_qa by category", "## Calibration"):
        assert heading in report
    assert "| dev_qa | 2 |" in report and "| tune_qa | 2 |" in report
    assert "| gibberish | 1 |" in report and "| multi_part | 1 |" in report
    assert "abstention_offtopic" in report and "noncontent_only" in report
    assert "[0.8, 0.9) | 1 | 0.850 | 1.000 |" in report
    assert long_answer in report  # a1 misses a fact: listed with its full answer
    assert "## Imperfect answers (3)" in report
    assert "ECE" in report and (out / "reliability.png").stat().st_size > 1000
    assert (out / "confidence_hist.png").stat().st_size > 1000

    rows = {r["id"]: r for r in map(json.loads,
                                         (out / "results.jsonl").read_text("utf-8").splitlines())}
    assert rows["a1"]["answer"] == long_answer and rows["a1"]["right"] is True
    assert rows["a2"]["right"] is False and rows["a2"]["category"] == "multi_part"
    assert rows["b1"]["right"] is True and rows["b1"]["category"] == "gibberish"
    assert rows["b2"]["cited_roles"] == ["title"] and rows["b2"]["noncontent_only"] is True
    assert rows["b2"]["right"] is False  # the title holds no gold quote
    assert rows["b2"]["split"] == "tune_qa"


def test_a_pipeline_without_history_still_answers_follow_ups(capsys):
    from eval.harness import accepts_history, run_questions

    class OldPipeline:
        def ask(self, question, k=None, documents=None, composer=None):
            return _Answer("Le 16 novembre.", False, 0.9, (_Citation(_Passage("p", GOLD)),))

        def search(self, query, k=10):
            return []

    follow_up = GoldQuestion(id="f", lang="fr", type="factoid", question="Et quand ?",
                             gold_quotes=Q.gold_quotes, answer_facts=(("16 novembre",),),
                             history=(("user", "Le débat ?"), ("assistant", "Oui.")))
    assert not accepts_history(OldPipeline()) and accepts_history(FakePipeline({}))
    [outcome] = run_questions(OldPipeline(), [follow_up], None)
    assert outcome.right and outcome.cited_roles == ("body",)
    assert "without their history" in capsys.readouterr().err
