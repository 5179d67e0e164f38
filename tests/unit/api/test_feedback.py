"""Evaluators' feedback (issue 25, point 5): the append-only store, ``POST /v1/feedback``,
its counter in ``/metrics``, and ``rag feedback`` (counts, export as draft gold questions
that ``rag eval validate`` reads). Only the last test needs the session index."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from eval.check_gold import validate_files
from eval.dataset import TYPES
from rag import cli
from rag.feedback import (
    FeedbackFull,
    FeedbackLog,
    FeedbackTooLarge,
    append_feedback,
    draft_gold_item,
    draft_gold_items,
    latest_per_answer,
    read_feedback,
    summarize,
)
from rag.records import FeedbackOptions
from rag.settings import Settings, get_settings
from tests.conftest import SEEDS

KEY = "feedback-test-key-0123456789"


def record(verdict: str = "up", **extra) -> dict:
    return {"verdict": verdict, "question": "Où l’OTSC a-t-elle tenu ses consultations ?",
            "answer": "À Moscou [1].", "citations": [], **extra}


# -- the store --------------------------------------------------------------------------

def test_appends_one_line_each_and_never_rewrites_earlier_lines(tmp_path):
    options = FeedbackOptions(tmp_path / "fb")
    first = append_feedback(options, record("up", comment="bien"))
    before = options.path.read_bytes()
    second = append_feedback(options, record("down", id="forged", received="forged"))
    after = options.path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 2
    lines = [json.loads(x) for x in after.decode().splitlines()]
    assert lines == [first, second]
    assert first["id"] != second["id"] and second["id"] != "forged"
    assert list(second)[:2] == ["id", "received"] and second["received"].endswith("Z")
    assert "Où l’OTSC" in after.decode()  # stored as UTF-8, not escaped
    with pytest.raises(ValueError):
        append_feedback(options, record("meh"))
    assert options.path.read_bytes() == after


def test_the_file_cap_refuses_the_append_that_would_pass_it(tmp_path):
    options = FeedbackOptions(tmp_path, max_bytes=2000)
    stored = 0
    with pytest.raises(FeedbackFull, match="rag feedback export"):
        for _ in range(100):
            append_feedback(options, record(comment="x" * 300))
            stored += 1
    size = options.path.stat().st_size
    assert 0 < stored < 100 and size <= 2000
    assert len(read_feedback(options.path).records) == stored
    with pytest.raises(FeedbackFull):  # still full: nothing written
        append_feedback(options, record(comment="x" * 300))
    assert options.path.stat().st_size == size


def test_the_record_cap_refuses_one_large_record_and_writes_nothing(tmp_path):
    options = FeedbackOptions(tmp_path, max_record_bytes=1024)
    append_feedback(options, record(comment="court"))
    size = options.path.stat().st_size
    with pytest.raises(FeedbackTooLarge, match="limit is 1024"):
        append_feedback(options, record(answer="é" * 600))  # 1200 bytes of UTF-8
    assert options.path.stat().st_size == size


def _append_many(folder: str, worker: int, count: int, max_bytes: int) -> int:
    options = FeedbackOptions(Path(folder), max_bytes=max_bytes)
    done = 0
    for n in range(count):
        try:
            append_feedback(options, record(comment=f"{worker}-{n} " + "é" * (50 + 40 * n % 7)))
            done += 1
        except FeedbackFull:
            pass
    return done


def test_concurrent_appends_from_threads_keep_every_line_whole(tmp_path):
    done: list[int] = []
    threads = [threading.Thread(target=lambda w=w: done.append(
        _append_many(str(tmp_path), w, 60, 10**8))) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = read_feedback(FeedbackOptions(tmp_path).path)
    assert sum(done) == 480 and log.skipped == 0 and len(log.records) == 480
    assert len({r["id"] for r in log.records}) == 480
    assert sorted(r["comment"].split()[0] for r in log.records) == sorted(
        f"{w}-{n}" for w in range(8) for n in range(60))


def test_concurrent_appends_from_processes_hold_the_cap(tmp_path):
    """Server workers are processes: the cap is checked under the lock, so two appends never
    both pass it."""
    cap = 40_000
    with multiprocessing.get_context("fork").Pool(4) as pool:
        done = pool.starmap(_append_many, [(str(tmp_path), w, 80, cap) for w in range(4)])
    path = FeedbackOptions(tmp_path).path
    log = read_feedback(path)
    assert 0 < sum(done) < 320 and len(log.records) == sum(done) and log.skipped == 0
    assert cap - 400 < path.stat().st_size <= cap


def test_a_line_cut_short_by_a_crash_is_skipped_and_the_next_record_starts_afresh(tmp_path):
    options = FeedbackOptions(tmp_path)
    append_feedback(options, record("up"))
    with options.path.open("ab") as f:
        f.write(b'{"id": "half", "verdict": "do')  # a crash in the middle of a write
    log = read_feedback(options.path)
    assert [r["verdict"] for r in log.records] == ["up"] and log.skipped == 1
    append_feedback(options, record("down"))
    log = read_feedback(options.path)
    assert [r["verdict"] for r in log.records] == ["up", "down"] and log.skipped == 1
    with options.path.open("ab") as f:
        f.write(b"\xff\xfe not json\n[1, 2]\n\n")
    assert read_feedback(options.path).skipped == 3
    assert read_feedback(tmp_path / "none.jsonl").records == []


def test_a_later_verdict_on_the_same_answer_replaces_the_earlier_one():
    records = [{**record("up", answer_id="a1"), "received": "2026-01-01T10:00:00.000Z"},
               {**record("down", answer_id="a2", comment="faux"),
                "received": "2026-01-01T10:01:00.000Z"},
               {**record("down"), "received": "2026-01-01T10:02:00.000Z"},
               {**record("down", answer_id="a1", comment="non"),
                "received": "2026-01-01T10:03:00.000Z"}]
    latest = latest_per_answer(records)
    assert [(r.get("answer_id"), r["verdict"]) for r in latest] == [
        ("a2", "down"), (None, "down"), ("a1", "down")]
    counts = summarize(FeedbackLog(records, skipped=2))
    assert counts == {"records": 4, "answers": 3, "up": 0, "down": 3, "with_comment": 2,
                      "skipped_lines": 2, "first": "2026-01-01T10:00:00.000Z",
                      "last": "2026-01-01T10:03:00.000Z"}


# -- draft gold questions -------------------------------------------------------------

@pytest.fixture(scope="module")
def cited(corpus, passages) -> list[dict]:
    """Two citations of real seed passages, as the service stores them."""
    out = []
    for doc_id in sorted(passages)[:2]:
        p = next(p for p in passages[doc_id] if p.kind == "paragraph" and len(p.text) > 80)
        out.append({"marker": len(out) + 1, "passage_id": p.id, "reference": "ref",
                    "quote": p.text.split(". ")[0], "doc_id": doc_id,
                    "file": corpus[doc_id].meta.file})
    return out


def test_drafts_follow_the_verdict(cited):
    up = draft_gold_item({**record("up", kind="comparison", language="fr", citations=cited),
                          "id": "0123456789abcdef"})
    assert up["id"] == "fb-0123456789ab" and up["type"] == "multi_doc"
    assert up["doc"] == [c["file"] for c in cited]
    assert up["gold_quotes"] == [c["quote"] for c in cited] and up["answer_facts"] == []
    assert up["draft"]["verdict"] == "up" and up["draft"]["answer"] == "À Moscou [1]."
    assert any("answer_facts" in step for step in up["draft"]["todo"])
    none = draft_gold_item(record("up", abstained=True, citations=cited))
    assert none["type"] == "unanswerable" and none["doc"] == none["gold_quotes"] == []
    down = draft_gold_item(record("down", comment="Il manque la date", citations=cited))
    assert down["doc"] == down["gold_quotes"] == [] and "Il manque la date" in down["notes"]
    assert down["draft"]["citations"] == cited and "judged wrong" in down["draft"]["todo"][0]
    en = draft_gold_item({**record("up"), "question": "Where did the CSTO meet the UN?"})
    assert en["lang"] == "en" and en["type"] in TYPES
    follow = draft_gold_item(record("up", question="Et en 2019 ?", resolved_question="Où "
                                    "en 2019 ?", history=[{"role": "user", "content": "Où ?"},
                                                          {"role": "assistant", "content": "Là"}]))
    assert follow["turns"][-1] == {"role": "assistant", "content": "Là"}
    assert follow["rewrite"] == "Où en 2019 ?"
    assert [d["draft"]["verdict"] for d in draft_gold_items(
        [record("up", answer_id="x"), record("down", answer_id="x"), record("up")],
        "down")] == ["down"]


@pytest.fixture()
def settings_at(tmp_path, monkeypatch):
    """``rag`` reads RAG_INDEX_ROOT=tmp_path (no index there: none is needed)."""
    monkeypatch.setenv("RAG_INDEX_ROOT", str(tmp_path))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_export_writes_drafts_that_validate_once_a_person_completes_them(settings_at, cited,
                                                                         tmp_path, capsys):
    options = settings_at.feedback_options()
    append_feedback(options, record("up", citations=cited, answer_id="a1", kind="factoid"))
    append_feedback(options, record("up", abstained=True, answer_id="a2",
                                    answer="Les documents ne le disent pas."))
    append_feedback(options, record("down", citations=cited, comment="Mauvaise année",
                                    answer_id="a3"))
    out = tmp_path / "drafts.jsonl"
    assert cli.main(["feedback", "export", "--out", str(out)]) == 0
    assert "3 draft gold question(s)" in capsys.readouterr().err
    rows = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [r["draft"]["verdict"] for r in rows] == ["up", "up", "down"]
    questions, problems = validate_files([out], SEEDS)
    assert len(questions) == 3  # every row reads as a gold question
    by_id: dict[str, list[str]] = {}
    for p in problems:
        qid, _, message = p.message.partition(": ")
        by_id.setdefault(qid, []).append(message)
    up, none, down = (r["id"] for r in rows)
    # what is left is the draft's own list, then the 'draft' field; the quotes were found
    assert by_id[up] == [f"draft: {s}" for s in rows[0]["draft"]["todo"]] + [
        "draft: once checked, delete its 'draft' field"]
    assert by_id[none] == [f"draft: {s}" for s in rows[1]["draft"]["todo"]] + [
        "draft: once checked, delete its 'draft' field"]
    assert any("unanswerable questions (only)" in m for m in by_id[down])
    # a person fills in the facts and deletes 'draft': a valid gold question
    done = {k: v for k, v in rows[0].items() if k != "draft"}
    done["answer_facts"] = [["Moscou", "Moscow"]]
    out.write_text(json.dumps(done, ensure_ascii=False) + "\n" + json.dumps(
        {k: v for k, v in rows[1].items() if k != "draft"}, ensure_ascii=False) + "\n", "utf-8")
    assert validate_files([out], SEEDS)[1] == []
    # --verdict, and stdout
    assert cli.main(["feedback", "export", "--verdict", "down"]) == 0
    printed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["draft"]["comment"] for r in printed] == ["Mauvaise année"]


def test_feedback_summary_counts(settings_at, capsys):
    options = settings_at.feedback_options()
    for verdict, answer_id in (("up", "a"), ("down", "a"), ("down", "b"), ("up", "c")):
        append_feedback(options, record(verdict, answer_id=answer_id))
    assert cli.main(["feedback"]) == 0
    text = capsys.readouterr().out
    assert "4 record(s) on 3 answer(s): 1 👍, 2 👎" in text
    assert cli.main(["feedback", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["records"], counts["up"], counts["down"]) == (4, 1, 2)


# -- POST /v1/feedback and /metrics ------------------------------------------------------

def body(**extra) -> dict:
    return {"verdict": "down", "question": "Où l’OTSC a-t-elle tenu ses consultations ?",
            "answer": "À Genève [1].", "comment": "C’était à Moscou.",
            "citations": [{"marker": 1, "passage_id": "004_x#p40", "reference": "A/75/345, "
                           "par. 40", "quote": "À Genève.", "text": "ignored", "document": {}}],
            "answer_id": "t1-abc", "language": "fr", "kind": "factoid", **extra}


def served(tmp_path, **settings) -> TestClient:
    """The app over an index root without an index (feedback needs none), addressed as
    127.0.0.1 (a name that changes are accepted under without a key)."""
    app = create_app(Settings(index_root=tmp_path, seeds_dir=SEEDS, reload_poll_seconds=0,
                              **settings))
    return TestClient(app, base_url="http://127.0.0.1")


def error_code(response) -> str:
    data = response.json()
    assert set(data) == {"error"}
    return data["error"]["code"]


def test_feedback_is_stored_and_counted(tmp_path):
    with served(tmp_path) as client:
        r = client.post("/v1/feedback", json=body())
        assert r.status_code == 201, r.text
        receipt = r.json()
        assert receipt["verdict"] == "down" and receipt["answer_id"] == "t1-abc"
        assert client.post("/v1/feedback", json=body(verdict="up", comment=None,
                                                     answer_id=None)).status_code == 201
        metrics = client.get("/metrics").text
    [first, second] = read_feedback(tmp_path / "feedback" / "feedback.jsonl").records
    assert first["id"] == receipt["id"] and first["received"] == receipt["received"]
    assert first["comment"] == "C’était à Moscou." and first["request_id"]
    assert first["citations"] == [{"marker": 1, "passage_id": "004_x#p40",
                                   "reference": "A/75/345, par. 40", "quote": "À Genève.",
                                   "doc_id": None, "file": None}]  # no index: no file
    assert second["verdict"] == "up" and second["comment"] is None
    assert 'unrag_feedback_total{verdict="down"} 1.0' in metrics
    assert 'unrag_feedback_total{verdict="up"} 1.0' in metrics


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"verdict": "meh"}, 422, "invalid_request"),
    ({"verdict": None}, 422, "invalid_request"),
    ({"question": None}, 422, "invalid_request"),
    ({"comment": "x" * 2001}, 422, "invalid_request"),
    ({"surprise": 1}, 422, "invalid_request"),
    ({"answer_id": "a b"}, 422, "invalid_request"),
    ({"citations": [{"quote": "sans passage"}]}, 422, "invalid_request"),
    ({"confidence": 2}, 422, "invalid_request"),
    ({"history": [{"role": "system", "content": "x"}]}, 422, "invalid_request"),
    ({"question": "  \u0000 "}, 400, "empty_question"),
    ({"question": "x" * 2001}, 413, "question_too_long"),
])
def test_bad_feedback_gets_a_json_error_and_stores_nothing(tmp_path, change, status, code):
    data = {k: v for k, v in body(**change).items() if v is not None}
    with served(tmp_path) as client:
        r = client.post("/v1/feedback", json=data)
        assert r.status_code == status and error_code(r) == code, r.text
        assert 'unrag_feedback_total{verdict="down"} 0.0' in client.get("/metrics").text
    assert not (tmp_path / "feedback" / "feedback.jsonl").exists()


def test_feedback_needs_the_key_when_one_is_set_and_refuses_cross_site(tmp_path):
    with served(tmp_path, api_key=KEY) as client:
        r = client.post("/v1/feedback", json=body())
        assert r.status_code == 401 and error_code(r) == "unauthorized"
        r = client.post("/v1/feedback", json=body(), headers={
            "Authorization": f"Bearer {KEY}", "Origin": "https://evil.example"})
        assert r.status_code == 403 and error_code(r) == "cross_site"
        r = client.post("/v1/feedback", json=body(), headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 201
    assert len(read_feedback(tmp_path / "feedback" / "feedback.jsonl").records) == 1


def test_a_full_feedback_file_answers_507_and_an_oversized_record_413(tmp_path):
    with served(tmp_path, feedback_max_bytes=2048, feedback_max_record_bytes=1024) as client:
        assert client.post("/v1/feedback", json=body()).status_code == 201
        r = client.post("/v1/feedback", json=body(answer="é" * 700))
        assert r.status_code == 413 and error_code(r) == "feedback_too_large"
        statuses = [client.post("/v1/feedback", json=body(comment="c" * 400)).status_code
                    for _ in range(6)]
        assert statuses[0] == 201 and statuses[-1] == 507
        r = client.post("/v1/feedback", json=body())
        assert r.status_code == 507 and error_code(r) == "feedback_full"
        assert "RAG_FEEDBACK_MAX_BYTES" in r.json()["error"]["message"]
        assert str(tmp_path) not in r.text
        metrics = client.get("/metrics").text
    stored = read_feedback(tmp_path / "feedback" / "feedback.jsonl").records
    assert f'unrag_feedback_total{{verdict="down"}} {float(len(stored))}' in metrics
    assert (tmp_path / "feedback" / "feedback.jsonl").stat().st_size <= 2048


# -- with the session index: a real answer judged, exported, validated ----------------
