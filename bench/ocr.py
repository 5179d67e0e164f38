"""OCR of scanned PDFs (issue 26, point 4): a committed PDF variant rasterised at 200 dpi with
noise (tests/pdf_variants/scan.py), then ``rag add`` of it on a temporary corpus (the hashing
test embedder, so the time is reading and OCR); prints seconds, pages, CPU model, and the
character error rate and passage label recall of the seed it came from.

    python bench/ocr.py [--seed 004_69fee26534a39183] [--pages 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.corpus import add_documents, build_embedder  # noqa: E402
from rag.index.build import build_index  # noqa: E402
from rag.ingest.sources import read_source  # noqa: E402
from rag.ingest.sources.ocr import recognise_once  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.pdf_variants.make import FILES, SEEDS  # noqa: E402
from tests.pdf_variants.scan import scanned_pdf, text_cer  # noqa: E402
from tests.support.fakes import HashEmbedder  # noqa: E402
from tests.support.fixtures_sources import label_recall, text_passages  # noqa: E402


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", default="004_69fee26534a39183")
    parser.add_argument("--variant", default="rl-onehalf-just-inline-small")
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scan = scanned_pdf(FILES / args.variant / f"{args.seed}.pdf", folder / "scan001.pdf",
                           pages=args.pages)
        (folder / "seeds").mkdir()
        settings = Settings(index_root=folder / "index", seeds_dir=folder / "seeds",
                            embedding_model="test-hash",
                            max_document_bytes=64 * 1024 * 1024)  # noisy scans are big
        (folder / "seeds" / "note.txt").write_text("Une note de l’Organisation.\n", "utf-8")
        build_index(settings.index_options(), build_embedder(settings, HashEmbedder()))
        with recognise_once():  # the text measured below is the add's OCR, not a second one
            started = time.perf_counter()
            report = add_documents(settings, [scan], embedder=HashEmbedder())
            seconds = time.perf_counter() - started
            source = read_source(scan, max_bytes=settings.max_document_bytes)
    print(f"rag add of a {source.pages}-page scanned PDF: {seconds:.1f} s "
          f"({[c.doc_id for c in report.changes]}); CPU: {cpu_model()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    seed = SEEDS / f"{args.seed}.txt"
    reference = text_passages(seed.read_text(encoding="utf-8"), seed.stem)
    got = text_passages(source.text, seed.stem)
    whole = len(pdfium.PdfDocument(FILES / args.variant / f"{args.seed}.pdf"))
    if (source.pages or 0) < whole:  # a part is not measured against the whole seed
        print(f"(label recall and character error rate: --pages {whole} scans it all)")
    else:
        print(f"label recall {label_recall(reference, got):.3f}, "
              f"character error rate {text_cer(reference, got):.2%}")


if __name__ == "__main__":
    main()
