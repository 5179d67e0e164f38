"""OpenAI Chat Completions conformance, with the official ``openai`` client and LangChain's
``ChatOpenAI`` against the running server: usage in model tokens, include_usage, max_tokens,
stop, refused and ignored parameters, the citations extension, the model list."""

from __future__ import annotations

import openai
import pytest
from fastapi.testclient import TestClient
from openai import OpenAI

from api.main import create_app
from rag.settings import Settings
from rag.text import token_counter

QUESTION = "Pour quels fleuves le Centre régional produit-il des bulletins d'alerte précoce ?"
SYSTEM = "Tu es un assistant concis qui répond en français."
USER = [{"role": "user", "content": QUESTION}]


@pytest.fixture(scope="module")
def client(live_server) -> OpenAI:
    return OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def full(client):
    """The unrestricted reply to QUESTION."""
    return client.chat.completions.create(model="unrag", messages=USER)


def test_usage_counts_every_message_in_model_tokens(client, full, pipeline):
    counter = token_counter(pipeline.embedder)
    assert counter.name == "model"  # the e5 tokenizer, not the approximation
    content = full.choices[0].message.content
    assert full.usage.prompt_tokens == counter.count(QUESTION)
    assert full.usage.completion_tokens == counter.count(content)
    assert full.usage.total_tokens == full.usage.prompt_tokens + full.usage.completion_tokens
    assert full.usage.completion_tokens != len(content.split())  # sub-word tokens, not words
    history = [{"role": "system", "content": SYSTEM}, *USER,
               {"role": "assistant", "content": content}, *USER]
    again = client.chat.completions.create(model="unrag", messages=history)
    assert again.usage.prompt_tokens == counter.count(SYSTEM) + 2 * counter.count(QUESTION) \
        + counter.count(content)


def test_include_usage_adds_a_final_usage_chunk(client, full):
    chunks = list(client.chat.completions.create(
        model="unrag", messages=USER, stream=True, stream_options={"include_usage": True}))
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) \
        == (full.usage.prompt_tokens, full.usage.completion_tokens, full.usage.total_tokens)
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == "stop"
    plain = list(client.chat.completions.create(model="unrag", messages=USER, stream=True))
    assert all(c.usage is None and c.choices for c in plain)


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_token_limit_cuts_the_reply_on_a_token_boundary(client, full, pipeline, param):
    counter = token_counter(pipeline.embedder)
    whole = full.choices[0].message.content
    reply = client.chat.completions.create(model="unrag", messages=USER, **{param: 7})
    text = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == counter.count(text) == 7
    assert whole.startswith(text) and len(text) < len(whole)
    ids = counter.backend.encode  # the cut ends exactly after the reply's 7th token
    assert ids(text, add_special_tokens=False).ids == ids(whole, add_special_tokens=False).ids[:7]
    assert reply.model_extra["citations"] == []  # no [n] marker survived the cut
    stream = client.chat.completions.create(model="unrag", messages=USER, stream=True,
                                            **{param: 7})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert chunks[-1].choices[0].finish_reason == "length"


def test_large_limit_and_stop_sequences_end_with_stop(client, full):
    whole = full.choices[0].message.content
    roomy = client.chat.completions.create(model="unrag", messages=USER, max_tokens=4096)
    assert roomy.choices[0].message.content == whole
    assert roomy.choices[0].finish_reason == "stop"
    stopped = client.chat.completions.create(model="unrag", messages=USER, stop=["Sources"])
    assert stopped.choices[0].message.content == whole[:whole.index("Sources")]
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.model_extra["citations"]  # the answer's [n] markers are still there


@pytest.mark.parametrize(("extra", "param"), [
    ({"n": 2}, "n"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
    ({"tool_choice": "auto"}, "tool_choice"),
    ({"functions": [{"name": "f", "parameters": {}}]}, "functions"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"logprobs": True}, "logprobs"),
    ({"top_logprobs": 3}, "top_logprobs"),
])
def test_unsupported_parameters_are_400_with_param(client, extra, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="unrag", messages=USER, **extra)
    err = caught.value
    assert err.status_code == 400 and err.code == "unsupported_parameter"
    assert err.param == param and f"'{param}' is not supported" in err.message


@pytest.mark.parametrize(("extra", "param"), [
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_completion_tokens": -1}, "max_completion_tokens"),
    ({"n": 0}, "n"),
    ({"stream_options": {"include_usage": True}}, "stream_options"),  # without stream
])
def test_out_of_range_values_are_400_invalid_parameter(client, extra, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="unrag", messages=USER, **extra)
    assert caught.value.code == "invalid_parameter" and caught.value.param == param


def test_harmless_parameters_are_accepted_and_ignored(client, full):
    reply = client.chat.completions.create(
        model="unrag", messages=USER, temperature=1.7, top_p=0.3, seed=7, user="u-1",
        presence_penalty=1.0, frequency_penalty=-1.0, n=1, logprobs=False,
        response_format={"type": "text"}, tool_choice="none", extra_body={"store": False})
    assert reply.choices[0].message.content == full.choices[0].message.content


def test_citations_extension_matches_ask_in_both_modes(client, full, live_server):
    import httpx

    asked = httpx.post(f"{live_server}/v1/ask", json={"question": QUESTION}).json()
    assert full.model_extra["citations"] == asked["citations"]
    assert full.model_extra["abstained"] is False
    chunks = list(client.chat.completions.create(model="unrag", messages=USER, stream=True))
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finishing) == 1 and finishing[0].model_extra["citations"] == asked["citations"]
    assert all("citations" not in (c.model_extra or {}) for c in chunks if c not in finishing)


def test_models_lists_what_can_answer_now(client, built_settings, pipeline, tmp_path,
                                          live_server):
    assert sorted(m.id for m in client.models.list()) == ["unrag", "unrag-extractive"]
    with TestClient(create_app(Settings(index_root=tmp_path))) as c:  # no index: none
        assert c.get("/v1/models").json()["data"] == []
    pytest.importorskip("langchain_openai")
    from rag.pipeline import Pipeline

    # a model server that answers its model list (here: this service's own /v1)
    llm = built_settings.model_copy(update={"llm_model": "qwen2.5-7b-instruct",
                                            "llm_base_url": f"{live_server}/v1"})
    with TestClient(create_app(llm, pipeline=Pipeline.from_parts(
            llm, pipeline.embedder, pipeline.index))) as c:
        assert "unrag-llm" in [m["id"] for m in c.get("/v1/models").json()["data"]]
    # one that does not answer is not listed
    down = llm.model_copy(update={"llm_base_url": "http://127.0.0.1:9/v1"})
    with TestClient(create_app(down, pipeline=Pipeline.from_parts(
            down, pipeline.embedder, pipeline.index))) as c:
        assert "unrag-llm" not in [m["id"] for m in c.get("/v1/models").json()["data"]]
    broken = llm.model_copy(update={"llm_provider": "nonesuch"})
    with TestClient(create_app(broken, pipeline=Pipeline.from_parts(
            broken, pipeline.embedder, pipeline.index))) as c:
        assert "unrag-llm" not in [m["id"] for m in c.get("/v1/models").json()["data"]]


def test_langchain_chat_openai_streams_usage_metadata(live_server, full):
    langchain_openai = pytest.importorskip("langchain_openai")
    chat = langchain_openai.ChatOpenAI(model="unrag", base_url=f"{live_server}/v1",
                                       api_key="unused", stream_usage=True, max_retries=0)
    total = None
    for chunk in chat.stream(QUESTION):
        total = chunk if total is None else total + chunk
    assert total is not None and "Syr-Daria" in total.content
    usage = total.usage_metadata
    assert usage is not None and usage["input_tokens"] == full.usage.prompt_tokens
    assert usage["output_tokens"] == full.usage.completion_tokens
    assert usage["total_tokens"] == full.usage.total_tokens
