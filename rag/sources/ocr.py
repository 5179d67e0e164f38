"""Optional OCR of scanned PDFs (``pip install 'unrag[ocr]'`` and the Debian packages
``tesseract-ocr tesseract-ocr-fra``): each page rasterised at 300 dpi with pypdfium2, cleaned
of speckles, recognised by Tesseract's French model into a PDF page with a text layer at the
words' places, so that :func:`rag.sources.pdf.read_pdf` reads its layout like any other PDF."""

from __future__ import annotations

import io
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pypdfium2 as pdfium

DPI = 300
LANGUAGE = "fra"
HOW_TO_ENABLE = ("to read scanned PDFs, install OCR: pip install 'unrag[ocr]' and "
                 "apt-get install tesseract-ocr tesseract-ocr-fra")


@cache
def ocr_available() -> bool:
    """Whether pytesseract is installed and Tesseract has the French model."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract
        return LANGUAGE in pytesseract.get_languages(config="")
    except Exception:
        return False


def _page_pdf(data: bytes, index: int) -> bytes:
    """Page ``index`` of the PDF ``data`` recognised, as a one-page PDF with a text layer."""
    import pytesseract
    from PIL import ImageFilter

    pdf = pdfium.PdfDocument(data)
    try:
        image = pdf[index].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    image = image.filter(ImageFilter.MedianFilter(3))  # scanner speckles
    return pytesseract.image_to_pdf_or_hocr(image, lang=LANGUAGE, extension="pdf",
                                            config=f"--dpi {DPI}")


def ocr_pdf(data: bytes, pages: int) -> bytes:
    """The PDF ``data`` (of ``pages`` pages) with every page recognised: a PDF whose pages
    carry the recognised text where the words are. Pages run in parallel, one Tesseract
    thread each."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # parallel pages, not threads per page
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(lambda i: _page_pdf(data, i), range(pages)))
    out = pdfium.PdfDocument.new()
    for part in parts:
        out.import_pages(pdfium.PdfDocument(part))
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
