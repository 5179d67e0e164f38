"""Paragraph boundaries, labels, sections and ids on the real seed documents."""

from __future__ import annotations

import re

from eval.dataset import load_questions, passage_matches
from rag.ingest.chunking import chunk_document
from rag.query.citations import citation_label
from rag.records import ChunkOptions
from tests.conftest import by_id

REPORT = "004_69fee26534a39183"
VIET_NAM = "001_72201535bd96dd17"
MEXICO_2021 = "000_f2da49a2d68de082"
MEXICO_2003 = "002_b093fe27a274807f"
RUSSIA = "003_d91f5d29b2b0ca38"


def test_report_has_paragraphs_1_to_108_in_order(passages):
    numbers = [int(p.label) for p in passages[REPORT] if p.kind == "paragraph"
               and p.label.isdigit() and "-w" not in p.id]
    assert numbers == list(range(1, 109))


def test_passage_counts_per_document(passages):
    counts = {doc: len(items) for doc, items in passages.items()}
    # with their masthead passages: the first-page masthead or running-header symbols, and
    # each annex's [Original : …] line
    assert counts == {MEXICO_2021: 26, VIET_NAM: 37, MEXICO_2003: 30, RUSSIA: 24, REPORT: 119}
    mastheads = {doc: [p.id.split("#")[1] for p in items if p.kind == "masthead"]
                 for doc, items in passages.items()}
    assert mastheads == {MEXICO_2021: ["masthead"], VIET_NAM: ["masthead"],
                         MEXICO_2003: ["masthead", "masthead-2"], RUSSIA: ["masthead"],
                         REPORT: ["masthead"]}


def test_ids_are_unique_and_deterministic(corpus, passages):
    for doc_id, items in passages.items():
        ids = [p.id for p in items]
        assert len(ids) == len(set(ids))
        assert all(i.startswith(f"{doc_id}#") for i in ids)
        assert [p.id for p in chunk_document(corpus[doc_id])] == ids


def test_no_running_header_link_or_rule_enters_a_passage(passages):
    noise = re.compile(r"\d{2}-\d{5}|undocs\.org|mailto:|_{5,}|\*\d{6,}\*")
    masthead = re.compile(r"Distr\. générale|\bOriginal\s*:")  # the masthead passage's only
    for items in passages.values():
        for p in items:
            assert not noise.search(p.text), (p.id, p.text[:120])
            assert p.kind == "masthead" or not masthead.search(p.text), (p.id, p.text[:120])


def test_paragraph_split_by_page_break_and_footnotes_is_one_passage(passages):
    p4 = by_id(passages[VIET_NAM])[f"{VIET_NAM}#p4"]
    assert "ce qui permet d’éviter les erreurs d’appréciation et d’entretenir" in p4.text
    assert "Uppsala" not in p4.text


def test_footnotes_are_separate_passages_linked_to_their_paragraph(passages):
    vn = by_id(passages[VIET_NAM])
    note = vn[f"{VIET_NAM}#n1"]
    assert note.kind == "footnote" and note.text == "Uppsala Conflict Data Program, 2021."
    assert note.parent == f"{VIET_NAM}#p1"
    assert vn[f"{VIET_NAM}#p1"].footnotes == (f"{VIET_NAM}#n1", f"{VIET_NAM}#n2")
    assert "488 000." in " ".join(p.text for p in vn.values() if p.label == "1")
    report = by_id(passages[REPORT])
    assert report[f"{REPORT}#n1"].parent == f"{REPORT}#p50"
    assert report[f"{REPORT}#p50"].text.endswith("coopération institutionnelle.")


def test_long_lists_of_lettered_items_become_item_passages(passages):
    mx = by_id(passages[MEXICO_2021])
    lead = "Les questions suivantes serviront à orienter le débat :"
    assert mx[f"{MEXICO_2021}#p12"].text == lead
    item = mx[f"{MEXICO_2021}#p12d"]
    assert item.kind == "item" and item.label == "12 d)"
    assert item.text.startswith("d) De quelle manière l’élargissement du rôle")
    assert item.context == mx[f"{MEXICO_2021}#p12"].text
    assert [p.label for p in passages[MEXICO_2021] if p.kind == "item"] == \
        [f"12 {c})" for c in "abcdef"]


def test_short_item_lists_stay_with_their_paragraph():
    from rag.records import Block, Document, DocumentMeta

    doc = Document(DocumentMeta(id="d", file="d.txt"), (
        Block("paragraph", "Le débat public viserait à :", number=11),
        Block("item", "souligner la coopération ;", letter="a"),
        Block("item", "partager les expériences.", letter="b"),
    ))
    (only,) = chunk_document(doc)
    assert only.label == "11" and "a) souligner" in only.text and "b) partager" in only.text


def test_sections_follow_headings(passages):
    p5 = by_id(passages[REPORT])[f"{REPORT}#p5"]
    assert p5.section[-1] == "Union africaine"
    assert p5.section[-2].startswith("II. Coopération entre l’Organisation des Nations Unies")
    p100 = by_id(passages[REPORT])[f"{REPORT}#p100"]
    assert p100.section[-1] == "Organisation de Shanghai pour la coopération"
    p106 = by_id(passages[REPORT])[f"{REPORT}#p106"]
    assert p106.section[-1] == "IV. Observations et recommandations"


def test_unnumbered_letters_get_ordinal_labels_and_titles_are_passages(passages):
    ru = passages[RUSSIA]
    labels = [p.label for p in ru if p.kind == "paragraph"]
    assert labels[:3] == ["§1", "§2", "§3"]
    constructive = next(p for p in ru if p.text.startswith("Une coopération constructive"))
    assert constructive.kind == "paragraph"
    titles = [p.text for p in passages[MEXICO_2021] if p.kind == "title"]
    assert any("qui se tiendra le 16 novembre 2021, à 10 heures" in t for t in titles)


def test_signature_block_is_its_own_passage(passages):
    sig = by_id(passages[VIET_NAM])[f"{VIET_NAM}#sig"]
    assert sig.kind == "signature" and sig.text.endswith("(Signé) Dang Dinh Quy")
    assert all("(Signé)" not in p.text for p in passages[VIET_NAM] if p.kind != "signature")


def test_markdown_bullets_carry_their_lead_in(passages):
    bullets = [p for p in passages[MEXICO_2003] if p.kind == "bullet"]
    assert len(bullets) == 17
    assert bullets[2].label == "bullet 3"
    assert bullets[2].text.startswith("Toutes sortes de défis anciens et nouveaux")
    lead = "Les points qui ont été abordés au cours de la réunion sont les suivants :"
    assert bullets[2].context == lead
    assert bullets[-1].context == "Les propositions ci-après ont été formulées lors de la séance :"


def test_citation_labels_read_like_un_references(corpus, passages):
    report = by_id(passages[REPORT])
    assert citation_label(corpus[REPORT].meta, report[f"{REPORT}#p100"]) == \
        "A/75/345-S/2020/898, par. 100"
    mx = by_id(passages[MEXICO_2021])
    assert citation_label(corpus[MEXICO_2021].meta, mx[f"{MEXICO_2021}#p12d"]) == \
        "Lettre datée du 19 octobre 2021, par. 12 d)"


def test_long_paragraph_windows_keep_the_label(corpus):
    options = ChunkOptions(max_window_chars=400, group_items_max_chars=900)
    items = [p for p in chunk_document(corpus[REPORT], options) if p.label == "108"]
    assert len(items) > 1 and items[1].id == f"{REPORT}#p108-w2"
    assert all(len(p.text) <= 400 * 1.3 for p in items)
    assert " ".join(p.text for p in items) == next(
        p.text for p in chunk_document(corpus[REPORT]) if p.label == "108")


def test_every_dev_gold_quote_lies_inside_exactly_one_passage(passages):
    everything = [p for items in passages.values() for p in items]
    for q in load_questions():
        for quote in q.gold_quotes:
            holders = [p.id for p in everything if passage_matches(p.text, (quote,))]
            assert len(holders) == 1, (q.id, quote, holders)
