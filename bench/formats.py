"""Format readers benchmark: every seed document rendered as PDF (typeset in one and two
columns: ``pdf``, ``pdf2``; the text set verbatim line by line as in UN PDFs, with running
headers/footers and footnotes at the foot of the page: ``pdfraw``), DOCX and HTML
(tests/support/fixtures_sources.py), read back with rag.sources and cut into passages, compared with
the passages of the text version.

Per format: passage-label recall, share of passages whose text is identical / near-identical
(difflib ratio ≥ 0.95), running header/footer leaks, and reading time (ms per page for PDF).

``--variants``: the committed PDFs of tests/pdf_variants (real producers: reportlab in UN
settings, the text printed as is, Chromium print-to-PDF), per variant and per half (dev /
holdout): the same measures, and whether the title, symbol and date derived from the PDF are
those derived from the text.

    python bench/formats.py [--out bench/results] [--rounds 3] [--variants]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.ingest.sources import read_source  # noqa: E402
from tests.support.fixtures_sources import (  # noqa: E402
    FORMATS,
    furniture,
    label_recall,
    render_corpus,
    seed_structure,
    text_passages,
)

NEAR = 0.95


def measure(fmt: str, seeds: list[Path], out: Path, rounds: int) -> dict[str, object]:
    """Render ``seeds`` as ``fmt``, read them back and compare with the text versions."""
    files = render_corpus(ROOT / "seeds", out, fmt)
    by_stem = {p.stem: p for p in files}
    total = matched = identical = near = leaks = pages = 0
    seconds = 0.0
    per_doc = {}
    for seed in seeds:
        path = by_stem[seed.stem]
        started = time.perf_counter()
        for _ in range(rounds):
            source = read_source(path)
        seconds += (time.perf_counter() - started) / rounds
        pages += source.pages or 0
        reference = text_passages(seed.read_text(encoding="utf-8"), seed.stem)
        got = text_passages(source.text, seed.stem)
        texts = {p.id: p.text for p in got}
        recall = label_recall(reference, got)
        same = sum(texts.get(p.id) == p.text for p in reference)
        close = sum(difflib.SequenceMatcher(a=p.text, b=texts.get(p.id, "")).ratio() >= NEAR
                    for p in reference)
        patterns = furniture(seed_structure(seed), fmt)
        leaked = sum(any(pat.search(p.text) for pat in patterns) for p in got)
        total += len(reference)
        matched += round(recall * len(reference))
        identical, near, leaks = identical + same, near + close, leaks + leaked
        per_doc[seed.stem] = {"passages": len(reference), "read_passages": len(got),
                              "label_recall": round(recall, 4), "identical": same,
                              "near_identical": close, "leaks": leaked, "pages": source.pages}
    result: dict[str, object] = {
        "documents": len(seeds), "passages": total,
        "label_recall": round(matched / total, 4),
        "identical_share": round(identical / total, 4),
        "near_identical_share": round(near / total, 4),
        "header_footer_leaks": leaks,
        "read_ms_per_document": round(1000 * seconds / len(seeds), 1),
        "documents_detail": per_doc,
    }
    if pages:
        result["pages"] = pages
        result["ms_per_page"] = round(1000 * seconds / pages, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--rounds", type=int, default=3, help="reads per file for timing")
    parser.add_argument("--variants", action="store_true",
                        help="the committed PDF variants (tests/pdf_variants), per half")
    args = parser.parse_args()
    if args.variants:
        from bench.pdf_variants import report
        report(args.out)
        return
    seeds = sorted(p for p in (ROOT / "seeds").iterdir() if p.suffix in (".txt", ".md"))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            results[fmt] = measure(fmt, seeds, Path(tmp) / fmt, args.rounds)
    print(f"{'format':<6} {'passages':>8} {'labels':>7} {'identical':>9} {'≥0.95':>6} "
          f"{'leaks':>5} {'ms/doc':>7} {'ms/page':>7}")
    for fmt, r in results.items():
        print(f"{fmt:<6} {r['passages']:>8} {r['label_recall']:>7.1%} "
              f"{r['identical_share']:>9.1%} {r['near_identical_share']:>6.1%} "
              f"{r['header_footer_leaks']:>5} {r['read_ms_per_document']:>7} "
              f"{r.get('ms_per_page', '–'):>7}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "formats.json").write_text(json.dumps(results, indent=2, ensure_ascii=False)
                                           + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
