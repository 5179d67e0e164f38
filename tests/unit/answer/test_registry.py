"""One list of composers (rag.answer.registry) read by the CLI, the API schema, the chat
models and the settings; the composers' options with their defaults in one place; the
confidence model chosen by embedding model; the dependency from eval to rag one way."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from dataclasses import fields
from typing import get_args

import pytest
from pydantic import ValidationError

from api.routes.chat import MODELS, available_models
from api.schemas import AskRequest
from rag import cli
from rag.answer import calibration
from rag.answer.options import ExtractiveOptions, LLMOptions
from rag.answer.registry import (
    COMPOSER_NAMES,
    COMPOSERS,
    DEFAULT_COMPOSER,
    EXTRACTIVE,
    chat_models,
    composer_spec,
)
from rag.errors import RagError
from rag.records import IndexKind
from rag.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _choices(parser: argparse.ArgumentParser, option: str) -> tuple[str, ...]:
    action = next(a for a in parser._actions if option in a.option_strings)
    return tuple(action.choices)


# ------------------------------------------------------------------------- the registry

def test_cli_settings_and_api_offer_exactly_the_registry_composers():
    assert COMPOSER_NAMES == ("extractive", "llm") and DEFAULT_COMPOSER in COMPOSER_NAMES
    assert _choices(_subparser("ask"), "--composer") == COMPOSER_NAMES
    enum = AskRequest.model_json_schema()["properties"]["composer"]["anyOf"][0]["enum"]
    assert tuple(enum) == COMPOSER_NAMES
    for name in COMPOSER_NAMES:
        assert Settings(composer=name).composer == name
        assert AskRequest(question="q", composer=name).composer == name
    with pytest.raises(ValidationError, match="extractive"):
        Settings(composer="abstractive")
    with pytest.raises(ValidationError):
        AskRequest(question="q", composer="abstractive")


def test_index_kinds_come_from_the_faiss_code():
    assert _choices(_subparser("index"), "--kind") == get_args(IndexKind)
    assert get_args(Settings.model_fields["index_kind"].annotation) == get_args(IndexKind)


def test_chat_models_map_onto_registry_composers():
    assert chat_models() == MODELS
    assert set(MODELS.values()) == set(COMPOSER_NAMES)  # every composer has a model id
    assert sum(len(spec.chat_models) for spec in COMPOSERS) == len(MODELS)  # none shared
    assert MODELS["unrag"] == EXTRACTIVE


class _FakePipeline:
    def __init__(self, settings: Settings, broken: tuple[str, ...] = ()) -> None:
        self.settings, self.broken = settings, broken

    def composer(self, name: str) -> object:
        if name in self.broken:
            raise RagError(f"{name} unavailable")
        return object()


def test_v1_models_lists_the_models_of_configured_and_buildable_composers():
    everything = available_models(_FakePipeline(Settings(llm_model="m")))
    assert everything == list(MODELS)
    extractive = list(composer_spec(EXTRACTIVE).chat_models)
    assert available_models(_FakePipeline(Settings())) == extractive  # no RAG_LLM_*
    assert available_models(_FakePipeline(Settings(llm_model="m"), broken=("llm",))) \
        == extractive
    assert available_models(None) == []


def test_unknown_composer_names_the_known_ones_and_every_factory_imports():
    with pytest.raises(RagError, match="choose one of extractive, llm"):
        composer_spec("abstractive")
    for spec in COMPOSERS:
        assert callable(spec.load_factory())
        assert spec.configured(Settings(llm_model="m", llm_base_url="http://h/v1"))
    assert not composer_spec("llm").configured(Settings())


# -------------------------------------------------------------------------- the options

def test_composer_options_take_their_defaults_from_one_place(monkeypatch):
    for f in fields(ExtractiveOptions):
        assert Settings.model_fields[f.name].default == f.default, f.name
    assert Settings().extractive_options() == ExtractiveOptions()
    llm = LLMOptions()
    assert (Settings.model_fields["llm_provider"].default, Settings.model_fields["llm_model"]
            .default, Settings.model_fields["llm_timeout"].default) == (llm.provider, llm.model,
                                                                       llm.timeout)
    assert Settings().llm_options() == llm
    monkeypatch.setenv("RAG_MMR_LAMBDA", "0.5")  # the flat environment names still work
    monkeypatch.setenv("RAG_ANSWER_PASSAGES", "9")
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-secret-value")
    settings = Settings()
    assert settings.extractive_options().mmr_lambda == 0.5
    assert settings.llm_options().passages == 9
    assert "sk-secret-value" not in repr(settings.llm_options())


# ---------------------------------------------------------------------- the calibration

def test_the_bundled_calibration_is_the_default_models():
    assert calibration.calibration_files()[DEFAULT_MODEL] == calibration.DEFAULT_MODEL
    model, note = calibration.calibrator_for(DEFAULT_MODEL)
    assert note is None and model.model == DEFAULT_MODEL
    assert calibration.calibration_path(DEFAULT_MODEL) == calibration.DEFAULT_MODEL
    assert calibration.calibration_path("intfloat/multilingual-e5-base").name == \
        "calibration-intfloat-multilingual-e5-base.json"


def test_a_model_without_calibration_is_logged_once(caplog):
    with caplog.at_level(logging.WARNING, logger="rag.answer.calibration"):
        first, note = calibration.calibrator_for("someone/uncalibrated-model")
        second, again = calibration.calibrator_for("someone/uncalibrated-model")
    assert first == second == calibration.Calibrator.load()  # the default's numbers
    assert note == again and note and "not calibrated" in note and DEFAULT_MODEL in note
    warnings = [r for r in caplog.records if "uncalibrated-model" in r.getMessage()]
    assert len(warnings) == 1 and "fit_calibration" in warnings[0].getMessage()


def test_a_calibration_file_is_found_by_the_model_it_names(tmp_path):
    source = calibration.DEFAULT_MODEL.read_text("utf-8")
    (tmp_path / "calibration-other.json").write_text(
        source.replace(f'"{DEFAULT_MODEL}"', '"org/other"'), "utf-8")
    model, note = calibration.calibrator_for("org/other", tmp_path)
    assert note is None and model.model == "org/other"
    assert calibration.calibration_path("org/other", tmp_path).name == "calibration-other.json"


def test_an_uncalibrated_model_is_reported_in_answers_and_readyz(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from rag.index.build import build_index
    from rag.index.load import load_index
    from rag.pipeline import Pipeline

    settings = Settings(index_root=tmp_path, seeds_dir=SEEDS, embedding_model="test-hash",
                        answer_cache_size=4)
    embedder = HashEmbedder()
    build_index(settings.index_options(), embedder)
    pipeline = Pipeline.from_parts(settings, embedder,
                                   load_index(settings.index_options(), dim=embedder.dim))
    assert pipeline.caveats and "not calibrated" in pipeline.caveats[0]
    answer = pipeline.ask("Quel est le rôle de l’OSCE ?")
    assert pipeline.caveats[0] in answer.notes
    assert pipeline.caveats[0] in pipeline.ask("Quel est le rôle de l’OSCE ?").notes  # cached
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        assert client.get("/readyz").json()["notes"] == list(pipeline.caveats)


# ------------------------------------------------------------------------ eval is a plugin

def test_rag_imports_no_eval_module_and_rag_eval_still_dispatches(tmp_path, capsys):
    code = ("import sys; import rag.cli, rag.pipeline, api.main; rag.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m == 'eval' or m.startswith('eval.')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=True)
    assert run.stdout.strip() == "[]"
    gold = PROJECT_ROOT / "eval" / "dev_chat_qa.jsonl"
    assert cli.main(["-v", "eval", "validate", str(gold)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    assert cli.main(["eval", "compare", str(tmp_path)]) == 2  # eval's own RagError
    with pytest.raises(SystemExit):  # eval's own parser checks its options
        cli.main(["eval", "--composer", "abstractive"])
    assert "invalid choice" in capsys.readouterr().err


def test_answer_types_do_not_import_question_analysis_back():
    code = ("import sys; import rag.query.plan, rag.settings; "
            "print(*(m for m in sys.modules if m.startswith('rag.answer.')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=True)
    loaded = set(run.stdout.split())  # settings and question analysis load no composer
    assert loaded <= {"rag.query.expectations", "rag.answer.options", "rag.answer.registry"}
