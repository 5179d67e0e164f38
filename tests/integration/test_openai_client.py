"""The official ``openai`` client against the running server: what chatbot front ends use."""

from __future__ import annotations

from openai import OpenAI

QUESTION = "Pour quels fleuves le Centre régional produit-il des bulletins d'alerte précoce ?"


def test_openai_client_non_streaming(live_server):
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused")
    reply = client.chat.completions.create(model="unrag",
                                           messages=[{"role": "user", "content": QUESTION}])
    content = reply.choices[0].message.content
    assert "Amou-Daria" in content and "A/75/345-S/2020/898, par. 63" in content
    assert reply.model_extra["citations"][0]["paragraph"] == "63"


def test_openai_client_streaming(live_server):
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused")
    stream = client.chat.completions.create(
        model="unrag", stream=True, messages=[{"role": "user", "content": QUESTION}])
    pieces, finish, citations = [], None, None
    for chunk in stream:
        pieces.append(chunk.choices[0].delta.content or "")
        finish = chunk.choices[0].finish_reason or finish
        citations = (chunk.model_extra or {}).get("citations") or citations
    text = "".join(pieces)
    assert "Syr-Daria" in text and "[1]" in text and finish == "stop"
    assert citations and citations[0]["passage_id"] == "004_69fee26534a39183#p63"


def test_openai_client_lists_models(live_server):
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused")
    assert "unrag" in [m.id for m in client.models.list()]
