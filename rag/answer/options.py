"""Each composer's options, each knob declared once here (default, bounds, description):
``rag.settings.Settings`` makes every one the environment variable ``RAG_<FIELD>``
(``RAG_LLM_<FIELD>`` for :class:`LLMOptions`) and builds the objects the composers receive
(``Settings.extractive_options()`` / ``llm_options()``). A new knob: a :func:`rag.records.knob`
field here, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.records import knob


@dataclass(frozen=True)
class ExtractiveOptions:
    """How :class:`rag.answer.extractive.ExtractiveComposer` picks sentences. Tuned on the
    dev, extra and tuning questions, never on the frozen test split."""

    # answer size
    answer_passages: int = knob(6, "Passages the composer reads (per retrieval pass; also "
                                   "the LLM's).", ge=1)
    answer_max_sentences: int = knob(3, "Sentences in an answer (lists and explanations: "
                                        "+1).", ge=1)
    answer_max_chars: int = knob(1200, "Length cap of an answer.", ge=100)
    summary_sentences: int = knob(4, "Sentences in a summary answer.", ge=1)
    # sentence score: similarity, overlap with the question, rank, expected kind of answer
    sentence_weight: float = knob(0.3, "Sentence vs. passage similarity in sentence scores.",
                                  ge=0, le=1)
    overlap_weight: float = knob(0.1, "Weight of question-word overlap (idf-weighted).", ge=0)
    key_term_weight: float = knob(
        0.05, "Weight of the share of the question's names, acronyms and numbers that a "
        "passage (with its headings) holds.", ge=0)
    rank_weight: float = knob(
        0.1, "Bonus 1/(rank+1)×weight for sentences of higher-ranked passages.", ge=0)
    expectation_bonus: float = knob(
        0.06, "Bonus for sentences holding the expected kind of answer.", ge=0)
    noncontent_penalty: float = knob(
        0.1, "Score penalty of cover-letter sentences (content ranks first).", ge=0)
    bound_bonus: float = knob(
        0.05, "Bonus for sentences whose passage holds every name and year of the question.",
        ge=0)
    fit_top_passages: int = knob(
        2, "A sentence holding the expected kind of answer may lead the answer if it comes "
        "from one of this many top passages.", ge=0)
    # selection (maximal marginal relevance within margins of the best sentence)
    mmr_lambda: float = knob(0.8, "Relevance vs. diversity (MMR).", ge=0, le=1)
    new_document_bonus: float = knob(
        0.01, "MMR bonus for a sentence from a document not yet cited.", ge=0)
    answer_score_margin: float = knob(
        0.08, "Sentences scoring this far below the best are left out.", ge=0)
    new_passage_margin: float = knob(
        0.01, "A sentence that adds a new citation must score this close to the best "
        "(single-part questions).", ge=0)
    multi_passage_margin: float = knob(
        0.08, "Same, for list, comparison and multi-part questions.", ge=0)
    part_confidence_ratio: float = knob(
        0.6, "A part of a composite question is said not covered when its own confidence "
        "falls below this share of the abstention threshold.", ge=0, le=1)
    # lists
    list_extra_passages: int = knob(3, "List questions read this many more passages.", ge=0)
    list_structure_bonus: float = knob(
        0.03, "Bonus of list items and introductions for list questions.", ge=0)
    list_switch_margin: float = knob(
        0.15, "A list question switches from a paragraph to a list of the document whose "
        "items score within this margin of it.", ge=0)
    list_item_margin: float = knob(
        0.04, "List items scoring this far below the best item are left out.", ge=0)
    list_max_items: int = knob(12, "List items shown under their intro.", ge=1)


_EXTRACTIVE = ExtractiveOptions()


@dataclass(frozen=True)
class LLMOptions:
    """The chat model of :class:`rag.answer.llm.LLMComposer` (``RAG_LLM_*``) and the size of
    what it is shown and may write."""

    provider: str = knob("openai", "LLM composer backend: openai (any OpenAI-compatible "
                                   "endpoint) or ollama.")
    base_url: str | None = knob(
        None, "OpenAI-compatible base URL (http://host:8080/v1) or Ollama URL.")
    model: str | None = knob(None, "Chat model name for the LLM composer.")
    api_key: str | None = knob(None, "API key of the LLM endpoint.", secret=True)
    timeout: float = knob(60.0, "Seconds for a whole LLM call, retries included; past it "
                                "the call fails with HTTP 504.", gt=0)
    max_tokens: int = knob(512, "The most tokens the LLM may write per answer.", gt=0)
    # not settings of their own: RAG_ANSWER_PASSAGES and RAG_ANSWER_MAX_SENTENCES
    passages: int = _EXTRACTIVE.answer_passages  # shown per retrieval pass
    max_sentences: int = _EXTRACTIVE.answer_max_sentences  # asked for, per pass
