"""The LLM composer against a real model server (llama.cpp serving SmolLM2-135M, see
``tests/support/llm_server.py``), through the CLI and ``/v1/chat/completions`` plain and streamed.
The tiny model writes wrong answers, uncited answers and no markers at all: none of that
may reach a user as a cited answer. Its failures (killed mid-request, too slow) are named
errors within ``RAG_LLM_TIMEOUT`` + 1 s."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.llm_server import available

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

SERVER = Path(__file__).resolve().parents[1] / "support" / "llm_server.py"
ON_TOPIC = ("Dans quelle ville la Secrétaire générale adjointe a-t-elle tenu des consultations "
            "avec l’OTSC en novembre 2018 ?")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen[str], str]:
    """A model server process and its base URL, once it listens."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(SERVER), str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # "ready http://127.0.0.1:PORT"
    assert line.startswith("ready"), line
    return process, f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def model_server():
    process, url = start_server()
    yield url
    stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    process.kill()  # a llama.cpp server may take seconds to stop cleanly: nothing to keep
    process.wait(5)


def llm_settings(built_settings, url: str, **overrides):
    """The test index's settings with the LLM composer on ``url``; one passage per pass
    keep the prompts (and the tiny model's two cores) short."""
    return built_settings.model_copy(update={
        "llm_base_url": url, "llm_model": "smollm2", "llm_timeout": 30.0,
        "llm_max_tokens": 48, "answer_passages": 1, **overrides})


def llm_pipeline(pipeline, settings):
    from rag.pipeline import Pipeline

    return Pipeline.from_parts(settings, pipeline.embedder, pipeline.index, 0.0)


def assert_cited_or_not_an_answer(answer: dict) -> None:
    """The contract: an answer (not abstained) cites, and every marker it shows is a
    citation it returns; a model reply that cites nothing became the extractive answer."""
    if answer["abstained"]:
        assert answer["citations"] == []
        return
    assert answer["citations"], answer
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert markers == {c["marker"] for c in answer["citations"]}, answer
    if answer["composer"] == "extractive":
        assert any("extractive answer is given" in n for n in answer["notes"]), answer


def run_cli(monkeypatch, capsys, pipeline, *argv: str) -> tuple[int, str, str]:
    """``rag …`` in-process, on ``pipeline`` (loading the model again would only cost time)."""
    from rag import cli

    monkeypatch.setattr(cli, "get_settings", lambda: pipeline.settings)
    monkeypatch.setattr(cli, "_pipeline", lambda settings: pipeline)
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_answers_are_cited_or_fall_back(model_server, built_settings, pipeline,
                                            monkeypatch, capsys):
    on_llm = llm_pipeline(pipeline, llm_settings(built_settings, model_server))
    code, out, _ = run_cli(monkeypatch, capsys, on_llm, "ask", "--composer", "llm", "--json",
                           ON_TOPIC)
    assert code == 0
    assert_cited_or_not_an_answer(json.loads(out))


def test_what_the_extractive_composer_declines_never_reaches_the_model(
        model_server, built_settings, pipeline):
    from rag.answer.render import answer_json

    on_llm = llm_pipeline(pipeline, llm_settings(built_settings, model_server))
    for question in ("Bonjour, ça va ?", "Quel était le budget de l’OSCE en 2035 ?"):
        answer = answer_json(on_llm.ask(question, composer="llm"))
        assert answer["abstained"] and answer["citations"] == []
        assert "declined before the model" in answer["notes"]


def test_chat_completions_plain_and_streamed(model_server, built_settings, pipeline):
    from api.main import create_app

    settings = llm_settings(built_settings, model_server)
    with TestClient(create_app(settings, pipeline=llm_pipeline(pipeline, settings))) as client:
        assert "unrag-llm" in [m["id"] for m in client.get("/v1/models").json()["data"]]
        body = {"model": "unrag-llm", "messages": [{"role": "user", "content": ON_TOPIC}]}
        reply = client.post("/v1/chat/completions", json=body)
        assert reply.status_code == 200, reply.text
        data = reply.json()
        content = data["choices"][0]["message"]["content"]
        shown = {int(m) for m in re.findall(r"\[(\d+)\]", content.split("Sources")[0])}
        assert data["abstained"] or data["citations"]
        assert shown <= {c["marker"] for c in data["citations"]}
        streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
        assert streamed.status_code == 200
        events = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks
                       if c["choices"])
        final = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
        shown = {int(m) for m in re.findall(r"\[(\d+)\]", text.split("Sources")[0])}
        assert shown <= {c["marker"] for c in final.get("citations") or []}


def test_a_server_killed_mid_request_is_a_named_error(built_settings, pipeline):
    from api.main import create_app
    from rag.answer import llm

    process, url = start_server()
    settings = llm_settings(built_settings, url, llm_max_tokens=2000, llm_timeout=20.0)
    with TestClient(create_app(settings, pipeline=llm_pipeline(pipeline, settings))) as client:
        body = {"model": "unrag-llm", "messages": [{"role": "user", "content": ON_TOPIC}]}
        threading.Timer(1.5, process.kill).start()
        started = time.monotonic()
        reply = client.post("/v1/chat/completions", json=body)
        elapsed = time.monotonic() - started
        assert reply.status_code in (502, 503), reply.text
        assert reply.json()["error"]["code"] in ("model_server_error", "model_server_unavailable")
        assert elapsed <= settings.llm_timeout + 1
        # and now that it is down: not listed, and /readyz says so
        stop(process)
        llm._probes.clear()
        assert "unrag-llm" not in [m["id"] for m in client.get("/v1/models").json()["data"]]
        ready = client.get("/readyz").json()
        assert any("llm" in n and "does not answer" in n for n in ready["notes"])
        down = client.post("/v1/ask", json={"question": ON_TOPIC, "composer": "llm"})
        assert down.status_code == 503 and down.json()["error"]["code"] == \
            "model_server_unavailable"


def test_the_timeout_is_the_whole_budget(model_server, built_settings, pipeline, monkeypatch,
                                        capsys):
    from rag.errors import ModelServerTimeout

    settings = llm_settings(built_settings, model_server, llm_timeout=0.5, llm_max_tokens=2000,
                            answer_passages=5)
    question = ON_TOPIC + " Expliquez en détail."
    slow = llm_pipeline(pipeline, settings)
    started = time.monotonic()
    with pytest.raises(ModelServerTimeout):
        slow.ask(question, composer="llm")
    assert time.monotonic() - started <= settings.llm_timeout + 1  # no silent retry
    code, out, err = run_cli(monkeypatch, capsys, slow, "ask", "--composer", "llm", "--json",
                             question + " ")  # not the cached answer: the error again
    assert code == 2 and err.startswith("error: The model server")
    assert json.loads(out)["error"]["code"] == "ModelServerTimeout"
