"""Response bodies of the JSON API, and the structured output of the MCP tools.

One definition per shape, shared by HTTP and MCP. The MCP tools return the compact models
(:class:`PassageOut`, :class:`SearchHit`, :class:`SearchResult`, :class:`PassageDetail`,
:class:`CitationOut`, :class:`AskResult`, :class:`DocumentInfo`, :class:`DocumentList`);
the HTTP responses extend them with the fields agents do not need (scores, timings, the
retrieved passages, file details). The dictionaries the library builds (``rag.answer.
answer_json``, ``rag.answer.serialize``, ``ChangeReport.as_json``) are what the CLI prints;
``tests/integration/test_api_schema.py`` checks that these models carry every one of their keys
unchanged, so adding a key there means adding the field here.

The error shape (``{"error": {"code", "message", "param"?, "request_id"?}}``) is
:class:`ErrorResponse`; :func:`error_responses` declares it for a route's error statuses.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from rag.corpus import Action
from rag.records import CardFieldName, CardSource, PassageKind, PassageRole

# -- passages, hits, answers -----------------------------------------------------------


class DocumentRef(BaseModel):
    """The document a passage belongs to."""

    id: str
    symbol: str | None
    title: str
    date: str | None


class PassageOut(BaseModel):
    """A passage with its citation information."""

    passage_id: str = Field(description="Id for get_passage, e.g. '004_69fee26534a39183#p40'.")
    document: DocumentRef
    paragraph: str = Field(description="Paragraph label: '12', '12 a)', 'note 1'…")
    reference: str = Field(description="Citation, e.g. 'A/75/345-S/2020/898, par. 40'.")
    section: list[str] = Field(description="Headings above the passage, outermost first.")
    text: str


class PassageDetail(PassageOut):  # GET /v1/passages/{id}, MCP get_passage
    """One passage."""

    paragraph_reference: str = Field(description="'par. 12', 'note 1'…")
    kind: PassageKind
    footnotes: list[str] = Field(description="Ids of the footnote passages it calls.")
    parent: str | None = Field(description="The paragraph a footnote or list item belongs to.")


class SearchHit(PassageOut):  # MCP search
    """A ranked passage."""

    score: float = Field(description="Fused retrieval score (higher is better).")


class HitScores(BaseModel):
    """The evidence behind a fused score: each retriever's score and rank (null when that
    retriever did not find the passage)."""

    dense: float | None
    lexical: float | None
    dense_rank: int | None
    lexical_rank: int | None


class Hit(PassageDetail, SearchHit):
    """A ranked passage with every passage field and the scores behind its rank
    (``/v1/search`` hits, ``/v1/ask`` passages)."""

    scores: HitScores


class SearchResult(BaseModel):  # MCP search
    """The passages that best match a query, best first."""

    query: str
    hits: list[SearchHit]


class SearchResponse(SearchResult):
    """``POST /v1/search``: the cleaned query and its hits, best first."""

    hits: list[Hit]


class CitationOut(BaseModel):
    """``[marker]`` in the answer → the passage it cites and the sentence quoted from it."""

    marker: int
    passage_id: str
    document: DocumentRef
    paragraph: str
    reference: str
    section: list[str]
    quote: str
    text: str = Field(description="The whole cited passage.")


class Citation(CitationOut):
    """A citation of ``/v1/ask`` and ``/v1/chat/completions``."""

    role: PassageRole = Field(description="The cited passage's role in its document.")


class AskResult(BaseModel):  # MCP ask
    """A cited answer (or an abstention when the documents do not say)."""

    question: str
    resolved_question: str | None = Field(
        None, description="A follow-up as understood from the conversation (the "
        "self-contained question, or the turn with the question it continues); null for a "
        "question that stands alone.")
    answer: str = Field(description="The answer; its sentences end with [n] citation markers.")
    abstained: bool
    confidence: float
    language: str
    kind: str = Field(description="The question's kind: factoid, list, comparison…")
    citations: list[CitationOut]


class AskResponse(AskResult):
    """``POST /v1/ask``: the answer, its citations, the passages retrieved and where the
    time went."""

    composer: str = Field(description="What wrote the answer: extractive or llm.")
    citations: list[Citation]
    passages: list[Hit] = Field(description="The passages retrieved, best first.")
    closest: list[Hit] = Field(
        default_factory=list, description="Under an abstention, the retrieved passages close "
        "to the question (both the vector and the word search rank them high), at most 3; "
        "empty for an answer, and when the question names what the documents never mention.")
    timings_ms: dict[str, float] = Field(description="Milliseconds per step, and total.")
    notes: list[str] = Field(description="Remarks, e.g. sentences an LLM left uncited.")


# -- documents and corpus changes ------------------------------------------------------


class CardFieldOut(BaseModel):
    """One fact of a document card, with the passage it was read from."""

    name: CardFieldName
    value: str = Field(description="As the document prints it: 'S/2021/297', '25 mars 2021', "
                                   "'anglais', 'Dang Dinh Quy'.")
    passage_id: str | None = Field(description="The passage it was read from (get_passage); "
                                               "null only when it comes from the catalogue "
                                               "alone.")
    source: CardSource = Field(description="text: read from the document; catalogue: given "
                                           "by the catalogue; inferred: see note.")
    iso: str | None = Field(description="ISO date (or year) of a date field.")
    note: str = Field(description="How it was inferred ('year from the symbol S/2020/898'), "
                                  "or what the text prints where the catalogue overrides it.")


class DocumentCardOut(BaseModel):
    """What a document says about itself: symbols, title, date, distribution date, original
    language, sender, signatory, addressee, agenda item, meeting date and theme, presidency
    (each field as often as the document gives it, in that order)."""

    fields: list[CardFieldOut]


class DocumentInfo(BaseModel):  # MCP list_documents
    """An indexed document."""

    id: str
    symbol: str | None
    title: str
    date: str | None
    reference: str
    kind: str | None
    language: str
    passages: int = Field(description="Number of passages indexed.")
    card: DocumentCardOut


class DocumentList(BaseModel):  # MCP list_documents
    """The documents of the index."""

    documents: list[DocumentInfo]


class DocumentSummary(DocumentInfo):
    """An indexed document with its catalogue and source-file details."""

    author: str | None
    presidency: str | None
    original_language: str | None
    file: str
    format: str | None = Field(description="Source format: pdf, docx, html, text, markdown.")
    pages: int | None
    added: str | None = Field(description="When the source file was added (ISO time).")


class DocumentListResponse(DocumentList):
    """``GET /v1/documents``."""

    documents: list[DocumentSummary]


class PassageItem(BaseModel):
    """A passage of a document listing, in reading order."""

    passage_id: str
    paragraph: str
    kind: PassageKind
    section: list[str]
    text: str


class DocumentDetail(DocumentSummary):
    """``GET /v1/documents/{doc_id}``: the summary and the passages in reading order."""

    passage_ids: list[str]
    passage_list: list[PassageItem]


class DocumentChange(BaseModel):
    """What happened to one document."""

    doc_id: str
    file: str
    action: Action


class CorpusChange(BaseModel):
    """``POST /v1/documents``, ``DELETE /v1/documents/{doc_id}``: what changed and what the
    index update cost."""

    changes: list[DocumentChange]
    rebuilt: bool = Field(description="Whether the index was updated and swapped in.")
    embedded_texts: int = Field(description="Texts the model embedded.")
    cached_texts: int = Field(description="Texts read from the embedding cache.")
    seconds: float
    documents: int = Field(description="Documents in the corpus afterwards.")


# -- OpenAI-compatible chat ------------------------------------------------------------


class Usage(BaseModel):
    """Token counts (the embedding model's tokenizer)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    """The reply."""

    role: Literal["assistant"]
    content: str


class ChatChoice(BaseModel):
    """The one choice of a completion."""

    index: int
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    """``POST /v1/chat/completions`` without ``stream``: OpenAI's ``chat.completion``, with
    the extension fields ``citations`` and ``abstained``."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation] = Field(description="The citations the reply still shows.")
    abstained: bool
    resolved_question: str | None = Field(
        None, description="The last user message as understood from the conversation; null "
        "when it stands alone.")


class ChatDelta(BaseModel):
    """A piece of the reply: the role first, then content pieces; empty when finishing."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChatChunkChoice(BaseModel):
    """The one choice of a chunk."""

    index: int
    delta: ChatDelta
    finish_reason: Literal["stop", "length"] | None


class ChatCompletionChunk(BaseModel):
    """One ``data:`` event of a streamed completion (``chat.completion.chunk``); the
    finishing chunk carries ``citations`` and ``abstained``; with
    ``stream_options.include_usage`` every chunk has ``usage`` (null but in a last chunk
    with no choices)."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChatChunkChoice]
    usage: Usage | None = None
    citations: list[Citation] | None = None
    abstained: bool | None = None
    resolved_question: str | None = None


class ModelCard(BaseModel):
    """An answering mode, as OpenAI lists models."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    """``GET /v1/models``: the models that can answer now."""

    object: Literal["list"]
    data: list[ModelCard]


# -- operations ------------------------------------------------------------------------


class Health(BaseModel):
    """``GET /healthz``."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """``GET /readyz``: the loaded index."""

    status: Literal["ready"]
    model: str = Field(description="The embedding model the index was built with.")
    passages: int
    documents: int
    index_created: str
    faiss_index: str
    notes: list[str] = Field(default_factory=list, description="Caveats that hold for every "
                             "answer, e.g. no confidence calibration for this embedding model.")


class ReloadResult(BaseModel):
    """``POST /v1/admin/reload``."""

    status: Literal["reloaded", "current"] = Field(
        description="current: another caller had already swapped this build in.")
    index_created: str
    passages: int
    previous_index_created: str | None


class FeedbackReceipt(BaseModel):
    """``POST /v1/feedback``: the stored record's id and time."""

    id: str = Field(description="Id of the stored feedback record.")
    received: str = Field(description="When it was stored (ISO 8601, UTC).")
    verdict: Literal["up", "down"]
    answer_id: str | None = Field(description="The client's answer id, as sent.")


# -- errors ----------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str = Field(description="Stable machine-readable code, e.g. 'unknown_document'.")
    message: str
    param: str | None = Field(None, description="The request parameter at fault (only when "
                                                "one is).")
    request_id: str | None = Field(None, description="Also in the X-Request-ID header and the "
                                                     "server log.")


class ErrorResponse(BaseModel):
    """Every error: ``{"error": {...}}``."""

    error: ErrorDetail


#: what each error status means here, and the codes it comes with
ERROR_STATUSES: dict[int, str] = {
    400: "Bad request: `empty_question`, `composer_unavailable`, `no_user_message`, "
         "`unsupported_parameter`, `invalid_parameter` (with `param`), `invalid_utf8`, "
         "`duplicate_header`, `bad_request`.",
    401: "Missing or wrong API key (`unauthorized`), when RAG_API_KEY is set.",
    403: "A cross-site browser request may not change the service (`cross_site`).",
    404: "Not found: `unknown_document`, `unknown_passage`, `model_not_found`.",
    408: "The request body did not arrive in time (`body_timeout`).",
    409: "Another corpus change is running (`corpus_busy`).",
    413: "Too large: `body_too_large`, `question_too_long`, `document_too_large`, "
         "`feedback_too_large`.",
    415: "Not a supported document type: `unsupported_type`, `document_unsupported_type`.",
    421: "Without an API key, a change addressed to a host name this server does not "
         "serve (`misdirected_request`): DNS rebinding.",
    422: "Invalid request (`invalid_request`) or a document that cannot be indexed "
         "(`document_…`, `document_bad_file_name` for a control character in its name).",
    429: "Over the rate limit (`rate_limited`, with a Retry-After header).",
    500: "Unexpected failure (`internal_error`; the server log has the details).",
    502: "The LLM composer's model server answered an error (`model_server_error`).",
    503: "No usable index or model: `not_ready`, `index_not_built`, `index_corrupt`, "
         "`index_mismatch`, `model_unavailable`, `model_server_unavailable` (the LLM "
         "composer's model server cannot be reached).",
    504: "The LLM composer's model server did not answer within RAG_LLM_TIMEOUT "
         "(`model_server_timeout`).",
    507: "The feedback file reached RAG_FEEDBACK_MAX_BYTES (`feedback_full`): export it "
         "(`rag feedback export`) and move it away.",
}

#: any route: a framing header sent twice (400), an unexpected failure (500)
ANY_ROUTE = (400, 500)
#: routes behind the API key and the rate limit
GUARDED = (401, 429)
#: routes that read a request body (every method but GET): too slow, too large
WITH_BODY = (408, 413)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route whose errors are ``statuses`` (the error shape)."""
    return {status: {"model": ErrorResponse, "description": ERROR_STATUSES[status]}
            for status in sorted(set(statuses))}


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with its nested models written out (no ``$ref``), for a
    schema that cannot point into ``components``, such as the payload of an SSE event."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)
