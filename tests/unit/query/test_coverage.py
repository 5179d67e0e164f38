"""The corpus gazetteer, the coverage check of a question's names and years, the messages
saying what the corpus does not cover and the direct reply: hand-made passages, no model."""

from __future__ import annotations

import re
import time

import numpy as np

from rag.answer.messages import after_date, human_date, not_mentioned, unstated
from rag.answer.spans import short_answer
from rag.ingest.gazetteer import build_gazetteer, names_in
from rag.query.coverage import CoverageChecker, evidence_holds, question_mentions
from rag.query.plan import QuestionAnalyzer
from rag.records import CoverageOptions, DocumentMeta, Passage
from rag.text import FUNCTION_WORDS, fold

TEXTS = [
    "En novembre 2018, la Secrétaire générale adjointe a tenu des consultations à Moscou "
    "avec le Secrétariat de l’Organisation du Traité de sécurité collective (OTSC).",
    "L’OTSC et l’Organisation de Shanghai pour la coopération ont coopéré avec l’ONU.",
    "La Ligue des États arabes et l’Union africaine coprésident un groupe de travail.",
    "L’Organisation de Shanghai pour la coopération a tenu un sommet en 2019.",
    "Le Conseil de sécurité a examiné la situation en Libye en juin 2020.",
]
DOC = DocumentMeta(id="d1", file="d1.txt", title="Rapport du Secrétaire général",
                   date="2020-09-01", aliases=("Secrétaire général", "Secretary-General"))


def passages() -> list[Passage]:
    return [Passage(id=f"d1#p{i}", doc_id="d1", kind="paragraph", label=str(i), text=t,
                    order=i) for i, t in enumerate(TEXTS, 1)]


def checker() -> CoverageChecker:
    rows = passages()
    # a corpus of five passages: every name is "common" at the default share
    return CoverageChecker(rows, {"d1": DOC}, build_gazetteer(rows),
                           CoverageOptions(common_share=1.0))


def plan(text: str):
    return QuestionAnalyzer({"d1": DOC}).analyse(text)


def test_gazetteer_ties_acronyms_to_their_names_and_passages():
    gazetteer = build_gazetteer(passages())
    entry = gazetteer.entries[gazetteer.by_form["otsc"]]
    assert entry.name == "Organisation du Traité de sécurité collective"
    assert "organisation du traite de securite collective" in entry.forms
    assert {"d1#p1", "d1#p2"} <= set(entry.passages)
    names = {e.name for e in gazetteer.entries}
    assert {"Moscou", "Ligue des États arabes", "Union africaine", "Libye"} <= names


def test_names_in_keeps_names_not_sentence_openers():
    ordinary = frozenset({"quels", "le", "la"})
    assert names_in("Quels liens l’ONU entretient-elle avec l’Union économique "
                    "eurasiatique ?", ordinary) == ["ONU", "Union économique eurasiatique"]
    assert names_in("What about the Gulf Cooperation Council?", frozenset({"what"})) == [
        "Gulf Cooperation Council"]


QUESTION_NAMES = {
    "Que dit le rapport sur le Conseil de coopération du Golfe ?":
        ["Conseil de coopération du Golfe"],
    "What about the Economic Community of West African States?":
        ["Economic Community of West African States"],
    "Quel rôle le Secrétaire général de l’OTSC a-t-il joué à Douchanbé ?": ["OTSC", "Douchanbé"],
    "How does the UN Regional Centre for Preventive Diplomacy for Central Asia work with the "
    "CSTO?": ["UN Regional Centre for Preventive Diplomacy for Central Asia", "CSTO"],
    "Le Conseil de sécurité a-t-il débattu de la diplomatie préventive en 2021 ?":
        ["Conseil de sécurité"],
    "Quelles mesures la Commission économique pour l’Afrique et la Commission de l’Union "
    "africaine ont-elles prises ?": ["Commission économique pour l’Afrique",
                                    "Commission de l’Union africaine"],
    "Qu'a dit le Représentant permanent du Mexique au Conseil de sécurité sur la diplomatie "
    "préventive ?": ["Mexique", "Conseil de sécurité"],
    "Did the Security Council's meeting with the League of Arab States and the African Union "
    "take place in Cairo?": ["Security Council", "League of Arab States", "African Union",
                             "Cairo"],
    # in a question, ``en`` + place is taken as the complement ("le Conseil en Libye")
    "Quand l’Organisation pour la sécurité et la coopération en Europe a-t-elle été créée ?":
        ["Organisation pour la sécurité et la coopération", "Europe"],
    "Comment le Conseil de sécurité et les organisations régionales coopèrent-ils en Libye et "
    "en Syrie ?": ["Conseil de sécurité", "Libye", "Syrie"],
    "Which Secretary-General's report mentions the Shanghai Cooperation Organization and "
    "ASEAN?": ["Shanghai Cooperation Organization", "ASEAN"],
    "Quelle est la prochaine conférence annuelle ONU-Union africaine ?": ["ONU", "Union africaine"],
}


def test_names_in_questions_one_name_per_mention():
    """French and English questions: a name with lower-case words in it is one name, role
    titles are not names, a name stops where the question's complement starts."""
    for question, names in QUESTION_NAMES.items():
        first = fold(re.findall(r"\w+", question)[0])  # question_mentions adds it
        assert names_in(question, FUNCTION_WORDS | {first}) == names, question
    started = time.perf_counter()
    for _ in range(20):
        for question in QUESTION_NAMES:
            names_in(question, FUNCTION_WORDS)
    per_question = (time.perf_counter() - started) / (20 * len(QUESTION_NAMES))
    assert per_question < 1e-3  # about 0.05 ms


def test_gazetteer_rules():
    """Roles are not entries, acronym-first definitions, sentence openers, run-ons cut."""
    texts = ["Néanmoins, le Secrétaire général a reçu l’ONUDC (Office des Nations Unies contre "
             "la drogue et le crime) à Vienne.",
             "Vienne accueille le Conseil de sécurité sur les questions de drogue.",
             "Le Conseil de sécurité et l’Office des Nations Unies contre la drogue et le crime "
             "ont tenu une réunion à Vienne, puis le Conseil de sécurité a siégé."]
    rows = [Passage(id=f"d#p{i}", doc_id="d", kind="paragraph", label=str(i), text=t, order=i)
            for i, t in enumerate(texts)]
    gazetteer = build_gazetteer(rows)
    names = {e.name for e in gazetteer.entries}
    entry = gazetteer.entries[gazetteer.by_form["onudc"]]
    assert entry.name == "Office des Nations Unies contre la drogue et le crime"
    assert {"Vienne", "Conseil de sécurité"} <= names
    assert not names & {"Néanmoins", "Secrétaire général", "Secrétaire",
                        "Conseil de sécurité sur les questions de drogue"}


def test_question_mentions_skip_the_opening_verb_and_months():
    found = question_mentions("Describe the Council of Europe webinar of June 2020.",
                              frozenset())
    assert ("Council of Europe", "name") in found and ("2020", "year") in found
    assert not any(t in ("Describe", "June") for t, _ in found)


def test_known_names_in_french_english_and_other_letters():
    check = checker()
    cases = {
        "Quel rôle joue la Ligue arabe ?": "Ligue arabe",
        "What does the League of Arab States co-chair?": "League of Arab States",
        "How does the UN cooperate with the CSTO?": "CSTO",  # OTSC in another order
        "What did the SCO summit decide?": "SCO",  # initials of the French name
        "What happened in Libya in June 2020?": "Libya",
    }
    for question, name in cases.items():
        mentions = {m.text: m for m in check.check(plan(question)).mentions}
        assert mentions[name].known, (question, mentions)


def test_unknown_names_and_years_after_the_documents():
    check = checker()
    coverage = check.check(plan("Que dit le rapport sur le Conseil de coopération du Golfe ?"))
    # one name, not "Conseil" (known alone) and "Golfe"
    assert [m.text for m in coverage.unknown] == ["Conseil de coopération du Golfe"]
    coverage = check.check(plan("Quels liens l’ONU a-t-elle avec l’Union économique "
                                "eurasiatique ?"))
    assert [m.text for m in coverage.unknown] == ["Union économique eurasiatique"]
    coverage = check.check(plan("Qu'a décidé le sommet de l'OCS à Samarcande en 2022 ?"))
    assert "Samarcande" in [m.text for m in coverage.unknown]
    assert coverage.after_date == ("2022", "2020-09-01")
    assert check.check(plan("What did the SCO summit decide in 2019?")).after_date is None


def test_unknown_names_found_by_close_vectors_need_shared_words():
    rows = passages()
    gazetteer = build_gazetteer(rows)
    gazetteer.vectors = np.eye(len(gazetteer.entries), dtype=np.float32)
    check = CoverageChecker(rows, {"d1": DOC}, gazetteer)
    target = gazetteer.by_form["union africaine"]
    near = np.eye(len(gazetteer.entries), dtype=np.float32)[target]
    mention = check.lookup("Union continentale", "name", "fr")
    assert not mention.known
    assert not check.by_vector(mention, near, "fr").known  # 1 word of 2: not enough
    english = check.lookup("African Continental Union", "name", "en")
    assert check.by_vector(english, near, "en").resolved == "Union africaine"
    # less close, but every word with a French form agrees ("continental" has none here)
    assert check.by_vector(english, 0.91 * near, "en").resolved == "Union africaine"
    assert not check.by_vector(english, 0.85 * near, "en").known
    other = check.lookup("Security Union", "name", "en")  # one of its two words: not the same
    assert not other.known and not check.by_vector(other, near, "en").known


def test_evidence_must_hold_the_names_and_years_asked():
    check = checker()
    coverage = check.check(plan("Dans quelle ville a-t-on consulté l’OTSC en novembre 2018 ?"))
    otsc, year = (m for m in coverage.constraints)
    assert evidence_holds(otsc, [TEXTS[0]]) and evidence_holds(year, [TEXTS[0]])
    assert not evidence_holds(year, [TEXTS[1]])
    spelled = "consultations avec l’Organisation du Traité de sécurité collective"
    assert evidence_holds(otsc, [spelled])  # the acronym or its name


def test_messages_in_both_languages():
    from rag.answer.messages import field_absent

    assert field_absent("Lettre datée du 19 octobre 2021", "symbol", "fr") == (
        "Le document (Lettre datée du 19 octobre 2021) ne porte pas de cote.")
    assert field_absent("Letter", "agenda_item", "en") == (
        "The document (Letter) does not state its agenda item.")
    assert not_mentioned(["le Mercosur"], "fr") == "Les documents ne mentionnent pas le Mercosur."
    assert not_mentioned(["A", "B"], "fr") == "Les documents ne mentionnent ni A ni B."
    assert not_mentioned(["GCC"], "en") == "The documents do not mention GCC."
    assert human_date("2021-10-19", "fr") == "19 octobre 2021"
    assert after_date("2022", None, "2021-10-19", "fr") == (
        "Le document le plus récent date du 19 octobre 2021 ; il ne couvre pas 2022.")
    assert "do not state what is asked (no number in the evidence)" in unstated(
        ["ASEAN"], "no number", "en")


def test_short_answers_are_spans_of_the_sentence():
    sentence = TEXTS[0]
    question = "Dans quelle ville a-t-on consulté l’OTSC en novembre 2018 ?"
    assert short_answer("place", sentence, question) == "à Moscou"
    assert short_answer("count", "un accord entre le Gouvernement et 14 groupes armés.",
                        "How many armed groups signed it?") == "14 groupes armés"
    assert short_answer("count", "un accord signé en 2019.", "Combien de groupes ?") is None
    assert short_answer("person", "L’Ambassadeur,\n(Signé) V. Churkin", "Qui a signé ?") == (
        "V. Churkin")
    assert short_answer("date", sentence, "Quand a-t-on consulté l’OTSC ?") == "novembre 2018"
    assert short_answer("place", "Aucun lieu ici.", "Où ?") is None


def test_question_dates_and_what_comes_after_a_document():
    from rag.query.coverage import asks_about_plans, asks_outcome, later_than, question_dates

    dates = question_dates("Qu’a adopté le Conseil le 16 novembre 2021, et en juin 2022 ?")
    assert dates == [("16 novembre 2021", (2021, 11, 16)), ("juin 2022", (2022, 6, None))]
    assert question_dates("What happened on 19 April?") == [("19 April", (None, 4, 19))]
    assert later_than((2021, 11, 16), "2021-10-19")
    assert later_than((None, 11, 16), "2021-10-19")  # the document's year
    assert not later_than((2021, 10, None), "2021-10-19")  # the same month: can't tell
    assert later_than((2021, None, None), "2020") and not later_than((2020, 12, 1), "2020")
    assert asks_about_plans("Quand le débat devait-il se tenir ?")
    assert asks_about_plans("When was the debate scheduled?")
    assert not asks_about_plans("Qu’a décidé le Conseil ?")
    assert asks_outcome("Le plan a-t-il finalement été mené à bien ?")
    assert not asks_outcome("Quels sont les objectifs du plan ?")


def test_document_questions_name_a_card_field():
    from rag.answer.document_facts import asked_field, document_fact
    from rag.records import CardField, DocumentCard

    assert asked_field("Quelle est la cote du document du Viet Nam ?") == "symbol"
    assert asked_field("What was the original language of the concept note?") == (
        "original_language")
    assert asked_field("Qui a signé la lettre russe ?") == "signatory"
    assert asked_field("Quel était le thème de la séance publique du 11 avril 2003 ?") == (
        "meeting_theme")
    assert asked_field("When was the letter distributed?") == "distribution_date"
    assert asked_field("Quels accords l’OTSC a-t-elle signés avec l’ONU ?") is None  # content
    card = DocumentCard("d1", (CardField("symbol", "S/2021/297", "d1#masthead", "text"),
                               CardField("signatory", "Dang Dinh Quy", None, "catalogue")))
    fact = document_fact("Quelle est la cote de cette lettre ?", card)
    assert fact is not None and fact.field.value == "S/2021/297"
    assert document_fact("Qui a signé cette lettre ?", card) is None  # no passage to cite


def test_completed_tense_asks_what_happened_not_what_was_planned():
    from rag.query.coverage import asks_completed

    assert asks_completed("Les élections prévues en décembre 2020 se sont-elles déroulées "
                          "dans le calme ?")  # "prévues" qualifies; the verb asks the outcome
    assert asks_completed("When did the mission complete its mandate?")
    assert asks_completed("What came out of the meeting?")
    assert not asks_completed("Quand le débat devait-il se tenir ?")
    assert not asks_completed("Le débat a-t-il été prévu en ligne ?")
    assert not asks_completed("Has the Council planned a debate?")
    assert not asks_completed("Quels sont les objectifs du plan ?")
    assert asks_completed("Le Conseil a-t-il finalement adopté la déclaration envisagée à "
                          "l’issue du débat ?")  # the verb is "adopté", not "envisagée"


def test_relation_words_bind_the_quoted_fact_to_the_question():
    from rag.query.coverage import tokens_of
    from rag.query.relation import relation_of

    rel = relation_of("Quand l’OTSC a-t-elle été créée, selon le rapport ?", "fr",
                      ["OTSC"])
    assert rel.words == ("creee",)  # names, question words and "rapport" set aside
    assert rel.bound(tokens_of("L’OTSC a été créée en 2002."))
    assert not rel.bound(tokens_of("L’OTSC est entrée en vigueur en 2003."))
    assert rel.positions("L’OTSC a été créée en 2002.") == [13]
    english = relation_of("When did the mission complete its mandate?", "en", [],
                          {"mandate": ("mandat",), "mission": ("mission",)}.get)
    assert english.words == ("mission", "mandate")  # "complete": no French form given
    assert english.bound(tokens_of("La mission a achevé son mandat fin 2020."))
    assert not english.bound(tokens_of("Le Conseil s’est réuni en février 2020."))
    assert relation_of("Who launched it?", "en", [], {}.get).bound(["anything"])  # unverifiable
    from rag.query.relation import main_verb

    assert main_verb("Qui présidait le Conseil ?") == "presidait"
    assert main_verb("Quelle organisation d’Afrique centrale a été saluée ?") == "saluee"
    assert main_verb("Avec qui le Bureau a-t-il coopéré ?") == "coopere"
    # a light verb: the relation is in the noun after it
    assert main_verb("Et qui devait figurer parmi les intervenants ?") == "intervenants"


def test_who_questions_open_with_the_name_or_title_the_question_lacks():
    from rag.answer.spans import actor
    from rag.query.expectations import asks_actor

    assert asks_actor("Qui a dirigé la mission ?") and asks_actor("With whom did it meet?")
    assert asks_actor("Quelle organisation d’Afrique centrale a été saluée ?")
    assert not asks_actor("Quels sont les domaines qui ont été retenus ?")
    sentence = ("La Vice-Secrétaire générale et l’Envoyée spéciale de l’Union africaine ont "
                "dirigé la troisième mission conjointe.")
    question = "Qui a dirigé la mission conjointe avec l’Envoyée spéciale de l’Union africaine ?"
    assert actor(sentence, question, [sentence.index("dirigé")]) == "Vice-Secrétaire générale"
    efforts = ("Les efforts de l’Union africaine, de la CEDEAO et de la Communauté économique "
               "des États d’Afrique centrale (CEEAC) ont été salués.")
    cedeao = frozenset("communaute economique etats afrique ouest".split())
    assert actor(efforts, "Outre l’Union africaine et la CEDEAO, quelle organisation "
                 "d’Afrique centrale a été saluée ?", [], named=(cedeao,)) == (
        "Communauté économique des États d’Afrique centrale")
    assert actor("Le Conseil a été salué.", "Le Conseil a-t-il été salué ?", []) is None
    assert names_in("le Groupe indépendant de haut niveau chargé d’étudier les opérations "
                    "de paix a souligné") == [
        "Groupe indépendant de haut niveau chargé d’étudier les opérations de paix"]


def test_time_of_day_questions_open_with_the_time():
    from rag.query.expectations import evidence_has, expected_answer

    assert expected_answer("À quelle heure le débat commencera-t-il ?") == "time"
    assert expected_answer("At what time was the debate due to begin?") == "time"
    sentence = "Le débat se tiendra le 19 avril 2021 à 8 heures (heure de New York)."
    assert short_answer("time", sentence, "À quelle heure ?") == "8 heures (heure de New York)"
    assert short_answer("time", "La séance a repris à 15h00.", "When?") == "15h00"
    assert not evidence_has("time", "Huit groupes et 8 hommes")  # no "8 h" in "8 hommes"
    assert evidence_has("time", "à 10 h 30")


def test_which_one_of_a_series_is_a_name_of_its_own():
    found = question_mentions("Où s’est tenue la neuvième réunion générale ?", frozenset())
    assert ("neuvième réunion", "name") in found


def test_a_shorter_shared_start_is_a_cognate_only_for_a_near_spelling():
    from rag.query.coverage import CorpusText

    text = CorpusText.of(["Le Secrétaire général s’est rendu en Libye.",
                          "La situation générale reste fragile."])
    assert "libye" in text.forms("libya", cognates=True)
    assert "general" not in text.forms("geneve", cognates=True)  # Genève is not général
    assert "general" not in text.forms("geneva", cognates=True)
