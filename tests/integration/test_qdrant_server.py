"""The Qdrant store tests of tests/unit/index/test_qdrant_store.py — the same functions, so
the same operations and assertions — against a real Qdrant server instead of local mode:
payload indexes, the server's query API, aliases and collections as a server keeps them.

Run them with a server at ``RAG_QDRANT_URL`` (``RAG_QDRANT_API_KEY`` if it asks for one)::

    docker run -p 6333:6333 qdrant/qdrant
    RAG_QDRANT_URL=http://localhost:6333 pytest tests/integration/test_qdrant_server.py

Without that variable, or when the server does not answer, each test is skipped and says
why. Every collection and alias a test makes is named after this test run (``unrag_t<run>…``
or ``t<run>…``) and deleted after the test, whether it passed or not."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest
from qdrant_client import models

from rag.index.stores.qdrant import PREFIX, client_for, is_remote
from tests.unit.index.test_qdrant_store import (  # noqa: F401  (collected here again)
    QdrantTarget,
    test_a_failed_build_drops_its_collection_and_keeps_the_alias,
    test_a_missing_collection_is_named,
    test_add_and_remove_documents_on_qdrant,
    test_an_index_is_read_only_with_the_store_it_was_built_for,
    test_builds_fill_a_new_collection_then_move_the_alias,
    test_server_side_weighted_rrf_ranks_differently_from_ours,
    test_store_add_remove_count_and_vectors,
)

RUN = uuid.uuid4().hex[:8]  # this test run (pytest-xdist: this worker)
_numbers = itertools.count()


@pytest.fixture(scope="module")
def server() -> tuple[str, str | None]:
    """The server's URL and API key, or a skip naming what is missing."""
    url = os.environ.get("RAG_QDRANT_URL", "")
    key = os.environ.get("RAG_QDRANT_API_KEY") or None
    if not is_remote(url):
        pytest.skip("no Qdrant server: set RAG_QDRANT_URL=http://host:6333 to run the Qdrant "
                    "store tests against one" + (f" (RAG_QDRANT_URL={url!r} is not an "
                                                 "http(s) URL)" if url else ""))
    try:
        client_for(url, key, timeout=5.0).get_collections()
    except Exception as exc:  # connection refused, timeout, 401…
        pytest.skip(f"Qdrant server at RAG_QDRANT_URL={url} did not answer: "
                    f"{type(exc).__name__}: {exc}")
    return url, key


@pytest.fixture()
def qdrant(server: tuple[str, str | None]) -> Iterator[QdrantTarget]:
    """The server, with names unique to this test; its collections and aliases are deleted
    afterwards."""
    url, key = server
    target = QdrantTarget(url, f"t{RUN}_{next(_numbers)}_", key)
    yield target
    client = target.client()
    mine = (target.prefix, PREFIX + target.prefix)  # raw collections, index aliases
    aliases = [a.alias_name for a in client.get_aliases().aliases
               if a.alias_name.startswith(mine)]
    if aliases:
        client.update_collection_aliases([models.DeleteAliasOperation(
            delete_alias=models.DeleteAlias(alias_name=a)) for a in aliases])
    for collection in client.get_collections().collections:
        if collection.name.startswith(mine):
            client.delete_collection(collection.name)
