"""The MCP server driven by the SDK's own client on the session index: ``rag mcp`` over
stdio, and ``/mcp`` of the real app served by uvicorn (API key, middleware, lifespan)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from api.main import create_app
from api.server import uvicorn_options
from rag.settings import PROJECT_ROOT, Settings
from tests.support.helpers import serve_app

QUESTION = "Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des consultations " \
           "avec l'OTSC en novembre 2018 ?"
KEY = "mcp-test-key-6f1c0a9e2b7d4c35"
TOOLS = {"search", "ask", "get_passage", "list_documents"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "test", "version": "0"}}}
MCP_HEADERS = {"accept": "application/json, text/event-stream"}


@contextmanager
def serve(app: Any, settings: Settings) -> Iterator[str]:
    """``app`` served by uvicorn as ``rag serve`` does, on a free port, in a thread."""
    with serve_app(app, **uvicorn_options(settings)) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="module")
def keyed_url(built_settings, pipeline) -> Iterator[str]:
    settings = built_settings.model_copy(update={"api_key": KEY})
    with serve(create_app(settings, pipeline=pipeline), settings) as url:
        yield url + "/mcp"


async def check_cited_answer(session: ClientSession) -> None:
    """The four tools are listed; ``ask`` gives a cited answer whose every citation resolves
    through ``get_passage``; an unknown passage id is a tool error."""
    await session.initialize()
    assert {t.name for t in (await session.list_tools()).tools} == TOOLS
    result = await session.call_tool("ask", {"question": QUESTION})
    assert not result.is_error, result.content
    answer = result.structured_content
    assert "Moscou" in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"] and not answer["abstained"]
    assert answer["citations"][0]["reference"] == "A/75/345-S/2020/898, par. 40"
    assert "A/75/345-S/2020/898, par. 40" in result.content[0].text  # readable text too
    for citation in answer["citations"]:
        passage = await session.call_tool("get_passage",
                                          {"passage_id": citation["passage_id"]})
        assert not passage.is_error, passage.content
        assert passage.structured_content["text"] == citation["text"]
        assert passage.structured_content["reference"] == citation["reference"]
        assert citation["quote"] in citation["text"]
    missing = await session.call_tool("get_passage", {"passage_id": "nope#p1"})
    assert missing.is_error and "Unknown passage 'nope#p1'" in missing.content[0].text
    follow = await session.call_tool("ask", {"question": "Et en avril 2019 ?", "history": [
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": answer["answer"]}]})
    assert not follow.is_error, follow.content
    assert "avril 2019" in follow.structured_content["resolved_question"]


async def test_stdio_server_gives_cited_answers(built_settings):
    env = {**os.environ, "RAG_INDEX_ROOT": str(built_settings.index_root),
           "RAG_SEEDS_DIR": str(built_settings.seeds_dir)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "mcp"],
                                   env=env, cwd=str(PROJECT_ROOT))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await check_cited_answer(session)


async def test_stdio_without_index_answers_tool_errors(tmp_path):
    env = {**os.environ, "RAG_INDEX_ROOT": str(tmp_path)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "mcp"],
                                   env=env, cwd=str(PROJECT_ROOT))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for name, arguments in (("search", {"query": "OSCE"}), ("list_documents", {})):
            result = await session.call_tool(name, arguments)
            assert result.is_error and "rag index" in result.content[0].text
        # the server is still up after the errors
        assert {t.name for t in (await session.list_tools()).tools} == TOOLS


async def test_http_server_gives_cited_answers(keyed_url, pipeline):
    client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"})
    async with client, streamable_http_client(keyed_url, http_client=client) as (read, write), \
            ClientSession(read, write) as session:
        await check_cited_answer(session)

        doc = "A/75/345-S/2020/898"
        found = await session.call_tool("search", {"query": "OTSC Moscou", "k": 3,
                                                   "documents": [doc]})
        hits = found.structured_content["hits"]
        assert len(hits) == 3 and {h["document"]["symbol"] for h in hits} == {doc}
        assert hits[0]["score"] >= hits[-1]["score"] and hits[0]["paragraph"]
        unknown = await session.call_tool("search", {"query": "x", "documents": ["S/1999/1"]})
        assert unknown.is_error and "Unknown document" in unknown.content[0].text

        docs = (await session.call_tool("list_documents", {})).structured_content["documents"]
        assert {d["id"] for d in docs} == set(pipeline.index.documents)
        assert sum(d["passages"] for d in docs) == len(pipeline.index.passages)
        cards = {d["symbol"]: d["card"]["fields"] for d in docs}
        assert {"name": "signatory", "value": "Dang Dinh Quy",
                "passage_id": "001_72201535bd96dd17#sig", "source": "text", "iso": None,
                "note": ""} in cards["S/2021/297"]

        listed = {str(r.uri) for r in (await session.list_resources()).resources}
        doc_id = next(d["id"] for d in docs if d["symbol"] == doc)
        assert {"unrag://documents", f"unrag://documents/{doc_id}"} <= listed
        templates = (await session.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["unrag://documents/{doc_id}"]
        read = await session.read_resource(f"unrag://documents/{doc_id}")
        assert "Moscou" in read.contents[0].text and '"passage_list"' in read.contents[0].text

    metrics = httpx.get(keyed_url.removesuffix("/mcp") + "/metrics",
                        headers={"Authorization": f"Bearer {KEY}"}).text
    assert 'unrag_answers_total{composer="extractive",endpoint="mcp"}' in metrics


def test_http_needs_the_api_key(keyed_url):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        r = httpx.post(keyed_url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
        assert r.status_code == 401
        error = r.json()["error"]
        assert (error["code"], error["message"]) == (
            "unauthorized", "Missing or wrong API key (Authorization: Bearer …)")
        assert error["request_id"] == r.headers["x-request-id"]
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "content-security-policy" in r.headers  # the app's middleware covers /mcp
    r = httpx.post(keyed_url, json=INITIALIZE,
                   headers={**MCP_HEADERS, "Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and r.json()["result"]["serverInfo"]["name"] == "unrag"


def rpc(client: TestClient, method: str, params: dict[str, Any], **headers: str) -> Any:
    return client.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": method,
                                     "params": params}, headers={**MCP_HEADERS, **headers})


def test_lifespan_reentry_and_loopback_guard_without_key(built_settings, pipeline):
    """The same app started twice gets a fresh MCP session manager; without a key only
    loopback host names are served (DNS rebinding); the other routes are unaffected."""
    app = create_app(built_settings, pipeline=pipeline)
    with TestClient(app, base_url="http://localhost:8000"):
        pass
    with TestClient(app, base_url="http://localhost:8000") as client:
        r = rpc(client, "tools/call", {"name": "list_documents", "arguments": {}})
        assert r.status_code == 200
        assert r.json()["result"]["structuredContent"]["documents"]
        foreign = rpc(client, "tools/list", {}, host="rebound.example.org")
        assert foreign.status_code == 421 and set(foreign.json()) == {"error"}
        assert client.post("/v1/search", json={"query": "OSCE"}).status_code == 200


def test_http_index_errors_are_tool_errors_without_paths(tmp_path):
    with TestClient(create_app(Settings(index_root=tmp_path)),
                    base_url="http://127.0.0.1") as client:
        r = rpc(client, "tools/call", {"name": "search", "arguments": {"query": "OSCE"}})
        result = r.json()["result"]
        assert result["isError"] and "rag index" in result["content"][0]["text"]
        assert str(tmp_path) not in result["content"][0]["text"]
        big = rpc(client, "tools/call", {"name": "ask", "arguments": {"question": "x" * 70000}})
        assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
