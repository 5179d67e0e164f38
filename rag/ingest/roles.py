"""What each passage does in its document, read off the layout: body text, list items and
the paragraph that introduces them, titles, cover-letter formulas, signatures, footnotes.

Only body text and lists answer questions about content; titles, letterheads, signatures
and the masthead answer questions about the document itself (who signed it, when it is
dated, its original language).
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.ingest.sentences import split_sentences
from rag.records import Passage, PassageRole

# Correspondence formulas of UN letters (transmittal, circulation request, closing), in the
# two languages of the corpus. A sentence made of one of them carries no content.
_FORMULAS = re.compile(
    r"\bfaire distribuer\b|\bci-joint|\bvoir (?:l[’'])?annexe\b|\bla présente lettre\b"
    r"|\bj[’']ai l[’']honneur de (?:vous )?(?:transmettre|faire tenir|communiquer|adresser)"
    r"|\bveuillez agréer\b|\bcomme document (?:officiel )?(?:du|de l[’'])"
    r"|\bcirculat(?:e|ed|ing)\b.{0,80}\bdocument of\b|\b(?:herewith|enclosed|attached|annexed)\b"
    r"|\bI have the honour to (?:transmit|forward|enclose)\b|\bthe present letter\b"
    r"|\baccept the assurances\b",
    re.I,
)
_LETTER_PART = re.compile(r"^(?:Lettre datée|Letter dated)", re.I)
_ANNEX_PART = re.compile(r"^(?:Annexe|Annex|Pièce jointe|Enclosure)\b", re.I)
_ROLE_OF_KIND: dict[str, PassageRole] = {
    "footnote": "footnote", "signature": "signature", "title": "title",
    "item": "list_item", "bullet": "list_item", "masthead": "masthead",
}


def is_formula(sentence: str) -> bool:
    """True for a cover-letter formula (``Je vous serais reconnaissant de bien vouloir faire
    distribuer…``, ``… la note de cadrage ci-jointe (voir annexe).``)."""
    return bool(_FORMULAS.search(sentence))


def _list_items(passages: list[Passage], i: int) -> list[str]:
    """Ids of the items introduced by ``passages[i]``: lettered sub-items whose parent it is,
    or the bullets that follow it with its text as their lead-in."""
    intro = passages[i]
    items = [p.id for p in passages if p.parent == intro.id and p.kind == "item"]
    if items:
        return items
    for follower in passages[i + 1:]:
        if follower.kind != "bullet" or follower.context != intro.text:
            break
        items.append(follower.id)
    return items


def _in_cover_letter(passage: Passage, has_annex: bool) -> bool:
    """A paragraph of the letter that transmits an annex (the annex holds the content)."""
    return has_annex and bool(passage.section) and bool(_LETTER_PART.match(passage.section[0]))


def assign_roles(passages: list[Passage]) -> list[Passage]:
    """The passages of one document with ``role`` (and a list introduction's ``items``)."""
    has_annex = any(p.section and _ANNEX_PART.match(p.section[0]) for p in passages)
    out: list[Passage] = []
    for i, p in enumerate(passages):
        role = _ROLE_OF_KIND.get(p.kind)
        items: list[str] = []
        if role is None:
            items = _list_items(passages, i)
            sentences = split_sentences(p.text) or [p.text]
            if items:
                role = "list_intro"
            elif _in_cover_letter(p, has_annex) or all(is_formula(s) for s in sentences):
                role = "letterhead"
            else:
                role = "body"
        out.append(replace(p, role=role, items=tuple(items)))
    return out
