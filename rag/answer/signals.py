"""Generic signals that an answer is right, fed to the calibrated model
(:mod:`rag.answer.calibration`): how much of the question the corpus and the evidence
cover, how strong and distinctive the evidence is, whether it holds the expected kind of
answer. None of them depends on particular questions."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rag.query.coverage import asks_outcome, evidence_holds, tokens_of
from rag.query.plan import QuestionAnalyzer, QuestionPlan, key_terms
from rag.text import FUNCTION_WORDS, acronym_expansions, fold

_WORD = re.compile(r"[^\W\d_]{3,}")
_NUMBER = re.compile(r"\b\d{1,3}(?:[ \u00a0\u202f]\d{3})+\b|\b\d+(?:[.,]\d+)?\b")
_PREFIX = 5  # cognates share their first letters: coopération / cooperation
_INSTRUCTION = re.compile(
    r"\b(?:ignore[rz]?|oublie[rz]?|disregard|forget|override)\b.{0,40}\b(?:instructions?|"
    r"consignes?|règles|rules|prompt|directives?|documents?|contexte|context|sources?)\b|"
    r"\bsystem prompt\b|\bprompt système\b|"
    r"\bjailbreak\b|\btu es (?:maintenant|désormais)\b|\byou are now\b|\bact as\b|"
    r"\bfais comme si\b|\bpretend (?:to be|you)\b|\bdeveloper mode\b", re.I)


def content_words(text: str) -> list[str]:
    """Folded words of ``text`` that carry meaning (not question or function words)."""
    return [w for w in (fold(m) for m in _WORD.findall(text)) if w not in FUNCTION_WORDS]


@dataclass(frozen=True)
class CorpusVocabulary:
    """The words of the corpus (folded), and their first letters for cognates."""

    words: frozenset[str]
    prefixes: frozenset[str]
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # OTSC → words

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CorpusVocabulary:
        """Vocabulary of ``texts``."""
        texts = list(texts)
        words: set[str] = set()
        for t in texts:
            words.update(fold(w) for w in _WORD.findall(t))
            words.update(re.sub(r"[\s.,]", "", n) for n in _NUMBER.findall(t))
        expansions = {fold(acronym): tuple(long) for acronym, name in acronym_expansions(
            texts).items() if (long := [fold(w) for w in re.findall(r"[^\W\d_]{4,}", name)][-3:])}
        return cls(frozenset(words), frozenset(w[:_PREFIX] for w in words if len(w) >= _PREFIX),
                   expansions)

    def knows(self, word: str) -> bool:
        """The word, or a cognate sharing its first letters, occurs in the corpus."""
        w = fold(word)
        return w in self.words or (len(w) >= _PREFIX and w[:_PREFIX] in self.prefixes)

    def knows_term(self, term: str) -> bool:
        """Every word of a key term occurs in the corpus (numbers as written)."""
        folded = fold(term)
        if re.fullmatch(r"[\d.,\s]+", folded):
            return re.sub(r"[\s.,]", "", folded) in self.words
        parts = _WORD.findall(folded) or [folded]
        return all(self.knows(p) for p in parts)


def offtopic_reason(plan: QuestionPlan, vocabulary: CorpusVocabulary) -> str | None:
    """Why the input cannot be a question about the corpus, or None: an instruction to the
    system, or no meaningful word that the corpus knows (greetings, tests, gibberish)."""
    if _INSTRUCTION.search(plan.text):
        return "instruction"
    words = content_words(plan.text)
    resolved = plan.resolved
    leans = resolved is not None and resolved.how == "context" and not \
        QuestionAnalyzer.refers_back(resolved.asked)
    if resolved is not None and resolved.previous and not leans:
        # a follow-up that changes a constraint of, refers back to, or asks more about the
        # previous question ("And when?", "What was it meant to achieve?") is about it; one
        # that only leans on it ("Merci !", "Et la météo demain ?") is judged on its words
        words += [fold(c) for c in plan.context] + content_words(resolved.previous)
    elif resolved is None:
        words += [fold(c) for c in plan.context]
    terms = key_terms(plan.text) if leans else plan.key_terms
    if not any(vocabulary.knows(w) for w in words) and not any(
            vocabulary.knows_term(t) for t in terms if re.search(r"\d", t)):
        return "no_known_word"
    return None


def covers(term: str, evidence: str, vocabulary: CorpusVocabulary) -> bool:
    """The term, its cognates, or the full name an acronym stands for, is in the (folded)
    evidence."""
    folded = fold(term)
    if folded in evidence:
        return True
    long = vocabulary.expansions.get(folded)
    if long and all(w in evidence for w in long):
        return True
    words = _WORD.findall(folded)
    return bool(words) and all(w[:_PREFIX] in evidence for w in words)


@dataclass(frozen=True)
class EvidenceView:
    """What the signals look at: the chosen sentences, the passages they come from, and
    the retrieval scores of the passes."""

    sentences: Sequence[str]
    passages: Sequence[str]  # passage text with section and document title
    sentence_similarities: Sequence[float]
    top_dense: float
    second_dense: float
    fits: bool  # a chosen sentence holds the expected kind of answer


# An outcome asked in the past ("a-t-il finalement été adopté ?", "did it eventually…")
# while the evidence only announces it (future, conditional, plans): the documents were
# written before the event.
_ANNOUNCED = re.compile(
    r"\b\w{3,}(?:era|ra|ront|rait|raient)\b|\bdevr(?:a|ait|aient|ont)\b|\bprévu|\benvisag|"
    r"\bwill\b|\bwould\b|\bshould\b|\bplanned\b|\bexpected to\b", re.I)

FEATURES = ("top_dense", "best_sentence", "dense_margin", "key_coverage", "key_unknown",
            "word_coverage", "word_unknown", "fits", "expects", "n_words", "composite",
            "outcome_announced", "constraints_held", "names_loose", "relation_held")


def signals(plan: QuestionPlan, view: EvidenceView, vocabulary: CorpusVocabulary
            ) -> dict[str, float]:
    """The calibrated model's inputs for one answer (names in :data:`FEATURES`)."""
    evidence = fold(" ".join(view.passages))
    # questions about the document itself are answered by its front and back matter
    sentences = evidence if plan.about_document else fold(" ".join(view.sentences))
    terms = list(plan.key_terms)
    # a name the coverage check found under another form (OCS → Organisation de Shanghai
    # pour la coopération) is known, and covered when that form is
    corpus_form = {m.text: m.resolved for m in (plan.coverage.mentions if plan.coverage
                                                 else ()) if m.known and m.resolved}
    known_terms = [t for t in terms if vocabulary.knows_term(t) or t in corpus_form]
    words = list(dict.fromkeys(content_words(" ".join([plan.text, *plan.context]))))
    known_words = [w for w in words if vocabulary.knows(w)]
    return {
        "top_dense": view.top_dense,
        "best_sentence": max(view.sentence_similarities, default=0.0),
        "dense_margin": view.top_dense - view.second_dense,
        "key_coverage": (sum(covers(t, evidence, vocabulary) or (
            t in corpus_form and covers(corpus_form[t], evidence, vocabulary))
            for t in known_terms) / len(known_terms) if known_terms else 1.0),
        "key_unknown": (len(terms) - len(known_terms)) / len(terms) if terms else 0.0,
        "word_coverage": (sum(w[:_PREFIX] in sentences for w in known_words) / len(known_words)
                          if known_words else 0.0),
        "word_unknown": (len(words) - len(known_words)) / len(words) if words else 1.0,
        "fits": float(view.fits),
        "expects": float(any(p.expected for p in plan.parts)),
        "n_words": math.log1p(len(words)),
        "composite": float(plan.composite or plan.kind in ("list", "summary", "explanation")),
        "outcome_announced": float(asks_outcome(plan.text) and bool(
            view.sentences) and sum(bool(_ANNOUNCED.search(t)) for t in view.sentences)
            >= len(view.sentences) / 2),
        **_coverage_signals(plan, view),
    }


def _coverage_signals(plan: QuestionPlan, view: EvidenceView) -> dict[str, float]:
    """How much of what the question names the cited passages hold (the names found as
    written: :attr:`Coverage.constraints`), how many of its names the corpus knows only
    loosely (through cognates, vectors, or words found apart), and how many quoted sentences
    state the relation it asks about."""
    coverage = plan.coverage
    if coverage is None:
        return {"constraints_held": 1.0, "names_loose": 0.0, "relation_held": 1.0}
    constraints = coverage.constraints
    tokens = [t for text in view.passages for t in tokens_of(text)]
    held = (sum(evidence_holds(m, (), tokens) for m in constraints) / len(constraints)
            if constraints else 1.0)
    names = [m for m in coverage.mentions if m.kind != "year" and m.how != "document"]
    loose = (sum(m.how in ("cognates", "vector", "unverified") for m in names) / len(names)
             if names else 0.0)
    # the share of quoted sentences stating the question's relation (its words beyond the
    # names and dates: "investie", "signed", "reconstruire")
    relation = coverage.relation
    stated = (sum(relation.bound(tokens_of(t)) for t in view.sentences) / len(view.sentences)
              if view.sentences else 0.0)
    return {"constraints_held": held, "names_loose": loose, "relation_held": stated}
