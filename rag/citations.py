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
