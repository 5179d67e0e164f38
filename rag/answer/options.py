"""Each composer's options, with their defaults in this one place. ``rag.settings.Settings``
exposes every field as ``RAG_<FIELD>`` (bounds and descriptions there) and takes its default
from here; ``Settings.extractive_options()`` / ``llm_options()`` build the objects the
composers receive. A new knob: a field here, then the ``Settings`` field reading its default.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtractiveOptions:
    """How :class:`rag.answer.extractive.ExtractiveComposer` picks sentences. Tuned on the
    dev, extra and tuning questions, never on the frozen test split."""

    # answer size
    answer_passages: int = 6  # passages read per retrieval pass (also the LLM's)
    answer_max_sentences: int = 3  # sentences in an answer (lists and explanations: +1)
    answer_max_chars: int = 1200  # length cap of an answer
    summary_sentences: int = 4  # sentences in a summary answer
    # sentence score: similarity, overlap with the question, rank, expected kind of answer
    sentence_weight: float = 0.3  # sentence vs. passage similarity
    overlap_weight: float = 0.1  # share of the question's words (idf-weighted)
    key_term_weight: float = 0.05  # share of the question's names, acronyms and numbers held
    rank_weight: float = 0.1  # bonus weight/(rank+1) for higher-ranked passages
    expectation_bonus: float = 0.06  # the sentence holds the expected kind of answer
    noncontent_penalty: float = 0.1  # cover-letter sentences rank below content
    bound_bonus: float = 0.05  # its passage holds every name and year the question asks about
    fit_top_passages: int = 2  # a sentence holding the expected answer may lead from these
    # selection (maximal marginal relevance within margins of the best sentence)
    mmr_lambda: float = 0.8  # relevance vs. diversity
    new_document_bonus: float = 0.01  # a sentence from a document not yet cited
    answer_score_margin: float = 0.08  # a sentence of a cited passage: at most this below best
    new_passage_margin: float = 0.01  # one that adds a citation (single-part questions)
    multi_passage_margin: float = 0.08  # … for list, comparison and multi-part questions
    part_confidence_ratio: float = 0.6  # a part below this share of the threshold: "not said"
    # lists
    list_extra_passages: int = 3  # list questions read this many more passages
    list_structure_bonus: float = 0.03  # list items and introductions, for list questions
    list_switch_margin: float = 0.15  # switch from a paragraph to a list scoring this close
    list_item_margin: float = 0.04  # list items further below the best item are left out
    list_max_items: int = 12  # items shown under their introduction


@dataclass(frozen=True)
class LLMOptions:
    """The chat model of :class:`rag.answer.llm.LLMComposer` (``RAG_LLM_*``) and the size of
    what it is shown and may write."""

    provider: str = "openai"  # openai (any OpenAI-compatible endpoint) or ollama
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never printed
    timeout: float = 60.0  # seconds for the whole call, retries included
    max_tokens: int = 512  # the most tokens the model may write
    passages: int = ExtractiveOptions.answer_passages  # shown per retrieval pass
    max_sentences: int = ExtractiveOptions.answer_max_sentences  # asked for, per pass

