"""Keys, probes and admin routes: strong keys only outside development, no key echoed, no
paths to unauthenticated callers, no cross-site changes, reload brings a server up."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from api.deps import check_startup
from api.main import create_app
from rag.errors import RagError
from rag.settings import Settings, key_strength_bits, key_weakness


@pytest.mark.parametrize("key", ["a" * 16, " " * 16, "abcdefghijklmnopqrstuvwxyz",
                                 "1234567890123456", "changeme", "short-key",
                                 " K7mQ2xVb9LpR4tZw8NcY3hJd6FgS1aEu "],
                         ids=["a16", "spaces", "alphabet", "digits", "changeme", "short",
                              "strong-in-spaces"])
def test_weak_keys_are_refused_outside_development(key: str):
    assert key_weakness(key)
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", api_key=key)
    if key.strip():
        assert key.strip() not in str(caught.value)  # the refused key is never echoed


def test_random_keys_pass():
    for _ in range(20):
        assert key_weakness(secrets.token_urlsafe(16)) is None
        assert key_weakness(secrets.token_hex(16)) is None
    assert key_strength_bits("a" * 40) == 0


def test_the_key_is_not_in_the_settings_repr():
    key = secrets.token_urlsafe(24)
    assert key not in repr(Settings(api_key=key))


def test_production_without_a_key_refuses_to_start():
    with pytest.raises(RagError, match="RAG_API_KEY"):
        check_startup(Settings(environment="production"))
    check_startup(Settings())  # development may run open
    check_startup(Settings(environment="production", api_key=secrets.token_urlsafe(24)))
    with pytest.raises(RagError, match="RAG_API_KEY"):
        create_app(Settings(environment="production"))


def test_serve_without_a_key_in_production_exits_2(monkeypatch, capsys):
    from rag.cli import main
    from rag.settings import get_settings

    monkeypatch.setenv("RAG_ENVIRONMENT", "production")
    monkeypatch.delenv("RAG_API_KEY", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["serve"]) == 2
    finally:
        get_settings.cache_clear()
    assert "RAG_API_KEY" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["serve"], ["documents"]])
def test_a_weak_production_key_is_a_one_line_error_and_exit_2(monkeypatch, capsys, argv):
    from rag.cli import main
    from rag.settings import get_settings

    monkeypatch.setenv("RAG_ENVIRONMENT", "production")
    monkeypatch.setenv("RAG_API_KEY", "aaaaaaaaaaaaaaaaaaaa")
    get_settings.cache_clear()
    try:
        assert main(argv) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("error: invalid configuration: RAG_API_KEY is too weak (")
    assert err.count("\n") == 1 and "Traceback" not in err and "pydantic" not in err
    assert "aaaaaaaa" not in err  # the refused key is never printed
