"""Markdown, DOCX and HTML read as their format says: heading levels, list numbering (on the
paragraph or through its style), lists versus paragraph numbering, the title a file declares;
and size messages that tell two sizes apart. Each input is built here in a temporary folder,
read with rag.ingest.documents.load_document and cut with rag.ingest.chunking.chunk_document."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from rag.errors import DocumentRejected
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import load_document
from rag.ingest.layout import parse_layout
from rag.ingest.sources import _size_text, read_source
from rag.records import Passage
from tests.support.fixtures_docx import add_list, number_paragraph, number_style

LONG = ("Le Conseil de sécurité souligne l’importance de la coopération entre l’Organisation "
        "des Nations Unies et les organisations régionales et sous-régionales pour le maintien "
        "de la paix et de la sécurité internationales, conformément au Chapitre VIII de la "
        "Charte, et encourage un dialogue régulier entre les secrétariats.")


def _layout_reads_heading_levels() -> bool:
    """Whether rag.ingest.layout takes a heading's level from its ``#`` marks (``## Contexte``)."""
    blocks = parse_layout("  # Titre\n \n  ## Contexte\n \n  ## Recommandations\n").blocks
    return [b.level for b in blocks] == [0, 1, 1]


needs_layout_levels = pytest.mark.xfail(
    not _layout_reads_heading_levels(), strict=True,
    reason="rag.ingest.layout decides heading levels from the heading's words only; it needs to "
           "read the level the reader marks with ## (see rag.ingest.sources.html.heading_marker)")


def passages(path: Path) -> list[Passage]:
    return chunk_document(load_document(path))


def body(ps: list[Passage]) -> list[Passage]:
    return [p for p in ps if p.kind != "title"]


def by_text(ps: list[Passage], start: str) -> Passage:
    return next(p for p in ps if p.text.startswith(start))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- Markdown --------------------------------------------------------------------------------

MARKDOWN = """# Rapport sur la coopération régionale

## Contexte

Le Conseil a *examiné* la **situation** au titre de l’_ordre du jour_, voir
`S/2021/297` et [le rapport](https://undocs.org/S/2021/297) ![logo](logo.png).

## Recommandations

Quelles mesures ont été convenues :

1. Renforcer la coopération entre les secrétariats.
2. Partager les informations sur les crises.
3. Tenir une réunion annuelle.

Les participants ont aussi noté :

- la place des femmes ;
* le rôle des jeunes ;
+ le financement.

Un paragraphe ordinaire suit la liste.
"""


def test_markdown_is_read_as_markdown(tmp_path: Path) -> None:
    path = write(tmp_path, "rapport.md", MARKDOWN)
    source = read_source(path)
    assert source.format == "markdown"
    assert source.title == "Rapport sur la coopération régionale"
    doc = load_document(path)
    assert doc.meta.title == "Rapport sur la coopération régionale"
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings == ["Rapport sur la coopération régionale", "Contexte", "Recommandations"]
    ps = passages(path)
    assert not any("#" in p.text or any("#" in s for s in p.section) for p in ps)
    first = body(ps)[0]
    assert first.label == "§1" and first.section[-1] == "Contexte"
    assert first.text == ("Le Conseil a examiné la situation au titre de l’ordre du jour, voir "
                          "S/2021/297 et le rapport.")


def test_markdown_lists_are_list_items_under_their_introduction(tmp_path: Path) -> None:
    ps = passages(write(tmp_path, "rapport.md", MARKDOWN))
    intro = by_text(ps, "Quelles mesures ont été convenues")
    assert intro.role == "list_intro" and len(intro.items) == 3
    measures = [p for p in ps if p.id in intro.items]
    assert [p.text for p in measures] == [
        "Renforcer la coopération entre les secrétariats.",
        "Partager les informations sur les crises.", "Tenir une réunion annuelle."]
    assert all(p.role == "list_item" and p.context == intro.text for p in measures)
    noted = by_text(ps, "Les participants ont aussi noté")
    assert noted.role == "list_intro"
    assert [p.text for p in ps if p.id in noted.items] == [
        "la place des femmes ;", "le rôle des jeunes ;", "le financement."]
    last = ps[-1]  # a blank line ends the list: the paragraph is not glued to the last item
    assert last.text == "Un paragraphe ordinaire suit la liste." and last.kind == "paragraph"
    assert last.role == "body"
    assert not any(p.label.split()[0].isdigit() for p in ps)  # no "par. 1"


def test_markdown_paragraph_numbering_stays_numbered(tmp_path: Path) -> None:
    text = "# Rapport\n\n" + "\n\n".join(f"{n}. {LONG}" for n in (1, 2, 3)) + "\n\n" \
        + "## Observations\n\n4. " + LONG + "\n"
    ps = body(passages(write(tmp_path, "numeros.md", text)))
    assert [p.label for p in ps] == ["1", "2", "3", "4"]
    assert ps[-1].section[-1] == "Observations"


@needs_layout_levels
def test_markdown_sibling_headings_replace_each_other(tmp_path: Path) -> None:
    ps = body(passages(write(tmp_path, "rapport.md", MARKDOWN)))
    title = "Rapport sur la coopération régionale"
    assert by_text(ps, "Le Conseil a examiné").section == (title, "Contexte")
    assert by_text(ps, "Quelles mesures").section == (title, "Recommandations")


def test_text_files_are_not_read_as_markdown(tmp_path: Path) -> None:
    raw = "# Pas un titre\n\n1. Texte brut avec *astérisques* et [crochets](x).\n"
    source = read_source(write(tmp_path, "brut.txt", raw))
    assert source.format == "text" and source.text == raw and source.title is None


# --- DOCX ------------------------------------------------------------------------------------

def _docx(tmp_path: Path, build) -> Path:  # type: ignore[no-untyped-def]
    document = docx.Document()
    build(document)
    path = tmp_path / "document.docx"
    document.save(str(path))
    return path


def _report(document: docx.document.Document) -> None:
    document.core_properties.title = "Rapport du Groupe de travail"
    document.add_heading("Titre du rapport", level=1)
    document.add_heading("Contexte", level=2)
    document.add_paragraph("Le Conseil a examiné la situation.")
    document.add_heading("Recommandations", level=2)
    document.add_paragraph("Le Conseil recommande ce qui suit :")
    document.add_paragraph("Renforcer la coopération régionale.", style="List Number")
    document.add_paragraph("Partager les informations.", style="List Number")
    document.add_paragraph("Un point à puces.", style="List Bullet")


def test_docx_headings_carry_their_word_level(tmp_path: Path) -> None:
    source = read_source(_docx(tmp_path, _report))
    lines = source.text.splitlines()
    assert "  # Titre du rapport" in lines
    assert "  ## Contexte" in lines and "  ## Recommandations" in lines
    assert source.title == "Rapport du Groupe de travail"


@needs_layout_levels
def test_docx_sibling_headings_replace_each_other(tmp_path: Path) -> None:
    ps = passages(_docx(tmp_path, _report))
    assert by_text(ps, "Le Conseil a examiné").section == ("Titre du rapport", "Contexte")
    assert by_text(ps, "Le Conseil recommande").section == ("Titre du rapport",
                                                            "Recommandations")


def test_docx_numbering_from_the_paragraph_style(tmp_path: Path) -> None:
    ps = passages(_docx(tmp_path, _report))
    first, second = by_text(ps, "Renforcer"), by_text(ps, "Partager")
    assert (first.label, second.label) == ("1", "2")
    assert first.kind == second.kind == "paragraph"
    bullet = by_text(ps, "Un point à puces")
    assert bullet.kind == "bullet" and bullet.role == "list_item"


def test_docx_direct_and_style_numbering_together(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        document.add_heading("Rapport", level=1)
        decimal = add_list(document, [("decimal", "%1."), ("lowerLetter", "%2)")])
        number_style(document, "List Number", decimal)
        document.add_paragraph(LONG, style="List Number")
        document.add_paragraph("Le Conseil décide :", style="List Number")
        for text in ("de renforcer la coopération ;", "de partager les informations."):
            number_paragraph(document.add_paragraph(text), decimal, ilvl=1)
        number_paragraph(document.add_paragraph(LONG), decimal)  # same list, set directly
        document.add_paragraph(LONG, style="List Number")

    ps = body(passages(_docx(tmp_path, build)))
    assert [p.label for p in ps] == ["1", "2", "3", "4"]
    assert ps[1].text == ("Le Conseil décide :\na) de renforcer la coopération ;\n"
                          "b) de partager les informations.")


def test_docx_title_style_and_numbered_headings(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        document.add_heading("Rapport annuel", level=0)  # the Title style
        sections = add_list(document, [("upperRoman", "%1."), ("upperLetter", "%2.")])
        number_style(document, "Heading 1", sections, 0)
        number_style(document, "Heading 2", sections, 1)
        document.add_heading("Introduction générale", level=1)
        document.add_paragraph("Premier paragraphe.")
        document.add_heading("Mandat", level=2)
        document.add_heading("Activités", level=1)
        document.add_heading("Coopération", level=2)
        document.add_paragraph("Dernier paragraphe.")

    path = _docx(tmp_path, build)
    lines = read_source(path).text.splitlines()
    assert "  # Rapport annuel" in lines
    assert "  ## I. Introduction générale" in lines and "  ### A. Mandat" in lines
    assert "  ## II. Activités" in lines and "  ### A. Coopération" in lines
    doc = load_document(path)
    assert doc.meta.title == "Rapport annuel"
    if _layout_reads_heading_levels():
        ps = passages(path)
        assert by_text(ps, "Dernier paragraphe").section == (
            "Rapport annuel", "II. Activités", "A. Coopération")


# --- HTML ------------------------------------------------------------------------------------

def _html(title: str, body_html: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"fr\"><head><title>{title}</title></head>"
            f"<body><main>{body_html}</main></body></html>")


def test_html_ordered_list_after_an_introduction_is_a_list(tmp_path: Path) -> None:
    page = _html("Réunion", (
        "<h1>Compte rendu de la réunion</h1><p>Les participants sont convenus :</p>"
        "<ol><li>de renforcer la coopération ;</li><li>de partager les informations ;</li>"
        "<li>de se réunir chaque année.</li></ol><p>La séance est levée.</p>"))
    ps = passages(write(tmp_path, "reunion.html", page))
    intro = by_text(ps, "Les participants sont convenus")
    assert intro.role == "list_intro" and len(intro.items) == 3
    items = [p for p in ps if p.id in intro.items]
    assert [p.text for p in items] == ["de renforcer la coopération ;",
                                       "de partager les informations ;",
                                       "de se réunir chaque année."]
    assert all(p.role == "list_item" and p.context == intro.text for p in items)
    assert not any(p.label in ("1", "2", "3") for p in ps)
    assert ps[-1].text == "La séance est levée." and ps[-1].role == "body"


def test_html_short_and_nested_ordered_lists_are_lists(tmp_path: Path) -> None:
    page = _html("Mesures", (
        "<h1>Mesures</h1><ol><li>Alerte rapide</li><li>Médiation</li></ol>"
        f"<ol><li>{LONG}<ol><li>première mesure</li><li>seconde mesure</li></ol></li>"
        f"<li>{LONG}</li></ol>"))
    ps = body(passages(write(tmp_path, "mesures.html", page)))
    assert [p.kind for p in ps[:2]] == ["bullet", "bullet"]
    assert [p.text for p in ps[:2]] == ["Alerte rapide", "Médiation"]
    # long items without introduction: the document's paragraph numbering
    assert ps[2].label == "1" and ps[-1].label == "2"
    nested = [p for p in ps if p.text.endswith("mesure")]
    assert [p.kind for p in nested] == ["bullet", "bullet"]


def test_html_paragraph_numbering_continues_across_lists(tmp_path: Path) -> None:
    page = _html("Rapport", (
        f"<h1>Rapport</h1><ol><li>{LONG}</li><li>{LONG}</li></ol><h2>Suite</h2>"
        "<ol start=\"3\"><li>Le Conseil reste saisi de la question.</li></ol>"
        "<p>Il décide ce qui suit :</p><ol start=\"4\"><li>" + LONG + "</li></ol>"))
    ps = body(passages(write(tmp_path, "rapport.html", page)))
    assert [p.label for p in ps if p.kind == "paragraph" and not p.label.startswith("§")] \
        == ["1", "2", "3", "4"]


def test_html_title_and_line_breaks(tmp_path: Path) -> None:
    page = _html("Note conceptuelle — débat public", (
        "<h1>Note conceptuelle</h1><p>Une phrase coupée dans la source\n"
        "2. qui continue ici.</p><p>Ligne un<br>Ligne deux</p>"))
    path = write(tmp_path, "note.html", page)
    source = read_source(path)
    assert source.title == "Note conceptuelle — débat public"
    ps = body(passages(path))
    assert ps[0].text == "Une phrase coupée dans la source 2. qui continue ici."
    assert ps[0].label == "§1" and len(ps) == 2
    symbol_titled = _html("S/2021/297", "<h1>Lettre du Président</h1><p>Texte.</p>")
    assert read_source(write(tmp_path, "lettre.html", symbol_titled)).title == \
        "Lettre du Président"


@needs_layout_levels
def test_html_sibling_headings_replace_each_other(tmp_path: Path) -> None:
    page = _html("Rapport", "<h1>Rapport</h1><h2>Contexte</h2><p>Un.</p>"
                            "<h2>Recommandations</h2><p>Deux.</p><h3>Détail</h3><p>Trois.</p>")
    ps = body(passages(write(tmp_path, "rapport.html", page)))
    assert [p.section for p in ps] == [("Rapport", "Contexte"), ("Rapport", "Recommandations"),
                                       ("Rapport", "Recommandations", "Détail")]


def test_deeply_nested_html_is_read_in_order(tmp_path: Path) -> None:
    """A thousand nested ``<div>`` (issue 24: a RecursionError), and deeper: every block is
    read, in reading order, in time linear in the depth."""
    for depth in (1000, 20_000):
        page = _html("Profond", "<div><p>Avant.</p>" * depth + "<p>Au fond.</p>"
                     + "<p>Après.</p></div>" * depth)
        text = read_source(write(tmp_path, "profond.html", page)).text
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines == ["Avant."] * depth + ["Au fond."] + ["Après."] * depth


# --- sizes -----------------------------------------------------------------------------------

def test_size_messages_tell_sizes_apart(tmp_path: Path) -> None:
    assert _size_text(120_000) != _size_text(100_000)
    assert _size_text(100_001) != _size_text(100_000)
    assert _size_text(500) == "500 bytes"
    assert _size_text(16 * 1024 * 1024) == "16,777,216 bytes (16.8 MB)"
    path = write(tmp_path, "gros.txt", "x" * 120_000)
    with pytest.raises(DocumentRejected) as info:
        read_source(path, max_bytes=100_000)
    assert "120,000 bytes" in str(info.value) and "100,000 bytes" in str(info.value)


def test_markdown_front_matter_gives_the_title(tmp_path: Path) -> None:
    text = "---\ntitle: \"Note de cadrage\"\ndate: 2021-10-19\n---\n\nLe débat portera sur la " \
        "coopération.\n"
    path = write(tmp_path, "note.md", text)
    source = read_source(path)
    assert source.title == "Note de cadrage"
    assert [p.text for p in passages(path)] == ["Le débat portera sur la coopération."]


def test_markup_without_text_is_dropped_and_table_rows_are_read_whole(tmp_path: Path) -> None:
    text = ("# Contributions\n\n<!-- brouillon : ne pas publier -->\n\n| Pays | Montant |\n"
            "|---|---|\n| France | 12 |\n| | |\n")
    ps = passages(write(tmp_path, "tableau.md", text))
    assert [p.text for p in ps] == ["Pays | Montant", "France | 12"]


# --- bounded work per file --------------------------------------------------------------

def test_a_word_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        body = "<w:p/>" * 1_000_000  # 6 MB that deflate to a few kB
        archive.writestr("word/document.xml", f"<w:document><w:body>{body}</w:body>"
                                              "</w:document>")
    with pytest.raises(DocumentRejected, match="decompression bomb") as refused:
        read_source(path)
    assert refused.value.reason == "too_large"


def test_a_word_document_over_the_unpacked_limit_is_refused(tmp_path: Path,
                                                            monkeypatch) -> None:
    import zipfile

    import rag.ingest.sources as sources

    path = tmp_path / "big.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/document.xml", "<w:document/>" + " " * 5000)
    monkeypatch.setattr(sources, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(DocumentRejected, match="would inflate to") as refused:
        read_source(path)
    assert refused.value.reason == "too_large"


def test_a_pdf_over_the_page_limit_is_refused_before_its_pages_are_read(
        tmp_path: Path, monkeypatch) -> None:
    from reportlab.pdfgen.canvas import Canvas

    import rag.ingest.sources.pdf as pdf

    path = tmp_path / "pages.pdf"
    canvas = Canvas(str(path))
    for n in range(3):
        canvas.drawString(72, 720, f"Page {n + 1} : la coopération entre l’ONU et l’UA.")
        canvas.showPage()
    canvas.save()
    monkeypatch.setattr(pdf, "MAX_PDF_PAGES", 2)
    read = []
    monkeypatch.setattr(pdf, "_page_lines", lambda page: read.append(page) or [])
    with pytest.raises(DocumentRejected, match="3 pages, over the limit of 2") as refused:
        read_source(path)
    assert refused.value.reason == "too_large" and read == []
