"""PDFs as a user makes them, not only as our renderer lays them out (issue 26): the layout
is read from each page's own statistics, never one assumed spacing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.cleaning import word_counts
from rag.ingest.documents import derive_meta
from rag.ingest.layout import parse_layout
from rag.ingest.sources import read_source
from rag.ingest.sources.pdf import (
    _heading_number_misreadings,
    _isolated_headings,
    _Line,
    _Metrics,
    _paragraph_number_misreadings,
    _symbol_bullet,
    consensus_symbols,
    job_number,
    mark_heading_styles,
    modal_pitch,
    split_notes,
)
from tests.support.fixtures_pdf import render_pdf_raw
from tests.support.fixtures_sources import label_recall, seed_structure, text_passages

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
VIET_NAM = SEEDS / "001_72201535bd96dd17.txt"


@pytest.mark.parametrize("spacing", [1.5, 2.0, 2.3, 3.0])
def test_a_double_spaced_printout_is_one_line_per_line_not_one_paragraph(
        tmp_path: Path, spacing: float) -> None:
    """S/2021/297 printed as its text file: every line followed by an empty one (a pitch of
    two lines or more), the symbol as running header, the job number as footer. The modal
    pitch is one line; the passages are those of the text, the title the letter's."""
    pdf = render_pdf_raw(VIET_NAM, seed_structure(VIET_NAM), tmp_path / "scan001.pdf",
                         spacing=spacing)
    source = read_source(pdf)
    reference = text_passages(VIET_NAM.read_text(encoding="utf-8"), VIET_NAM.stem)
    got = text_passages(source.text, VIET_NAM.stem)
    assert len(got) == len(reference)
    assert label_recall(reference, got) >= 0.95
    texts = {p.id: p.text for p in got}
    assert sum(texts.get(p.id) == p.text for p in reference) >= 0.9 * len(reference)
    assert not any("21-04084" in p.text for p in got)
    meta = derive_meta("scan001", pdf.name, parse_layout(source.text, word_counts([source.text])),
                       source.title)
    assert meta.title.startswith("Lettre datée du 25 mars 2021")
    assert meta.symbol == "S/2021/297"
    assert meta.date == "2021-03-26"


def test_the_modal_pitch_is_the_most_frequent_line_distance() -> None:
    lines, gaps = [27.6] * 30, [55.2] * 8
    assert modal_pitch(lines + gaps) == pytest.approx(27.6)
    assert modal_pitch([12.0, 12.1, 11.9, 24.0]) == pytest.approx(12.0)
    assert modal_pitch([]) is None


def _line(text: str, y: float = 500.0, *, size: float = 11.0, style: str = "serif|0,0,0",
          x0: float = 90.0) -> _Line:
    return _Line(chars=[text], x0=x0, x1=x0 + 5.0 * len(text), y=y, sizes=[size] * len(text),
                 bold=[False] * len(text), styles=[style] * len(text))


def test_a_heading_style_set_apart_by_typeface_and_colour_is_a_heading() -> None:
    """Word's and Writer's lower heading styles: not bold, but a blue sans-serif over black
    serif body text. A whole line in such a style that ends no sentence is a heading; a
    sentence in it, or a line in the body style, is not."""
    blue = "sans|1,1,3"
    lines = [_line("Objectifs du débat", 700, style=blue),
             _line("Questions à examiner (à titre indicatif)", 680, style=blue),
             _line("Une phrase citée dans ce style.", 660, style=blue),
             *(_line(f"Le corps du texte, ligne {i}", 640 - 15 * i) for i in range(6))]
    mark_heading_styles([lines])
    assert [ln.is_bold for ln in lines[:4]] == [True, True, False, False]


def test_body_size_footnotes_are_read_under_a_drawn_separator_rule() -> None:
    """Notes set at body size have no smaller type to tell them: the short rule a word
    processor draws above them (a path, not text) does, when the lines under it open with a
    note number."""
    column = [_line("dernière ligne du paragraphe.", 200), _line("1 Uppsala, 2021.", 140),
              _line("2 Voir S/2015/730 ;", 115), _line("la suite de la note 2.", 100)]
    body, notes = split_notes(column, 11.0, rules=[156.7])
    assert [ln.text for ln in body] == ["dernière ligne du paragraphe."]
    assert notes[0].text == "1 Uppsala, 2021."
    assert split_notes(column, 11.0) == (column, [])  # no rule: body text
    assert split_notes(column, 11.0, rules=[250.0]) == (column, [])  # rule above body text


def test_a_larger_heading_wraps_at_its_own_leading_not_as_a_gap() -> None:
    """14 pt heading lines 18.7 pt apart are one heading over an 11 pt body at 14.7 pt: its
    lines are no gaps; the same drop between body lines is one."""
    metrics = _Metrics(body_size=11.0, pitch=14.7, right={})
    assert metrics.is_gap(18.7)
    assert not metrics.is_gap(18.7, size=14.0)
    assert metrics.is_gap(27.8, size=14.0)


def test_symbol_font_bullets_and_a_repeated_footer_job_number() -> None:
    bullet = _line("\uf0b7\tLes relations internationales", 500)
    _symbol_bullet(bullet)
    assert bullet.text.startswith("• Les relations")
    pages = [[_line("S/2021/297", 745), _line(f"Texte {p}", 600), _line("21-04084 – page", 38)]
             for p in range(3)]
    assert job_number(pages) == "21-04084"
    assert job_number([[_line("21-04084 – page", 38)]]) is None  # once is not a footer


def test_a_scans_isolated_short_lines_at_the_margin_are_headings() -> None:
    """A scan keeps no weight: on a page whose body starts at the margin, a short line with
    a gap above and below that opens with a capital and ends no sentence is a heading; a
    paragraph's last line, a numbered paragraph or a list introduction is not."""
    y = iter(range(760, 0, -19))
    lines = [_line("A/75/345", next(y))]
    next(y)
    heading = _line("Conseil de l’Europe", next(y))
    next(y)
    body = [_line("50. L’ONU a tenu des consultations avec le Conseil sur de nombreux sujets "
                  "d’intérêt commun pour les deux organisations régionales", next(y))
            for _ in range(4)]
    body.append(_line("coopération institutionnelle.", next(y)))
    next(y)
    intro = _line("Les propositions suivantes ont été faites :", next(y))
    next(y)
    tail = [_line("La suite du texte courant, sur toute la largeur de la page, tant et plus "
                  "que la ligne est longue", next(y)) for _ in range(3)]
    _isolated_headings([*lines, heading, *body, intro, *tail])
    assert heading.is_bold
    assert not any(ln.is_bold for ln in [*lines, *body, intro, *tail])


def test_a_misread_paragraph_number_is_the_next_in_sequence() -> None:
    pages = [[_line("50. L’ONU a tenu des consultations."), _line("S1. En 2019, l’Alliance"),
              _line("52. En juin 2019, le Bureau"), _line("S3. Rien"), _line("lO. Suite")]]
    _paragraph_number_misreadings(pages)
    assert [ln.text.split()[0] for ln in pages[0]] == ["50.", "51.", "52.", "53.", "lO."]


def test_a_one_off_near_copy_of_a_running_symbol_is_a_misreading() -> None:
    headers = ["A/75/345", "S/2020/898", "A/75/345", "S/2020/S98", "S/2020/898"]
    assert consensus_symbols(headers) == ["A/75/345", "S/2020/898", "A/75/345", "S/2020/898"]
    assert consensus_symbols(["S/2021/297", "S/2021/298"]) == ["S/2021/297", "S/2021/298"]


def test_a_footnote_whose_first_line_reads_larger_stays_a_footnote() -> None:
    """OCR sizes a line by its box: a note's call makes its first line read at body size
    while the rest is small. Nearer the note than the body, it opens the note."""
    column = [_line("commun en juin 2020 sur le thème.", 158.7, size=10.0),
              _line("1 Le Département des affaires politiques", 112.6, size=10.0),
              _line("2019, remplacent le Département", 103.3, size=7.0),
              _line("qu’aux départements nouvellement créés", 83.8, size=7.0)]
    body, notes = split_notes(column, 10.0)
    assert [ln.text for ln in body] == ["commun en juin 2020 sur le thème."]
    assert notes[0].text.startswith("1 Le Département")


def test_a_scans_title_at_the_top_of_the_page_is_a_heading_even_full_width() -> None:
    """The first page of a scanned report opens with its title, as wide as the text, then a
    gap: a heading. A full-width line that ends the page is a paragraph going on overleaf."""
    wide = ("Coopération entre l’Organisation des Nations Unies et les organisations "
            "régionales ou autres dans le monde")
    body = [_line("La coopération entre l’Organisation et les organisations régionales est "
                  "d’une importance critique pour la paix", 650 - 19 * i) for i in range(5)]
    title, subtitle = _line(wide, 747.0), _line("Rapport du Secrétaire général", 709.0)
    assert title.x1 >= max(ln.x1 for ln in body) - 20  # as wide as the text
    _isolated_headings([title, subtitle, _line("Résumé", 671.0), *body])
    assert title.is_bold and subtitle.is_bold and not any(ln.is_bold for ln in body)
    last = _line(wide, 400.0)
    _isolated_headings([*body, last])
    assert not last.is_bold


def test_a_paragraph_number_ocr_read_apart_in_the_margin_joins_its_line() -> None:
    """Numbers hanging in the margin come out of OCR as words of their own, often misread
    (``A.`` for ``4.``, ``2°``): the number after the one before, joined to its line; a
    lettered item or a bullet is left alone."""
    lines = [_line("3. Dans sa résolution 1809 (2008), le Conseil", 700.0),
             _line("A.", 680.0), _line("Ce rapport de synthèse porte sur la période", 680.0,
                                       x0=126.0),
             _line("a)", 660.0), _line("les relations entre les deux organisations", 660.0,
                                       x0=126.0)]
    _paragraph_number_misreadings([lines])
    assert [ln.text for ln in lines] == [
        "3. Dans sa résolution 1809 (2008), le Conseil",
        "4. Ce rapport de synthèse porte sur la période", "a)",
        "les relations entre les deux organisations"]
    assert lines[1].x0 == 90.0 and len(lines[1].sizes) == len(lines[1].text)


def test_a_headings_misread_roman_number_is_the_next_in_sequence() -> None:
    """OCR reads the ``I`` of ``I.`` and ``II.`` as ``L``, ``l`` or ``1``: in a heading, the
    Roman number after the one before; one read right, or a plain word, is left alone."""
    lines = [_line(text, 700.0 - 20 * k) for k, text in enumerate([
        "L Introduction", "ll. Coopération entre l’Organisation et les organisations",
        "III. Observations", "lV. Recommandations", "La suite"])]
    for ln in lines[:4]:
        ln.bold = [True] * len(ln.bold)
    _heading_number_misreadings([lines])
    assert [ln.text for ln in lines] == [
        "I. Introduction", "II. Coopération entre l’Organisation et les organisations",
        "III. Observations", "IV. Recommandations", "La suite"]
