"""Feedback on a real answer of the session pipeline: the exported draft's quotes validate."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.main import create_app
from eval.check_gold import validate_files
from rag.feedback import (
    draft_gold_item,
    read_feedback,
)
from tests.conftest import SEEDS


def test_a_real_answer_judged_exports_a_draft_whose_quotes_validate(built_settings, pipeline,
                                                                    tmp_path):
    settings = built_settings.model_copy(update={"index_root": tmp_path,
                                                 "reload_poll_seconds": 0})
    question = ("Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des "
                "consultations avec l'OTSC en novembre 2018 ?")
    with TestClient(create_app(settings, pipeline=pipeline),
                    base_url="http://127.0.0.1") as client:
        answer = client.post("/v1/ask", json={"question": question}).json()
        r = client.post("/v1/feedback", json={
            "verdict": "up", "question": answer["question"], "answer": answer["answer"],
            "citations": answer["citations"], "language": answer["language"],
            "kind": answer["kind"], "answer_id": "real-1"})
        assert r.status_code == 201
    [stored] = read_feedback(settings.feedback_options().path).records
    assert stored["index"]["created"] == pipeline.index.manifest.created
    assert all(c["file"] and c["file"].endswith(".txt") for c in stored["citations"])
    item = draft_gold_item(stored)
    assert item["gold_quotes"] and "A/75/345" in json.dumps(item["draft"]["citations"])
    out = tmp_path / "drafts.jsonl"
    out.write_text(json.dumps(item, ensure_ascii=False) + "\n", "utf-8")
    problems = [p.message for p in validate_files([out], SEEDS)[1]]
    assert problems and all(m.startswith(f"{item['id']}: draft: ") for m in problems), problems
    done = {k: v for k, v in item.items() if k != "draft"} | {"answer_facts": [["Moscou"]]}
    out.write_text(json.dumps(done, ensure_ascii=False) + "\n", "utf-8")
    assert validate_files([out], SEEDS)[1] == []
