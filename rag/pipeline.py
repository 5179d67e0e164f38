"""The loaded service: settings, embedder, index, retriever and composers, built once and
shared by the CLI and the API. Composers come from :mod:`rag.answer.registry`: the
extractive one at load (it also declines off-topic input and judges every composer's
evidence), the others on first use."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from rag.answer.calibration import Calibrator, calibrator_for
from rag.answer.extractive import ExtractiveComposer
from rag.answer.registry import EXTRACTIVE, composer_spec
from rag.answer.types import Answer, Composer, ComposerInputs, Evidence
from rag.encoders.base import Embedder
from rag.encoders.load import load_embedder
from rag.errors import ComposerUnavailable, ModelUnavailable
from rag.index.load import Index, load_index
from rag.index.manifest import check_index_files
from rag.query.citations import citation_label
from rag.query.conversation import ConversationResolver, Resolved
from rag.query.coverage import CoverageChecker
from rag.query.plan import QuestionAnalyzer, QuestionPlan, Turn
from rag.query.retrieval import Retriever
from rag.records import CONTENT_ROLES, Hit
from rag.settings import Settings
from rag.text import acronym_expansions, collapse_whitespace, fold
from rag.tracing import span


@dataclass
class Pipeline:
    """Everything needed to answer a question, loaded once."""

    settings: Settings
    embedder: Embedder
    index: Index
    retriever: Retriever
    analyzer: QuestionAnalyzer
    coverage: CoverageChecker
    load_seconds: float = 0.0
    composers: dict[str, Composer] = field(default_factory=dict)
    answers: LRU = field(default_factory=lambda: LRU(0))  # per index snapshot: a reload empties it
    caveats: tuple[str, ...] = ()  # said in every answer's notes and by /readyz
    conversation: ConversationResolver | None = None  # follow-ups (built from the analyzer)
    _labels: dict[str, int] | None = field(default=None, repr=False)  # reference → row

    def __post_init__(self) -> None:
        if self.conversation is None:
            self.conversation = ConversationResolver(self.analyzer, self.coverage.frequency,
                                                     self.coverage.ordinary)

    @classmethod
    def load(cls, settings: Settings, *, mmap: bool = False,
             calibrator: Calibrator | None = None) -> Pipeline:
        """Load the model and the index (raises a named error if the index is unusable);
        ``calibrator`` replaces the shipped confidence model (used when refitting it)."""
        started = time.perf_counter()
        check_index_files(settings.index_dir)  # fail fast, before loading the model
        embedder = load_embedder(settings.encoder_options())
        index = load_index(settings.index_options(), dim=embedder.dim, mmap=mmap)
        return cls.from_parts(settings, embedder, index, time.perf_counter() - started,
                              calibrator)

    @classmethod
    def from_parts(cls, settings: Settings, embedder: Embedder, index: Index,
                   load_seconds: float = 0.0, calibrator: Calibrator | None = None
                   ) -> Pipeline:
        """Assemble a pipeline around an already loaded embedder and index (the confidence
        model: ``calibrator``, else the one fitted for the embedding model)."""
        caveats: tuple[str, ...] = ()
        if calibrator is None:
            calibrator, note = calibrator_for(settings.embedding_model)
            caveats = (note,) if note else ()
        retriever = Retriever(index, embedder, settings.retrieval_options())
        inputs = ComposerInputs(settings.extractive_options(), settings.llm_options(), index,
                                calibrator)
        extractive = composer_spec(EXTRACTIVE).load_factory()(inputs)
        analyzer = QuestionAnalyzer(index.documents,
                                    acronym_expansions(p.text for p in index.passages))
        coverage = CoverageChecker(index.passages, index.documents, index.gazetteer,
                                   settings.coverage_options())
        return cls(settings, embedder, index, retriever, analyzer, coverage, load_seconds,
                   {EXTRACTIVE: extractive}, LRU(settings.answer_cache_size), caveats)

    def reloaded(self, settings: Settings | None = None) -> Pipeline:
        """A new pipeline over the index now on disk (at ``settings``' location, default
        this pipeline's), sharing this one's model: the swap after ``rag index``."""
        settings = settings or self.settings
        started = time.perf_counter()
        index = load_index(settings.index_options(), dim=self.embedder.dim,
                           mmap=settings.mmap_index)
        return Pipeline.from_parts(settings, self.embedder, index, time.perf_counter() - started)

    def search(self, query: str, k: int | None = None,
               documents: list[str] | None = None) -> list[Hit]:
        """Top passages for ``query``."""
        return self.retriever.search(query, k, documents)

    def composer(self, name: str | None) -> Composer:
        """The named composer (default from settings), created on first use; a
        :class:`RagError` for a name the registry does not know,
        :class:`ComposerUnavailable` for one that cannot run here."""
        spec = composer_spec(name or self.settings.composer)
        if spec.name not in self.composers:
            extractive = self.composers[EXTRACTIVE]
            judge = extractive.judge_evidence if isinstance(
                extractive, ExtractiveComposer) else None
            inputs = ComposerInputs(self.settings.extractive_options(),
                                    self.settings.llm_options(), self.index, judge=judge,
                                    gate=extractive)
            try:
                self.composers[spec.name] = spec.load_factory()(inputs)
            except ModelUnavailable as exc:
                raise ComposerUnavailable(f"The '{spec.name}' composer is not available "
                                          f"here: {exc}") from exc
        return self.composers[spec.name]

    def resolve(self, question: str, history: Sequence[Turn | dict[str, str]] | None = None
                ) -> Resolved:
        """``question`` as understood in its conversation (:mod:`rag.query.conversation`)."""
        assert self.conversation is not None
        return self.conversation.resolve(question, _turns(history))

    def plan(self, question: str, history: Sequence[Turn | dict[str, str]] | None = None
             ) -> QuestionPlan:
        """The analysis of ``question``: a follow-up is first resolved against the earlier
        turns into a self-contained question; one that keeps its own words ("Et qui l’a
        présidée ?") is completed from the previous turn's resolved question."""
        turns = _turns(history)
        resolved = self.resolve(question, turns)
        if resolved.how in ("context", "referent") and resolved.previous:
            before = [("user", resolved.previous), *[t for t in turns
                                                     if t[0] == "assistant"][-1:]]
            plan = self.analyzer.analyse(resolved.question, before)
            if resolved.how == "referent" and not plan.documents:
                # the documents in play stay in play: what the pronoun stands for is not a
                # topic of the follow-up's own
                plan = replace(plan, documents=self.analyzer.documents_in_play(
                    resolved.previous, [c for r, c in before if r == "assistant"]))
        else:
            plan = self.analyzer.analyse(resolved.question)
        plan = replace(plan, resolved=resolved)
        coverage = self.coverage.check(plan, self.embedder.embed)
        # the corpus's own form of a name the question writes otherwise (SCO, OCS →
        # Organisation de Shanghai pour la coopération) is searched for too
        forms = [m.resolved for m in coverage.mentions if m.known and m.resolved]
        parts = tuple(replace(p, query=" ".join([p.query, *(f for f in forms
                                                           if fold(f) not in fold(p.query))]))
                      for p in plan.parts)
        return replace(plan, coverage=coverage, parts=parts)

    def gather(self, plan: QuestionPlan, depth: int, documents: list[str] | None = None
               ) -> list[Evidence]:
        """One retrieval pass per part of the plan, or per named document for comparisons
        and summaries of several documents. ``documents`` (ids or symbols, from the caller)
        take precedence over the documents the question names."""
        docs = ([self.retriever.resolve_document(d) for d in documents] if documents
                else list(plan.documents))
        passes: list[tuple[int, str | None, list[str] | None]] = []
        if plan.kind in ("comparison", "summary") and len(docs) > 1:
            passes = [(0, d, [d]) for d in docs]
        else:
            for i, part in enumerate(plan.parts):
                mine = list(part.documents) if part.documents and not documents else docs
                passes.append((i, mine[0] if len(mine) == 1 else None, mine or None))
        queries = list(dict.fromkeys(plan.parts[i].query for i, _, _ in passes))
        vectors = dict(zip(queries, self.embedder.embed(queries, query=True), strict=True))
        evidence = []
        for i, doc, allowed in passes:
            part = plan.parts[i]
            hits = self.retriever.search(part.query, depth, allowed,
                                         query_vector=vectors[part.query],
                                         language=plan.language)
            if plan.resolved is not None and plan.resolved.cited:
                hits = self._widened(hits, plan.resolved.cited, allowed)
            evidence.append(Evidence(part, tuple(hits), vectors[part.query], doc))
        return evidence

    def _widened(self, hits: list[Hit], cited: Sequence[str],
                 allowed: list[str] | None) -> list[Hit]:
        """``hits`` with the passages an earlier reply cited and their neighbours in the
        same section added after them ("more detail" on that answer): the cited passages
        and their neighbours first, in document order, then the other hits."""
        index = self.index
        if self._labels is None:
            self._labels = {citation_label(index.documents[p.doc_id], p): row
                            for row, p in enumerate(index.passages)}
        rows: list[int] = []
        for reference in cited:
            row = self._labels.get(reference)
            if row is None:
                continue
            passage = index.passages[row]
            for near in (row - 1, row, row + 1):
                if 0 <= near < len(index.passages) and (
                        other := index.passages[near]).doc_id == passage.doc_id and (
                        other.section == passage.section) and other.role in CONTENT_ROLES and (
                        allowed is None or other.doc_id in allowed):
                    rows.append(near)
        found = {h.passage.id: h for h in hits}
        floor = min((h.score for h in hits), default=0.0)
        first = [found.get(index.passages[r].id) or Hit(
            index.passages[r], index.documents[index.passages[r].doc_id], floor)
            for r in sorted(set(rows))]
        kept = {h.passage.id for h in first}
        return [*first, *(h for h in hits if h.passage.id not in kept)]

    def ask(self, question: str, k: int | None = None, documents: list[str] | None = None,
            composer: str | None = None,
            history: Sequence[Turn | dict[str, str]] | None = None,
            language: str | None = None) -> Answer:
        """Answer ``question`` with cited sentences (or abstain). ``history`` holds the
        earlier turns of a conversation as (role, content) pairs; ``language`` (``fr`` or
        ``en``) is the language of the service's own sentences, by default the question's
        (quotes stay as the documents write them)."""
        started = time.perf_counter()
        chosen = self.composer(composer)
        if documents:  # unknown documents are an error even when nothing is retrieved
            documents = [self.retriever.resolve_document(d) for d in documents]
        key = _answer_key(question, k, documents, chosen, history, language)
        with span("rag.ask", composer=getattr(chosen, "name", ""),
                  history_turns=len(history or ())) as current:
            cached = self.answers.get(key)
            current.set_attribute("cached", cached is not None)
            if cached is not None:
                return replace(cached, timings_ms={"retrieve": 0.0, "compose": 0.0, "total": (
                    time.perf_counter() - started) * 1000}, notes=(*cached.notes, "cached"))
            answer = self._ask(question, k, documents, chosen, history, started, language)
            current.set_attribute("abstained", answer.abstained)
            current.set_attribute("citations", len(answer.citations))
        self.answers.put(key, answer)
        return answer

    def ask_stream(self, question: str, k: int | None = None,
                   documents: list[str] | None = None, composer: str | None = None,
                   history: Sequence[Turn | dict[str, str]] | None = None,
                   language: str | None = None) -> Iterator[str | Answer]:
        """Like :meth:`ask`, with the answer's text pieces first as a composer that writes
        as it goes (the LLM composer) sends them, then the :class:`Answer` (the only item
        for other composers and cached answers)."""
        started = time.perf_counter()
        chosen = self.composer(composer)
        if documents:
            documents = [self.retriever.resolve_document(d) for d in documents]
        key = _answer_key(question, k, documents, chosen, history, language)
        if not hasattr(chosen, "stream") or self.answers.get(key) is not None:
            yield self.ask(question, k, documents, composer, history, language)
            return
        plan, evidence, offtopic = self._retrieve(question, k, documents, history, language)
        retrieved = time.perf_counter()
        for item in chosen.stream(plan, evidence):
            if isinstance(item, Answer):
                answer = self._finish(item, question, k, plan, offtopic, started, retrieved)
                self.answers.put(key, answer)
                yield answer
            else:
                yield item

    def _ask(self, question: str, k: int | None, documents: list[str] | None,
             chosen: Composer, history: Sequence[Turn | dict[str, str]] | None,
             started: float, language: str | None = None) -> Answer:
        plan, evidence, offtopic = self._retrieve(question, k, documents, history, language)
        retrieved = time.perf_counter()
        with span("rag.compose", composer=getattr(chosen, "name", "")):
            answer = chosen.compose(plan, evidence)
        return self._finish(answer, question, k, plan, offtopic, started, retrieved)

    def _retrieve(self, question: str, k: int | None, documents: list[str] | None,
                  history: Sequence[Turn | dict[str, str]] | None,
                  language: str | None = None) -> tuple[QuestionPlan, list[Evidence], bool]:
        """The question's plan (replying in ``language`` when given), its evidence, and
        whether it was judged off-topic (then no evidence is gathered)."""
        with span("rag.retrieve") as current:
            plan = replace(self.plan(question, history), reply_language=language)
            depth = max(k or self.settings.top_k, self.settings.answer_passages)
            extractive = self.composers[EXTRACTIVE]
            offtopic = isinstance(extractive, ExtractiveComposer) and bool(
                extractive.offtopic(plan))
            evidence = [] if offtopic else self.gather(plan, depth, documents)
            current.set_attribute("question.kind", plan.kind)
            current.set_attribute("passes", len(evidence))
        return plan, evidence, offtopic

    def _finish(self, answer: Answer, question: str, k: int | None, plan: QuestionPlan,
                offtopic: bool, started: float, retrieved: float) -> Answer:
        """The composed answer with the question as asked, how it was understood, its
        closest passages, timings and the service's caveats."""
        done = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000, "compose": (done - retrieved) * 1000,
                   "total": (done - started) * 1000}
        understood = plan.resolved.understood if plan.resolved and not offtopic else None
        return replace(answer, question=question, understood=understood,
                       hits=answer.hits[: k or self.settings.top_k], timings_ms=timings,
                       notes=(*answer.notes, *self.caveats))


def _turns(history: Sequence[Turn | dict[str, str]] | None) -> list[Turn]:
    return [(str(t["role"]), str(t["content"])) if isinstance(t, dict) else (t[0], t[1])
            for t in history or ()]


class LRU:
    """A thread-safe least-recently-used map of at most ``size`` entries (0 = off)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Answer | None:
        """The entry, now the most recently used, or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Answer) -> None:
        """Store an entry, evicting the least recently used beyond ``size``."""
        if not self.size:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _answer_key(question: str, k: int | None, documents: list[str] | None, composer: Composer,
                history: Sequence[Turn | dict[str, str]] | None,
                language: str | None = None) -> Hashable:
    """What decides an answer besides the index: the question (whitespace-normalised), the
    options, the conversation so far and the reply language asked for."""
    turns = tuple((t["role"], collapse_whitespace(t["content"])) if isinstance(t, dict)
                  else (t[0], collapse_whitespace(t[1])) for t in history or ())
    return (collapse_whitespace(question), k, tuple(documents or ()),
            getattr(composer, "name", ""), turns, language)
