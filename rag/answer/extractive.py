"""Extractive composer (default, offline): answers each part of the question plan with
cited sentences of the documents, chosen by the kind of question.

- factoid / yes-no: the few sentences that best answer, holding the expected kind of
  answer (a date, a count…) when the question asks for one;
- list: a list introduction brings its items, each cited; otherwise several passages;
- explanation: several sentences from the best passages;
- summary: the document's central sentences (:mod:`rag.answer.summary`);
- comparison and multi-part: one section per document or sub-question, and a plain
  statement for a part the documents do not cover.

Titles, letterheads, signatures, footnotes and cover-letter formulas are evidence only for
questions about the document itself. ``confidence`` is the calibrated probability that the
answer is right (:mod:`rag.answer.calibration`); below its threshold the composer abstains.
Its tuning knobs and their defaults: :class:`rag.answer.options.ExtractiveOptions`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rag.answer.calibration import Calibrator
from rag.answer.document_facts import DocumentFact, asked_field, document_fact
from rag.answer.messages import (
    LEAD_IN,
    NOT_COVERED,
    OFFTOPIC,
    REASONS,
    after_date,
    field_absent,
    not_found,
    not_given,
    not_mentioned,
    unstated,
)
from rag.answer.names import common_words
from rag.answer.options import ExtractiveOptions
from rag.answer.signals import (
    CorpusVocabulary,
    EvidenceView,
    covers,
    offtopic_reason,
    signals,
)
from rag.answer.spans import actor, short_answer
from rag.answer.spans import lead as lead_span
from rag.answer.summary import (
    RELEVANCE_WEIGHT,
    TOPICAL_RELEVANCE_WEIGHT,
    central_sentences,
    topical,
)
from rag.answer.types import (
    NOT_IN_CORPUS,
    Answer,
    Citation,
    ComposerInputs,
    Evidence,
    merge_hits,
)
from rag.index.analysis import tokenize
from rag.index.load import Index
from rag.ingest.roles import is_formula
from rag.query.citations import document_reference
from rag.query.coverage import (
    Coverage,
    Mention,
    asks_about_plans,
    asks_completed,
    asks_outcome,
    evidence_holds,
    later_than,
    question_dates,
    tokens_of,
)
from rag.query.expectations import asks_actor, evidence_has
from rag.query.plan import QuestionPlan, document_year, key_terms
from rag.query.relation import Relation
from rag.records import CONTENT_ROLES
from rag.text import fold

# a sentence that only reads with the one before it, and first-person sentences
_ANAPHOR = re.compile(r"^(?:C[’']est (?:\w+ment )?(?:dans|pour|à|en|ce|cette|là)\b|"
                      r"(?:Cette|Ces|Cet|Celle-ci|Celui-ci|Ceux-ci|Celles-ci|Il|Elle|Ils|Elles|"
                      r"This|These|It|They)\b|À cet égard|Dans ce (?:cadre|contexte|domaine)|"
                      r"De ce fait|Pour ce faire)")
_FIRST_PERSON = re.compile(r"(?<![\w’'])(?:je|j[’']|me|m[’']|mon|ma|mes|moi|nous|notre|nos)"
                           r"(?![\w’'])", re.I)
_OUTSIDE_CONFIDENCE = 0.05
# a field of a document's card, read from its masthead, letter or signature: right on the
# tuning document questions whenever the field and the document were the asked ones
_CARD_CONFIDENCE = 0.9  # at most this sure of evidence for what the corpus lacks
_SECTION_SENTENCES = 2  # sentences per document in a comparison
_EXTRA_SENTENCES = 1  # lists, explanations and comparisons take answer_max_sentences + this
_DOCUMENT_HITS = 2  # "who signed it?": the front and back of the best two hits' documents
_ITEM_HITS = 3  # a list introduction among this many best hits brings its items
_DENSE_HITS = 5  # each pass's hits whose dense scores give top_dense and second_dense
_ABOUT_QUESTIONS = re.compile(r"\bquestions?\b|\binterrogations?\b", re.I)


@dataclass
class Candidate:
    """A sentence that could go into the answer."""

    sentence: int  # index in Index.sentences
    row: int  # passage row
    hit_rank: int
    text: str
    similarity: float
    score: float
    fits: bool = True  # contains the kind of answer the question expects
    bound: bool = True  # its passage names every name and year the question asks about


@dataclass
class Section:
    """The chosen sentences answering one retrieval pass, and how sure we are of them."""

    evidence: Evidence
    chosen: list[Candidate]
    probability: float = 0.0
    items: list[int] = field(default_factory=list)  # list rows shown after the intro
    covered: bool = False  # the documents answer this part
    named_topic: bool = False  # a summary about names the documents' passages hold
    unmet: tuple[str, ...] = ()  # names and years of the question no candidate passage holds
    asks_actor: bool = False  # a one-part "qui…?" / "quelle organisation…?" factoid
    actor: tuple[Candidate, str] | None = None  # its chosen sentence naming one, and the name


_ARTICLE_BEFORE = {"le": "le", "la": "la", "les": "les", "l’": "l’", "l'": "l’", "du": "le",
                   "des": "les", "au": "le", "aux": "les", "the": "the"}


def with_article(name: str, question: str) -> str:
    """``name`` with the article the question puts before it ("sur le Conseil…" → "le
    Conseil…", "du Mercosur" → "le Mercosur"), to name it in a sentence."""
    m = re.search(r"(?:^|[\s(])(le|la|les|l[’']|du|des|au|aux|the)\s*" + re.escape(name),
                  question, re.I)
    if m is None:
        return name
    article = _ARTICLE_BEFORE[m.group(1).lower()]
    return f"{article}{name}" if article.endswith("’") else f"{article} {name}"


class ExtractiveComposer:
    """Cited sentences chosen by the question's kind; calibrated confidence."""

    name = "extractive"

    def __init__(self, index: Index, options: ExtractiveOptions | None = None,
                 calibrator: Calibrator | None = None) -> None:
        self.index = index
        self.options = options or ExtractiveOptions()
        self.calibrator = calibrator or Calibrator.load()
        self.common = common_words(index)
        self.vocabulary = CorpusVocabulary.from_texts(p.text for p in index.passages)
        self.formula = [is_formula(s.text) for s in index.sentences]
        self.intro_of = {item: p.id for p in index.passages for item in p.items}
        self.df = Counter(t for p in index.passages for t in set(tokenize(p.text)))
        self._row_tokens: dict[int, tuple[str, ...]] = {}  # folded evidence words, by row
        self.document_words = frozenset(
            fold(w) for d in index.documents.values()
            for name in (*d.aliases, d.author or "", d.kind or "")
            for w in re.split(r"[\s’'-]+", name) if w)

    @classmethod
    def build(cls, inputs: ComposerInputs) -> ExtractiveComposer:
        """The composer over ``inputs.index`` with its options (registry factory)."""
        return cls(inputs.index, inputs.extractive, inputs.calibrator)

    def _idf(self, token: str) -> float:
        """Inverse passage frequency: "débat" in every paragraph says less than "buts"."""
        return math.log((1 + len(self.index.passages)) / (1 + self.df.get(token, 0))) + 1.0

    # -- candidates -------------------------------------------------------------------

    def _usable(self, row: int, plan: QuestionPlan) -> bool:
        """Content passages; a cover letter's paragraphs too (ranked below content), and
        titles and signatures only for questions about the document itself."""
        role = self.index.passages[row].role
        return plan.about_document or role in CONTENT_ROLES or role == "letterhead"

    def candidates(self, plan: QuestionPlan, evidence: Evidence) -> list[Candidate]:
        """Scored sentences of the pass's top passages (content passages only, unless the
        question is about the document itself; a list introduction brings its items)."""
        s = self.options
        part = evidence.part
        q_tokens = set(tokenize(part.query))
        q_weight = sum(self._idf(t) for t in q_tokens) or 1.0
        rows: list[tuple[int, int]] = []
        if plan.about_document:  # who signed, when dated: the document's own front and back
            for doc_id in dict.fromkeys(h.passage.doc_id for h in evidence.hits[:_DOCUMENT_HITS]):
                rows.extend((0, r) for r, p in enumerate(self.index.passages)
                            if p.doc_id == doc_id and p.role in ("signature", "title"))
        depth = s.answer_passages + (s.list_extra_passages if part.kind == "list" else 0)
        for rank, hit in enumerate(evidence.hits[:depth]):
            row = self.index.positions[hit.passage.id]
            if self._usable(row, plan):
                rows.append((rank, row))
            for item in hit.passage.items if rank < _ITEM_HITS else ():
                rows.append((rank, self.index.positions[item]))
        seen: set[int] = set()
        rows = [(r, row) for r, row in rows if not (row in seen or seen.add(row))]
        sims = self.index.similarities([row for _, row in rows], evidence.vector)
        terms = [t for t in key_terms(part.query) if self.vocabulary.knows_term(t)]
        asks_questions = bool(_ABOUT_QUESTIONS.search(part.query))
        constraints = self.constraints(plan, evidence)
        relation = plan.coverage.relation if plan.coverage is not None and len(
            plan.parts) == 1 and part.kind == "factoid" and part.expected and \
            not plan.about_document else None
        out: list[Candidate] = []
        for (rank, row), passage_sim in zip(rows, sims, strict=True):
            held = fold(self._evidence_text(row))
            missed = sum(not self._holds(m, row) for m in constraints)
            # with three names or more, one may be written otherwise in the passage
            bound = missed == 0 or (len(constraints) >= 3 and missed == 1)
            entities = (sum(covers(t, held, self.vocabulary) for t in terms) / len(terms)
                        if terms else 0.0)
            for si in self.index.sentences_of.get(row, []):
                if self.formula[si] and not plan.about_document:
                    continue
                text = self.index.sentences[si].text
                if text.rstrip(" »”)").endswith("?") and not asks_questions:
                    continue  # a question in a document (a debate's guiding questions) asks;
                    # it states nothing, unless the user asks what questions were put
                sim = float(self.index.sentence_vectors[si] @ evidence.vector)
                shared = q_tokens & set(tokenize(text))
                overlap = sum(self._idf(t) for t in shared) / q_weight
                fits = part.expected is None or evidence_has(part.expected, text, self.common,
                                                             part.text)
                if fits and relation is not None:  # the fact of the relation asked
                    fits = relation.bound(tokens_of(text))
                if plan.about_document and part.expected == "person":
                    fits = fits and self.index.passages[row].role == "signature"
                score = (s.sentence_weight * sim + (1 - s.sentence_weight) * float(passage_sim)
                         + s.overlap_weight * overlap + s.rank_weight / (rank + 1)
                         + s.key_term_weight * entities
                         + (s.expectation_bonus if part.expected and fits else 0.0)
                         - (s.noncontent_penalty if self.index.passages[row].role
                            not in CONTENT_ROLES and not plan.about_document else 0.0)
                         + (s.bound_bonus if bound and constraints else 0.0)
                + (s.list_structure_bonus if part.kind == "list" and self.index
                            .passages[row].role in ("list_item", "list_intro") else 0.0))
                out.append(Candidate(si, row, rank, text, sim, score, fits, bound))
        return out

    def constraints(self, plan: QuestionPlan, evidence: Evidence) -> tuple[Mention, ...]:
        """The names and years of this pass's part that its evidence must hold (none for
        questions about the document itself, summaries and comparisons, which range over
        whole documents)."""
        if plan.coverage is None or plan.about_document or evidence.part.kind in (
                "summary", "comparison"):
            return ()
        part = fold(evidence.part.text)
        return tuple(m for m in plan.coverage.constraints
                     if len(plan.parts) == 1 or fold(m.text) in part)

    @staticmethod
    def _changed(plan: QuestionPlan) -> tuple[Mention, ...]:
        """The year or name a chat follow-up changed ("Et en 2010 ?", "Et avec l’OCS ?"):
        what the evidence must hold, whatever the kind of question."""
        resolved = plan.resolved
        if resolved is None or resolved.how not in ("date", "name") or plan.coverage is None:
            return ()
        asked = fold(resolved.asked)
        return tuple(m for m in plan.coverage.mentions if m.known and m.how != "document"
                     and fold(m.text) in asked)

    def _holds(self, mention: Mention, row: int) -> bool:
        if row not in self._row_tokens:
            p = self.index.passages[row]
            doc = self.index.documents[p.doc_id]
            texts = [self._evidence_text(row), doc.date or "", doc.symbol or ""]
            if p.parent and p.parent in self.index.positions:  # an item's lead-in
                texts.append(self.index.passages[self.index.positions[p.parent]].text)
            self._row_tokens[row] = tuple(t for text in texts for t in tokens_of(text))
        return evidence_holds(mention, (), self._row_tokens[row])

    # -- selection --------------------------------------------------------------------

    def select(self, candidates: list[Candidate], *, spread: bool, limit: int
               ) -> list[Candidate]:
        """Maximal marginal relevance within the sentence and length budgets.

        A sentence from a passage already cited only has to be within
        ``answer_score_margin`` of the best; one that adds a citation must be within
        ``new_passage_margin`` (``multi_passage_margin`` when the answer should ``spread``
        over several passages: lists, explanations, comparisons)."""
        s = self.options
        chosen: list[Candidate] = []
        pool = sorted(candidates, key=lambda c: -c.score)
        if not pool:
            return chosen
        best = pool[0].score
        new_margin = s.multi_passage_margin if spread else s.new_passage_margin
        vectors = self.index.sentence_vectors
        docs_seen: set[str] = set()
        while pool and len(chosen) < limit:
            def mmr(c: Candidate) -> float:
                redundancy = max((float(vectors[c.sentence] @ vectors[o.sentence])
                                  for o in chosen), default=0.0)
                new_doc = self._doc(c) not in docs_seen and bool(chosen)
                return (s.mmr_lambda * c.score - (1 - s.mmr_lambda) * redundancy
                        + (s.new_document_bonus if new_doc else 0.0))

            pick = max(pool, key=mmr)
            pool.remove(pick)
            margin = (s.answer_score_margin if pick.row in {c.row for c in chosen}
                      else new_margin)
            if chosen and pick.score < best - margin:
                continue
            if chosen and sum(len(c.text) for c in chosen) + len(pick.text) > s.answer_max_chars:
                continue
            chosen.append(pick)
            docs_seen.add(self._doc(pick))
        return chosen

    def _lead_with_expected(self, chosen: list[Candidate], candidates: list[Candidate]
                            ) -> list[Candidate]:
        """When no chosen sentence holds the expected kind of answer, lead with the best one
        that does, if it comes from one of the top passages."""
        if not chosen or any(c.fits for c in chosen):
            return chosen
        fitting = [c for c in candidates if c.fits and c.hit_rank < self.options.fit_top_passages]
        if not fitting:
            return chosen
        best = max(fitting, key=lambda c: c.score)
        return [best, *chosen[: self.options.answer_max_sentences - 1]]

    def _topic_section(self, evidence: Evidence, doc_id: str) -> list[int]:
        """Content rows of the section holding two or more of the pass's top passages."""
        top = [h.passage.section for h in evidence.hits[: self.options.answer_passages]
               if h.passage.doc_id == doc_id and h.passage.section]
        if not top:
            return []
        section, count = Counter(top).most_common(1)[0]
        if count < 2:
            return []
        return [r for r, p in enumerate(self.index.passages) if p.doc_id == doc_id
                and p.section == section and p.role in CONTENT_ROLES]

    def _prefer_list(self, chosen: list[Candidate], candidates: list[Candidate]
                     ) -> list[Candidate]:
        """A list question answered by a paragraph that only announces what a list of the
        document enumerates: when two or more items of one list are among the candidates
        and the best of them scores within ``list_switch_margin`` of the answer's lead,
        lead with that item instead (the list then comes with it)."""
        lead = self.index.passages[chosen[0].row]
        if lead.role in ("list_item", "list_intro"):
            return chosen
        by_list: dict[str, list[Candidate]] = {}
        for c in candidates:
            intro = self.intro_of.get(self.index.passages[c.row].id)
            if intro:
                by_list.setdefault(intro, []).append(c)
        best: list[Candidate] = []
        for items in by_list.values():
            if len({c.row for c in items}) >= 2:
                top = max(items, key=lambda c: c.score)
                if top.score >= chosen[0].score - self.options.list_switch_margin and (
                        not best or top.score > best[0].score):
                    best = [top, *(c for c in items if c is not top)]
        return best or chosen

    def _as_list(self, chosen: list[Candidate], candidates: list[Candidate], question: str
                 ) -> tuple[list[Candidate], list[int]]:
        """When the best sentence introduces a list or is one of its items: the
        introduction's sentence(s) and the rows of its items in document order: all of
        them when the introduction itself answers (it shares words with the question or
        outscores its items), else those scoring within ``list_item_margin`` of the best."""
        lead = self.index.passages[chosen[0].row]
        intro_id = lead.id if lead.role == "list_intro" else self.intro_of.get(lead.id)
        if intro_id is None:
            return chosen, []
        siblings = [c for c in chosen if self.intro_of.get(self.index.passages[c.row].id)
                    == intro_id]
        if lead.role == "list_item" and len(siblings) < 2:
            return chosen, []  # one item answers by itself: no need for the whole list
        intro_row = self.index.positions[intro_id]
        intro = self.index.passages[intro_row]
        # the introduction's own statements stay; its closing lead-in ("… sont les
        # suivants :") is replaced by the items it announces
        head = [c for c in chosen if c.row == intro_row and not c.text.rstrip().endswith(":")]
        rows = [self.index.positions[i] for i in intro.items]
        best: dict[int, float] = {}
        for c in candidates:
            if c.row in rows or c.row == intro_row:
                best[c.row] = max(best.get(c.row, -1.0), c.score)
        item_scores = [best[r] for r in rows if r in best]
        shared = set(tokenize(intro.text)) & set(tokenize(question))
        intro_answers = len(shared) >= 2 or best.get(intro_row, -1.0) >= max(item_scores or [0])
        if item_scores and not intro_answers:
            # the introduction itself does not answer: only the items that do
            top = max(item_scores)
            rows = [r for r in rows if best.get(r, -1.0) >= top - self.options.list_item_margin]
        return head, rows[: self.options.list_max_items]

    def answer_section(self, plan: QuestionPlan, evidence: Evidence) -> Section:
        """The sentences answering one pass, chosen by the kind of its part."""
        s = self.options
        kind = evidence.part.kind
        if kind == "summary" and evidence.hits:
            doc_id = evidence.document or evidence.hits[0].passage.doc_id
            weight = RELEVANCE_WEIGHT
            named_topic = False
            if not evidence.document or topical(evidence.part.query, self.document_words):
                weight = TOPICAL_RELEVANCE_WEIGHT
                rows = [self.index.positions[h.passage.id] for h in evidence.hits
                        if h.passage.doc_id == doc_id and h.passage.role in CONTENT_ROLES]
                terms = [t for t in key_terms(evidence.part.query)
                         if fold(t) not in self.document_words and self.vocabulary.knows_term(t)
                         and not t[:1].isdigit()]
                naming = [r for r in rows if terms and all(covers(
                    t, fold(self._evidence_text(r)), self.vocabulary) for t in terms)]
                named_topic = bool(naming)
                # about the OSCE: the passages that name it; else the section most of the
                # best passages come from ("the report on the League of Arab States")
                rows = naming or self._topic_section(evidence, doc_id) or rows
            else:  # the whole document
                rows = [r for r, p in enumerate(self.index.passages)
                        if p.doc_id == doc_id and p.role in CONTENT_ROLES]
            picked = central_sentences(self.index, rows, evidence.vector, s.summary_sentences,
                                       exclude=self.formula, relevance_weight=weight)
            chosen = [Candidate(si, self.index.sentences[si].passage, 0,
                                self.index.sentences[si].text,
                                float(self.index.sentence_vectors[si] @ evidence.vector), 1.0)
                      for si in picked]
            return Section(evidence, chosen, named_topic=named_topic)
        candidates = self.candidates(plan, evidence)
        if changed := self._changed(plan):  # "Et en 2010 ?": the new year must be there
            # in the passage's own words: a report of 2020 does not tell about 2020 by its
            # date alone
            # with what the follow-up kept of the question, whichever part names it: "Et en
            # 2020 ?" after a question on a fellowship programme asks about the programme
            # in 2020, not about 2020
            kept = [m for m in (plan.coverage.constraints if plan.coverage else ())
                    if m not in changed]
            in_text = {row: all(evidence_holds(m, (self._evidence_text(row),))
                                for m in changed) and sum(not self._holds(m, row)
                                                          for m in kept) <= len(kept) // 3
                       for row in {c.row for c in candidates}}
            held = [c for c in candidates if in_text[c.row]]
            if not held:
                return Section(evidence, [], unmet=tuple(m.text for m in changed))
            # and the sentences that state it, when some do (a paragraph may tell of 2018
            # and of 2019)
            candidates = [c for c in held if all(evidence_holds(m, (c.text,))
                                                 for m in changed)] or held
        if kind in ("factoid", "yes_no") and not all(c.bound for c in candidates):
            bound = [c for c in candidates if c.bound]
            if not bound:
                constraints = self.constraints(plan, evidence)
                return Section(evidence, [], unmet=tuple(m.text for m in constraints))
            candidates = bound
        longer = s.answer_max_sentences + _EXTRA_SENTENCES
        if kind == "comparison" and evidence.document:
            chosen = self.select(candidates, spread=False, limit=_SECTION_SENTENCES)
        elif kind in ("list", "comparison"):
            chosen = self.select(candidates, spread=True, limit=longer)
        elif kind == "explanation":  # reasons sit together: more sentences, few passages
            chosen = self.select(candidates, spread=False, limit=longer)
        else:
            chosen = self.select(candidates, spread=False, limit=s.answer_max_sentences)
            chosen = self._lead_with_expected(chosen, candidates)
        who = bool(chosen) and len(plan.parts) == 1 and kind == "factoid" and \
            not evidence.part.expected and not plan.about_document and \
            asks_actor(evidence.part.text)
        found = None
        if who:
            chosen, found = self._lead_with_actor(plan, evidence.part.text, chosen, candidates)
        if kind == "list" and chosen:
            chosen = self._prefer_list(chosen, candidates)
        section = Section(evidence, chosen, asks_actor=who, actor=found)
        if chosen and (kind == "list" or chosen[0].text.rstrip().endswith(":")):
            section.chosen, section.items = self._as_list(chosen, candidates,
                                                          evidence.part.query)
        return section

    # -- judgement --------------------------------------------------------------------

    def _view(self, sections: list[Section]) -> EvidenceView:
        chosen = [c for sec in sections for c in sec.chosen]
        rows = list(dict.fromkeys([*(c.row for c in chosen),
                                   *(r for sec in sections for r in sec.items)]))
        texts = [self._evidence_text(r) for r in rows]
        item_ids = [(si, sec.evidence.vector) for sec in sections for r in sec.items
                    for si in self.index.sentences_of.get(r, [])]
        item_sentences = [self.index.sentences[si].text for si, _ in item_ids]
        item_sims = [float(self.index.sentence_vectors[si] @ v) for si, v in item_ids]
        dense = sorted((h.dense_score or 0.0 for sec in sections
                        for h in sec.evidence.hits[:_DENSE_HITS]), reverse=True)
        fits = all(any(c.fits for c in sec.chosen) or not sec.evidence.part.expected
                   for sec in sections if sec.chosen)
        return EvidenceView(
            sentences=[c.text for c in chosen] + item_sentences, passages=texts,
            sentence_similarities=[c.similarity for c in chosen] + item_sims,
            top_dense=dense[0] if dense else 0.0,
            second_dense=dense[1] if len(dense) > 1 else 0.0, fits=fits)

    def _evidence_text(self, row: int) -> str:
        p = self.index.passages[row]
        doc = self.index.documents[p.doc_id]
        return " ".join([doc.title, *p.section, p.context, p.text])

    def judge(self, plan: QuestionPlan, sections: list[Section]) -> tuple[float, dict]:
        """Calibrated probability that the whole answer is right, and its signals."""
        values = signals(plan, self._view(sections), self.vocabulary)
        return self.calibrator.probability(values), values

    def judge_evidence(self, plan: QuestionPlan, evidence: list[Evidence]) -> float:
        """Calibrated probability for the evidence of a plan (used by other composers)."""
        if self.offtopic(plan) is not None:
            return 0.0
        return self.judge(plan, [self.answer_section(plan, ev) for ev in evidence])[0]

    def offtopic(self, plan: QuestionPlan) -> str | None:
        """Why the input is not a question about the corpus (None when it may be)."""
        return offtopic_reason(plan, self.vocabulary)

    # -- composition ------------------------------------------------------------------

    def compose(self, plan: QuestionPlan, evidence: list[Evidence]) -> Answer:
        """The cited answer, or an abstention listing the closest passages."""
        hits = tuple(merge_hits(evidence))
        language = plan.answer_language
        if (reason := self.offtopic(plan)) is not None or not evidence:
            return Answer(plan.text, OFFTOPIC[language], True, 0.0, (), (), language,
                          self.name, notes=(f"off-topic: {reason}",), kind=plan.kind)
        if fact := self._document_fact(plan, evidence):
            return self._fact_answer(plan, fact, hits)
        if absent := self._field_absent(plan):
            return Answer(plan.text, absent, True, 0.0, (), hits, language, self.name,
                          kind=plan.kind, notes=("not on the document card",))
        sections = [self.answer_section(plan, ev) for ev in evidence]
        confidence, values = self.judge(plan, sections)
        if plan.coverage is not None and (outside := self._outside(plan, plan.coverage)):
            return Answer(plan.text, outside, True, min(confidence, _OUTSIDE_CONFIDENCE), (),
                          hits, language, self.name, kind=plan.kind, signals=values,
                          notes=(NOT_IN_CORPUS,))
        for sec in sections:  # one section: its plan is the question's, already judged
            part_plan = replace(plan, parts=(sec.evidence.part,), kind=sec.evidence.part.kind)
            sec.probability = (0.0 if not (sec.chosen or sec.items) else confidence
                               if len(sections) == 1 else self.judge(part_plan, [sec])[0])
        threshold = self.calibrator.threshold
        if self._document_request(plan, sections):
            threshold = 0.0  # the named document has what is asked: nothing to abstain on
        for sec in sections:  # a part is covered when it is about as sure as the whole
            sec.covered = bool(sec.chosen or sec.items) and sec.probability >= min(
                threshold, confidence) * self.options.part_confidence_ratio
        for sec in sections:  # a fact asked for (a place, a count…) must be in the quote
            if sec.covered and not plan.about_document and sec.evidence.part.kind == "factoid" \
                    and sec.evidence.part.expected and not any(c.fits for c in sec.chosen):
                sec.covered = False
        for sec in sections:  # "qui…?", "quelle organisation…?": a name or title not given
            if sec.covered and sec.asks_actor and sec.actor is None:
                sec.covered = False
        answered = [sec for sec in sections if sec.covered]
        if answered and (late := self._after_evidence(plan, answered)):
            return Answer(plan.text, late, True, min(confidence, _OUTSIDE_CONFIDENCE), (),
                          hits, language, self.name, kind=plan.kind, signals=values,
                          notes=("after the date of the document",))
        if confidence < threshold or not answered:
            reason = self._missing_kind(plan, sections)
            named = [n for sec in sections for n in sec.unmet] or [
                m.text for m in (plan.coverage.constraints if plan.coverage else ())
                if m.kind != "year"]
            text = (unstated(named, reason, language) if named and (reason or any(
                sec.unmet for sec in sections)) else not_found(language, reason))
            changed = [with_article(m.text, plan.resolved.question if plan.resolved else "")
                       for m in self._changed(plan) if m.text in named]
            if changed:  # "Et en 2010 ?": the documents do not give it for 2010
                text = not_given(plan.parts[0].expected, changed, language)
            return Answer(plan.text, text, True, confidence, (), hits,
                          language, self.name, kind=plan.kind, signals=values)
        text, citations = self._render(plan, sections)
        return Answer(plan.text, text, False, confidence, tuple(citations), hits, language,
                      self.name, kind=plan.kind, signals=values)

    def _outside(self, plan: QuestionPlan, coverage: Coverage) -> str | None:
        """What the corpus does not cover in the question, said in its language: names it
        never uses, or a year after the documents the question is about; None when the
        corpus covers every name and year."""
        names = [with_article(m.text, plan.text) for m in coverage.unknown if m.kind != "year"]
        if names:
            return not_mentioned(names, plan.answer_language)
        if coverage.after_date:
            year, date = coverage.after_date
            named = [self.index.documents[d] for d in plan.documents
                     if d in self.index.documents]
            who = document_reference(named[0]) if len(named) == 1 else None
            return after_date(year, who, date, plan.answer_language)
        years = [m.text for m in coverage.unknown if m.kind == "year"]
        return not_mentioned(years, plan.answer_language) if years else None

    def _document_fact(self, plan: QuestionPlan, evidence: list[Evidence]
                       ) -> DocumentFact | None:
        """A question about the document itself (its symbol, date, signatory…) that its
        card answers: the document the question names, else the best passage's."""
        if len(plan.parts) > 1 or len(plan.documents) > 1:
            return None
        doc_id = plan.documents[0] if plan.documents else next(
            (h.passage.doc_id for ev in evidence for h in ev.hits[:1]), None)
        if doc_id is None:
            return None
        return document_fact(plan.text, self.index.cards.get(doc_id))

    def _field_absent(self, plan: QuestionPlan) -> str | None:
        """A question about a field of the one document it names (its symbol, its
        signatory…) that the document's text does not give: say so."""
        name = asked_field(plan.text)
        if name is None or len(plan.documents) != 1 or len(plan.parts) > 1:
            return None
        card = self.index.cards.get(plan.documents[0])
        if card is None or card.get(name) is not None:
            return None
        return field_absent(document_reference(self.index.documents[plan.documents[0]]), name,
                            plan.answer_language)

    def _fact_answer(self, plan: QuestionPlan, fact: DocumentFact, hits: tuple) -> Answer:
        """"S/2021/297 [1]." and the line of the document it was read from."""
        row = self.index.positions[fact.field.passage_id or ""]
        passage = self.index.passages[row]
        value = fold(fact.field.value)
        quote = next((self.index.sentences[si].text for si in self.index.sentences_of.get(
            row, []) if value in fold(self.index.sentences[si].text)), passage.text)
        citation = Citation(1, passage, self.index.documents[passage.doc_id], quote)
        lead = LEAD_IN.get(plan.answer_language)
        support = f"{lead} {quote} [1]" if lead else f"{quote} [1]"
        text = f"{lead_span(fact.field.value)} [1].\n{support}"
        return Answer(plan.text, text, False, _CARD_CONFIDENCE, (citation,), hits,
                      plan.answer_language, self.name, kind=plan.kind,
                      notes=(f"from the document card: {fact.field.name}",))

    def _after_evidence(self, plan: QuestionPlan, sections: list[Section]) -> str | None:
        """A question about what happened on a date after the document that would answer
        it was written (the outcome of a debate its letter announces): say what the
        document covers instead of quoting its announcement."""
        completed = asks_completed(plan.text)  # "se sont-elles déroulées ?"
        if plan.about_document or (asks_about_plans(plan.text) and not completed):
            return None
        docs = {self.index.passages[c.row].doc_id for sec in sections for c in sec.chosen}
        docs |= {self.index.passages[r].doc_id for sec in sections for r in sec.items}
        if len(docs) != 1:
            return None
        doc = self.index.documents[docs.pop()]
        date = self._document_date(doc.id)
        if not date:
            return None
        for written, parts in question_dates(plan.text):
            # a day, or a later year asked about as an outcome: "en novembre 2021" may name
            # the month a letter of October announces, "2021-2025" a plan's period
            precise = parts[2] is not None or completed or (
                asks_outcome(plan.text) and (parts[0] or 0) > int(date[:4]))
            if precise and later_than(parts, date):
                return after_date(written, document_reference(doc), date, plan.answer_language)
        return None

    def _document_date(self, doc_id: str) -> str | None:
        """The document's date (ISO, or a year when only that is known): its metadata's,
        else its card's (a year inferred from its symbol, say)."""
        if date := self.index.documents[doc_id].date:
            return date
        card = self.index.cards.get(doc_id)
        fields = [card.get(n) for n in ("date", "distribution_date")] if card else []
        return next((f.iso for f in fields if f is not None and f.iso), None)

    def _document_request(self, plan: QuestionPlan, sections: list[Section]) -> bool:
        """A request about named documents as wholes, which they always satisfy: a summary
        of each, or who signed / when they were dated, answered from their own signature
        or title (holding the expected name or date). Such a request cannot be a near-miss
        of content, so the confidence model does not decide whether to answer it."""
        if not sections or not (plan.documents or plan.kind == "summary"):
            return False
        years = set(re.findall(r"\b(?:19|20)\d{2}\b", plan.text))
        if years and not all(document_year(self.index.documents[d]) in years
                            for d in plan.documents):
            return False  # "la lettre de 2019" of an author whose letter is from 2021
        if plan.kind == "summary":  # of named documents, or about names they hold
            return all(sec.chosen and (sec.named_topic or (sec.evidence.document and not topical(
                sec.evidence.part.query, self.document_words))) for sec in sections)
        if plan.about_document:
            return all(any(self.index.passages[c.row].role in ("signature", "title")
                           and self.index.passages[c.row].doc_id in plan.documents and c.fits
                           for c in sec.chosen) for sec in sections)
        return False

    def _missing_kind(self, plan: QuestionPlan, sections: list[Section]) -> str:
        for sec in sections:
            if sec.chosen and sec.asks_actor and sec.actor is None:
                return REASONS["en" if plan.answer_language == "en" else "fr"]["actor"]
            exp = sec.evidence.part.expected
            if exp and sec.chosen and not any(c.fits for c in sec.chosen):
                return REASONS["en" if plan.answer_language == "en" else "fr"][exp]
        return ""

    def _render(self, plan: QuestionPlan, sections: list[Section]
                ) -> tuple[str, list[Citation]]:
        markers: dict[str, int] = {}
        citations: list[Citation] = []

        def cite(row: int, quote: str) -> str:
            passage = self.index.passages[row]
            if passage.id not in markers:
                markers[passage.id] = len(markers) + 1
                citations.append(Citation(markers[passage.id], passage,
                                          self.index.documents[passage.doc_id], quote))
            return f"[{markers[passage.id]}]"

        blocks: list[str] = []
        documents = [sec.evidence.document for sec in sections]
        per_document = len(sections) > 1 and all(documents) and len(set(documents)) == len(
            documents)
        for sec in sections:
            if not sec.covered:
                what = sec.evidence.part.text
                if per_document:
                    doc = self.index.documents[sec.evidence.document or ""]
                    what = f"{document_reference(doc)} — {what}"
                blocks.append(NOT_COVERED.get(plan.answer_language, NOT_COVERED["fr"]).format(what))
                continue
            chosen = sec.chosen
            if sec.evidence.part.kind != "summary" or not sec.evidence.document:
                chosen = sorted(chosen, key=lambda c: (c.hit_rank,
                                                       self.index.sentences[c.sentence].ordinal))
            else:
                chosen = sorted(chosen, key=lambda c: c.sentence)
            shown: set[int] = set()
            quotes = [f"{self._readable(c, shown, plan.answer_language)} {cite(c.row, c.text)}"
                      for c in chosen]
            one_per_line = sec.evidence.part.kind == "list" and len({c.row for c in chosen}) > 1
            lines = [f"- {q}" for q in quotes] if one_per_line else [" ".join(quotes)]
            lines += [f"- {self.index.passages[r].text} {cite(r, self.index.passages[r].text)}"
                      for r in sec.items]
            body = "\n".join(line for line in lines if line)
            if per_document:
                doc = self.index.documents[sec.evidence.document or ""]
                body = f"{document_reference(doc)} : {body}" if plan.answer_language == "fr" \
                    else f"{document_reference(doc)}: {body}"
            blocks.append(body)
        text = "\n".join(blocks)
        lead = LEAD_IN.get(plan.answer_language)
        text = f"{lead} {text}" if lead else text
        direct = self._direct_reply(plan, sections, cite)
        return (f"{direct}\n{text}" if direct else text), citations

    def _readable(self, c: Candidate, shown: set[int], language: str) -> str:
        """The quote of ``c`` made to read on its own: a sentence opening on an anaphor
        ("Cette initiative…") brings the sentence before it; a first-person sentence is
        attributed to the document's author. The sentences stay verbatim."""
        text = c.text
        if _ANAPHOR.match(text):
            ordinal = self.index.sentences[c.sentence].ordinal
            before = [si for si in self.index.sentences_of.get(c.row, [])
                      if self.index.sentences[si].ordinal == ordinal - 1 and si not in shown]
            if before:
                text = f"{self.index.sentences[before[0]].text} {text}"
                shown.add(before[0])
        shown.add(c.sentence)
        if _FIRST_PERSON.search(text) and (who := self._author(c.row)):
            return f"{who} écrit : « {text} »" if language == "fr" else \
                f"{who} writes: “{text}”"
        return text

    def _author(self, row: int) -> str | None:
        """"Le Secrétaire général", "Le Représentant permanent du Mexique": the author's
        role as the document's metadata gives it."""
        doc_id = self.index.passages[row].doc_id
        author = self.index.documents[doc_id].author
        if not author and (card := self.index.cards.get(doc_id)) and (
                sender := card.get("sender")):
            author = sender.value  # "le Représentant permanent de la France auprès de…"
        if not author:
            return None
        role = author.split(",", 1)[-1].strip()
        first = role.split()[:2]
        article = "La" if any(w.endswith(("ale", "ente", "ée")) for w in first) else "Le"
        return f"{article} {role[:1].lower()}{role[1:]}" if role[:1].isupper() and not \
            role.isupper() else role

    def _direct_reply(self, plan: QuestionPlan, sections: list[Section],
                      cite: Callable[[int, str], str]) -> str | None:
        """"À Moscou [1]." for a one-part question expecting a place, a date, a number or a
        person, taken verbatim from the quoted sentence that holds it."""
        if len(sections) != 1 or not sections[0].covered:
            return None
        part = sections[0].evidence.part
        if sections[0].asks_actor:
            found = sections[0].actor
            return f"{lead_span(found[1])} {cite(found[0].row, found[0].text)}." if found \
                else None
        if part.kind not in ("factoid", "yes_no") or not part.expected:
            return None
        for c in sections[0].chosen:
            if c.fits and (span := short_answer(part.expected, c.text, part.text,
                                                self.common)):
                return f"{lead_span(span)} {cite(c.row, c.text)}."
        return None

    def _actor_in(self, plan: QuestionPlan, question: str, candidates: list[Candidate]
                  ) -> tuple[Candidate, str] | None:
        """The first of ``candidates`` stating the question's relation with a name or title
        the question does not already give ("Qui a dirigé… ?" → "Vice-Secrétaire
        générale"), and that name."""
        relation = plan.coverage.relation if plan.coverage is not None else Relation()
        named = tuple(frozenset(f for forms in (*m.expansion, *m.words) for f in forms)
                      for m in (plan.coverage.mentions if plan.coverage else ()))
        if plan.resolved is not None and plan.resolved.how in ("context", "referent") and \
                plan.resolved.previous:  # a follow-up: the names of the turn before are given
            question = f"{question} {plan.resolved.previous}"
        for c in candidates:
            if relation.states_act(tokens_of(c.text)) and (span := actor(
                    c.text, question, relation.positions(c.text), self.common, named)):
                return c, span
        return None

    def _lead_with_actor(self, plan: QuestionPlan, part_text: str, chosen: list[Candidate],
                         candidates: list[Candidate]
                         ) -> tuple[list[Candidate], tuple[Candidate, str] | None]:
        """For a *who* question: the chosen sentences and the one naming the actor, with
        its name. When no chosen sentence names one, the best sentence of the passages
        read that does leads (the act stated, a name or title not in the question: a
        stricter test than the expected kinds', so it may come from any passage read)."""
        if found := self._actor_in(plan, part_text, chosen):
            return chosen, found
        top = sorted(candidates, key=lambda c: -c.score)
        found = self._actor_in(plan, part_text, top)
        if found is None:
            return chosen, None
        return [found[0], *chosen[: self.options.answer_max_sentences - 1]], found

    def _doc(self, c: Candidate) -> str:
        return self.index.passages[c.row].doc_id
