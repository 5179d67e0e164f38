"""Render seed text documents as PDF (reportlab), DOCX (python-docx) and HTML, so that the
format readers (rag.ingest.sources) can be checked against the text version.

The structure rendered is what rag.ingest.layout reads from the seed text: masthead lines, blocks
(headings, numbered paragraphs, lettered items, bullets, signature) and footnotes, with each
footnote call placed as a superscript on a word of the block that calls it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.chunking import chunk_document
from rag.ingest.cleaning import is_page_header, normalize_unicode, word_counts
from rag.ingest.documents import derive_meta
from rag.ingest.layout import parse_layout, read_masthead
from rag.records import Block, Document, Passage

# pdf2: two-column PDF; pdfraw: the text set verbatim, line by line, as UN PDFs are
FORMATS = ("pdf", "pdf2", "docx", "html", "pdfraw")
_CALL_WORD = re.compile(r"^(.*?[^\W\d_]{3})([.,;:)»]*)$")
_JOB = re.compile(r"\b(\d{2}-\d{5})\b")
_ORIGINAL = re.compile(r"^\s*\[?\s*Original\s*:")


@dataclass(frozen=True)
class SeedStructure:
    """What a seed text document holds, ready to be rendered in another format."""

    stem: str
    masthead: list[str]
    blocks: list[Block]
    footnotes: dict[int, str]
    symbol: str | None
    job: str | None


def seed_structure(path: Path) -> SeedStructure:
    """Parse a seed text file the way rag.ingest.documents does."""
    raw = path.read_text(encoding="utf-8")
    layout = parse_layout(raw, word_counts([raw]))
    lines = normalize_unicode(raw.replace("\r\n", "\n")).split("\n")
    _, start = read_masthead(lines)
    masthead = [" ".join(ln.strip(" *").split()) for ln in lines[:start]
                if not is_page_header(ln)]  # job numbers and barcodes are not rendered
    masthead = [ln for ln in masthead if ln]
    masthead += [ln.strip() for ln in lines[start:] if _ORIGINAL.match(ln)]  # [Original : …]
    symbols = list(dict.fromkeys(layout.page_symbols))
    symbol = layout.masthead.symbol or ("-".join(symbols) if symbols else None)
    job = _JOB.search("\n".join(lines[:60]))
    blocks = [b for b in layout.blocks if b.kind != "masthead"]  # rendered from ``masthead``
    return SeedStructure(path.stem, masthead, blocks, dict(layout.footnotes),
                         symbol, job.group(1) if job else None)


def marker(block: Block) -> str:
    """The visible marker of a block: ``12. ``, ``a) ``, ``• `` or nothing."""
    if block.kind == "item" and block.letter:
        return f"{block.letter}) "
    if block.number is not None:
        return f"{block.number}. "
    return "• " if block.kind == "bullet" else ""


def words_with_calls(text: str, calls: tuple[int, ...]) -> list[tuple[str, str, str]]:
    """Split ``text`` into ``(word, call, trailing punctuation)``, the footnote ``calls``
    spread over words that end with three letters (where rag.ingest.cleaning finds them)."""
    words = text.split()
    eligible = [i for i, w in enumerate(words) if _CALL_WORD.match(w)]
    chosen: dict[int, str] = {}
    for k, number in enumerate(calls):
        start = min(len(eligible) - 1, (k + 1) * len(eligible) // (len(calls) + 1))
        free = [i for i in eligible[start:] + eligible[:start] if i not in chosen]
        if free:
            chosen[free[0]] = str(number)
    out = []
    for i, w in enumerate(words):
        m = _CALL_WORD.match(w)
        if i in chosen and m:
            out.append((m.group(1), chosen[i], m.group(2)))
        else:
            out.append((w, "", ""))
    return out


def text_passages(text: str, stem: str) -> list[Passage]:
    """Passages of a text as rag.ingest.documents.load_document would cut it (own vocabulary)."""
    from rag.settings import Settings

    layout = parse_layout(text, word_counts([text]))
    doc = Document(meta=derive_meta(stem, stem, layout), blocks=tuple(layout.blocks),
                   footnotes=layout.footnotes)
    return chunk_document(doc, Settings().chunk_options())


def label_recall(reference: list[Passage], candidate: list[Passage]) -> float:
    """Share of the reference passage labels found, in order, among the candidate's."""
    ref, cand = [p.label for p in reference], [p.label for p in candidate]
    matcher = difflib.SequenceMatcher(a=ref, b=cand, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / max(len(ref), 1)


def furniture(structure: SeedStructure, fmt: str) -> list[re.Pattern[str]]:
    """Patterns of the running headers, footers and page furniture a rendering adds, none of
    which may reach a passage."""
    if fmt == "html":
        words = ["Système de diffusion", "Accueil", "tracking", "page générée", "font-family"]
    elif fmt == "docx":
        words = [f"{structure.job or '00-00000'} – page"]
    else:
        words = [f"Document {structure.stem[:3]}"]
    patterns = [re.compile(re.escape(w)) for w in words]
    if fmt.startswith("pdf"):
        patterns.append(re.compile(r"\b\d{2}-\d{5} \d+/\d+\b"))
    if fmt == "pdfraw":
        patterns += [re.compile(r"\b\d+/\d+ \d{2}-\d{5}\b"), re.compile(r"\*\d{6,}\*")]
    return patterns


def render(seed: Path, out_dir: Path, fmt: str) -> Path:
    """Render one seed document as ``fmt`` (one of :data:`FORMATS`) into ``out_dir``."""
    structure = seed_structure(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt in ("pdf", "pdf2"):
        from tests.support.fixtures_pdf import render_pdf
        return render_pdf(structure, out_dir / f"{seed.stem}.pdf", columns=2 if fmt == "pdf2"
                          else 1)
    if fmt == "pdfraw":
        from tests.support.fixtures_pdf import render_pdf_raw
        return render_pdf_raw(seed, structure, out_dir / f"{seed.stem}.pdf")
    if fmt == "docx":
        from tests.support.fixtures_docx import render_docx
        return render_docx(structure, out_dir / f"{seed.stem}.docx")
    if fmt == "html":
        return render_html(structure, out_dir / f"{seed.stem}.html")
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def render_corpus(seeds_dir: Path, out_dir: Path, fmt: str) -> list[Path]:
    """Render every seed text document of ``seeds_dir`` as ``fmt``; returns the files."""
    seeds = sorted(p for p in seeds_dir.iterdir() if p.suffix in (".txt", ".md"))
    return [render(p, out_dir, fmt) for p in seeds]


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_inline(block: Block) -> str:
    parts = []
    for word, call, tail in words_with_calls(block.text, block.footnotes):
        sup = f'<sup><a href="#fn{call}" id="ref{call}">{call}</a></sup>' if call else ""
        parts.append(_html_escape(word) + sup + _html_escape(tail))
    return " ".join(parts)


def _html_block(block: Block) -> str:
    body = _html_inline(block)
    if block.kind == "heading":
        level = min(block.level + 1, 6)
        return f"<h{level}>{body}</h{level}>"
    if block.kind == "signature":
        return "<p>" + body.replace(" (Signé)", "<br>(Signé)") + "</p>"
    if block.kind == "bullet":
        return f"<ul><li>{body}</li></ul>"
    if block.kind == "item" and block.letter:
        start = ord(block.letter) - ord("a") + 1
        return f'<ol type="a" start="{start}"><li>{body}</li></ol>'
    if block.number is not None:
        return f'<ol start="{block.number}"><li>{body}</li></ol>'
    return f"<p>{body}</p>"


def render_html(structure: SeedStructure, path: Path) -> Path:
    """An HTML page: site header/nav/footer and a script (to be dropped), the masthead, one
    element per block, ordered lists for numbered paragraphs and items, footnotes at the end."""
    head = "".join(f"<p>{_html_escape(ln)}</p>" for ln in structure.masthead)
    body = "\n".join(_html_block(b) for b in structure.blocks)
    notes = "".join(f'<li id="fn{n}">{_html_escape(t)}</li>'
                    for n, t in sorted(structure.footnotes.items()))
    html = (
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
        f"<title>{_html_escape(structure.symbol or structure.stem)}</title>"
        "<style>body{font-family:serif}</style><script>var tracking = 1;</script></head><body>"
        "<header><nav><a href=\"/\">Accueil</a> | <a href=\"/docs\">Documents</a></nav>"
        f"<p>Système de diffusion — {_html_escape(structure.symbol or '')}</p></header>"
        f"<main>{head}\n{body}</main>"
        + (f'<section class="footnotes" role="doc-endnotes"><hr><ol>{notes}</ol></section>'
           if notes else "")
        + "<footer><p>© Nations Unies — page générée</p></footer></body></html>"
    )
    path.write_text(html, encoding="utf-8")
    return path
