"""Scanned PDFs (issue 26, point 4): a seed document's pages rendered, rasterised at 200 dpi
with noise into an image-only PDF, are read by OCR where it is installed (targets: passage
label recall ≥ 0.85, character error rate ≤ 2 %)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.sources import read_source
from rag.ingest.sources.ocr import HOW_TO_ENABLE, ocr_available
from rag.ingest.sources.pdf import _Line, ocr_structure
from tests.pdf_variants.make import FILES, SEEDS
from tests.pdf_variants.scan import char_error_rate, scanned_pdf, text_cer
from tests.support.fakes import HashEmbedder
from tests.support.fixtures_sources import label_recall, text_passages

needs_ocr = pytest.mark.skipif(not ocr_available(), reason=f"no OCR: {HOW_TO_ENABLE}")
SEED = SEEDS / "002_b093fe27a274807f.txt"


def test_char_error_rate() -> None:
    assert char_error_rate("abcdef", "abcdef") == 0
    assert char_error_rate("abcdef", "abXdef") == pytest.approx(1 / 6)
    assert char_error_rate("abcdef", "abdef") == pytest.approx(1 / 6)


def test_a_scan_has_no_text_layer(tmp_path: Path) -> None:
    import pypdfium2 as pdfium
    scan = scanned_pdf(FILES / "rl-single-just-hang-small" / f"{SEED.stem}.pdf",
                       tmp_path / "scan.pdf", pages=1)
    assert not pdfium.PdfDocument(scan)[0].get_textpage().get_text_range().strip()


def test_rag_add_recognises_a_scan_once(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``rag add`` reads a file before the corpus lock, under it, and in the index build:
    its scan is recognised once, and later rebuilds read the result kept in the index's
    cache (a damaged one is recognised again). Tesseract is stood in for by the text PDF the
    scan was made from, so that this runs without OCR installed."""
    import io

    import pypdfium2 as pdfium

    from rag import corpus
    from rag.index.build import build_index
    from rag.ingest.sources import ocr
    from rag.settings import Settings

    original = FILES / "rl-single-just-hang-small" / f"{SEED.stem}.pdf"
    scan = scanned_pdf(original, tmp_path / "scan001.pdf", pages=2)
    recognised: list[int] = []

    def page_pdf(data: bytes, index: int) -> bytes:
        recognised.append(index)
        out = pdfium.PdfDocument.new()
        out.import_pages(pdfium.PdfDocument(original), [index])
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()

    monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    monkeypatch.setattr(ocr, "_page_pdf", page_pdf)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "note.txt").write_text("Une note de l’Organisation.\n", "utf-8")
    settings = Settings(index_root=tmp_path / "index", seeds_dir=tmp_path / "seeds",
                        embedding_model="test-hash", max_document_bytes=64 * 1024 * 1024)
    build_index(settings.index_options(), corpus.build_embedder(settings, HashEmbedder()))
    report = corpus.add_documents(settings, [scan], embedder=HashEmbedder())
    assert [c.action for c in report.changes] == ["added"]
    assert sorted(recognised) == [0, 1]  # each page once, not once per read
    read_source(scan)  # outside an add, nothing is kept
    assert len(recognised) == 4
    kept = list(corpus.ocr_folder(settings).glob("*.pdf"))
    assert len(kept) == 1 and not list(corpus.ocr_folder(settings).glob("*.part"))
    corpus.remove_documents(settings, ["note"], embedder=HashEmbedder())
    assert len(recognised) == 4  # the rebuild read the scan's text from the cache
    kept[0].write_bytes(b"%PDF-1.7 cut short")
    note = tmp_path / "note.txt"
    note.write_text("Une autre note de l’Organisation.\n", "utf-8")
    corpus.add_documents(settings, [note], embedder=HashEmbedder())
    assert len(recognised) == 6  # a damaged result is recognised again, and kept whole
    assert len(pdfium.PdfDocument(kept[0].read_bytes())) == 2


@pytest.fixture(scope="module")
def ocr_passages(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list]:
    scan = scanned_pdf(FILES / "rl-single-just-hang-small" / f"{SEED.stem}.pdf",
                       tmp_path_factory.mktemp("ocr") / "scan001.pdf")
    source = read_source(scan)
    return (text_passages(SEED.read_text(encoding="utf-8"), SEED.stem),
            text_passages(source.text, SEED.stem))


@needs_ocr
def test_a_noisy_200_dpi_scan_reads_by_ocr(ocr_passages: tuple[list, list]) -> None:
    reference, got = ocr_passages
    assert text_cer(reference, got) <= 0.02


@needs_ocr
def test_a_scan_keeps_its_passage_labels(ocr_passages: tuple[list, list]) -> None:
    reference, got = ocr_passages
    assert label_recall(reference, got) >= 0.85


def _line(text: str, x0: float, y: float, x1: float | None = None) -> _Line:
    return _Line(chars=[text], x0=x0, x1=x1 if x1 is not None else x0 + 5 * len(text), y=y,
                 sizes=[10.0] * len(text), bold=[False] * len(text))


def test_ocr_structure_reads_headings_and_bullets_from_the_geometry() -> None:
    """What OCR loses (bold, bullets) read back from where the lines are, whatever they say:
    a short run at the margin of an indented body is a heading; a lone glyph hanging left of
    a line is its bullet; a line where the items' text starts, after a short line, is an
    item whose bullet was dropped. Runs without OCR."""
    heading = [_line("Zxq wvb", 70, 700), _line("Qrs tuv", 70, 688)]
    para = [_line("Abc def ghi", 125, 664, 520), _line("jkl mno", 104, 652, 300)]
    mark1, item1 = _line("°", 70, 640, 72), _line("Pqr stu", 105, 640, 520)
    cont = _line("vwx yz", 104, 628, 250)
    mark2, item2 = _line(".", 70, 616, 72), _line("Bcd efg", 105, 616, 300)
    lost = _line("Hij klm", 105, 604, 520)
    tail = _line("nop", 104, 592, 200)
    page = [*heading, *para, mark1, item1, cont, mark2, item2, lost, tail]
    ocr_structure([page])
    assert [ln.is_bold for ln in page] == [True, True, False, False, False, False, False, False,
                                           False]
    assert [ln.text for ln in page] == ["Zxq wvb", "Qrs tuv", "Abc def ghi", "jkl mno",
                                        "• Pqr stu", "vwx yz", "• Bcd efg", "• Hij klm", "nop"]
    assert page[4].x0 == 70
