"""The loaded service: settings, embedder, index, retriever and composers, built once and
shared by the CLI and the API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from rag.answer import Answer, Composer, Question
from rag.answer.extractive import ExtractiveComposer
from rag.embeddings import Embedder, load_embedder
from rag.errors import ComposerUnavailable, ModelUnavailable, RagError
from rag.index import Index, load_index, read_manifest
from rag.language import detect_language
from rag.retrieval import Hit, Retriever
from rag.settings import Settings

COMPOSERS = ("extractive", "llm")


@dataclass
class Pipeline:
    """Everything needed to answer a question, loaded once."""

    settings: Settings
    embedder: Embedder
    index: Index
    retriever: Retriever
    load_seconds: float = 0.0
    composers: dict[str, Composer] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings, *, mmap: bool = False) -> Pipeline:
        """Load the model and the index (raises a named error if the index is unusable)."""
        started = time.perf_counter()
        read_manifest(settings.index_dir)  # fail fast, before loading the model
        embedder = load_embedder(settings)
        index = load_index(settings, dim=embedder.dim, mmap=mmap)
        return cls.from_parts(settings, embedder, index, time.perf_counter() - started)

    @classmethod
    def from_parts(cls, settings: Settings, embedder: Embedder, index: Index,
                   load_seconds: float = 0.0) -> Pipeline:
        """Assemble a pipeline around an already loaded embedder and index."""
        retriever = Retriever(index, embedder, settings)
        extractive = ExtractiveComposer(index, settings)
        return cls(settings, embedder, index, retriever, load_seconds,
                   {extractive.name: extractive})

    def reloaded(self, settings: Settings | None = None) -> Pipeline:
        """A new pipeline over the index now on disk (at ``settings``' location, default
        this pipeline's), sharing this one's model: the swap after ``rag index``."""
        settings = settings or self.settings
        started = time.perf_counter()
        index = load_index(settings, dim=self.embedder.dim, mmap=settings.mmap_index)
        return Pipeline.from_parts(settings, self.embedder, index, time.perf_counter() - started)

    def search(self, query: str, k: int | None = None,
               documents: list[str] | None = None) -> list[Hit]:
        """Top passages for ``query``."""
        return self.retriever.search(query, k, documents)

    def composer(self, name: str | None) -> Composer:
        """The named composer (default from settings), created on first use."""
        name = name or self.settings.composer
        if name not in COMPOSERS:
            raise RagError(f"Unknown composer {name!r}; choose one of {', '.join(COMPOSERS)}")
        if name not in self.composers:
            from rag.answer.llm import LLMComposer

            try:
                self.composers[name] = LLMComposer.from_settings(self.settings)
            except ModelUnavailable as exc:
                raise ComposerUnavailable(f"The '{name}' composer is not available here: "
                                          f"{exc}") from exc
        return self.composers[name]

    def ask(self, question: str, k: int | None = None, documents: list[str] | None = None,
            composer: str | None = None) -> Answer:
        """Answer ``question`` with cited sentences (or abstain)."""
        started = time.perf_counter()
        chosen = self.composer(composer)
        vector = self.retriever.embed_query(question)
        depth = max(k or self.settings.top_k, self.settings.answer_passages)
        hits = self.retriever.search(question, depth, documents, query_vector=vector)
        retrieved = time.perf_counter()
        q = Question(question, detect_language(question), vector)
        answer = chosen.compose(q, hits)
        done = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000, "compose": (done - retrieved) * 1000,
                   "total": (done - started) * 1000}
        shown = tuple(answer.hits[: k or self.settings.top_k])
        return replace(answer, hits=shown, timings_ms=timings)
