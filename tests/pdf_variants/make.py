"""Generate the PDF variants of the seed documents (issue 26): reportlab typesetting in the
ways real producers set a UN document (spacing, justification, numbering, running headers and
footers, footnote size, columns), the text file printed as is (``print-*``) and Chromium's
print-to-PDF of an HTML rendering, LibreOffice's PDF export of a Word document (directly and
through ODT). The PDFs are committed under ``files/<variant>/`` so that CI
needs neither Chromium nor an office suite.

The variants are split once, here, into ``dev`` (what reader changes are checked against) and
``holdout`` (measured only at the end: never tune on it).

    python tests/pdf_variants/make.py [--only VARIANT ...]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.pdf_variants.typeset import Style  # noqa: E402
from tests.support.fixtures_sources import SeedStructure, seed_structure  # noqa: E402

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
SEEDS = ROOT / "seeds"


@dataclass(frozen=True)
class Variant:
    """One way of making a PDF of a seed: ``producer`` and its settings."""

    name: str
    producer: str  # reportlab | print | chromium | libreoffice
    half: str  # dev | holdout
    style: Style | None = None
    spacing: float = 1.0  # print: line pitch in line heights
    justified: bool = False  # chromium
    lists: bool = True  # chromium: numbers as ordered lists (hanging), else inline
    line_height: float = 1.15  # chromium
    via: str = "docx"  # libreoffice: exported from the DOCX, or from its ODT conversion


VARIANTS: tuple[Variant, ...] = (
    Variant("rl-single-just-hang-small", "reportlab", "dev", Style()),
    Variant("rl-single-rag-inline-body", "reportlab", "holdout",
            Style(justified=False, hanging=False, note_size=11.0)),
    Variant("rl-onehalf-just-inline-small", "reportlab", "dev", Style(spacing=1.5, hanging=False)),
    Variant("rl-onehalf-rag-hang-body", "reportlab", "holdout",
            Style(spacing=1.5, justified=False, note_size=11.0)),
    Variant("rl-double-rag-hang-small", "reportlab", "dev", Style(spacing=2.0, justified=False)),
    Variant("rl-double-just-inline-body", "reportlab", "holdout",
            Style(spacing=2.0, hanging=False, note_size=11.0)),
    Variant("rl-gaps-rag-inline", "reportlab", "dev",
            Style(para_gap=6.0, justified=False, hanging=False)),
    Variant("rl-gaps-onehalf-just-hang", "reportlab", "holdout",
            Style(spacing=1.5, para_gap=6.0)),
    Variant("rl-2col-just-small", "reportlab", "dev", Style(columns=2, size=10.0)),
    Variant("rl-2col-rag-inline-body", "reportlab", "holdout",
            Style(columns=2, size=10.0, justified=False, hanging=False, note_size=10.0)),
    Variant("print-double", "print", "dev", spacing=2.3),
    Variant("print-onehalf", "print", "holdout", spacing=1.5),
    Variant("chromium-lists-ragged", "chromium", "dev", justified=False, lists=True),
    Variant("chromium-inline-justified", "chromium", "holdout", justified=True, lists=False,
            line_height=1.5),
    Variant("libreoffice-docx", "libreoffice", "dev", via="docx"),
    Variant("libreoffice-odt", "libreoffice", "holdout", via="odt"),
)


def variant(name: str) -> Variant:
    return next(v for v in VARIANTS if v.name == name)


def seeds() -> list[Path]:
    return sorted(p for p in SEEDS.iterdir() if p.suffix == ".txt")


def path_of(v: Variant, seed: Path) -> Path:
    return FILES / v.name / f"{seed.stem}.pdf"


def _renderer(v: Variant) -> Callable[[Path, SeedStructure, Path], Path]:
    if v.producer == "reportlab":
        from tests.pdf_variants import typeset
        assert v.style is not None
        style = v.style
        return lambda seed, s, out: typeset.render(s, style, out)
    if v.producer == "print":
        from tests.support.fixtures_pdf import render_pdf_raw
        return lambda seed, s, out: render_pdf_raw(seed, s, out, spacing=v.spacing)
    if v.producer == "libreoffice":
        from tests.pdf_variants import office
        return lambda seed, s, out: office.render(s, out, via=v.via)
    from tests.pdf_variants import chromium
    return lambda seed, s, out: chromium.render(s, out, justified=v.justified, lists=v.lists,
                                                line_height=v.line_height)


def make(v: Variant) -> list[Path]:
    """Write the PDFs of every seed for ``v``."""
    render = _renderer(v)
    out = []
    for seed in seeds():
        path = path_of(v, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        out.append(render(seed, seed_structure(seed), path))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="variant names (default: all)")
    args = parser.parse_args()
    for v in VARIANTS:
        if args.only and v.name not in args.only:
            continue
        files = make(v)
        size = sum(p.stat().st_size for p in files)
        print(f"{v.half:<8} {v.name:<28} {len(files)} files {size / 1000:>7.1f} kB")


if __name__ == "__main__":
    main()
