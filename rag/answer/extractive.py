"""Extractive composer (default, offline): picks the sentences of the retrieved passages
that answer the question, orders them readably and cites each one."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rag.answer import Answer, Citation, Question
from rag.answer.evidence import Judgement, judge
from rag.answer.expectations import evidence_has, expected_answer
from rag.index import Index
from rag.lexical import tokenize
from rag.retrieval import Hit
from rag.settings import Settings

LEAD_IN = {"en": "From the documents (quoted in the original French):"}
NOT_FOUND = {
    "fr": "Je n’ai pas trouvé la réponse dans les documents.",
    "en": "Not found in the documents.",
}


@dataclass
class Candidate:
    """A sentence that could go into the answer."""

    sentence: int  # index in Index.sentences
    hit_rank: int
    text: str
    similarity: float
    overlap: float
    score: float
    fits: bool = True  # contains the kind of answer the question expects


def common_words(index: Index, max_name_count: int = 5) -> frozenset[str]:
    """Lower-cased words that cannot be part of a person's name: words written in lower case
    somewhere in the corpus, and capitalised words frequent enough to belong to institution
    names (``Unies``, ``Conseil``); people are named rarely."""
    counts: Counter[str] = Counter()
    words: set[str] = set()
    for p in index.passages:
        for w in re.findall(r"[\w’'-]+", p.text):
            counts[w.lower()] += 1
            if w.islower():
                words.add(w)
    words.update(w for w, n in counts.items() if n > max_name_count)
    return frozenset(words)


_MULTI_PART = re.compile(r"\bà la fois\b|\bboth\b|\bet (?:dans|selon|quel|quelle|quand|"
                         r"comment|pourquoi|de quel)|\band (?:what|which|when|how|why|in)\b|"
                         r"\?.+\?", re.I)


_LIST = re.compile(r"\b(?:quels|quelles|lesquels|lesquelles)\b|\b(?:which|what)\s+(?:\w+\s+)?"
                   r"\w{3,}s\b|\b(?:list|name the)\b", re.I)


def is_multi_part(question: str) -> bool:
    """Questions that ask several things: two parts or documents (``à la fois``, ``…? Et…?``)
    or a list (``quels``/``quelles``, ``which … <plural>``)."""
    return bool(_MULTI_PART.search(question) or _LIST.search(question))


class ExtractiveComposer:
    """Cited sentences chosen by similarity to the question, lexical overlap and MMR."""

    name = "extractive"

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.common = common_words(index)

    def candidates(self, question: Question, hits: list[Hit]) -> list[Candidate]:
        """Scored sentences of the top passages.

        A sentence's score mixes its own similarity to the question with its passage's
        (the passage was embedded with its title and section, so a sentence that never
        names its organisation still scores under the right heading), the share of
        question words it contains, and a small bonus when it holds the kind of answer the
        question expects (a number, a date, a name…).
        """
        assert question.vector is not None, "the extractive composer needs the query vector"
        s = self.settings
        q_tokens = set(tokenize(question.text))
        expectation = expected_answer(question.text)
        used = hits[: s.answer_passages]
        rows = [self.index.positions[h.passage.id] for h in used]
        passage_sims = self.index.similarities(rows, question.vector)
        out: list[Candidate] = []
        for rank, (row, passage_sim) in enumerate(zip(rows, passage_sims, strict=True)):
            for si in self.index.sentences_of.get(row, []):
                text = self.index.sentences[si].text
                sim = float(self.index.sentence_vectors[si] @ question.vector)
                overlap = len(q_tokens & set(tokenize(text))) / max(1, len(q_tokens))
                fits = expectation is None or evidence_has(expectation, text, self.common,
                                                           question.text)
                score = (s.sentence_weight * sim + (1 - s.sentence_weight) * float(passage_sim)
                         + s.overlap_weight * overlap + s.rank_weight / (rank + 1)
                         + (s.expectation_bonus if expectation and fits else 0.0))
                out.append(Candidate(si, rank, text, sim, overlap, score, fits))
        return out

    def select(self, candidates: list[Candidate], multi_part: bool = False) -> list[Candidate]:
        """Maximal marginal relevance within the sentence and length budgets.

        A sentence from a passage already cited only has to be within
        ``answer_score_margin`` of the best; one that would add a new citation must be within
        the tighter ``new_passage_margin`` (``multi_passage_margin`` for questions with
        several parts), so answers cite few passages unless the evidence is spread out.
        """
        s = self.settings
        chosen: list[Candidate] = []
        pool = sorted(candidates, key=lambda c: -c.score)
        if not pool:
            return chosen
        best = pool[0].score
        new_margin = s.multi_passage_margin if multi_part else s.new_passage_margin
        vectors = self.index.sentence_vectors
        docs_seen: set[str] = set()
        while pool and len(chosen) < s.answer_max_sentences:
            def mmr(c: Candidate) -> float:
                redundancy = max((float(vectors[c.sentence] @ vectors[o.sentence])
                                  for o in chosen), default=0.0)
                new_doc = self._doc(c) not in docs_seen and bool(chosen)
                return (s.mmr_lambda * c.score - (1 - s.mmr_lambda) * redundancy
                        + (s.new_document_bonus if new_doc else 0.0))

            pick = max(pool, key=mmr)
            pool.remove(pick)
            cited = {self._passage(c) for c in chosen}
            margin = s.answer_score_margin if self._passage(pick) in cited else new_margin
            if chosen and pick.score < best - margin:
                continue
            length = sum(len(c.text) for c in chosen) + len(pick.text)
            if chosen and length > s.answer_max_chars:
                continue
            chosen.append(pick)
            docs_seen.add(self._doc(pick))
        return chosen

    def _ensure_expected_kind(self, chosen: list[Candidate], candidates: list[Candidate]
                              ) -> list[Candidate]:
        """When the question asks for a count, date, name… and no chosen sentence holds one,
        lead with the best sentence that does, if it comes from one of the top passages."""
        if not chosen or any(c.fits for c in chosen):
            return chosen
        fitting = [c for c in candidates if c.fits and c.hit_rank < self.settings.fit_top_passages]
        if not fitting:
            return chosen
        best = max(fitting, key=lambda c: c.score)
        best.score = max(c.score for c in chosen)  # it now leads the answer
        return [best, *chosen[: self.settings.answer_max_sentences - 1]]

    def _passage(self, c: Candidate) -> int:
        return self.index.sentences[c.sentence].passage

    def _doc(self, c: Candidate) -> str:
        return self.index.passages[self.index.sentences[c.sentence].passage].doc_id

    def compose(self, question: Question, hits: list[Hit]) -> Answer:
        """The cited extractive answer, or an abstention listing the closest passages."""
        candidates = self.candidates(question, hits)
        chosen = self.select(candidates, is_multi_part(question.text))
        chosen = self._ensure_expected_kind(chosen, candidates)
        verdict: Judgement = judge(question.text, chosen, self.settings, question.language)
        if verdict.abstain or not chosen:
            return Answer(question.text, _not_found(question.language, verdict.reason), True,
                          verdict.confidence, (), tuple(hits), question.language, self.name)
        chosen.sort(key=lambda c: (c.hit_rank, self.index.sentences[c.sentence].ordinal))
        citations: list[Citation] = []
        markers: dict[str, int] = {}
        parts: list[str] = []
        for c in chosen:
            passage = self.index.passages[self.index.sentences[c.sentence].passage]
            if passage.id not in markers:
                markers[passage.id] = len(markers) + 1
                citations.append(Citation(markers[passage.id], passage,
                                          self.index.documents[passage.doc_id], c.text))
            parts.append(f"{c.text} [{markers[passage.id]}]")
        body = " ".join(parts)
        lead = LEAD_IN.get(question.language)
        text = f"{lead} {body}" if lead else body
        return Answer(question.text, text, False, verdict.confidence, tuple(citations),
                      tuple(hits), question.language, self.name)


def _not_found(language: str, reason: str) -> str:
    base = NOT_FOUND.get(language, NOT_FOUND["fr"])
    return f"{base} ({reason})" if reason else base

