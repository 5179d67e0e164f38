"""The real FastAPI app over the session index: every endpoint, success and errors."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from rag.answer.registry import composer_spec
from rag.settings import Settings

OPTIONAL = {"param", "request_id"}  # error fields beside code and message

QUESTION = "Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des consultations " \
           "avec l'OTSC en novembre 2018 ?"


@pytest.fixture(scope="module")
def client(built_settings, pipeline):
    with TestClient(create_app(built_settings, pipeline=pipeline)) as c:
        yield c


def error_of(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) - OPTIONAL == {"code", "message"}
    return body["error"]["code"]


def test_ask_returns_the_answer_object_and_server_timing(client):
    r = client.post("/v1/ask", json={"question": QUESTION})
    assert r.status_code == 200
    data = r.json()
    assert "Moscou" in data["answer"] and data["citations"][0]["passage_id"].endswith("#p40")
    assert data["citations"][0]["reference"] == "A/75/345-S/2020/898, par. 40"
    assert "retrieve;dur=" in r.headers["server-timing"]
    assert "app;dur=" in r.headers["server-timing"]


def test_ask_with_history_resolves_a_follow_up(client):
    first = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert first["resolved_question"] is None  # a question that stands alone
    r = client.post("/v1/ask", json={"question": "Et en avril 2019 ?", "history": [
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]})
    body = r.json()
    assert r.status_code == 200 and "avril 2019" in body["resolved_question"]
    assert body["question"] == "Et en avril 2019 ?"
    assert not body["abstained"] and "2019" in " ".join(c["quote"] for c in body["citations"])
    chat = client.post("/v1/chat/completions", json={"model": "unrag", "messages": [
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]},
        {"role": "user", "content": "Et en avril 2019 ?"}]}).json()
    assert chat["resolved_question"] == body["resolved_question"]


def test_ask_with_document_filter_and_top_k(client):
    r = client.post("/v1/ask", json={"question": QUESTION, "top_k": 2,
                                     "documents": ["A/75/345"]})
    assert r.status_code == 200 and len(r.json()["passages"]) == 2


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"question": "   "}, 400, "empty_question"),
    ({"question": "x" * 2001}, 413, "question_too_long"),
    ({"question": 42}, 422, "invalid_request"),
    ({}, 422, "invalid_request"),
    ({"question": "ok", "top_k": 0}, 422, "invalid_request"),
    ({"question": "ok", "surprise": 1}, 422, "invalid_request"),
    ({"question": "ok", "composer": "magic"}, 422, "invalid_request"),
    ({"question": "ok", "documents": ["S/1999/1"]}, 404, "unknown_document"),
    ({"question": "ok", "history": [{"role": "system", "content": "x"}]}, 422,
     "invalid_request"),
    ({"question": "ok", "history": [{"role": "user"}]}, 422, "invalid_request"),
    ({"question": "ok", "history": "Et en 2019 ?"}, 422, "invalid_request"),
])
def test_ask_rejects_bad_input_with_json_errors(client, body, status, code):
    r = client.post("/v1/ask", json=body)
    assert r.status_code == status and error_of(r) == code


def test_non_utf8_and_oversized_bodies(client):
    r = client.post("/v1/ask", content=b'{"question": "\xff\xfe"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and error_of(r) == "invalid_utf8"
    r = client.post("/v1/ask", content=b'{"question": "' + b"a" * 70000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and error_of(r) == "body_too_large"
    r = client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and error_of(r) == "invalid_request"


def test_control_characters_are_stripped(client):
    r = client.post("/v1/ask", json={"question": "\x00\x07" + QUESTION + "\x1b"})
    assert r.status_code == 200 and r.json()["question"] == QUESTION


def test_search(client):
    r = client.post("/v1/search", json={"query": "Amou-Daria et Syr-Daria", "top_k": 3})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert len(hits) == 3 and hits[0]["passage_id"] == "004_69fee26534a39183#p63"
    assert error_of(client.post("/v1/search", json={"query": ""})) == "empty_question"


def test_documents_and_passages(client):
    docs = client.get("/v1/documents").json()["documents"]
    assert {d["id"] for d in docs} >= {"004_69fee26534a39183", "001_72201535bd96dd17"}
    report = client.get("/v1/documents/004_69fee26534a39183").json()
    assert report["symbol"] == "A/75/345-S/2020/898" and "004_69fee26534a39183#p100" in \
        report["passage_ids"]
    by_encoded = client.get("/v1/passages/004_69fee26534a39183%23p100")
    by_slash = client.get("/v1/passages/004_69fee26534a39183/p100")
    assert by_encoded.status_code == by_slash.status_code == 200
    assert by_encoded.json() == by_slash.json()
    assert by_encoded.json()["reference"] == "A/75/345-S/2020/898, par. 100"
    assert error_of(client.get("/v1/documents/nope")) == "unknown_document"
    assert error_of(client.get("/v1/passages/004_69fee26534a39183%23p999")) == "unknown_passage"


def test_a_documents_card_cites_its_own_passages(client):
    doc = client.get("/v1/documents/001_72201535bd96dd17").json()
    fields = {f["name"]: f for f in reversed(doc["card"]["fields"])}  # the first of each name
    assert fields["symbol"]["value"] == "S/2021/297"
    assert (fields["distribution_date"]["value"], fields["distribution_date"]["iso"]) == (
        "26 mars 2021", "2021-03-26")
    assert fields["signatory"]["value"] == "Dang Dinh Quy"
    assert fields["original_language"]["value"] == "anglais"
    assert all(f["passage_id"] in doc["passage_ids"] for f in doc["card"]["fields"]
               if f["passage_id"])
    masthead = client.get("/v1/passages/001_72201535bd96dd17/masthead").json()
    assert masthead["kind"] == "masthead" and "Original : anglais" in masthead["text"]
    listed = {d["id"]: d for d in client.get("/v1/documents").json()["documents"]}
    assert listed["001_72201535bd96dd17"]["card"] == doc["card"]


def test_health_ready_models_and_unknown_route(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["passages"] > 200
    assert ready["notes"] == []  # the bundled model has its confidence calibration
    models = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert models == list(composer_spec("extractive").chat_models)  # no LLM configured
    assert error_of(client.get("/v1/nothing")) == "not_found"
    assert client.get("/").status_code == 200 and "<form" in client.get("/").text


def test_chat_completion_non_streaming(client):
    r = client.post("/v1/chat/completions", json={
        "model": "unrag", "messages": [{"role": "system", "content": "Be brief."},
                                       {"role": "user", "content": QUESTION}]})
    data = r.json()
    assert r.status_code == 200 and data["object"] == "chat.completion"
    content = data["choices"][0]["message"]["content"]
    assert "Moscou" in content and "\nSources :\n[1] A/75/345-S/2020/898, par. 40" in content
    assert data["citations"][0]["marker"] == 1


def test_chat_completion_streams_sse_with_done(client):
    with client.stream("POST", "/v1/chat/completions", json={
            "model": "unrag", "stream": True,
            "messages": [{"role": "user", "content": QUESTION}]}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "Moscou" in text and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"][0]["passage_id"].endswith("#p40")


def test_chat_follow_up_uses_the_previous_question(client):
    r = client.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "Que dit le rapport sur la coopération avec l'OSCE ?"},
        {"role": "assistant", "content": "…"},
        {"role": "user", "content": "Et avec le HCR ?"}]})
    assert r.status_code == 200
    assert any("HCR" in c["text"] for c in r.json()["citations"])


def test_chat_errors(client):
    assert error_of(client.post("/v1/chat/completions", json={"messages": []})) == \
        "invalid_request"
    r = client.post("/v1/chat/completions",
                    json={"messages": [{"role": "assistant", "content": "hi"}]})
    assert r.status_code == 400 and error_of(r) == "no_user_message"
    r = client.post("/v1/chat/completions", json={"model": "gpt-9", "messages": [
        {"role": "user", "content": "x"}]})
    assert r.status_code == 404 and error_of(r) == "model_not_found"


def test_api_key_switch(built_settings, pipeline):
    secured = built_settings.model_copy(update={"api_key": "s3cret-key-for-tests-0123"})
    with TestClient(create_app(secured, pipeline=pipeline)) as c:
        assert c.get("/healthz").status_code == 200
        assert error_of(c.post("/v1/search", json={"query": "OSCE"})) == "unauthorized"
        wrong = {"Authorization": "Bearer nope"}
        assert c.post("/v1/search", json={"query": "OSCE"}, headers=wrong).status_code == 401
        ok = {"Authorization": "Bearer s3cret-key-for-tests-0123"}
        assert c.post("/v1/search", json={"query": "OSCE"}, headers=ok).status_code == 200


def test_weak_key_is_refused_outside_development():
    with pytest.raises(ValueError, match="known default"):
        Settings(api_key="changeme", environment="production")
    assert Settings(api_key="changeme").api_key == "changeme"


def test_missing_index_gives_503_with_rebuild_command(tmp_path):
    settings = Settings(index_root=tmp_path)
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/ask", json={"question": "OSCE ?"})
        assert r.status_code == 503 and "rag index" in r.json()["error"]["message"]
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200


def test_cors_is_configurable(built_settings, pipeline):
    cors = built_settings.model_copy(update={"cors_origins": ["https://chat.example.org"]})
    with TestClient(create_app(cors, pipeline=pipeline)) as c:
        r = c.options("/v1/ask", headers={"Origin": "https://chat.example.org",
                                          "Access-Control-Request-Method": "POST"})
        assert r.headers["access-control-allow-origin"] == "https://chat.example.org"


def test_unconfigured_llm_composer_is_a_client_error(client):
    r = client.post("/v1/ask", json={"question": "OSCE ?", "composer": "llm"})
    assert r.status_code == 400 and error_of(r) == "composer_unavailable"
    assert "RAG_LLM_MODEL" in r.json()["error"]["message"] or "pip install" in \
        r.json()["error"]["message"]
