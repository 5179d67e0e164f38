"""PDFs as a user makes them, not only as our renderer lays them out (issue 26): the layout
is read from each page's own statistics, never one assumed spacing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.cleaning import word_counts
from rag.documents import derive_meta
from rag.layout import parse_layout
from rag.sources import read_source
from rag.sources.pdf import (
    _Line,
    _Metrics,
    _symbol_bullet,
    job_number,
    mark_heading_styles,
    modal_pitch,
    split_notes,
)
from tests.fixtures_pdf import render_pdf_raw
from tests.fixtures_sources import label_recall, seed_structure, text_passages

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
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


def _line(text: str, y: float, *, size: float = 11.0, style: str = "serif|0,0,0",
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
