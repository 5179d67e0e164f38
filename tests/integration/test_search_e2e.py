"""End-to-end retrieval on the real index built from seeds/ with the real default model, on
each vector store (FAISS and Qdrant local mode)."""

from __future__ import annotations

import pytest

from rag.answer.serialize import hit_json
from rag.errors import UnknownDocument
from rag.query.retrieval import rrf


def test_rrf_weights_and_ranks():
    fused = rrf([([1, 2, 3], 1.0), ([3, 1], 0.5)], k=60)
    assert max(fused, key=fused.get) == 1
    assert fused[3] == pytest.approx(1 / 63 + 0.5 / 61)


def test_french_question_finds_the_numbered_paragraph(backend_pipeline):
    hits = backend_pipeline.search(
        "Dans quelle ville la Secrétaire générale adjointe a-t-elle tenu des consultations "
        "avec le Secrétariat de l'OTSC en novembre 2018 ?")
    assert hits[0].passage.id == "004_69fee26534a39183#p40"
    assert "Moscou" in hits[0].passage.text


def test_english_question_finds_french_evidence(backend_pipeline):
    hits = backend_pipeline.search("Which OSCE publication does Viet Nam's concept note cite "
                                   "on confidence-building?", k=5)
    assert any("OSCE Guide on Non-military" in h.passage.text for h in hits)


def test_document_filter_by_id_or_symbol(backend_pipeline):
    for ref in ("001_72201535bd96dd17", "S/2021/297"):
        hits = backend_pipeline.search("organisations régionales", k=8, documents=[ref])
        assert hits and {h.passage.doc_id for h in hits} == {"001_72201535bd96dd17"}
    with pytest.raises(UnknownDocument, match="known ids"):
        backend_pipeline.search("x", documents=["S/1999/1"])


def test_hit_json_has_the_documented_fields(backend_pipeline):
    hit = hit_json(backend_pipeline.search("Chapitre VIII de la Charte", k=1)[0])
    assert set(hit) >= {"passage_id", "score", "text", "document", "paragraph", "section"}
    assert set(hit["document"]) == {"id", "symbol", "title", "date"}


def test_signature_answers_who_signed(backend_pipeline):
    hits = backend_pipeline.search(
        "Who signed Viet Nam's March 2021 letter to the Secretary-General?", k=5)
    assert "001_72201535bd96dd17#sig" in [h.passage.id for h in hits]
