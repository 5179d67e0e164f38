"""The extractive composer's three stages on records made by hand — no seeds, no build, no
retrieval: :class:`Passage` and :class:`Sentence` rows of an :class:`Index` assembled in
memory, :class:`Hit` lists in the order a retriever would give them, the hash embedder's
vectors and confidence models whose answer is fixed.

- selection: the best sentence leads; maximal marginal relevance leaves a near-copy out;
  a list question keeps the items under their introduction, in document order;
- judging: below the threshold the composer abstains and says what kind of answer was
  missing; a part of the question that nothing answers is said not covered;
- writing: every quoted sentence carries the marker of the passage it is quoted from, and
  the answer's length is capped."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.answer.calibration import Calibrator
from rag.answer.extractive import Candidate, ExtractiveComposer
from rag.answer.messages import NOT_COVERED, NOT_FOUND, REASONS
from rag.answer.options import ExtractiveOptions
from rag.answer.signals import FEATURES
from rag.answer.types import Answer, Evidence
from rag.index.load import Index
from rag.query.plan import Part, QuestionPlan
from rag.records import DocumentMeta, Hit, Passage, Sentence
from tests.support.fakes import HashEmbedder

EMBEDDER = HashEmbedder()
DOC = DocumentMeta(id="rapport", file="rapport.txt", title="Rapport sur la coopération régionale",
                   date="2020-03-02", kind="report")


def passage(label: str, sentences: list[str], order: int, kind: str = "paragraph",
            **fields) -> tuple[Passage, list[str]]:
    return Passage(id=f"{DOC.id}#{label}", doc_id=DOC.id, kind=kind, label=label,
                   text=" ".join(sentences), order=order, **fields), sentences


# (passage, its sentences) in document order
BAMAKO = ["La mission a visité Bamako en mars 2019 avec les autorités maliennes.",
          "Elle a rencontré des représentants de la société civile."]
DEBATE = ["Le Conseil de sécurité a tenu un débat public sur la coopération régionale.",
          "Le débat a réuni de nombreuses délégations."]
BUDGET = ["Le budget du bureau régional a été approuvé par l’Assemblée générale."]
INTRO = ["Le plan d’action pour la coopération régionale a été adopté en 2019.",
         "Il retient trois priorités :"]
ITEMS = ["Renforcer la prévention des conflits ;",
         "Soutenir la médiation des organisations régionales ;",
         "Financer les opérations de paix des organisations régionales."]
ROWS = [
    passage("1", BAMAKO, 0),
    passage("2", DEBATE, 1),
    passage("3", BUDGET, 2),
    passage("4", INTRO, 3, role="list_intro",
            items=tuple(f"{DOC.id}#4 {c})" for c in "abc")),
    *(passage(f"4 {c})", [text], 4 + i, kind="item", role="list_item", parent=f"{DOC.id}#4")
      for i, (c, text) in enumerate(zip("abc", ITEMS, strict=True))),
]


class PassageVectors:
    """The one thing the composer asks of the vector store: the stored passage vectors."""

    def __init__(self, vectors: np.ndarray) -> None:
        self._vectors = vectors

    def vectors(self, rows: list[int]) -> np.ndarray:
        return self._vectors[rows]


def hand_made_index(rows: list[tuple[Passage, list[str]]]) -> Index:
    passages = [p for p, _ in rows]
    sentences = [Sentence(row, k, text) for row, (_, texts) in enumerate(rows)
                 for k, text in enumerate(texts)]
    return Index(path=Path("hand-made"), manifest=None, vectors=None, lexical=None,
                 passages=passages, documents={DOC.id: DOC}, sentences=sentences,
                 sentence_vectors=EMBEDDER.embed([s.text for s in sentences]),
                 store=PassageVectors(EMBEDDER.embed([p.embedding_text(DOC.title)
                                                      for p in passages])))


def calibrator(intercept: float) -> Calibrator:
    """A confidence model that gives sigmoid(intercept) whatever the signals."""
    n = len(FEATURES)
    return Calibrator(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, intercept, 0.5)


SURE, UNSURE = calibrator(4.0), calibrator(-4.0)  # 0.982 and 0.018, threshold 0.5


@pytest.fixture(scope="module")
def index() -> Index:
    return hand_made_index(ROWS)


def part(question: str, kind: str = "factoid", expected: str | None = None) -> Part:
    return Part(text=question, query=question, kind=kind, expected=expected)


def plan_of(*parts: Part) -> QuestionPlan:
    text = " ".join(p.text for p in parts)
    return QuestionPlan(text=text, language="fr",
                        kind=parts[0].kind if len(parts) == 1 else "multi_part",
                        parts=parts)


def evidence(index: Index, p: Part, labels: list[str]) -> Evidence:
    """One retrieval pass: the passages labelled ``labels``, best first."""
    hits = tuple(Hit(index.passages[index.positions[f"{DOC.id}#{label}"]], DOC,
                     score=1.0 / (rank + 1), dense_score=0.9 - rank / 20)
                 for rank, label in enumerate(labels))
    return Evidence(p, hits, EMBEDDER.embed([p.query], query=True)[0])


def compose(index: Index, model: Calibrator, *passes: tuple[Part, list[str]],
            options: ExtractiveOptions | None = None) -> Answer:
    composer = ExtractiveComposer(index, options, calibrator=model)
    plan = plan_of(*(p for p, _ in passes))
    return composer.compose(plan, [evidence(index, p, labels) for p, labels in passes])


def candidates(index: Index, scored: dict[str, float]) -> list[Candidate]:
    """Candidates for sentences given by their text, with the scores given."""
    out = []
    for si, s in enumerate(index.sentences):
        if s.text in scored:
            out.append(Candidate(si, s.passage, 0, s.text, 0.5, scored[s.text]))
    return out


# -- selection -----------------------------------------------------------------------------

def test_the_best_sentence_leads_even_from_the_second_passage(index: Index):
    question = "Quelle ville la mission a-t-elle visitée avec les autorités maliennes ?"
    composer = ExtractiveComposer(index, calibrator=SURE)
    p = part(question)
    section = composer.answer_section(plan_of(p), evidence(index, p, ["2", "1"]))
    assert [c.text for c in section.chosen] == [BAMAKO[0]]
    # the first-ranked passage's sentences scored below it, by more than the margin a
    # sentence adding a citation is allowed
    others = [c for c in composer.candidates(plan_of(p), evidence(index, p, ["2", "1"]))
              if c.text != BAMAKO[0]]
    best = section.chosen[0].score
    assert others and all(c.score < best - composer.options.new_passage_margin for c in others)


def test_mmr_leaves_out_a_near_copy_of_a_chosen_sentence():
    near = "En mars 2019, la mission a visité Bamako avec les autorités maliennes."
    rows = [passage("1", [BAMAKO[0]], 0), passage("2", [near], 1), passage("3", BUDGET, 2)]
    index = hand_made_index(rows)
    copy = float(index.sentence_vectors[0] @ index.sentence_vectors[1])
    assert copy > 0.8 > float(index.sentence_vectors[0] @ index.sentence_vectors[2])
    pool = candidates(index, {BAMAKO[0]: 1.0, near: 0.99, BUDGET[0]: 0.95})
    chosen = ExtractiveComposer(index, calibrator=SURE).select(pool, spread=True, limit=2)
    assert [c.text for c in chosen] == [BAMAKO[0], BUDGET[0]]
    # relevance alone (no diversity term) would have taken the near copy
    relevance = ExtractiveComposer(index, ExtractiveOptions(mmr_lambda=1.0), calibrator=SURE)
    assert [c.text for c in relevance.select(pool, spread=True, limit=2)] == [BAMAKO[0], near]


def test_a_list_question_keeps_the_items_under_their_introduction(index: Index):
    question = "Quelles sont les priorités du plan d’action pour la coopération régionale ?"
    # retrieval ranks an item above the introduction and a paragraph between them
    answer = compose(index, SURE, (part(question, "list"), ["4 c)", "2", "4"]))
    assert not answer.abstained, answer.text
    # the introduction's statement, then its items in document order, each cited; its
    # closing lead-in ("Il retient trois priorités :") gives way to the items
    assert answer.text == (f"{INTRO[0]} [1]\n"
                           f"- {ITEMS[0]} [2]\n- {ITEMS[1]} [3]\n- {ITEMS[2]} [4]")
    assert [c.passage.label for c in answer.citations] == ["4", "4 a)", "4 b)", "4 c)"]


# -- judging -------------------------------------------------------------------------------

def test_below_the_threshold_the_composer_abstains(index: Index):
    question = "Quelle ville la mission a-t-elle visitée avec les autorités maliennes ?"
    sure = compose(index, SURE, (part(question), ["1", "2"]))
    assert not sure.abstained and sure.citations
    unsure = compose(index, UNSURE, (part(question), ["1", "2"]))
    assert unsure.abstained and unsure.citations == ()
    assert unsure.text == NOT_FOUND["fr"]
    assert unsure.confidence == pytest.approx(UNSURE.probability(unsure.signals))
    assert unsure.confidence < UNSURE.threshold


def test_an_abstention_names_the_kind_of_answer_missing(index: Index):
    question = "Combien de délégations le débat public a-t-il réunies ?"
    answer = compose(index, UNSURE, (part(question, expected="count"), ["2", "1"]))
    assert answer.abstained
    # the debate's sentences are about delegations but give no number
    assert answer.text == (f"{NOT_FOUND['fr']} ({REASONS['fr']['count']} dans les passages)")
    # sure or not, a count asked for must be in the quote
    sure = compose(index, SURE, (part(question, expected="count"), ["2", "1"]))
    assert sure.abstained and sure.text == answer.text


def test_a_part_nothing_answers_is_said_not_covered(index: Index):
    where = part("Quelle ville la mission a-t-elle visitée avec les autorités maliennes ?")
    budget = part("Quel montant le bureau de liaison a-t-il dépensé en 2018 ?")
    answer = compose(index, SURE, (where, ["1"]), (budget, []))
    assert not answer.abstained
    assert answer.text == (f"{BAMAKO[0]} [1]\n"
                           + NOT_COVERED["fr"].format(budget.text))
    assert [c.passage.label for c in answer.citations] == ["1"]


# -- writing -------------------------------------------------------------------------------

def test_every_quoted_sentence_carries_the_marker_of_its_passage(index: Index):
    question = "Comment la coopération régionale est-elle décrite par le rapport et le débat ?"
    answer = compose(index, SURE, (part(question, "explanation"), ["2", "1", "4"]))
    assert not answer.abstained, answer.text
    pieces = re.split(r" \[(\d+)\]", answer.text)
    assert pieces[-1] == ""  # nothing after the last marker: no uncited text
    quoted = list(zip(pieces[0::2], pieces[1::2], strict=False))
    assert len(quoted) >= 2
    markers = [int(m) for _, m in quoted]
    # markers count up from 1 in order of first use, one per cited passage
    assert sorted(set(markers)) == list(range(1, len(answer.citations) + 1))
    assert [m for i, m in enumerate(markers) if m not in markers[:i]] == sorted(set(markers))
    for text, marker in quoted:
        cited = answer.citations[int(marker) - 1]
        assert cited.marker == int(marker)
        for sentence in re.split(r"(?<=[.;:])\s+", text.strip(" -\n")):
            assert sentence in cited.passage.text, (sentence, cited.passage.label)
        assert cited.quote in cited.passage.text


def test_the_answer_length_is_capped_and_the_best_sentence_always_stays(index: Index):
    first, second, third = DEBATE[0], BAMAKO[0], ITEMS[0]
    pool = candidates(index, {first: 1.0, second: 0.99, third: 0.98})

    def chosen(cap: int) -> list[str]:
        # relevance alone (mmr_lambda 1): the order is the scores', only the cap decides
        composer = ExtractiveComposer(index, ExtractiveOptions(answer_max_chars=cap,
                                                               mmr_lambda=1.0),
                                      calibrator=SURE)
        return [c.text for c in composer.select(pool, spread=True, limit=3)]

    assert chosen(1200) == [first, second, third]
    # room for the best and the third only: the second, which would pass the cap, is left out
    cap = len(first) + len(third)
    assert len(second) > len(third)
    assert chosen(cap) == [first, third]
    assert chosen(cap - 1) == [first]
    assert chosen(10) == [first]  # the best sentence is kept even when longer than the cap
    answer = compose(index, SURE, (part("Que dit le rapport du débat public ?"), ["2"]),
                     options=replace(ExtractiveOptions(), answer_max_chars=len(DEBATE[0])))
    assert answer.text == f"{DEBATE[0]} [1]"
