"""PDFs as a user makes them, not only as our renderer lays them out (issue 26): the layout
is read from each page's own statistics, never one assumed spacing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.cleaning import word_counts
from rag.ingest.documents import derive_meta
from rag.ingest.layout import parse_layout
from rag.ingest.sources import read_source
from rag.ingest.sources.pdf import modal_pitch
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
