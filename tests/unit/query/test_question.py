"""Question analysis (rag.query.plan) on paraphrases written for these tests — none of them is
an evaluation question (the last test checks that)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import normalize
from rag.query.plan import QuestionAnalyzer, key_terms, question_kind, split_parts
from rag.records import DocumentMeta

DOCS = {
    "letter21": DocumentMeta(
        id="letter21", file="a.txt", title="Lettre datée du 3 mai 2021, adressée au Secrétaire "
        "général par le Représentant permanent de la Norvège (note de cadrage : climat)",
        date="2021-05-03", author="X, Représentant permanent de la Norvège",
        presidency="Norvège, présidence du Conseil de sécurité (mai 2021)",
        kind="lettre et note de cadrage", aliases=("Norvège", "Norway", "norvégien",
                                                   "norvégienne", "Norwegian")),
    "letter09": DocumentMeta(
        id="letter09", file="b.txt", title="Lettre datée du 2 juin 2009, adressée au Secrétaire "
        "général par le Représentant permanent de la Norvège (résumé de séance)",
        date="2009-06-02", kind="lettre et résumé de séance",
        aliases=("Norvège", "Norway", "norvégien", "Norwegian")),
    "report": DocumentMeta(
        id="report", file="c.txt", symbol="A/80/123-S/2025/456",
        title="Coopération avec les organisations régionales : rapport du Secrétaire général",
        author="Secrétaire général", kind="rapport",
        aliases=("Secrétaire général", "Secretary-General")),
}
ANALYZER = QuestionAnalyzer(DOCS)

KINDS = [
    ("Pourquoi la présidence a-t-elle choisi ce thème ?", "explanation"),
    ("Why does the paper stress early warning?", "explanation"),
    ("How does the mission support mediation?", "explanation"),
    ("Résume la note sur le climat.", "summary"),
    ("Give a short summary of the letter.", "summary"),
    ("Quelles agences ont signé le mémorandum ?", "list"),
    ("Which agencies signed the memorandum?", "list"),
    ("Qui sont les partenaires du bureau régional ?", "list"),
    ("Compare les approches de la lettre et du rapport.", "comparison"),
    ("How do the two letters differ on sanctions?", "comparison"),
    ("Le bureau a-t-il été ouvert à Dakar ?", "yes_no"),
    ("Was the office opened in Dakar?", "yes_no"),
    ("Combien de réunions ont eu lieu ?", None),
    ("Which day was the summit held on?", None),
]


@pytest.mark.parametrize(("text", "kind"), KINDS)
def test_kind_from_the_questions_own_words(text, kind):
    language = "en" if any(w in text for w in ("Why", "How", "Give", "Which", "Was")) else "fr"
    assert question_kind(text, language) == kind


def test_a_noun_is_not_a_request():
    # "le résumé de la séance" names a document; "résume" asks for a summary
    assert question_kind("Qui a signé le résumé de la séance ?", "fr") != "summary"
    assert question_kind("Which meeting summary mentions drought?", "en") != "summary"
    # "how many" and "comment s'appelle" are factual, not explanations
    assert question_kind("How many offices were opened?", "en") is None
    assert question_kind("Comment s'appelle le nouvel envoyé ?", "fr") is None


def test_expected_answers_follow_the_kind():
    assert ANALYZER.analyse("Combien de bureaux la mission a-t-elle ouverts ?").expected \
        == "count"
    # a count word inside an explanation does not make it a count question
    why = ANALYZER.analyse("Pourquoi le nombre de bureaux a-t-il baissé ?")
    assert why.kind == "explanation" and why.expected is None
    assert ANALYZER.analyse("Qui est le chef du bureau régional ?").expected == "person"
    assert ANALYZER.analyse("Qui sont les partenaires du bureau ?").expected is None
    assert ANALYZER.analyse("Au nom de quel groupe le délégué a-t-il parlé ?").expected \
        != "person"
    assert ANALYZER.analyse("Où en est le projet de bureau commun ?").expected != "place"


def test_sub_questions_keep_their_topic():
    parts = split_parts("Quand le bureau a-t-il ouvert et qui le dirige depuis ?", "fr")
    assert parts == ["Quand le bureau a-t-il ouvert", "qui le dirige depuis ?"]
    assert split_parts("Quel jour et à quelle heure ?", "fr") == ["Quel jour et à quelle heure ?"]
    assert split_parts("Quand a-t-il eu lieu et où ?", "fr") == ["Quand a-t-il eu lieu et où ?"]
    plan = ANALYZER.analyse("Where was the office opened? And who funded it?")
    assert plan.kind == "multi_part" and len(plan.parts) == 2
    assert "office" in plan.parts[1].query  # each part carries the others' topic words


def test_named_documents():
    named = ANALYZER.named_documents
    assert named("Selon la note de cadrage norvégienne, quels risques ?") == ("letter21",)
    assert named("Que dit la lettre norvégienne de 2009 ?") == ("letter09",)
    assert named("What does the Secretary-General's report say about drought?") == ("report",)
    assert named("Voir le document A/80/123 sur la sécheresse.") == ("report",)
    assert set(named("Compare Norway's 2009 and 2021 letters.")) == {"letter09", "letter21"}
    assert named("D'après le résumé de 2009, qui a parlé ?") == ("letter09",)
    # the country alone is a topic, not a document
    assert named("Quel rôle la Norvège joue-t-elle en mer ?") == ()
    assert named("Quel rôle le Conseil de sécurité a-t-il joué ?") == ()


def test_a_document_without_catalogue_is_named_by_the_sender_its_card_read():
    """A PDF added with no catalogue entry: its author is the card's "Name, function
    (country)", and the country names the document."""
    card_only = DocumentMeta(id="scan", file="scan001.pdf", date="2022-01-10",
                             title="Lettre datée du 10 janvier 2022, adressée au Secrétaire "
                             "général par le Représentant permanent du Ghana",
                             author="K. Mensah, Représentant permanent (Ghana)")
    named = QuestionAnalyzer({**DOCS, "scan": card_only}).named_documents
    assert named("Que demande la lettre du Ghana ?") == ("scan",)
    assert named("Quel rôle le Ghana joue-t-il en mer ?") == ()


def test_two_named_documents_make_a_comparison():
    plan = ANALYZER.analyse("Que disent la lettre norvégienne de 2021 et le rapport du "
                            "Secrétaire général sur la sécheresse ?")
    assert set(plan.documents) == {"letter21", "report"} and plan.kind in (
        "comparison", "summary")


def test_key_terms():
    assert key_terms("Combien de soldats l'UA a-t-elle déployés en Somalie en 2019 ?") == [
        "UA", "2019", "Somalie"]
    assert "Secretary-General" not in key_terms("What did the Secretary-General's envoy do?")


def test_questions_about_the_document_itself():
    assert ANALYZER.analyse("Qui a signé la lettre de 2009 ?").about_document
    assert ANALYZER.analyse("When is the letter dated?").about_document
    assert ANALYZER.analyse("Quel est le thème de la lettre de 2021 ?").about_document is False


def test_follow_ups_take_entities_and_documents_from_the_conversation():
    history = [("user", "Quand l'UNESCO a-t-elle ouvert son bureau à Dakar ?"),
               ("assistant", "En 2019 [1].\n\nSources :\n[1] A/80/123-S/2025/456, par. 4")]
    plan = ANALYZER.analyse("Et qui le dirige ?", history)
    assert plan.follow_up and plan.expected is None  # its own words: no date asked
    assert "UNESCO" in plan.parts[0].query and "Dakar" in plan.parts[0].query
    assert plan.documents == ("report",)  # the document cited in the previous answer
    switched = ANALYZER.analyse("Et dans la lettre norvégienne de 2021 ?", history)
    assert switched.documents == ("letter21",)
    assert switched.parts[0].expected == "date"  # pure ellipsis: the previous question's
    replaced = ANALYZER.analyse("Et pour l'OMS ?", history)
    assert "OMS" in replaced.parts[0].query and "UNESCO" not in replaced.parts[0].query
    standalone = ANALYZER.analyse("Combien de bureaux l'UNICEF a-t-il au Sahel ?", history)
    assert not standalone.follow_up


def test_examples_are_not_evaluation_questions():
    texts = [t for t, _ in KINDS]
    eval_dir = Path(__file__).resolve().parents[3] / "eval"
    questions = {normalize(json.loads(line)["question"]) for f in eval_dir.glob("*_qa.jsonl")
                 for line in f.read_text("utf-8").splitlines() if line.strip()}
    assert not [t for t in texts if normalize(t) in questions]


def test_acronyms_are_spelled_out_as_the_corpus_defines_them():
    from rag.text import acronym_expansions

    acronyms = acronym_expansions([
        "avec l’Organisation du Traité de sécurité collective (OTSC) à Moscou",
        "l’Association des nations de l’Asie du Sud-Est (ASEAN) a",
        "la Communauté économique des États de l’Afrique de l’Ouest (CEDEAO) et"])
    assert acronyms == {"OTSC": "Organisation du Traité de sécurité collective",
                        "ASEAN": "Association des nations de l’Asie du Sud-Est",
                        "CEDEAO": "Communauté économique des États de l’Afrique de l’Ouest"}
    analyzer = QuestionAnalyzer(DOCS, acronyms)
    query = analyzer.analyse("Où l’OTSC a-t-elle tenu ses consultations ?").parts[0].query
    assert query.endswith("Organisation du Traité de sécurité collective")
    spelled = analyzer.analyse("Que fait l’Organisation du Traité de sécurité collective "
                               "(OTSC) ?").parts[0].query
    assert spelled.count("Traité") == 1  # already spelled out: nothing added
