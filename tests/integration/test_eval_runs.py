"""Evaluation tooling on the session index: multi-turn gold items reach ``Pipeline.ask``
exactly as the chat endpoint sends a follow-up, and ``rag eval`` → ``export`` → ``compare``
from the command line."""

from __future__ import annotations

import json

import pytest

from eval.dataset import EVAL_DIR
from eval.harness import run_questions
from eval.validate import load_validated
from rag import cli
from rag.settings import get_settings

CHAT_SET = EVAL_DIR / "dev_chat_qa.jsonl"


def test_follow_ups_are_asked_as_the_chat_endpoint_asks_them(pipeline, built_settings,
                                                              monkeypatch):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from rag.pipeline import Pipeline

    calls: list[tuple[str, list[tuple[str, str]], str]] = []
    original = Pipeline.ask

    def recording_ask(self, question, k=None, documents=None, composer=None, history=None):
        calls.append((question, [(t[0], t[1]) for t in history or ()],
                      composer or self.settings.composer))
        return original(self, question, k, documents, composer, history)

    monkeypatch.setattr(Pipeline, "ask", recording_ask)
    questions = load_validated([CHAT_SET])
    outcomes = run_questions(pipeline, questions, None)
    from_eval = calls[:]
    calls.clear()
    with TestClient(create_app(built_settings, pipeline=pipeline)) as client:
        for q, outcome in zip(questions, outcomes, strict=True):
            messages = [*q.history_turns, {"role": "user", "content": q.question}]
            r = client.post("/v1/chat/completions", json={"messages": messages})
            assert r.status_code == 200, r.text
            assert r.json()["choices"][0]["message"]["content"].startswith(outcome.answer)
    assert len(from_eval) == len(questions) and all(h for _, h, _ in from_eval)
    assert calls == from_eval


@pytest.fixture()
def use_index(built_settings, session_model, monkeypatch):
    """``rag eval`` loads the session index (``Pipeline.load`` as always) with the session
    model, not a model of its own."""
    import rag.pipeline

    monkeypatch.setenv("RAG_INDEX_ROOT", str(built_settings.index_root))
    monkeypatch.setattr(rag.pipeline, "load_embedder", lambda settings: session_model)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_eval_export_and_compare_from_the_command_line(use_index, built_settings, tmp_path,
                                                       capsys):
    run = tmp_path / "run"
    assert cli.main(["eval", "--qa", str(CHAT_SET), "--out", str(run), "--warmup", "2"]) == 0
    report = (run / "report.md").read_text("utf-8")
    info = json.loads((run / "run.json").read_text("utf-8"))
    assert info["index"]["documents"] == 5 and info["index"]["passages"] > 50
    assert info["settings"]["index_root"] == str(built_settings.index_root)
    assert f"{info['index']['documents']} documents" in report and "corpus hash" in report
    assert "(S/2021/297)" in report  # the document table names documents by symbol
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == 7 and [r["warmup"] for r in rows].count(True) == 2
    assert all(r["history"] and r["contexts"] for r in rows)
    assert all(set(r["citations"]) <= set(r["context_ids"]) for r in rows)

    deepeval = tmp_path / "deepeval.json"
    assert cli.main(["eval", "export", str(run), "--format", "deepeval",
                     "--out", str(deepeval)]) == 0
    goldens = json.loads(deepeval.read_text("utf-8"))
    assert [g["name"] for g in goldens] == [r["id"] for r in rows]
    assert [g["actual_output"] for g in goldens] == [r["answer"] for r in rows]

    capsys.readouterr()
    assert cli.main(["eval", "compare", str(run), str(run / "results.jsonl")]) == 0
    text = capsys.readouterr().out
    assert "7 questions in both runs" in text
    assert "## Questions whose outcome or answer changed (0)" in text
