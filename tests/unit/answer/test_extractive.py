"""The extractive composer's stages — the sentences it chooses, how it judges them, what it
writes — on hand-made hits over a small index of hand-made documents built with the hash
embedder: no model, no retrieval. The documents and questions are written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer.calibration import Calibrator
from rag.answer.extractive import ExtractiveComposer
from rag.answer.signals import FEATURES
from rag.answer.types import Evidence
from rag.index.build import build_index
from rag.index.load import Index, load_index
from rag.query.coverage import CoverageChecker
from rag.query.plan import QuestionAnalyzer, QuestionPlan
from rag.records import Hit
from rag.settings import Settings
from tests.support.fakes import HashEmbedder

LETTER = """S/2019/777

Lettre datée du 3 juin 2019, adressée au Secrétaire général par le Représentant permanent de la France auprès de l’Organisation des Nations Unies

J’ai l’honneur de vous informer que la France organisera un débat public sur la coopération régionale, qui se tiendra le 12 juin 2019 à 10 heures.

1. En novembre 2018, la Secrétaire générale adjointe a tenu des consultations à Moscou avec le Secrétariat de l’Organisation du Traité de sécurité collective (OTSC).

2. La Vice-Secrétaire générale et l’Envoyée spéciale de l’Union africaine ont dirigé la mission conjointe de solidarité en octobre 2019.

3. L’OTSC a été créée en 2002 et compte six États membres.

4. Nous avons participé à la réunion de l’OTSC. C’est précisément dans ce domaine que la coopération doit progresser.

L’Ambassadeur,
Représentant permanent de la France
(Signé) Jean Dupont
"""  # noqa: E501  (one line a paragraph, as a plain-text file often has it)
DOC = "lettre-france"
LETTER_BODY, MOSCOW, MISSION, CREATED, FIRST_PERSON = (
    "Lettre datée du 3 juin", "En novembre 2018", "La Vice-Secrétaire", "L’OTSC a été créée",
    "Nous avons participé")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    root = tmp_path_factory.mktemp("extractive")
    (root / "seeds").mkdir()
    (root / "seeds" / f"{DOC}.txt").write_text(LETTER, "utf-8")
    settings = Settings(index_root=root / "index", seeds_dir=root / "seeds",
                        embedding_model="test-hash")
    build_index(settings.index_options(), HashEmbedder())
    return load_index(settings.index_options())


def permissive() -> Calibrator:
    """A confidence model that answers whenever the evidence fits (the shipped one was
    fitted on the real model's similarities, not the hash embedder's)."""
    n = len(FEATURES)
    return Calibrator(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 2.0, 0.5)


def ask(index: Index, question: str, passages: list[str]) -> tuple[QuestionPlan, Evidence]:
    """The plan of ``question`` (coverage checked against the index) and one pass of hits:
    the passages opening with ``passages``, in that order, as retrieval would rank them."""
    plan = QuestionAnalyzer(index.documents).analyse(question)
    checker = CoverageChecker(index.passages, index.documents, index.gazetteer)
    plan = QuestionPlan(**{**plan.__dict__, "coverage": checker.check(plan)})
    found = [next(p for p in index.passages if p.text.startswith(opening))
             for opening in passages]
    hits = tuple(Hit(p, index.documents[DOC], 1.0 / (rank + 1), 0.9 - rank / 20)
                 for rank, p in enumerate(found))
    vector = HashEmbedder().embed([question], query=True)[0].astype(np.float32)
    return plan, Evidence(plan.parts[0], hits, vector)


def compose(index: Index, question: str, passages: list[str]):
    plan, evidence = ask(index, question, passages)
    return ExtractiveComposer(index, calibrator=permissive()).compose(plan, [evidence])


def test_a_place_question_opens_with_the_place_and_quotes_its_sentence(index: Index):
    answer = compose(index, "Dans quelle ville a-t-on consulté l’OTSC en novembre 2018 ?",
                     [MOSCOW, CREATED])
    assert not answer.abstained, answer.text
    assert answer.text.startswith("À Moscou [1].")
    cited = answer.citations[0]
    assert cited.passage.label == "1" and cited.quote in cited.passage.text  # verbatim


def test_a_date_not_bound_to_the_relation_asked_is_not_an_answer(index: Index):
    created = compose(index, "En quelle année l’OTSC a-t-elle été créée ?", [CREATED])
    assert created.text.startswith("2002 [1].")
    # "dissoute": the passage dates the creation, not a dissolution
    dissolved = compose(index, "En quelle année l’OTSC a-t-elle été dissoute ?", [CREATED])
    assert dissolved.abstained and "aucune date" in dissolved.text


def test_who_questions_name_the_other_actor(index: Index):
    answer = compose(index, "Qui a dirigé la mission conjointe avec l’Envoyée spéciale de "
                     "l’Union africaine ?", [MISSION, MOSCOW])
    assert answer.text.startswith("Vice-Secrétaire générale [1].")
    nobody = compose(index, "Qui a financé la mission conjointe de solidarité ?", [MISSION])
    assert nobody.abstained and "aucun nom ni titre" in nobody.text


def test_names_the_corpus_never_uses_are_said_absent(index: Index):
    answer = compose(index, "Que dit la lettre sur le Conseil de coopération du Golfe ?",
                     [MOSCOW, MISSION])
    assert answer.abstained and answer.citations == ()
    assert answer.text == "Les documents ne mentionnent pas le Conseil de coopération du Golfe."
    english = compose(index, "What does the letter say about the Gulf Cooperation Council?",
                      [MOSCOW])
    assert english.text == "The documents do not mention the Gulf Cooperation Council."


def test_time_and_card_fields(index: Index):
    time = compose(index, "À quelle heure le débat public de la France se tiendra-t-il ?",
                   [LETTER_BODY])
    assert time.text.startswith("10 heures [1]."), time.text  # from the cover letter
    symbol = compose(index, "Quelle est la cote de la lettre de la France ?", [LETTER_BODY])
    assert symbol.text.startswith("S/2019/777 [1].")
    assert symbol.notes == ("from the document card: symbol",)


def test_quotes_read_on_their_own(index: Index):
    answer = compose(index, "Que dit la lettre de la coopération avec l’OTSC ?",
                     [FIRST_PERSON, CREATED])
    assert not answer.abstained
    # a first-person sentence is attributed to the sender; the one opening on an anaphor
    # comes after the sentence it refers to
    assert "écrit : « Nous avons participé" in answer.text, answer.text
    anaphor = answer.text.index("C’est précisément")
    assert answer.text.index("Nous avons participé") < anaphor


def test_a_document_written_before_the_date_asked_is_said_to_predate_it(index: Index):
    answer = compose(index, "Le débat public s’est-il bien déroulé le 12 juin 2020 ?",
                     [LETTER_BODY])
    assert answer.text == "Le document le plus récent date du 3 juin 2019 ; il ne couvre pas 2020."
    # the question names the document (the letter of France's representative, as its card
    # reads the sender): the answer names it too
    named = compose(index, "Le débat public de la France s’est-il bien déroulé le 12 juin "
                    "2020 ?", [LETTER_BODY])
    assert named.text == "Le document (S/2019/777) date du 3 juin 2019 ; il ne couvre pas 2020."
    later = compose(index, "Le débat de la France s’est-il bien déroulé le 12 juillet 2019 ?",
                    [LETTER_BODY])
    assert later.abstained and later.text.endswith(
        "date du 3 juin 2019 ; il ne couvre pas le 12 juillet 2019.")
    # what was planned for a later date is in the letter, and answered
    planned = compose(index, "À quelle heure le débat public de la France devait-il se tenir "
                      "le 12 juin 2019 ?", [LETTER_BODY])
    assert planned.text.startswith("10 heures [1]."), planned.text
