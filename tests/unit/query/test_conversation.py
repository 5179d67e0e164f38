"""Follow-up questions resolved against the previous turn's resolved question: ellipses of
a date, a document or a name replace the matching constraint; "why?" asks for detail;
other follow-ups keep their own words. Hand-made questions, no model."""

from __future__ import annotations

import pytest

from rag.query.conversation import ConversationResolver, document_phrase
from rag.query.plan import QuestionAnalyzer
from rag.records import DocumentMeta

DOCS = {
    "mx": DocumentMeta(id="mx", file="mx.txt", title="Lettre datée du 19 octobre 2021",
                       date="2021-10-19", author="Représentant permanent (Mexique)",
                       aliases=("Mexique", "Mexico", "mexicaine"), kind="lettre"),
    "vn": DocumentMeta(id="vn", file="vn.txt", title="Lettre datée du 25 mars 2021",
                       date="2021-03-25", symbol="S/2021/297",
                       author="Représentant permanent (Viet Nam)",
                       aliases=("Viet Nam", "vietnamienne", "Vietnam"), kind="lettre"),
}
COUNTS = {"ONU": 200, "UN": 200, "OTSC": 12, "OCS": 9, "CSTO": 12}


@pytest.fixture(scope="module")
def resolver() -> ConversationResolver:
    return ConversationResolver(QuestionAnalyzer(DOCS), lambda name: COUNTS.get(name, 1),
                                frozenset({"reponse"}))


def ask(resolver: ConversationResolver, *turns: str):
    history = []
    for t in turns[:-1]:
        history += [("user", t), ("assistant", "Réponse [1].")]
    return resolver.resolve(turns[-1], history)


def test_a_new_question_stands_alone(resolver):
    got = ask(resolver, "Quand l’OTSC a-t-elle été créée ?",
              "Quels sont les objectifs du débat public organisé par le Viet Nam ?")
    assert got.how == "new" and not got.rewritten


def test_an_ellipsis_replaces_the_date_and_keeps_the_rest(resolver):
    got = ask(resolver, "Quel montant l’OTSC a-t-elle alloué en 2015 ?", "Et en 2010 ?")
    assert (got.how, got.question) == ("date", "Quel montant l’OTSC a-t-elle alloué en 2010 ?")
    english = ask(resolver, "What happened in November 2018 in Moscow?", "And in November 2019?")
    assert english.question == "What happened in November 2019 in Moscow?"


def test_an_ellipsis_replaces_the_most_specific_name(resolver):
    got = ask(resolver, "Quels sont les domaines de coopération entre l’ONU et l’OTSC ?",
              "Et avec l’OCS ?")
    assert got.how == "name"
    assert got.question == "Quels sont les domaines de coopération entre l’ONU et l’OCS ?"


def test_an_ellipsis_replaces_the_document(resolver):
    got = ask(resolver, "Who signed the 19 October 2021 letter?", "And the Viet Nam letter?")
    assert (got.how, got.question) == ("document", "Who signed the Viet Nam letter?")
    french = ask(resolver, "Quel résultat la lettre du Mexique attendait-elle du débat ?",
                 "Et la note du Viet Nam ?")
    assert french.question == "Quel résultat la note du Viet Nam attendait-elle du débat ?"


def test_a_third_turn_builds_on_the_second_rewrite(resolver):
    got = ask(resolver, "Quels sont les domaines de coopération entre l’ONU et l’OTSC en 2018 ?",
              "Et avec l’OCS ?", "Et en 2019 ?")
    assert got.question == "Quels sont les domaines de coopération entre l’ONU et l’OCS en 2019 ?"


def test_why_and_more_detail_keep_the_topic(resolver):
    got = ask(resolver, "Quel rôle joue l’OTSC ?", "Pourquoi ?")
    assert (got.how, got.question) == ("detail", "Expliquez en détail : Quel rôle joue l’OTSC ?")
    again = ask(resolver, "Quel rôle joue l’OTSC ?", "Pourquoi ?", "Tell me more")
    assert again.question == "Explain in more detail: Quel rôle joue l’OTSC ?"


def test_other_follow_ups_keep_their_own_words(resolver):
    got = ask(resolver, "Quelle séance le Conseil a-t-il tenue le 11 avril 2003 ?",
              "Et qui l’a présidée ?")
    assert (got.how, got.question) == ("context", "Et qui l’a présidée ?")
    assert got.previous == "Quelle séance le Conseil a-t-il tenue le 11 avril 2003 ?"


def test_document_phrases():
    text = "Who signed the 19 October 2021 letter?"
    start, end = document_phrase(text)
    assert text[start:end] == "the 19 October 2021 letter"
    text = "Quelle est la date de la lettre du Mexique ?"
    start, end = document_phrase(text)
    assert text[start:end] == "la lettre du Mexique"
    text = "Que prévoit la note vietnamienne ?"
    start, end = document_phrase(text)
    assert text[start:end] == "la note vietnamienne"
    assert document_phrase("Quand l’OTSC a-t-elle été créée ?") is None


def test_a_pronoun_stands_for_the_name_the_previous_answer_gave(resolver):
    history = [("user", "Avec quelle organisation ONU-Femmes a-t-elle lancé un réseau ?"),
               ("assistant", "Avec la Ligue des États arabes : « le 24 juillet 2020, la LEA "
                             "et ONU-Femmes ont lancé le Réseau » [1].")]
    got = resolver.resolve("Dans quelle ville le Département a-t-il ouvert un bureau auprès "
                           "d’elle ?", history)
    assert got.how == "referent"
    assert got.question.endswith("auprès d’elle (Ligue des États arabes) ?")


def test_a_name_split_by_of_is_joined_again(resolver):
    history = [("user", "Which organisation sat as an observer at the meetings?"),
               ("assistant", "The International Organisation of La Francophonie: « … » [1].")]
    got = resolver.resolve("Which of its programmes did the Envoy team up with?", history)
    assert got.question.endswith("(International Organisation of La Francophonie)?")


def test_a_pronoun_otherwise_stands_for_the_previous_questions_body(resolver):
    got = ask(resolver, "Avec qui la Représentante pour l’Asie centrale a-t-elle des contacts "
                        "réguliers à l’OTSC ?", "Quel budget son secrétariat a-t-il ?")
    assert got.question.endswith("(OTSC) ?")


def test_a_question_about_a_document_refers_to_the_document_cited(resolver):
    history = [("user", "Qu’a envoyé le Viet Nam au Secrétaire général ?"),
               ("assistant", "Une note de cadrage [1].\n\nSources :\n"
                             "[1] S/2021/297, par. 2 — « … »")]
    got = resolver.resolve("Qui l’a signée ?", history)
    assert (got.how, got.question) == ("referent", "Qui l’a signée (S/2021/297) ?")


def test_an_ordinal_ellipsis_changes_which_of_a_series(resolver):
    first = "Qu’ont énoncé les participants de la dixième Réunion générale CARICOM-ONU ?"
    got = ask(resolver, first, "Et la neuvième ?")
    assert got.question == first.replace("dixième", "neuvième")
    got = ask(resolver, first, "Et la neuvième, où avait-elle eu lieu ?")
    assert got.question == ("Et la neuvième, où avait-elle eu lieu (la neuvième Réunion "
                            "générale CARICOM-ONU) ?")


def test_a_name_is_replaced_after_the_same_preposition(resolver):
    got = ask(resolver, "Avec qui la Représentante pour l’Asie centrale a-t-elle entretenu "
                        "des contacts à l’OTSC ?", "Et à la CEI ?")
    assert got.question == ("Avec qui la Représentante pour l’Asie centrale a-t-elle "
                            "entretenu des contacts à la CEI ?")


@pytest.mark.parametrize(("question", "refers"), [
    ("Quel âge avait-il à l’époque ?", True),
    ("Qui l’a signée ?", True),
    ("Et pourquoi juge-t-il utile d’y consacrer un débat ?", True),
    ("Quand a-t-elle été créée ?", True),
    ("Dans quelle ville le Département a-t-il ouvert un bureau ?", False),
    ("Dans quelle optique faut-il envisager la prévention ?", False),
    ("Y a-t-il eu un accord ?", False),
    ("Quelle organisation a-t-elle signé l’accord ?", False),
    ("Où l’ONU a-t-elle organisé l’atelier ?", False),
])
def test_pronouns_that_refer_back(question, refers):
    assert QuestionAnalyzer.refers_back(question) is refers


def test_it_is_not_a_plural_answer(resolver):
    history = [("user", "Which agencies co-lead the fund's project on atoll nations?"),
               ("assistant", "UNDP and the International Organization for Migration [1].")]
    got = resolver.resolve("What had it achieved by 2021?", history)
    assert "UNDP" not in got.question
