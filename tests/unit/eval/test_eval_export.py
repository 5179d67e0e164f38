"""``rag eval export``: results.jsonl in the ragas and deepeval dataset shapes. The schema
tests run everywhere; the real libraries load the files when they are installed (they are
not project dependencies: ``pip install ragas deepeval`` to run those two)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.export import NO_ANSWER, export_run, reference
from eval.results import load_run
from rag.errors import RagError

ROWS = [
    {"id": "c001", "split": "dev_chat_qa", "lang": "fr", "type": "list", "category": "list",
     "history": [{"role": "user", "content": "Quelle organisation ?"},
                 {"role": "assistant", "content": "L’OTSC."}],
     "question": "Avec quelles entités travaille-t-elle ?", "answerable": True,
     "doc": ["003.txt"], "gold_quotes": ["rapports productifs avec les entités spécialisées"],
     "answer_facts": [["Comité contre le terrorisme", "Counter-Terrorism Committee"],
                      ["ONUDC"]],
     "answer": "Le Comité contre le terrorisme [1].\n\nEt l’ONUDC. " + "Suite. " * 80,
     "abstained": False, "confidence": 0.8, "right": True, "citations": ["003#p9"],
     "cited_relevant": [True], "fact_coverage": 1.0, "context_ids": ["003#p9", "003#p2"],
     "contexts": ["L’OTSC entretient des rapports productifs…", "Autre passage."],
     "first_relevant_rank": 1, "latency_ms": 12.0, "warmup": False},
    {"id": "u1", "split": "dev_qa", "lang": "en", "type": "unanswerable",
     "category": "near_miss", "history": [], "question": "What happened in 2030?",
     "answerable": False, "doc": [], "gold_quotes": [], "answer_facts": [],
     "answer": "Not found in the documents.", "abstained": True, "confidence": 0.1,
     "right": True, "citations": [], "cited_relevant": [], "fact_coverage": None,
     "context_ids": ["004#p1"], "contexts": ["Un passage proche."],
     "first_relevant_rank": None, "latency_ms": 9.0, "warmup": False},
]


def _run(tmp_path: Path, rows: list[dict] = ROWS) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "results.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return folder


def test_reference_lists_the_facts_or_says_there_is_no_answer():
    assert reference(ROWS[0]) == ("Comité contre le terrorisme / Counter-Terrorism Committee; "
                                  "ONUDC")
    assert reference(ROWS[1]) == NO_ANSWER["en"]


def test_ragas_shape(tmp_path):
    out = tmp_path / "ragas.jsonl"
    assert export_run(load_run(_run(tmp_path)), "ragas", out) == 2
    first, second = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert set(first) == {"user_input", "response", "retrieved_contexts",
                          "retrieved_context_ids", "reference", "reference_contexts"}
    assert first["user_input"] == ROWS[0]["question"]
    assert first["response"] == ROWS[0]["answer"]  # whole, newlines kept
    assert first["retrieved_contexts"] == ROWS[0]["contexts"]
    assert first["reference_contexts"] == ROWS[0]["gold_quotes"]
    assert second["reference_contexts"] == [] and second["reference"] == NO_ANSWER["en"]


def test_deepeval_shape(tmp_path):
    out = tmp_path / "sub" / "deepeval.json"
    export_run(load_run(_run(tmp_path)), "deepeval", out)
    goldens = json.loads(out.read_text("utf-8"))
    assert [g["name"] for g in goldens] == ["c001", "u1"]
    g = goldens[0]
    assert {"input", "actual_output", "expected_output", "retrieval_context", "context",
            "additional_metadata"} <= set(g)
    assert g["actual_output"] == ROWS[0]["answer"]
    assert g["retrieval_context"] == ROWS[0]["contexts"]
    assert g["context"] == ROWS[0]["gold_quotes"]
    assert g["additional_metadata"]["history"] == ROWS[0]["history"]
    assert "turns" not in g and "scenario" not in g  # would make a conversational golden


def test_old_results_and_unknown_formats_are_refused(tmp_path):
    old = [{k: v for k, v in ROWS[0].items() if k not in ("contexts", "gold_quotes")}]
    with pytest.raises(RagError, match=r"contexts, gold_quotes.*run it again"):
        export_run(load_run(_run(tmp_path, old)), "ragas", tmp_path / "x.jsonl")
    with pytest.raises(RagError, match="unknown export format"):
        export_run(load_run(tmp_path / "run"), "trulens", tmp_path / "x.jsonl")
    with pytest.raises(RagError, match=r"no results\.jsonl"):
        load_run(tmp_path / "nowhere")


def test_ragas_loads_the_export(tmp_path):
    ragas = pytest.importorskip("ragas")
    out = tmp_path / "ragas.jsonl"
    export_run(load_run(_run(tmp_path)), "ragas", out)
    dataset = ragas.EvaluationDataset.from_jsonl(str(out))
    assert len(dataset) == 2
    sample = dataset[0]
    assert sample.user_input == ROWS[0]["question"] and sample.response == ROWS[0]["answer"]
    assert sample.retrieved_contexts == ROWS[0]["contexts"]
    assert sample.reference.startswith("Comité contre le terrorisme")


def test_deepeval_loads_the_export(tmp_path):
    dataset_module = pytest.importorskip("deepeval.dataset")
    out = tmp_path / "deepeval.json"
    export_run(load_run(_run(tmp_path)), "deepeval", out)
    dataset = dataset_module.EvaluationDataset()
    dataset.add_goldens_from_json_file(str(out))
    assert len(dataset.goldens) == 2
    golden = dataset.goldens[0]
    assert golden.input == ROWS[0]["question"] and golden.actual_output == ROWS[0]["answer"]
    assert golden.retrieval_context == ROWS[0]["contexts"]
    assert golden.context == ROWS[0]["gold_quotes"]
    assert golden.additional_metadata["id"] == "c001"
