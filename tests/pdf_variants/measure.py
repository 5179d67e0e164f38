"""How well a PDF variant reads back (issue 26), shared by ``bench/pdf_variants.py`` and
``tests/test_pdf_variants.py``: passage labels found, passage text identical, page furniture
leaked, and the masthead metadata checked against the seed catalogue."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from rag.ingest.cleaning import word_counts
from rag.ingest.documents import derive_meta, load_catalog
from rag.ingest.layout import parse_layout
from rag.ingest.sources import SourceText, read_source
from rag.records import DocumentMeta, Passage
from tests.pdf_variants.make import SEEDS, Variant, path_of, seeds
from tests.support.fixtures_sources import label_recall, text_passages

NEAR = 0.95
# page furniture of the renderings: job numbers (``21-04084``, ``21-04084 (F)``), page
# numbers beside them (``3/12``), barcodes (``*2104084*``)
FURNITURE = (re.compile(r"\b\d{2}-\d{5}\b"), re.compile(r"\*\d{6,}\*"),
             re.compile(r"\b\d{1,3}/\d{1,3}\b"))
#: the masthead facts checked against the catalogue (where it states them)
META = ("title", "symbol", "date", "original_language", "distribution", "job_number")


def leaks(reference: list[Passage], got: list[Passage]) -> int:
    """Passages that hold page furniture the text version's passages do not."""
    def count(ps: list[Passage]) -> int:
        return sum(sum(len(pat.findall(p.text)) for pat in FURNITURE) for p in ps)
    return max(0, count(got) - count(reference))


def source_meta(source: SourceText, stem: str, file: str) -> DocumentMeta:
    """The metadata a read source gives about itself (no catalogue)."""
    layout = parse_layout(source.text, word_counts([source.text]))
    return derive_meta(stem, file, layout, source.title)


def wrong_meta(meta: DocumentMeta, entry: dict[str, object]) -> dict[str, list[object]]:
    """Fields of ``meta`` that disagree with the catalogue ``entry`` (field → [catalogue,
    read]). A field the catalogue leaves out must be absent (the text does not state it);
    the title is right when the catalogue's is the read one, or it followed by a description
    in brackets or after a colon."""
    wrong: dict[str, list[object]] = {}
    for key in META:
        want, have = entry.get(key), getattr(meta, key)
        if key == "title":
            ok = isinstance(want, str) and (want == have or want.startswith(
                (f"{have} (", f"{have} : ")))
        else:
            ok = want == have
        if not ok:
            wrong[key] = [want, have]
    return wrong


@dataclass
class Score:
    """One PDF (or several, summed) against the text version of its seed."""

    passages: int = 0
    matched: int = 0
    identical: int = 0
    near: int = 0
    leaks: int = 0
    read_passages: int = 0
    meta_wrong: dict[str, list[object]] = field(default_factory=dict)

    @property
    def label_recall(self) -> float:
        return self.matched / self.passages if self.passages else 1.0

    @property
    def identical_share(self) -> float:
        return self.identical / self.passages if self.passages else 1.0


def score(seed: Path, pdf: Path, entry: dict[str, object] | None = None,
          source: SourceText | None = None) -> Score:
    """Read ``pdf`` (or take its ``source``) and compare it with the text of ``seed``."""
    text = seed.read_text(encoding="utf-8")
    source = source or read_source(pdf)
    reference = text_passages(text, seed.stem)
    got = text_passages(source.text, seed.stem)
    texts = {p.id: p.text for p in got}
    recall = label_recall(reference, got)
    return Score(
        passages=len(reference), matched=round(recall * len(reference)),
        identical=sum(texts.get(p.id) == p.text for p in reference),
        near=sum(difflib.SequenceMatcher(a=p.text, b=texts.get(p.id, "")).ratio() >= NEAR
                 for p in reference),
        leaks=leaks(reference, got), read_passages=len(got),
        meta_wrong=wrong_meta(source_meta(source, seed.stem, pdf.name), entry)
        if entry is not None else {})


def catalogue() -> dict[str, dict[str, object]]:
    """The seed catalogue by seed stem."""
    return {Path(f).stem: e for f, e in load_catalog(SEEDS / "catalog.toml").items()}


def measure(v: Variant) -> dict[str, object]:
    """Read the PDFs of ``v`` and compare each with its seed text and catalogue entry."""
    entries = catalogue()
    total = Score()
    docs: dict[str, dict[str, object]] = {}
    for seed in seeds():
        s = score(seed, path_of(v, seed), entries[seed.stem])
        for name in ("passages", "matched", "identical", "near", "leaks"):
            setattr(total, name, getattr(total, name) + getattr(s, name))
        docs[seed.stem] = {"passages": s.passages, "read_passages": s.read_passages,
                           "label_recall": round(s.label_recall, 4), "identical": s.identical,
                           "leaks": s.leaks, "meta_wrong": s.meta_wrong}
    meta_ok = sum(not d["meta_wrong"] for d in docs.values())
    return {"half": v.half, "producer": v.producer, "passages": total.passages,
            "label_recall": round(total.label_recall, 4),
            "identical_share": round(total.identical_share, 4),
            "near_identical_share": round(total.near / total.passages, 4),
            "header_footer_leaks": total.leaks, "meta_right": f"{meta_ok}/{len(docs)}",
            "documents": docs}
