"""Scanned copies of the PDF variants (issue 26, point 4): pages rendered, rasterised at
200 dpi in grey with scanner noise, written as an image-only PDF (no text layer); and the
character error rate of a recognised text against its reference."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from rag.records import Passage


def scanned_pdf(source: Path, out: Path, *, dpi: int = 200, noise: float = 12.0,
                speckles: float = 0.001, pages: int | None = None, seed: int = 0) -> Path:
    """Write ``source`` (its first ``pages``) as an image-only PDF at ``dpi``: grey pages
    with Gaussian noise of ``noise`` grey levels and a share ``speckles`` of black dots."""
    rng = np.random.default_rng(seed)
    pdf = pdfium.PdfDocument(source)
    images = []
    try:
        for i in range(min(len(pdf), pages or len(pdf))):
            grey = np.asarray(pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L"),
                              dtype=np.float32)
            grey = grey + rng.normal(0.0, noise, grey.shape)
            grey[rng.random(grey.shape) < speckles] = 0.0
            images.append(Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)))
    finally:
        pdf.close()
    images[0].save(out, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return out


def char_error_rate(reference: str, got: str) -> float:
    """Characters to substitute, insert or delete to turn ``reference`` into ``got`` (the
    non-matching spans of difflib's alignment), per reference character."""
    ops = difflib.SequenceMatcher(a=reference, b=got, autojunk=False).get_opcodes()
    edits = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")
    return edits / max(len(reference), 1)


def text_cer(reference: list[Passage], got: list[Passage]) -> float:
    """The character error rate of the text of the passages ``got`` against that of the
    passages ``reference`` (each in reading order, spaces collapsed), whatever the passages
    were cut as."""
    def text(ps: list[Passage]) -> str:
        return " ".join(" ".join(p.text for p in ps).split())
    return char_error_rate(text(reference), text(got))
