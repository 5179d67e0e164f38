"""Format readers (rag.ingest.sources): refusals with named files and reasons, text decoding, and
PDF/DOCX/HTML renderings of the seed documents read back into the same passages."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from reportlab.pdfgen.canvas import Canvas

from rag.errors import DocumentRejected
from rag.ingest.cleaning import joins_at_hyphen, word_counts
from rag.ingest.documents import derive_meta
from rag.ingest.layout import is_double_spaced, parse_layout
from rag.ingest.sources import SUPPORTED_SUFFIXES, read_source
from rag.records import Passage
from rag.settings import PROJECT_ROOT
from tests.support.fixtures_sources import (
    FORMATS,
    furniture,
    label_recall,
    render,
    seed_structure,
    text_passages,
)

SEEDS = sorted((PROJECT_ROOT / "seeds").glob("*.txt"))
ROUND_TRIP_SEEDS = [p for p in SEEDS if p.stem[:3] in ("000", "001", "004")]
FRENCH = "La coopération régionale est très appréciée à l’Organisation.\n"


def rejected(path: Path, reason: str, **kw: int) -> str:
    with pytest.raises(DocumentRejected) as info:
        read_source(path, **kw)
    assert path.name in str(info.value)
    assert info.value.reason == reason
    assert info.value.file == path.name
    return str(info.value)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- refusals ---------------------------------------------------------------------------

def test_over_size_file_is_refused_before_reading(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, "big.txt", b"x" * 500), "too_large", max_bytes=100)
    assert "500 bytes" in message and "100 bytes" in message


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in rejected(write(tmp_path, "vide.txt", b""), "unreadable")


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert "whitespace" in rejected(write(tmp_path, "blanc.md", b" \n\t\r\n  \n"), "unreadable")


def test_nul_bytes_in_text_file(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, "nul.txt", b"abc\x00\x00\x00def"), "unreadable")
    assert "binary" in message


@pytest.mark.parametrize("name", ["rapport.odt", "rapport", "scan.png"])
def test_unknown_suffix_lists_supported_ones(tmp_path: Path, name: str) -> None:
    message = rejected(write(tmp_path, name, b"hello"), "unsupported_type")
    assert all(suffix in message for suffix in SUPPORTED_SUFFIXES)


def test_pdf_extension_without_pdf_content(tmp_path: Path) -> None:
    assert "%PDF" in rejected(write(tmp_path, "faux.pdf", b"<html>hi</html>"), "unreadable")


def test_docx_extension_without_zip(tmp_path: Path) -> None:
    assert "zip" in rejected(write(tmp_path, "faux.docx", b"plain text"), "unreadable")


def test_docx_zip_without_document_xml(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not word")
    assert "word/document.xml" in rejected(path, "unreadable")


def test_text_file_holding_a_pdf(tmp_path: Path) -> None:
    assert "extension" in rejected(write(tmp_path, "note.txt", b"%PDF-1.7\n..."), "unreadable")


def test_non_latin_single_byte_text_is_refused(tmp_path: Path) -> None:
    data = ("Организация Объединённых Наций и региональные организации. " * 20).encode("cp1251")
    assert "not UTF-8 text; re-save it as UTF-8" in rejected(
        write(tmp_path, "russe.txt", data), "unreadable")


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    canvas = Canvas(str(path), encrypt="motdepasse")
    canvas.drawString(72, 700, "Texte confidentiel de l’Organisation des Nations Unies.")
    canvas.save()
    assert "encrypted PDF; remove the password first" in rejected(path, "unreadable")


def test_pdf_without_text_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without OCR installed, a scan is refused with how to enable OCR."""
    import rag.ingest.sources.ocr
    monkeypatch.setattr(rag.ingest.sources.ocr, "ocr_available", lambda: False)
    path = tmp_path / "scan.pdf"
    canvas = Canvas(str(path))
    canvas.rect(72, 72, 300, 500, fill=1)
    canvas.showPage()
    canvas.save()
    assert ("no text layer; to read scanned PDFs, install OCR: pip install 'unrag[ocr]' and "
            "apt-get install tesseract-ocr tesseract-ocr-fra") in rejected(path, "unreadable")


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = write(tmp_path, "casse.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    assert "corrupt PDF" in rejected(path, "unreadable")


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "casse.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><unclosed>")
    assert "corrupt Word document" in rejected(path, "unreadable")


def test_truncated_docx(tmp_path: Path) -> None:
    whole = render(SEEDS[0], tmp_path / "full", "docx").read_bytes()
    message = rejected(write(tmp_path, "tronque.docx", whole[: len(whole) // 2]), "unreadable")
    assert "corrupt Word document" in message


# --- text decoding ----------------------------------------------------------------------

def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    source = read_source(write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + FRENCH.encode()))
    assert source.text == FRENCH and source.format == "text"


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    data = (FRENCH.replace("’", "'") * 10 + "Œuvre « commune » – 5 €\n").encode("cp1252")
    text = read_source(write(tmp_path, "latin.txt", data)).text
    assert "coopération régionale" in text and "Œuvre « commune » – 5 €" in text


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    data = ("Élaboration d'une stratégie régionale à l'échelle du continent. " * 10).encode(
        "latin-1")
    assert "Élaboration d'une stratégie régionale" in read_source(
        write(tmp_path, "latin1.txt", data)).text


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_text_is_read_unchanged(seed: Path) -> None:
    assert read_source(seed).text == seed.read_text(encoding="utf-8")


def test_line_end_hyphen_decisions() -> None:
    vocabulary = word_counts(["la coopération régionale et sous-régionales, ci-dessus"])
    assert joins_at_hyphen("coopé", "ration", vocabulary)
    assert not joins_at_hyphen("sous", "régionales", vocabulary)
    assert not joins_at_hyphen("États", "Unis", vocabulary)
    assert not joins_at_hyphen("ci", "jointe", vocabulary)
    assert joins_at_hyphen("pré", "vention", vocabulary)


# --- renderings read back -------------------------------------------------------------------

@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[Passage]]:
    out = tmp_path_factory.mktemp("sources")
    result = {}
    for seed in ROUND_TRIP_SEEDS:
        result[("text", seed.stem)] = text_passages(seed.read_text(encoding="utf-8"), seed.stem)
        for fmt in FORMATS:
            path = render(seed, out / fmt, fmt)
            result[(fmt, seed.stem)] = text_passages(read_source(path).text, seed.stem)
    return result


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", ROUND_TRIP_SEEDS, ids=lambda p: p.stem[:3])
def test_rendering_keeps_labels_and_text(readings: dict[tuple[str, str], list[Passage]],
                                         fmt: str, seed: Path) -> None:
    reference, got = readings[("text", seed.stem)], readings[(fmt, seed.stem)]
    assert label_recall(reference, got) >= 0.95
    texts = {p.id: p.text for p in got}
    same = sum(texts.get(p.id) == p.text for p in reference)
    assert same >= 0.9 * len(reference)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", ROUND_TRIP_SEEDS, ids=lambda p: p.stem[:3])
def test_rendering_keeps_the_masthead_passages(readings: dict[tuple[str, str], list[Passage]],
                                               fmt: str, seed: Path) -> None:
    """Symbol, distribution date and Original lines: the passage a document card cites (a
    joint symbol may be printed on one running-header line or two)."""
    def mastheads(passages: list[Passage]) -> list[tuple[str, str]]:
        return [(p.id, re.sub(r"(?<=\d)-(?=[A-Z]+/)", "\n", p.text)) for p in passages
                if p.kind == "masthead"]

    assert mastheads(readings[(fmt, seed.stem)]) == mastheads(readings[("text", seed.stem)])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", ROUND_TRIP_SEEDS, ids=lambda p: p.stem[:3])
def test_no_running_text_in_passages(readings: dict[tuple[str, str], list[Passage]],
                                     fmt: str, seed: Path) -> None:
    patterns = furniture(seed_structure(seed), fmt)
    leaks = [p.label for p in readings[(fmt, seed.stem)] for pat in patterns
             if pat.search(p.text) or any(pat.search(s) for s in p.section)]
    assert leaks == []


def test_pdf_reports_pages_and_footnotes(tmp_path: Path) -> None:
    seed = next(p for p in SEEDS if p.stem.startswith("001"))
    source = read_source(render(seed, tmp_path, "pdf"))
    assert source.format == "pdf" and source.pages is not None and source.pages >= 2
    assert re.search(r"^__________________$\n^ 1 Uppsala Conflict Data Program", source.text,
                     re.MULTILINE)
    assert "S/2021/297" in source.text.splitlines()  # kept once as a page header for metadata


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_keeps_metadata(tmp_path: Path, fmt: str) -> None:
    for seed in ROUND_TRIP_SEEDS:
        text = seed.read_text(encoding="utf-8")
        expected = derive_meta(seed.stem, seed.name, parse_layout(text, word_counts([text])))
        read = read_source(render(seed, tmp_path, fmt)).text
        got = derive_meta(seed.stem, seed.name, parse_layout(read, word_counts([read])))
        assert (got.symbol, got.title, got.date, got.original_language) == (
            expected.symbol, expected.title, expected.date, expected.original_language)


# --- PDFs set like UN documents: hard-wrapped lines at one leading ---------------------------

def test_pdfraw_fixture_is_the_text_line_by_line(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    seed = next(p for p in SEEDS if p.stem.startswith("001"))
    pdf = pdfium.PdfDocument(render(seed, tmp_path, "pdfraw"))
    try:
        pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    assert len(pages) >= 3
    lines = [" ".join(ln.split()) for page in pages for ln in page.splitlines()]
    assert "S/2021/297" in lines and f"21-04084 2/{len(pages)}" in lines
    assert f"3/{len(pages)} 21-04084" in lines and "*2104084*" in lines
    # the text's own line breaks: a numbered paragraph starts a line, right after the last
    # line of the one before (no gap, no heading font)
    k = lines.index("de 31,6 milliards de dollars2.")
    assert lines[k + 1].startswith("2. En outre, l’actuelle pandémie")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_pdfraw_keeps_labels_without_running_text(tmp_path: Path, seed: Path) -> None:
    source = read_source(render(seed, tmp_path, "pdfraw"))
    reference = text_passages(seed.read_text(encoding="utf-8"), seed.stem)
    got = text_passages(source.text, seed.stem)
    assert label_recall(reference, got) >= 0.95
    patterns = furniture(seed_structure(seed), "pdfraw")
    assert [p.label for p in got for pat in patterns if pat.search(p.text)
            or any(pat.search(s) for s in p.section)] == []


def test_pdf_reader_keeps_hard_wrapped_lines_for_layout(tmp_path: Path) -> None:
    """Typeset paragraphs (gaps between them) are joined into blocks; hard-wrapped text is
    handed to rag.ingest.layout line by line, in the double-spaced shape of the seed text."""
    seed = next(p for p in SEEDS if p.stem.startswith("001"))
    typeset = read_source(render(seed, tmp_path / "pdf", "pdf")).text
    raw = read_source(render(seed, tmp_path / "raw", "pdfraw")).text
    assert not is_double_spaced(typeset) and is_double_spaced(raw)
    assert "\n1. La communauté internationale continue de se heurter à de graves difficultés\n" \
        in raw
    assert re.search(r"^  Objectifs du débat$", raw, re.MULTILINE)  # indented heading
    assert re.search(r"^ a\) souligner qu’il importe", raw, re.MULTILINE)  # indented item
