"""The language of the service's sentences on the session index: errors, answers and follow-ups in
the language asked."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from rag.answer.messages import LEAD_IN, NOT_FOUND
from tests.unit.api.test_api_language import FR, KEY, QUESTION_EN, QUESTION_FR


@pytest.fixture(scope="module")
def client(built_settings, pipeline):
    with TestClient(create_app(built_settings, pipeline=pipeline)) as c:
        yield c


def test_401_is_french_with_accept_language_fr_and_english_without(built_settings, pipeline):
    secured = built_settings.model_copy(update={"api_key": KEY})
    with TestClient(create_app(secured, pipeline=pipeline)) as c:
        english = c.post("/v1/ask", json={"question": QUESTION_FR})
        french = c.post("/v1/ask", json={"question": QUESTION_FR},
                        headers={**FR, "Authorization": "Bearer nope"})
    assert english.status_code == french.status_code == 401
    assert english.json()["error"]["message"] == \
        "Missing or wrong API key (Authorization: Bearer …)"  # unchanged for API clients
    assert english.headers["content-language"] == "en"
    assert french.json()["error"] == {**english.json()["error"], "message": (
        "Clé d’API absente ou erronée (en-tête Authorization: Bearer …)"),
        "request_id": french.json()["error"]["request_id"]}
    assert french.headers["content-language"] == "fr"
    assert "accept-language" in french.headers["vary"].lower()


def test_422_and_other_errors_follow_accept_language(client):
    english = client.post("/v1/ask", json={"top_k": 2})
    french = client.post("/v1/ask", json={"top_k": 2}, headers=FR)
    assert english.json()["error"]["message"] == "body.question: Field required"
    assert french.json()["error"]["message"] == "body.question : champ obligatoire"
    assert french.json()["error"]["code"] == english.json()["error"]["code"] == "invalid_request"
    wrong = client.post("/v1/ask", json={"question": "x", "language": "de"}, headers=FR)
    assert wrong.status_code == 422 and "valeur non permise" in wrong.json()["error"]["message"]
    empty = client.post("/v1/ask", json={"question": "  "}, headers=FR).json()["error"]
    assert (empty["code"], empty["message"]) == ("empty_question", "« question » est vide")
    assert client.post("/v1/ask", json={"question": " "}).json()["error"]["message"] == \
        "'question' is empty"
    unknown = client.get("/v1/documents/nope", headers=FR).json()["error"]
    assert unknown["code"] == "unknown_document"
    assert unknown["message"] == "Document inconnu nope ; voir GET /v1/documents"
    assert client.get("/nowhere", headers=FR).json()["error"]["message"] == "Introuvable"
    assert client.get("/nowhere").json()["error"]["message"] == "Not Found"
    upload = client.post("/v1/documents", headers=FR,
                         files={"file": ("note.exe", b"MZ", "application/octet-stream")})
    assert upload.status_code == 421  # the test client's host name, "testserver"
    assert upload.json()["error"]["message"].startswith(
        "L’hôte 'testserver' n’est pas un nom sous lequel ce serveur accepte")


def test_the_ask_language_field_sets_the_language_of_the_service_sentences(client):
    default = client.post("/v1/ask", json={"question": QUESTION_EN}).json()
    assert default["language"] == "en" and default["abstained"]
    french = client.post("/v1/ask", json={"question": QUESTION_EN, "language": "fr"}).json()
    assert french["language"] == "fr" and french["abstained"]
    assert french["answer"].startswith(("Les documents", NOT_FOUND["fr"])), french["answer"]
    assert not re.search(r"\b(the|documents do|Not found)\b", french["answer"])
    assert [p["passage_id"] for p in french["passages"]] == \
        [p["passage_id"] for p in default["passages"]]  # the same search, other words

    quoted = client.post("/v1/ask", json={"question": QUESTION_FR, "language": "en"}).json()
    assert quoted["language"] == "en" and LEAD_IN["en"] in quoted["answer"]
    assert "Moscou" in quoted["answer"]  # the quote stays in French
    same = client.post("/v1/ask", json={"question": QUESTION_FR}).json()
    assert same["language"] == "fr" and LEAD_IN["en"] not in same["answer"]


def test_a_follow_up_keeps_its_conversation_in_the_chosen_language(client):
    first = client.post("/v1/ask", json={"question": QUESTION_FR, "language": "en"}).json()
    history = [{"role": "user", "content": QUESTION_FR},
               {"role": "assistant", "content": first["answer"]}]
    body = client.post("/v1/ask", json={"question": "Et en avril 2019 ?", "history": history,
                                        "language": "en"}).json()
    assert "avril 2019" in body["resolved_question"] and body["language"] == "en"
    assert not body["abstained"]
