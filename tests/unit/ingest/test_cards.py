"""Document cards (rag.ingest.cards): each field read from the passage that prints it, for the five
seeds, a plain-text letter without catalogue entry, and the catalogue's overrides; the
masthead passage they cite is not evidence for content questions. No model is loaded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag.ingest.cards import build_card, card_meta
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import catalog_entry, load_catalog, load_document
from rag.records import CONTENT_ROLES, Document, DocumentCard, Passage
from tests.conftest import SEEDS

MEXICO_2021, VIET_NAM, MEXICO_2003, RUSSIA, REPORT = (
    "000_f2da49a2d68de082", "001_72201535bd96dd17", "002_b093fe27a274807f",
    "003_d91f5d29b2b0ca38", "004_69fee26534a39183")
LETTER = """S/2019/555

Lettre adressée au Président du Conseil de sécurité par le Représentant permanent de la France auprès de l’Organisation des Nations Unies

J’ai l’honneur de vous informer que la France organisera, le 3 juin, un débat public sur le thème « Les océans et la sécurité internationale », au titre de la question intitulée « Maintien de la paix et de la sécurité internationales ».

Je vous serais reconnaissant de bien vouloir faire distribuer le texte de la présente lettre comme document du Conseil de sécurité.

L’Ambassadeur,
Représentant permanent de la France
(Signé) Jean Dupont
"""  # noqa: E501  (one line a paragraph, as a plain-text file often has it)


def text_card(corpus: dict[str, Document], passages: dict[str, list[Passage]],
              doc_id: str) -> DocumentCard:
    """The card from the document's own text (no catalogue entry)."""
    return build_card(corpus[doc_id], passages[doc_id], None)


def values(card: DocumentCard, name: str) -> list[str]:
    return [f.value for f in card.all(name)]


def slug(card: DocumentCard, name: str) -> str:
    field = card.get(name)
    assert field is not None and field.passage_id, (name, field)
    return field.passage_id.split("#", 1)[1]


def test_every_field_cites_a_passage_of_its_document_that_prints_it(corpus, passages):
    for doc_id, doc in corpus.items():
        own = {p.id: p for p in passages[doc_id]}
        card = build_card(doc, passages[doc_id], None)
        assert card.doc_id == doc_id and card.fields
        for f in card.fields:
            assert f.passage_id in own, f
            printed = own[f.passage_id]
            if f.source == "text" and f.name != "job_number":  # read from the pages' foot
                assert f.value in printed.text or f.value in " ".join(printed.section), f


def test_viet_nam_letter_masthead_letter_and_signature(corpus, passages):
    card = text_card(corpus, passages, VIET_NAM)
    assert values(card, "symbol") == ["S/2021/297"] and slug(card, "symbol") == "masthead"
    assert card.get("title").value.startswith("Lettre datée du 25 mars 2021, adressée au ")
    date, distributed = card.get("date"), card.get("distribution_date")
    assert (date.value, date.iso, slug(card, "date")) == ("25 mars 2021", "2021-03-25", "t1")
    assert (distributed.value, distributed.iso) == ("26 mars 2021", "2021-03-26")
    assert slug(card, "distribution_date") == "masthead"
    assert values(card, "original_language") == ["anglais"]
    assert values(card, "distribution") == ["générale"] and slug(card, "distribution") == \
        "masthead"
    assert values(card, "job_number") == ["21-04084"] and slug(card, "job_number") == \
        "masthead"
    assert values(card, "sender") == [
        "le Représentant permanent du Viet Nam auprès de l’Organisation des Nations Unies"]
    assert values(card, "addressee") == ["Secrétaire général"]
    assert values(card, "signatory") == ["Dang Dinh Quy"] and slug(card, "signatory") == "sig"
    assert card.get("agenda_item").value == (
        "Coopération entre l’Organisation des Nations Unies et les organisations régionales et "
        "sous-régionales aux fins du maintien de la paix et de la sécurité internationales")
    meeting = card.get("meeting_date")
    assert (meeting.value, meeting.iso) == ("lundi 19 avril 2021", "2021-04-19")
    assert card.get("meeting_theme").value.startswith("Développement de la coopération entre")
    assert card.get("meeting_theme").value.endswith("prévention et du règlement des conflits")
    assert "avril 2021" in card.get("presidency").value
    assert all(f.source == "text" for f in card.fields)


def test_mexico_2021_letter_without_masthead(corpus, passages):
    card = text_card(corpus, passages, MEXICO_2021)
    assert card.all("symbol") == () and card.get("distribution_date") is None
    assert (card.get("date").value, card.get("date").iso) == ("19 octobre 2021", "2021-10-19")
    language = card.get("original_language")  # the annex's [Original : anglais]
    assert language.value == "anglais" and slug(card, "original_language") == "masthead"
    assert values(card, "signatory") == ["Juan Ramón de la Fuente"]
    assert values(card, "sender") == [
        "le Représentant permanent du Mexique auprès de l’Organisation des Nations Unies"]
    meeting = card.get("meeting_date")  # "le 16 novembre" in the letter, the year in the annex
    assert (meeting.value, meeting.iso, slug(card, "meeting_date")) == (
        "16 novembre", "2021-11-16", "s1")
    assert meeting.note == "year from « 16 novembre 2021 »"
    assert card.get("meeting_theme").value == (
        "La diplomatie préventive au service de la paix et de la sécurité : un objectif commun "
        "pour tous les organes principaux de l’Organisation des Nations Unies")
    assert card.get("presidency").value == "présidence du Conseil de sécurité en novembre 2021"


def test_mexico_2003_letter_has_two_original_languages(corpus, passages):
    card = text_card(corpus, passages, MEXICO_2003)
    assert [(f.value, f.passage_id.split("#")[1]) for f in card.all("original_language")] == [
        ("espagnol", "masthead"), ("anglais", "masthead-2")]  # the letter's, the annex's
    assert (card.get("date").iso, card.get("distribution_date").iso) == (
        "2003-04-25", "2003-04-28")
    assert values(card, "signatory") == ["Adolfo Aguilar Zinser"]
    assert (card.get("meeting_date").value, card.get("meeting_date").iso) == (
        "11 avril 2003", "2003-04-11")
    assert card.get("meeting_theme").value == (
        "Le Conseil de sécurité et les organisations régionales face aux nouveaux défis à la "
        "paix et à la sécurité internationales")
    assert values(card, "presidency") == ["présidence du Mexique"]
    # "J’ai l’honneur de vous faire tenir ci-joint le résumé de la séance publique que…"
    assert values(card, "enclosure") == ["le résumé de la séance publique"]


def test_what_a_cover_letter_transmits(corpus, passages):
    assert values(text_card(corpus, passages, RUSSIA), "enclosure") == [
        "un document de réflexion"]  # "…ci-joint un document de réflexion en vue de…"
    assert values(text_card(corpus, passages, VIET_NAM), "enclosure") == [
        "la note de cadrage"]  # "…a établi la note de cadrage ci-jointe (voir annexe)"
    assert text_card(corpus, passages, REPORT).get("enclosure") is None


def test_russian_letter(corpus, passages):
    card = text_card(corpus, passages, RUSSIA)
    assert card.all("symbol") == ()
    assert values(card, "signatory") == ["V. Churkin"] and slug(card, "signatory") == "sig"
    assert values(card, "original_language") == ["russe"]
    assert card.get("date").iso == "2016-10-14"
    meeting = card.get("meeting_date")
    assert (meeting.value, meeting.iso) == ("28 octobre", "2016-10-28")
    theme = card.get("meeting_theme").value
    assert theme.startswith("Coopération entre l’Organisation des Nations Unies")
    assert theme.endswith("Communauté d’États indépendants")


def test_report_date_is_inferred_from_its_symbol(corpus, passages):
    card = text_card(corpus, passages, REPORT)
    assert values(card, "symbol") == ["A/75/345", "S/2020/898"]  # both parts, running headers
    assert slug(card, "symbol") == "masthead"
    date = card.get("date")
    assert (date.value, date.iso, date.source, date.note) == (
        "2020", "2020", "inferred", "year from the symbol S/2020/898")
    assert date.passage_id == f"{REPORT}#masthead"
    assert card.get("distribution_date") is None and card.all("signatory") == ()
    assert values(card, "sender") == ["Secrétaire général"]  # "Rapport du Secrétaire général"
    assert card.get("title").value == ("Coopération entre l’Organisation des Nations Unies et "
                                       "les organisations régionales ou autres")


def test_plain_text_letter_without_catalogue(tmp_path: Path):
    path = tmp_path / "lettre-france.txt"
    path.write_text(LETTER, "utf-8")
    doc = load_document(path)
    passages = chunk_document(doc)
    card = build_card(doc, passages, None)
    assert values(card, "symbol") == ["S/2019/555"]
    title = card.get("title")
    assert title.value == ("Lettre adressée au Président du Conseil de sécurité par le "
                           "Représentant permanent de la France auprès de l’Organisation des "
                           "Nations Unies")
    date = card.get("date")  # no date printed: the year of the symbol, said so
    assert (date.value, date.source, date.note) == (
        "2019", "inferred", "year from the symbol S/2019/555")
    assert date.passage_id == "lettre-france#masthead"
    assert values(card, "addressee") == ["Président du Conseil de sécurité"]
    assert values(card, "sender") == [
        "le Représentant permanent de la France auprès de l’Organisation des Nations Unies"]
    assert values(card, "signatory") == ["Jean Dupont"]
    assert values(card, "meeting_theme") == ["Les océans et la sécurité internationale"]
    assert values(card, "agenda_item") == ["Maintien de la paix et de la sécurité "
                                           "internationales"]
    meeting = card.get("meeting_date")
    assert (meeting.value, meeting.iso, meeting.note) == (
        "3 juin", "2019-06-03", "year from the symbol S/2019/555")
    # the document is named by its card: the letter's heading, its symbol (not the file name)
    meta = card_meta(doc.meta, card)
    assert doc.meta.title == "lettre france"
    assert (meta.title, meta.symbol, meta.date) == (title.value, "S/2019/555", None)


def test_catalogue_fills_and_overrides_fields(tmp_path: Path):
    path = tmp_path / "lettre-france.txt"
    path.write_text(LETTER, "utf-8")
    doc = load_document(path)
    passages = chunk_document(doc)
    entry = {"symbol": "S/2019/556", "date": "2019-05-30", "presidency": "France (juin 2019)",
             "author": "Jean Dupont, Représentant permanent de la France",
             "meeting_theme": "Les océans et la sécurité internationale"}
    card = build_card(doc, passages, entry)
    symbol = card.get("symbol")  # overridden: the catalogue's value, the text's passage
    assert (symbol.value, symbol.source, symbol.passage_id, symbol.note) == (
        "S/2019/556", "catalogue", "lettre-france#masthead", "the text prints « S/2019/555 »")
    assert card.all("symbol") == (symbol,)
    date = card.get("date")  # the inferred year gives way to the catalogue's date
    assert (date.value, date.iso, date.source, date.passage_id) == (
        "30 mai 2019", "2019-05-30", "catalogue", None)
    presidency = card.get("presidency")  # filled: the text does not state it
    assert (presidency.value, presidency.source, presidency.passage_id) == (
        "France (juin 2019)", "catalogue", None)
    for name in ("signatory", "meeting_theme"):  # the catalogue agrees with the text
        assert card.get(name).source == "text" and card.get(name).passage_id
    untouched = build_card(doc, passages, None)
    assert card.get("sender") == untouched.get("sender")
    # the seed catalogue: a language code is the printed name; a date matches by its ISO form
    seed = load_catalog(SEEDS / "catalog.toml")
    viet_nam = load_document(SEEDS / f"{VIET_NAM}.txt")
    card = build_card(viet_nam, chunk_document(viet_nam),
                      catalog_entry(seed, SEEDS / f"{VIET_NAM}.txt"))
    assert card.get("original_language").source == "text"
    assert card.get("distribution_date").source == "text"
    presidency = card.get("presidency")
    assert presidency.value == "Viet Nam, présidence du Conseil de sécurité (avril 2021)"
    assert (presidency.source, presidency.passage_id) == ("catalogue", f"{VIET_NAM}#s1")
    assert presidency.note == ("the text prints « présidence du Conseil de sécurité au mois "
                               "d’avril 2021 »")
    # the catalogue agrees with the letter's original language: the annex's stays after it
    mexico = load_document(SEEDS / f"{MEXICO_2003}.txt")
    card = build_card(mexico, chunk_document(mexico),
                      catalog_entry(seed, SEEDS / f"{MEXICO_2003}.txt"))
    assert [(f.value, f.source) for f in card.all("original_language")] == [
        ("espagnol", "text"), ("anglais", "text")]


@pytest.mark.parametrize("doc_id", [VIET_NAM, REPORT, MEXICO_2003])
def test_masthead_passage_is_about_the_document_not_content(corpus, passages, doc_id):
    mastheads = [p for p in passages[doc_id] if p.kind == "masthead"]
    assert mastheads and all(p.role == "masthead" and p.role not in CONTENT_ROLES
                             and p.label == "masthead" for p in mastheads)
    front = mastheads[0]
    assert front.id == f"{doc_id}#masthead" and front.order == 0 and front.section == ()
    if doc_id == VIET_NAM:
        assert front.text == ("Nations Unies S/2021/297\nConseil de sécurité\nDistr. générale\n"
                              "26 mars 2021\nFrançais\nOriginal : anglais")  # no job number
    # the masthead passages change no other passage: ids, texts and roles as without them
    doc = corpus[doc_id]
    bare = chunk_document(replace(doc, blocks=tuple(b for b in doc.blocks
                                                    if b.kind != "masthead")))
    assert [(p.id, p.text, p.role, p.section) for p in bare] == [
        (p.id, p.text, p.role, p.section) for p in passages[doc_id] if p.kind != "masthead"]


def test_an_extractive_composer_uses_the_masthead_only_for_questions_about_the_document():
    from types import SimpleNamespace

    from rag.answer.extractive import ExtractiveComposer

    index = SimpleNamespace(passages=[SimpleNamespace(role="masthead"),
                                      SimpleNamespace(role="body")])
    usable = ExtractiveComposer._usable
    about, content = SimpleNamespace(about_document=True), SimpleNamespace(about_document=False)
    holder = SimpleNamespace(index=index)
    assert usable(holder, 0, about) and not usable(holder, 0, content)  # type: ignore[arg-type]
    assert usable(holder, 1, content)  # type: ignore[arg-type]
