"""LangChain adapter: our hybrid retriever as a ``BaseRetriever`` returning ``Document``s
(page_content = passage text; metadata = ids, symbol, paragraph, score)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.pipeline import Pipeline
from rag.query.citations import citation_label
from rag.records import Hit
from rag.settings import Settings, get_settings


def hit_to_document(hit: Hit) -> Document:
    """One retrieved passage as a LangChain document."""
    p, d = hit.passage, hit.document
    return Document(
        id=p.id,
        page_content=p.text,
        metadata={
            "passage_id": p.id, "document_id": d.id, "symbol": d.symbol, "title": d.title,
            "date": d.date, "paragraph": p.label, "section": list(p.section),
            "reference": citation_label(d, p), "score": hit.score,
        },
    )


class UNRetriever(BaseRetriever):
    """Hybrid (FAISS + BM25) retrieval over the UN documents index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    pipeline: Any = Field(exclude=True, description="A loaded rag.pipeline.Pipeline.")
    k: int = 5
    documents: list[str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> UNRetriever:
        """Load the configured model and index once and wrap them."""
        return cls(pipeline=Pipeline.load(settings or get_settings()), **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None,
                                documents: list[str] | None = None) -> list[Document]:
        hits = self.pipeline.search(query, k or self.k, documents or self.documents)
        return [hit_to_document(h) for h in hits]
