"""The PDF variants of tests/pdf_variants read back and compared with the text version, per
variant and per half (``dev``: what reader changes are checked against; ``holdout``: only
measured). Run through ``python bench/formats.py --variants``."""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.cleaning import word_counts  # noqa: E402
from rag.documents import derive_meta  # noqa: E402
from rag.layout import parse_layout  # noqa: E402
from rag.records import Passage  # noqa: E402
from rag.sources import read_source  # noqa: E402
from tests.fixtures_sources import label_recall, text_passages  # noqa: E402
from tests.pdf_variants.make import VARIANTS, Variant, path_of, seeds  # noqa: E402

NEAR = 0.95
# page furniture of the renderings: job numbers (``21-04084``, ``21-04084 (F)``), page
# numbers beside them (``3/12``), barcodes (``*2104084*``)
FURNITURE = (re.compile(r"\b\d{2}-\d{5}\b"), re.compile(r"\*\d{6,}\*"),
             re.compile(r"\b\d{1,3}/\d{1,3}\b"))
META = ("title", "symbol", "date")


def leaks(reference: list[Passage], got: list[Passage]) -> int:
    """Passages that hold page furniture the text version's passages do not."""
    def count(ps: list[Passage]) -> int:
        return sum(sum(len(pat.findall(p.text)) for pat in FURNITURE) for p in ps)
    return max(0, count(got) - count(reference))


def _meta(text: str, stem: str, title: str | None) -> dict[str, str | None]:
    meta = derive_meta(stem, f"{stem}.pdf", parse_layout(text, word_counts([text])), title)
    return {k: getattr(meta, k) for k in META}


def measure(v: Variant) -> dict[str, object]:
    """Read the PDFs of ``v`` and compare each with its seed text."""
    total = matched = identical = near = leaked = meta_ok = 0
    docs = {}
    for seed in seeds():
        text = seed.read_text(encoding="utf-8")
        source = read_source(path_of(v, seed))
        reference = text_passages(text, seed.stem)
        got = text_passages(source.text, seed.stem)
        texts = {p.id: p.text for p in got}
        recall = label_recall(reference, got)
        same = sum(texts.get(p.id) == p.text for p in reference)
        close = sum(difflib.SequenceMatcher(a=p.text, b=texts.get(p.id, "")).ratio() >= NEAR
                    for p in reference)
        leak = leaks(reference, got)
        want, have = _meta(text, seed.stem, None), _meta(source.text, seed.stem, source.title)
        wrong = [k for k in META if want[k] != have[k]]
        total += len(reference)
        matched += round(recall * len(reference))
        identical, near, leaked = identical + same, near + close, leaked + leak
        meta_ok += not wrong
        docs[seed.stem] = {"passages": len(reference), "read_passages": len(got),
                           "label_recall": round(recall, 4), "identical": same, "leaks": leak,
                           "meta_wrong": {k: [want[k], have[k]] for k in wrong}}
    return {"half": v.half, "producer": v.producer, "passages": total,
            "label_recall": round(matched / total, 4),
            "identical_share": round(identical / total, 4),
            "near_identical_share": round(near / total, 4), "header_footer_leaks": leaked,
            "meta_right": f"{meta_ok}/{len(docs)}", "documents": docs}


def report(out: Path) -> dict[str, dict[str, object]]:
    """Measure every variant, print a table per half, write ``pdf_variants.json``."""
    results = {v.name: measure(v) for v in VARIANTS}
    print(f"{'half':<8} {'variant':<28} {'labels':>7} {'identical':>9} {'≥0.95':>6} "
          f"{'leaks':>5} {'meta':>5}")
    for half in ("dev", "holdout"):
        rows = {n: r for n, r in results.items() if r["half"] == half}
        for name, r in rows.items():
            print(f"{half:<8} {name:<28} {r['label_recall']:>7.1%} {r['identical_share']:>9.1%}"
                  f" {r['near_identical_share']:>6.1%} {r['header_footer_leaks']:>5}"
                  f" {r['meta_right']:>5}")
        passages = sum(int(r["passages"]) for r in rows.values())  # type: ignore[call-overload]
        recall = sum(float(r["label_recall"]) * int(r["passages"])  # type: ignore[arg-type]
                     for r in rows.values()) / passages
        same = sum(float(r["identical_share"]) * int(r["passages"])  # type: ignore[arg-type]
                   for r in rows.values()) / passages
        print(f"{half:<8} {'(all variants)':<28} {recall:>7.1%} {same:>9.1%}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "pdf_variants.json").write_text(json.dumps(results, indent=2, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
    return results
