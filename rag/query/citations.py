"""How a passage is referred to, the way a UN reader expects: ``A/75/345-S/2020/898, par. 100``."""

from __future__ import annotations

import re

from rag.records import DocumentMeta, Passage


def document_reference(doc: DocumentMeta) -> str:
    """The document's symbol, or for unsymbolled documents the head of its title
    (``Lettre datée du 19 octobre 2021``)."""
    if doc.symbol:
        return doc.symbol
    head = re.split(r",| \(|:", doc.title, maxsplit=1)[0].strip()
    return head or doc.id


def paragraph_reference(passage: Passage) -> str:
    """``par. 12``, ``par. 12 a)``, ``§3``, ``bullet 7``, ``note 1``, ``title 1``…"""
    if passage.kind in ("paragraph", "item") and passage.label[:1].isdigit():
        return f"par. {passage.label}"
    return passage.label


def citation_label(doc: DocumentMeta, passage: Passage) -> str:
    """Full reference: document then paragraph."""
    return f"{document_reference(doc)}, {paragraph_reference(passage)}"


# An answer sent back by a chat client as an assistant turn carries its citations in the
# block written by :func:`sources_text` and read back by :func:`read_reply`: both live here
# so that the form is written and read by one module.
_SOURCES_HEADING = {"fr": "Sources :", "en": "Sources:"}
_SOURCES_START = re.compile(r"^\s*Sources\s?:\s*$", re.M)
_SOURCE_LINE = re.compile(r"^\s*\[(\d+)\]\s+(.+?)(?:\s+—\s+«.*)?$")
_MARKER = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")


def sources_text(references: list[tuple[int, str, str | None]], language: str) -> str:
    """The "Sources :" block of a reply: one ``[n] reference`` line per (marker,
    reference, quote or None) entry, the quote after a dash."""
    lines = [_SOURCES_HEADING["en" if language == "en" else "fr"]]
    for marker, reference, quote in references:
        line = f"[{marker}] {reference}"
        lines.append(f"{line} — « {quote} »" if quote else line)
    return "\n".join(lines)


def read_reply(text: str) -> tuple[str, list[str]]:
    """An earlier reply split into its body (markers removed) and the references of its
    "Sources" block (``S/2021/297, par. 3``; empty when a client dropped the block)."""
    m = _SOURCES_START.search(text)
    body, block = (text[:m.start()], text[m.end():]) if m else (text, "")
    references = [s.group(2).strip() for line in block.splitlines()
                  if (s := _SOURCE_LINE.match(line))]
    return _MARKER.sub("", body).strip(), references
