"""One language at a time (issue 25, point 4), on the API side: the messages the API writes
itself follow ``Accept-Language`` (English without it, byte for byte as before), and the
``language`` field of ``POST /v1/ask`` sets the language of the service's own sentences."""

from __future__ import annotations

import re
import string

import pytest
from fastapi.testclient import TestClient

from api.i18n import MESSAGES, RAG_FRENCH, VALIDATION_FRENCH, negotiate
from api.main import create_app
from rag.answer.messages import LEAD_IN, NOT_FOUND

FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}
QUESTION_FR = ("Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des "
               "consultations avec l'OTSC en novembre 2018 ?")
QUESTION_EN = "How much did the European Union give to the CARICOM resilience fund?"
KEY = "s3cret-key-for-tests-0123"


@pytest.fixture(scope="module")
def client(built_settings, pipeline):
    with TestClient(create_app(built_settings, pipeline=pipeline)) as c:
        yield c


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("fr", "fr"), ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    ("en-US,en;q=0.9,fr;q=0.8", "en"), ("de, fr;q=0.5", "fr"), ("de", "en"), ("*", "en"),
    ("en;q=0, *", "fr"), ("en;q=0.5, fr;q=0.9", "fr"), ("fr-CA;q=0.3, en-GB;q=0.2", "fr"),
    ("fr;q=abc, en", "en"), ("nonsense;;", "en")])
def test_accept_language_is_negotiated_with_quality_values(header, language):
    assert negotiate(header) == language


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_forms_with_the_same_fields():
    for key, forms in MESSAGES.items():
        assert set(forms) == {"en", "fr"}, key
        assert _fields(forms["en"]) == _fields(forms["fr"]), key
    for template in [*RAG_FRENCH.values(), *VALIDATION_FRENCH.values()]:
        assert not re.search(r"\b(the|is|not|of)\b", template), template


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
