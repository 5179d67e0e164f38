"""The ``rag`` command line on the session index."""

from __future__ import annotations

import json

import pytest

from rag import cli
from rag.settings import get_settings


@pytest.fixture()
def use_index(built_settings, session_model, monkeypatch):
    """The commands read the session index (``Pipeline.load`` as always) and embed with the
    session model, not one loaded per command (``test_commands_print_no_library_noise`` runs
    the command line in its own process, model included)."""
    import rag.pipeline

    monkeypatch.setenv("RAG_INDEX_ROOT", str(built_settings.index_root))
    monkeypatch.setattr(rag.pipeline, "load_embedder", lambda settings: session_model)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_search_json(use_index, capsys):
    assert cli.main(["search", "Chapitre VIII de la Charte", "--k", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["hits"]) == 3 and data["hits"][0]["passage_id"]


def test_batch_ask_prints_json_lines(use_index, tmp_path, capsys):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "vn-1", "question": "Qui a signé la lettre du Viet Nam ?"}\n'
                     "How many troops has the CSTO pledged?\n"
                     '{"id": 7, "question": "Quand le débat mexicain aura-t-il lieu ?"}\n',
                     "utf-8")
    assert cli.main(["ask", "--batch", str(batch)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["question"] for x in lines] == ["Qui a signé la lettre du Viet Nam ?",
                                             "How many troops has the CSTO pledged?",
                                             "Quand le débat mexicain aura-t-il lieu ?"]
    assert [x.get("id") for x in lines] == ["vn-1", None, 7]  # each input's id kept
    assert next(iter(lines[0])) == "id" and "id" not in lines[1]
    assert cli.main(["search", "--batch", str(batch), "--k", "1"]) == 0
    hits = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x.get("id") for x in hits] == ["vn-1", None, 7]


def test_ask_with_history_and_chat_resolve_follow_ups(use_index, tmp_path, capsys,
                                                     monkeypatch):
    first = ("Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des "
             "consultations avec l’OTSC en novembre 2018 ?")
    history = tmp_path / "conversation.json"
    history.write_text(json.dumps([{"role": "user", "content": first},
                                   {"role": "assistant", "content": "À Moscou [1]."}]), "utf-8")
    assert cli.main(["ask", "Et en avril 2019 ?", "--history", str(history), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "avril 2019" in out["resolved_question"] and out["question"] == "Et en avril 2019 ?"
    history.write_text('{"role": "user"}', "utf-8")
    assert cli.main(["ask", "Et en 2019 ?", "--history", str(history)]) == 2
    assert "JSON list" in capsys.readouterr().err
    lines = iter([first, "Et en avril 2019 ?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert cli.main(["chat"]) == 0
    printed = capsys.readouterr().out
    assert "(Compris comme : " in printed and "avril 2019" in printed


def test_bad_batch_line_is_a_clear_error(use_index, tmp_path, capsys):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"q": "missing field"}\n', "utf-8")
    assert cli.main(["search", "--batch", str(batch)]) == 2
    assert "expected a JSON object with a 'question' field" in capsys.readouterr().err


def test_missing_index_message_names_the_rebuild_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_INDEX_ROOT", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert cli.main(["search", "x"]) == 2
    finally:
        get_settings.cache_clear()
    assert "Rebuild it with: rag index" in capsys.readouterr().err


def test_documents_json_carries_each_documents_card(use_index, capsys):
    assert cli.main(["documents", "--json"]) == 0
    docs = {d["id"]: d for d in map(json.loads, capsys.readouterr().out.splitlines())}
    assert len(docs) == 5 and all(d["card"]["fields"] for d in docs.values())
    fields = docs["001_72201535bd96dd17"]["card"]["fields"]
    assert set(fields[0]) == {"name", "value", "passage_id", "source", "iso", "note"}
    signatory = next(f for f in fields if f["name"] == "signatory")
    assert signatory == {"name": "signatory", "value": "Dang Dinh Quy",
                         "passage_id": "001_72201535bd96dd17#sig", "source": "text",
                         "iso": None, "note": ""}
    report = docs["004_69fee26534a39183"]["card"]["fields"]
    assert {"name": "date", "value": "2020", "passage_id": "004_69fee26534a39183#masthead",
            "source": "inferred", "iso": "2020", "note": "year from the symbol S/2020/898"
            } in report


def test_passages_command_lists_labels(capsys):
    assert cli.main(["passages", "--doc", "S/2021/297"]) == 0
    out = capsys.readouterr().out
    assert "S/2021/297, par. 6" in out and "signature" in out


def test_commands_print_no_library_noise(built_settings, tmp_path):
    """No DEBUG lines from the lexical library, no weight-loading bar; `rag index` leaves the
    checkout unmodified (the index folder is not tracked)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "RAG_INDEX_ROOT": str(built_settings.index_root),
           "RAG_SEEDS_DIR": str(built_settings.seeds_dir)}
    # both commands at once (the build writes another index name: the search reads on)
    run = subprocess.Popen([sys.executable, "-m", "rag.cli", "search", "OSCE", "--k", "1"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    build = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", "--quiet"],
                             env={**env, "RAG_INDEX_NAME": "quiet"},  # warm cache: fast
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for process, timeout in ((run, 300), (build, 600)):
            stderr = process.communicate(timeout=timeout)[1]
            assert process.returncode == 0, stderr
            assert "DEBUG" not in stderr and "Loading weights" not in stderr
    finally:
        for process in (run, build):
            if process.poll() is None:
                process.kill()
                process.wait()
    tracked = subprocess.run(["git", "ls-files", "index"], capture_output=True, text=True,
                             cwd=built_settings.seeds_dir.parent)
    assert tracked.stdout.split() in ([], ["index/README.md"])
