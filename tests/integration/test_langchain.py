"""LangChain's standard retriever test suite against our adapter, plus metadata checks."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag.langchain import UNRetriever


class TestUNRetrieverStandard(RetrieversIntegrationTests):
    """The ``langchain-tests`` suite (invoke/ainvoke, k in constructor and in invoke)."""

    @pytest.fixture(autouse=True)
    def _pipeline(self, pipeline):
        type(self)._shared = pipeline

    @property
    def retriever_constructor(self) -> type[UNRetriever]:
        return UNRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"pipeline": type(self)._shared}

    @property
    def retriever_query_example(self) -> str:
        return "coopération entre l'ONU et l'ASEAN"


def test_documents_carry_citation_metadata(pipeline):
    docs = UNRetriever(pipeline=pipeline, k=2).invoke("Amou-Daria et Syr-Daria")
    meta = docs[0].metadata
    assert docs[0].id == meta["passage_id"] == "004_69fee26534a39183#p63"
    assert meta["symbol"] == "A/75/345-S/2020/898" and meta["paragraph"] == "63"
    assert meta["reference"] == "A/75/345-S/2020/898, par. 63" and meta["score"] > 0


def test_document_filter_passes_through(pipeline):
    docs = UNRetriever(pipeline=pipeline, k=3, documents=["S/2021/297"]).invoke("OSCE")
    assert {d.metadata["document_id"] for d in docs} == {"001_72201535bd96dd17"}
