"""Every committed PDF variant (tests/pdf_variants/files, both halves) read back meets the
targets of issue 26 against the text version of its seed: passage labels and identical passage
text over the variant's seeds (the issue's targets are per variant), no page furniture in any
passage, and on every seed the masthead metadata of the seed catalogue."""

from __future__ import annotations

import pytest

from tests.pdf_variants.make import VARIANTS, Variant, path_of, seeds
from tests.pdf_variants.measure import Score, catalogue, score

LABEL_RECALL = 0.95
IDENTICAL = 0.90


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_a_pdf_variant_reads_as_its_text(variant: Variant) -> None:
    entries = catalogue()
    failures = []
    total = Score()
    for seed in seeds():
        s = score(seed, path_of(variant, seed), entries[seed.stem])
        total.passages += s.passages
        total.matched += s.matched
        total.identical += s.identical
        if s.leaks:
            failures.append(f"{seed.stem}: {s.leaks} header/footer leaks")
        if s.meta_wrong:
            failures.append(f"{seed.stem}: metadata (catalogue, read) {s.meta_wrong}")
    if total.label_recall < LABEL_RECALL:
        failures.append(f"label recall {total.label_recall:.3f}")
    if total.identical_share < IDENTICAL:
        failures.append(f"identical passages {total.identical_share:.3f}")
    assert not failures, "\n".join(failures)
