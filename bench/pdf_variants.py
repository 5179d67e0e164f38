"""The PDF variants of tests/pdf_variants read back and compared with the text version, per
variant and per half (``dev``: what reader changes are checked against; ``holdout``: only
measured), and the masthead metadata against the seed catalogue (tests/pdf_variants/measure.py,
shared with tests/unit/ingest/test_pdf_variants.py). Run through
``python bench/formats.py --variants``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdf_variants.make import VARIANTS  # noqa: E402
from tests.pdf_variants.measure import measure  # noqa: E402


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
