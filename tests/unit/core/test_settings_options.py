"""Each knob is declared once, in its component's options dataclass (default, bounds,
description: :func:`rag.records.knob`); ``Settings`` makes it the variable ``RAG_<NAME>``
with the same default, bounds and description, builds the options back from its fields (so
an environment override reaches the component), and ``rag settings`` lists them all."""

from __future__ import annotations

import json
import types
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest

from rag.cli import main
from rag.errors import ConfigurationError
from rag.records import ChunkOptions, IndexSpec, RetrievalOptions, knobs
from rag.settings import GROUPS, Settings, get_settings

# Every RAG_ variable the service read before its knobs moved into the options (README's
# Configuration section, the code): each must keep its name and meaning.
DOCUMENTED = """
agreeing_name_threshold allow_model_download allowed_hosts answer_cache_size answer_max_chars
answer_max_sentences answer_passages answer_score_margin api_key body_timeout_seconds
bound_bonus build_chunk_size cache_dir candidate_k catalog_file common_share composer
corpus_lock_seconds cors_origins dense_weight embed_batch_size embed_concurrency
embedding_backend embedding_cache embedding_compile embedding_device embedding_model
embedding_precision environment expectation_bonus feedback_max_bytes feedback_max_record_bytes
fit_top_passages gpu_batch_size group_items_max_chars header_timeout_seconds hnsw_ef_search
hnsw_m index_kind index_name index_root inference_threads ivf_nlist ivf_nprobe
keep_alive_seconds key_term_weight lexical_weight lexical_weight_en list_extra_passages
list_item_margin list_max_items list_structure_bonus list_switch_margin llm_api_key
llm_base_url llm_max_tokens llm_model llm_provider llm_timeout max_body_bytes
max_document_bytes max_document_passages max_document_texts max_question_chars
max_upload_bytes max_window_chars mmap_index mmr_lambda multi_passage_margin
name_match_threshold new_document_bonus new_passage_margin noncontent_penalty overlap_weight
part_confidence_ratio passage_prompt qdrant_api_key qdrant_replication_factor qdrant_shards
qdrant_url query_batch_size query_batch_window_ms query_cache_size query_prompt rank_weight
rate_limit reload_poll_seconds request_threads rrf_k seeds_dir sentence_weight
summary_sentences top_k trust_proxy upload_timeout_seconds vector_store
""".split()
SERVICE = {"composer", "answer_cache_size", "mmap_index"}  # fields of Settings itself
BUILDERS = {"EncoderOptions": "encoder_options", "IndexOptions": "index_options",
            "IndexSpec": "index_spec", "StoreOptions": "store_options",
            "ChunkOptions": "chunk_options", "RetrievalOptions": "retrieval_options",
            "CoverageOptions": "coverage_options", "ExtractiveOptions": "extractive_options",
            "LLMOptions": "llm_options", "FeedbackOptions": "feedback_options",
            "ServerOptions": "server_options"}


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch):
    for name in DOCUMENTED:
        monkeypatch.delenv(f"RAG_{name.upper()}", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _knob_settings() -> list[tuple[str, Any, str, Any, Any]]:
    """(setting, options class, field, dataclass field, declaration) of every knob."""
    return [(name, group.options, f.name, f, declared)
            for group in GROUPS for name, f, declared in group.knobs()]


def _bounds(info: Any) -> dict[str, float]:
    """The bounds of a settings field (annotated_types Ge, Le, Gt…): {"ge": 0, …}."""
    return {type(m).__name__.lower(): getattr(m, type(m).__name__.lower())
            for m in info.metadata}


def test_retrieval_defaults_come_from_the_retriever_options() -> None:
    assert Settings().retrieval_options() == RetrievalOptions()


def test_index_and_chunking_defaults_come_from_their_components() -> None:
    settings = Settings()
    assert settings.index_spec() == IndexSpec()
    assert settings.chunk_options() == ChunkOptions()
    assert settings.index_options().spec == IndexSpec()


@pytest.mark.parametrize("option", [f.name for f in fields(RetrievalOptions)])
def test_an_environment_override_reaches_the_retriever(monkeypatch, option: str) -> None:
    default = getattr(RetrievalOptions(), option)
    changed = default * 2 if isinstance(default, int) else default + 0.25
    monkeypatch.setenv(f"RAG_{option.upper()}", str(changed))
    assert getattr(Settings().retrieval_options(), option) == changed


def test_every_knob_is_one_setting_with_its_default_bounds_and_description() -> None:
    made = _knob_settings()
    names = [name for name, *_ in made]
    assert len(names) == len(set(names))  # no knob written twice
    assert set(names) | SERVICE == set(Settings.model_fields)
    assert not set(names) & SERVICE
    for name, _, _, f, declared in made:
        info = Settings.model_fields[name]
        assert info.description == declared.description, name
        if f.default_factory is not MISSING:
            assert info.default_factory is f.default_factory, name
        else:
            assert info.default == f.default, name
        assert _bounds(info) == declared.bounds, name
        assert info.repr is not declared.secret, name


def test_every_options_class_has_a_builder_and_every_knob_reaches_its_options() -> None:
    settings = Settings()
    for name, options, field_name, _, _ in _knob_settings():
        built = getattr(settings, BUILDERS[options.__name__])()
        assert isinstance(built, options)
        assert getattr(built, field_name) == getattr(settings, name), name


def _other_value(annotation: Any, default: Any, bounds: dict[str, float]) -> tuple[str, Any]:
    """A value other than ``default`` within ``bounds``: (as the environment writes it,
    as it parses)."""
    if get_origin(annotation) in (types.UnionType,):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if annotation is bool:
        return ("false", False) if default else ("true", True)
    if get_origin(annotation) is Literal:
        value = next(a for a in reversed(get_args(annotation)) if a != default)
        return value, value
    if get_origin(annotation) is list:
        return '["a.example"]', ["a.example"]
    if annotation is Path:
        return "/srv/elsewhere", Path("/srv/elsewhere")
    if annotation is str:
        return "other-value", "other-value"
    if annotation is int:
        value = (default or 0) + 1
        value = min(value, int(bounds.get("le", value)))
        return str(value if value != default else value - 1), value if value != default \
            else value - 1
    if annotation is float:
        high = bounds.get("le")
        value = (default + high) / 2 if high is not None and default < high else \
            default / 2 if high is not None else default + 0.25
        return repr(value), value
    raise AssertionError(f"no sample for {annotation}")


@pytest.mark.parametrize("name", DOCUMENTED)
def test_each_documented_variable_still_parses_to_its_value(monkeypatch, name: str) -> None:
    info = Settings.model_fields[name]  # KeyError: the variable is gone
    default = info.get_default(call_default_factory=True)
    raw, expected = _other_value(info.annotation, default, _bounds(info))
    assert expected != default
    monkeypatch.setenv(f"RAG_{name.upper()}", raw)
    settings = get_settings()
    assert getattr(settings, name) == expected
    for setting, options, field_name, _, _ in _knob_settings():
        if setting == name:  # and it reaches the component's options
            assert getattr(getattr(settings, BUILDERS[options.__name__])(), field_name) == \
                expected


@pytest.mark.parametrize(("variable", "raw"), [("RAG_MMR_LAMBDA", "1.5"),
                                               ("RAG_LLM_TIMEOUT", "0"),
                                               ("RAG_INDEX_KIND", "btree"),
                                               ("RAG_TOP_K", "many"),
                                               ("RAG_QDRANT_SHARDS", "0")])
def test_a_bad_value_names_its_variable(monkeypatch, variable: str, raw: str) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ConfigurationError, match=f"{variable}: "):
        get_settings()


def test_rag_settings_prints_every_knob_and_where_its_value_came_from(
        monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RAG_TOP_K=7\n", "utf-8")
    monkeypatch.setenv("RAG_MMR_LAMBDA", "0.7")
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-never-printed")
    assert main(["settings"]) == 0
    text = capsys.readouterr().out
    for name in Settings.model_fields:
        assert f"RAG_{name.upper()}=" in text
    assert "RAG_MMR_LAMBDA=0.7  (env; default 0.8)\n    Relevance vs. diversity (MMR)." in text
    assert "RAG_TOP_K=7  (.env; default 5)" in text
    assert "RAG_RRF_K=60  (default)" in text
    assert 'RAG_LLM_API_KEY="***"  (env; default null)' in text
    assert "sk-never-printed" not in text

    assert main(["settings", "--json"]) == 0
    out = capsys.readouterr().out
    rows = {r["variable"]: r for r in map(json.loads, out.splitlines())}
    assert set(rows) == {f"RAG_{n.upper()}" for n in Settings.model_fields}
    assert rows["RAG_MMR_LAMBDA"] | {"description": ""} == {
        "variable": "RAG_MMR_LAMBDA", "value": 0.7, "default": 0.8, "source": "env",
        "description": "", "group": "extractive composer"}
    assert rows["RAG_TOP_K"]["source"] == ".env"
    assert rows["RAG_LLM_API_KEY"]["value"] == "***"
    assert "sk-never-printed" not in out
    assert all(r["description"] for r in rows.values())


def test_knobs_are_the_declared_fields_only() -> None:
    from rag.answer.options import LLMOptions

    # the LLM is shown as many passages as the extractive composer reads: no setting of its own
    assert [f.name for f, _ in knobs(LLMOptions)] == ["provider", "base_url", "model",
                                                      "api_key", "timeout", "max_tokens"]
