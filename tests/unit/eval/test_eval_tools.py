"""Evaluation tooling on made-up questions and a fake pipeline: multi-turn gold items, the
run header, intervals and per-document tables, warm-up latency, results.jsonl, gold file
validation, ``rag eval compare`` and ``rag eval export`` through the command line."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.answer_metrics import RATE_METRICS, AnswerOutcome, summarize_answers
from eval.check_gold import GoldFileError, validate_files
from eval.compare import compare_runs, comparison_markdown
from eval.dataset import EVAL_DIR, GoldQuestion, load_questions, parse_question
from eval.harness import run_answer_eval, run_questions
from eval.results import load_run
from eval.run_info import git_commit, header_markdown, settings_diff
from eval.tables import NO_DOCUMENT, answer_table, by_document, rate
from eval.validate import load_validated
from rag import cli
from rag.settings import Settings

CI_CELL = re.compile(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] n=\d+")
D3 = "003_d91f5d29b2b0ca38.txt"
QUOTE = "le Secrétaire général de l’Organisation de Shanghai pour la coopération, Rachid Alimov"


# ---------------------------------------------------------------- fakes


@dataclass
class _Passage:
    id: str
    text: str
    doc_id: str = "003_d91f5d29b2b0ca38"
    role: str = "body"


@dataclass
class _Citation:
    passage: _Passage


@dataclass
class _Hit:
    passage: _Passage


@dataclass
class _Answer:
    text: str
    abstained: bool
    confidence: float
    citations: tuple[_Citation, ...] = ()
    hits: tuple[_Hit, ...] = ()


GOLD = _Passage("003#p20", f"Le débat… {QUOTE} et le Vice-Président…")
OTHER = _Passage("003#p3", "Un autre passage du document russe.")


class FakePipeline:
    """Answers every question the same way; records what ``ask`` was given."""

    def __init__(self, answer: _Answer | None = None) -> None:
        self.settings = Settings(top_k=7, llm_api_key="sk-not-a-real-key")
        self.answer = answer or _Answer("Rachid Alimov [1].", False, 0.8, (_Citation(GOLD),),
                                        (_Hit(OTHER), _Hit(GOLD)))
        self.calls: list[tuple[str, object]] = []

    def ask(self, question, k=None, documents=None, composer=None, history=None):
        self.calls.append((question, history))
        return self.answer

    def search(self, query, k=10):
        return list(self.answer.hits)


def _row(**kw: object) -> dict:
    row = {"id": "x1", "lang": "fr", "type": "factoid", "category": "factoid",
           "question": "Et pour l’Organisation de Shanghai ?", "doc": [D3],
           "gold_quotes": [QUOTE], "answer_facts": [["Rachid Alimov"]]}
    row.update(kw)
    return {k: v for k, v in row.items() if v is not None}


def _write(path: Path, *rows: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))
                            + "\n" for r in rows), "utf-8")
    return path


# ---------------------------------------------------------------- multi-turn gold items


def test_turns_is_the_multi_turn_field_and_history_its_older_name():
    turns = [{"role": "user", "content": "Qui pour l’OTSC ?"},
             {"role": "assistant", "content": "Nikolaï Bordiouja."}]
    q = parse_question(_row(turns=turns))
    assert q.history == (("user", "Qui pour l’OTSC ?"), ("assistant", "Nikolaï Bordiouja."))
    assert "turns" not in q.extra
    assert parse_question(_row(history=turns)).history == q.history
    with pytest.raises(ValueError, match="'turns' or 'history', not both"):
        parse_question(_row(turns=turns, history=turns))


def test_dev_chat_file_holds_each_kind_of_follow_up():
    questions = load_validated([EVAL_DIR / "dev_chat_qa.jsonl"])
    assert 5 <= len(questions) <= 8 and all(q.history for q in questions)
    kinds = [q.notes.split(";")[0].split("(")[0] for q in questions]
    for kind in ("pronoun", "ellipsis", "switch of document"):
        assert sum(kind in k for k in kinds) >= 2, kind
    assert any(not q.answerable for q in questions)
    assert {q.lang for q in questions} == {"fr", "en"}


def test_follow_ups_reach_the_pipeline_as_the_chat_endpoint_sends_them():
    turns = []
    for i in range(5):  # ten earlier turns: the endpoint keeps the last eight
        turns += [{"role": "user", "content": f"question {i}\x07  avec   espaces"},
                  {"role": "assistant", "content": f"réponse {i}"}]
    follow_up = parse_question(_row(turns=turns, question="Et\x00 pour  la CEI ?"))
    standalone = parse_question(_row(id="x2"))
    pipe = FakePipeline()
    run_questions(pipe, [follow_up, standalone], None)
    (asked, history), (plain, no_history) = pipe.calls
    assert asked == "Et pour la CEI ?" and plain == standalone.question
    assert no_history is None
    assert len(history) == 8 and history[0] == ("user", "question 1 avec espaces")
    assert history[-1] == ("assistant", "réponse 4")


# ---------------------------------------------------------------- metrics, tables, header


def _outcome(q: GoldQuestion, answer: str, abstained: bool, cited: tuple[_Passage, ...],
             latency: float = 10.0, warmup: bool = False) -> AnswerOutcome:
    return AnswerOutcome(q, answer, abstained, 0.5, tuple(p.text for p in cited),
                         tuple(p.id for p in cited), tuple(p.doc_id for p in cited), None,
                         latency, tuple(p.role for p in cited), warmup=warmup)


A = parse_question(_row(id="a", answer_facts=[["Rachid Alimov"], ["2010"]]))
M = parse_question(_row(id="m", type="multi_doc", category="multi_doc",
                        doc=[D3, "001_72201535bd96dd17.txt"]))
U = parse_question(_row(id="u", type="unanswerable", category="greeting", doc=[],
                        gold_quotes=[], answer_facts=[]))
OUTCOMES = [
    _outcome(A, "Rachid Alimov", False, (GOLD, OTHER), 50.0, warmup=True),
    _outcome(A, "Personne", False, (OTHER,), 20.0),
    _outcome(M, "Rachid Alimov", False, (GOLD, _Passage("001#p1", "x", "001_7220"))),
    _outcome(M, "", True, ()),
    _outcome(U, "Bonjour !", True, (), 30.0),
    _outcome(U, "Une réponse", False, (OTHER,), 40.0),
]


def test_rate_metrics_agree_with_the_summary():
    summary = summarize_answers(OUTCOMES)
    for metric in RATE_METRICS:
        value, ci, n = rate(OUTCOMES, metric)
        if summary[metric] is None:
            assert (value, ci, n) == (None, None, 0)
        else:
            assert value == pytest.approx(summary[metric]), metric
            assert ci[0] - 1e-9 <= value <= ci[1] + 1e-9 and n > 0
    assert rate(OUTCOMES, "citation_precision")[2] == 3  # answered answerable questions
    assert rate(OUTCOMES, "documents_covered")[2] == 2


def test_latency_leaves_the_warm_up_out():
    summary = summarize_answers(OUTCOMES)
    assert summary["latency_p50_ms"] == pytest.approx(20.0)  # 50 ms warm-up left out
    assert summarize_answers(OUTCOMES[:1])["latency_p50_ms"] is None
    flags = [o.warmup for o in run_questions(FakePipeline(), [A, M, U, A], None, warmup=2)]
    assert flags == [True, True, False, False]


def test_document_groups_and_table_cells():
    groups = by_document(OUTCOMES, {D3: "003 (russe)"})
    assert list(groups) == ["001_72201535bd96dd17.txt", "003 (russe)", NO_DOCUMENT, "all"]
    assert len(groups["003 (russe)"]) == 4 and len(groups[NO_DOCUMENT]) == 2
    table = answer_table(groups, "document")
    row = next(line for line in table.splitlines() if line.startswith("| 003 (russe) |"))
    assert CI_CELL.search(row) and "n=4" in row
    assert "| (none) | 2 |" in table


def test_settings_diff_and_commit():
    changed = settings_diff(Settings(top_k=7, llm_api_key="sk-secret-value"))
    assert changed["top_k"] == "7" and changed["llm_api_key"] == "(set)"
    assert "sk-secret-value" not in json.dumps(changed)
    assert settings_diff(argparse.Namespace(top_k=7)) is None
    assert re.fullmatch(r"[0-9a-f]{40}( \+ uncommitted changes)?", git_commit())
    assert git_commit(Path("/")) == "unknown"
    text = header_markdown({"date": "d", "commit": "unknown", "composer": "extractive",
                            "model": "m", "settings": {}, "index": {}, "warmup_questions": 3})
    assert "- commit: `unknown`" in text and "all defaults" in text and "- index: unknown" in text


def test_report_results_and_run_json(tmp_path):
    long_answer = "Rachid Alimov. " + "Une phrase de plus, sans coupure. " * 20 + "FIN"
    pipe = FakePipeline(_Answer(long_answer, False, 0.7, (_Citation(OTHER),),
                                (_Hit(GOLD), _Hit(OTHER))))
    questions = load_questions(_write(tmp_path / "mini_qa.jsonl", _row(id="r1"), _row(
        id="r2", turns=[{"role": "user", "content": "Qui pour l’OTSC ?"},
                        {"role": "assistant", "content": "Nikolaï Bordiouja."}])))
    out = tmp_path / "run"
    assert run_answer_eval(pipe, questions, argparse.Namespace(
        out=out, composer=None, check=False, warmup=1)) == 0
    report = (out / "report.md").read_text("utf-8")
    for part in ("- date: ", "- commit: `", "- composer: `extractive`",
                 "`top_k=7`", "`llm_api_key=(set)`", "## Answers by document",
                 "## Retrieval by document", "## Latency", "Warm-up questions", "r1 "):
        assert part in report, part
    assert "sk-not-a-real-key" not in report
    assert CI_CELL.search(report) and long_answer in report  # whole answer, not cut
    info = json.loads((out / "run.json").read_text("utf-8"))
    assert info["settings"]["top_k"] == "7" and info["questions"] == 2
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]
    assert [r["warmup"] for r in rows] == [True, False]
    assert rows[0]["answer"] == long_answer
    assert rows[0]["context_ids"] == [GOLD.id, OTHER.id]
    assert rows[0]["contexts"] == [GOLD.text, OTHER.text]
    assert rows[0]["gold_quotes"] == [QUOTE] and rows[0]["answer_facts"] == [["Rachid Alimov"]]
    assert rows[1]["history"][0] == {"role": "user", "content": "Qui pour l’OTSC ?"}

    ragas = tmp_path / "ragas.jsonl"
    assert cli.main(["eval", "export", str(out), "--format", "ragas", "--out", str(ragas)]) == 0
    assert json.loads(ragas.read_text("utf-8").splitlines()[0])["response"] == long_answer


# ---------------------------------------------------------------- validation


def test_validation_names_file_and_line(tmp_path):
    first = _write(tmp_path / "a_qa.jsonl", _row(id="ok1"), _row(id="t", type="trivia"),
                   _row(id="m", question=None), _row(id="w", gold_quotes="une citation"),
                   _row(id="q", gold_quotes=["une citation qui ne figure dans aucun document"]),
                   "{not json", _row(id="ok1"))
    second = _write(tmp_path / "b_qa.jsonl", _row(id="t2", category="riddle"), _row(id="ok1"))
    questions, problems = validate_files([first, second])
    text = [str(p) for p in problems]
    assert f"{first}:2: t: not a gold question (unknown type 'trivia'" in text[0]
    assert any(t.startswith(f"{first}:3: m: not a gold question (missing field(s) question")
               for t in text)
    assert any(t.startswith(f"{first}:4: w: ") and "'gold_quotes' must be a list" in t
               for t in text)
    assert any(t.startswith(f"{first}:5: q: gold quote found nowhere") for t in text)
    assert any(t.startswith(f"{first}:6: invalid JSON") for t in text)
    assert f"{first}:7: ok1: duplicate id (first at {first}:1)" in text
    assert f"{second}:2: ok1: duplicate id (first at {first}:1)" in text
    assert any(t.startswith(f"{second}:1: t2: ") and "unknown category 'riddle'" in t
               for t in text)
    assert len(problems) == 8 and [q.id for q in questions] == ["ok1", "q", "ok1", "ok1"]
    with pytest.raises(GoldFileError, match="8 problem"):
        load_validated([first, second])


def test_rag_eval_refuses_bad_gold_files_without_a_traceback(tmp_path, capsys):
    bad = _write(tmp_path / "bad_qa.jsonl", _row(), _row(type="trivia", id="x9"))
    assert cli.main(["eval", "--qa", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: 1 problem(s)") and f"{bad}:2: x9:" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    assert cli.main(["eval", "validate", str(bad)]) == 1
    assert f"{bad}:2: x9: not a gold question" in capsys.readouterr().out
    assert cli.main(["eval", "validate", str(EVAL_DIR / "dev_chat_qa.jsonl")]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


# ---------------------------------------------------------------- compare


def _result(qid: str, right: bool, rank: int | None, coverage: float | None = 1.0,
            answer: str = "réponse", **kw: object) -> dict:
    row = {"id": qid, "split": "dev_qa", "type": "factoid", "question": f"Question {qid} ?",
           "answerable": True, "answer": answer, "abstained": False, "right": right,
           "confidence": 0.5, "fact_coverage": coverage, "first_relevant_rank": rank,
           "cited_relevant": [right], "citations": ["p"], "latency_ms": 10.0,
           "warmup": False}
    row.update(kw)
    return row


def _results(folder: Path, rows: list[dict], info: dict | None = None) -> Path:
    folder.mkdir()
    _write(folder / "results.jsonl", *rows)
    if info:
        (folder / "run.json").write_text(json.dumps(info), "utf-8")
    return folder


def test_compare_counts_flips_and_tests_them(tmp_path):
    a_rows = [_result(f"q{i}", True, 1) for i in range(10)] + [
        _result("u1", True, None, None, "Pas de réponse.", type="unanswerable",
                answerable=False, cited_relevant=[]),
        _result("gone", True, 1)]
    b_rows = [_result(f"q{i}", i >= 8, 1 if i >= 8 else 7, 0.5 if i < 8 else 1.0,
                      "Une autre réponse.\nSur deux lignes." if i == 0 else "réponse")
              for i in range(10)] + [
        _result("u1", True, None, None, "Pas de réponse.", type="unanswerable",
                answerable=False, cited_relevant=[], latency_ms=500.0, warmup=True),
        _result("new", True, 1)]
    a = _results(tmp_path / "a", a_rows, {"commit": "abc123", "date": "d", "composer": "x"})
    b = _results(tmp_path / "b", b_rows)
    cmp = compare_runs(load_run(a), load_run(b / "results.jsonl"))
    assert cmp.only_a == ("dev_qa:gone",) and cmp.only_b == ("dev_qa:new",)
    right = next(c for c in cmp.binary if c.metric == "right")
    assert right.n == 11 and len(right.pass_to_fail) == 8 and not right.fail_to_pass
    assert right.p_value == pytest.approx(2 / 2 ** 8)
    hit1 = next(c for c in cmp.binary if c.metric == "hit@1")
    assert hit1.n == 10 and len(hit1.pass_to_fail) == 8  # the unanswerable one left out
    assert next(c for c in cmp.binary if c.metric == "hit@5").pass_to_fail == hit1.pass_to_fail
    coverage = next(c for c in cmp.continuous if c.metric == "fact_coverage")
    assert coverage.n == 10 and coverage.mean_difference == pytest.approx(-0.4)
    assert coverage.down == 8 and coverage.up == 0 and coverage.p_value < 0.01
    assert coverage.ci[1] < 0
    latency = next(c for c in cmp.continuous if c.metric == "latency_ms")
    assert latency.n == 10  # the warm-up question is left out
    assert len(cmp.changed) == 8

    text = comparison_markdown(cmp)
    assert "commit `abc123`" in text and "(no run.json)" in text
    assert "### right: pass → fail (8)" in text and "- dev_qa:q0: Question q0 ?" in text
    assert "| right | 11 | 11 | 3 | 8 | 0 | 0.00781 |" in text
    assert "| dev_qa:q0 | True → False |" in text
    assert "  - B: Une autre réponse.\n    Sur deux lignes." in text


def test_compare_from_the_command_line(tmp_path, capsys):
    a = _results(tmp_path / "a", [_result("q1", True, 1)])
    b = _results(tmp_path / "b", [_result("q1", False, 3, 0.0)])
    assert cli.main(["eval", "compare", str(a), str(b)]) == 0
    assert "### right: pass → fail (1)" in capsys.readouterr().out
    out = tmp_path / "cmp.md"
    assert cli.main(["eval", "compare", str(a), str(b), "--out", str(out)]) == 0
    assert "# Comparison of two evaluation runs" in out.read_text("utf-8")
    assert cli.main(["eval", "compare", str(a)]) == 2
    assert "takes two runs" in capsys.readouterr().err
    assert cli.main(["eval", "compare", str(a), str(tmp_path / "missing")]) == 2
    assert "no results.jsonl" in capsys.readouterr().err


def test_follow_up_lines_compare_the_last_turn_with_its_rewrite():
    from eval.answer_metrics import AnswerOutcome
    from eval.dataset import GoldQuestion
    from eval.report import follow_up_lines

    turns = (("user", "Où ?"), ("assistant", "À Moscou [1]."))
    asked = GoldQuestion("c1", "fr", "factoid", "Et en 2019 ?", answer_facts=(("Minsk",),),
                         gold_quotes=("à Minsk",),
                         history=turns, split="chat", rewrite="Où en 2019 ?")
    unanswerable = GoldQuestion("c2", "fr", "unanswerable", "Et en 2030 ?", history=turns,
                                split="chat", rewrite="Où en 2030 ?")
    alone = GoldQuestion("q1", "fr", "factoid", "Où ?", answer_facts=(("Moscou",),),
                         gold_quotes=("à Moscou",),
                         split="chat")
    outcomes = [
        AnswerOutcome(asked, "Je ne sais pas.", False, 0.5, (), (), (), None, 1.0,
                      rewrite_fact_coverage=1.0),
        AnswerOutcome(unanswerable, "Le document ne couvre pas 2030.", True, 0.0, (), (), (),
                      None, 1.0),
        AnswerOutcome(alone, "À Moscou [1].", False, 0.9, (), (), (), None, 1.0),
    ]
    [line] = follow_up_lines(outcomes, ["chat"])
    assert line == ("- chat: 2 follow-ups; fact coverage of the last turn 0.000 against 1.000 "
                    "for the explicit rewrite asked alone (n=1, ratio 0.00); unanswerable "
                    "follow-ups abstained on 1/1")
    assert follow_up_lines(outcomes[2:], ["chat"]) == ["- no multi-turn question"]
