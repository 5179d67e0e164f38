"""Seed documents printed to PDF by Chromium (Playwright ``page.pdf()``) from an HTML
rendering: the masthead, headings, numbered paragraphs as ordered lists or inline numbers,
footnotes as a list at the foot, the running header and footer from Chromium's templates."""

from __future__ import annotations

from pathlib import Path

from tests.pdf_variants.typeset import blocks_in_place
from tests.support.fixtures_sources import SeedStructure, marker, words_with_calls

CHROMIUM = "/usr/bin/chromium"
_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(text: str, calls: tuple[int, ...]) -> str:
    return " ".join(_esc(w) + (f"<sup>{c}</sup>" if c else "") + _esc(t)
                    for w, c, t in words_with_calls(text, calls))


def html(structure: SeedStructure, *, justified: bool, lists: bool, line_height: float) -> str:
    """The document as one HTML page styled for print."""
    css = (f"body{{font-family:'Liberation Serif','DejaVu Serif',serif;font-size:11pt;"
           f"line-height:{line_height};text-align:{'justify' if justified else 'left'}}}"
           "p,ol{margin:0}ol{padding-left:34pt}h2{font-size:11pt;margin:12pt 0 6pt}"
           ".m{margin:0}.n{font-size:8pt;line-height:1.2}p.i{text-indent:20pt}"
           "ol.a{list-style-type:lower-alpha;padding-left:68pt}"
           ".r{text-align:right}")
    parts = [f'<p class="m">{_esc(ln)}</p>' for ln in structure.masthead
             if ln not in {b.text for b in blocks_in_place(structure) if b.kind == "masthead"}]
    for block in blocks_in_place(structure):
        body = _inline(block.text, block.footnotes)
        if block.kind == "masthead":
            parts.append(f'<p class="r">{_esc(block.text)}</p>')
        elif block.kind == "heading":
            parts.append(f"<h2>{body}</h2>")
        elif block.kind == "signature":
            parts.append("<p>" + body.replace(" (Signé)", "<br>(Signé)") + "</p>")
        elif lists and block.kind == "item" and block.letter:
            start = ord(block.letter) - ord("a") + 1
            parts.append(f'<ol class="a" start="{start}"><li>{body}</li></ol>')
        elif lists and block.number is not None:
            parts.append(f'<ol start="{block.number}"><li>{body}</li></ol>')
        else:
            parts.append(f'<p class="i">{_esc(marker(block))}{body}</p>')
    notes = "".join(f'<p class="n">{n} {_esc(t)}</p>'
                    for n, t in sorted(structure.footnotes.items()))
    if notes:
        parts.append(f'<hr style="width:30%;margin-left:0">{notes}')
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>'
            f'{_esc(structure.stem)}.html</title><style>{css}</style></head><body>'
            + "\n".join(parts) + "</body></html>")


def render(structure: SeedStructure, path: Path, *, justified: bool, lists: bool,
           line_height: float) -> Path:
    """Print ``structure`` to an A4 PDF at ``path`` with headless Chromium."""
    from playwright.sync_api import sync_playwright

    symbol = _esc(structure.symbol or "")
    job = _esc(structure.job or "21-00000")
    small = "font-size:8pt;width:100%;margin:0 20mm;font-family:serif"
    header = f'<div style="{small};text-align:right">{symbol}</div>'
    footer = (f'<div style="{small}">{job} <span class="pageNumber"></span>/'
              '<span class="totalPages"></span></div>')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        page = browser.new_page()
        page.set_content(html(structure, justified=justified, lists=lists,
                              line_height=line_height))
        page.pdf(path=str(path), format="A4", display_header_footer=True,
                 header_template=header, footer_template=footer,
                 margin={"top": "28mm", "bottom": "25mm", "left": "22mm", "right": "22mm"})
        browser.close()
    return path
