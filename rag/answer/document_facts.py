"""Questions about a document itself — its symbol, date, distribution date, original
language, sender, signatory, addressee, agenda item, the meeting it announces or summarises
— answered from the document's card (:mod:`rag.ingest.cards`, built with the index), citing the
passage each field was read from.

Which field a question asks for is read from the words that name the field (in French and
English: "cote" / "symbol", "langue originale" / "original language"…): the vocabulary of
document metadata, not of particular questions. Which document: the one the question names
(:class:`rag.query.plan.QuestionPlan` ``documents``), else the best retrieved passage's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.records import CardField, DocumentCard

#: words naming each card field, French and English (first match wins, in this order)
FIELD_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("symbol", re.compile(r"\bcote\b|\bsymbole?\b|\bnuméro du document\b|\bdocument number\b|"
                          r"\bunder (?:which|what) (?:symbol|number)\b", re.I)),
    ("original_language", re.compile(r"\blangue (?:originale|d[’']origine)\b|"
                                     r"\boriginal(?:ly)? (?:language|written)\b|"
                                     r"\brédigée? (?:à l[’']origine|initialement|en quelle langue)"
                                     r"|\bin what language\b|\ben quelle langue\b", re.I)),
    ("distribution_date", re.compile(r"\bdistribu(?:é|ée|tion)\b|\bdistributed\b|"
                                     r"\bcirculated\b|\bissued\b", re.I)),
    ("enclosure", re.compile(r"\bci-joint|\bjoint(?:e|s|es)? à (?:la|sa) lettre\b|"
                             r"\btransmis(?:e|es)? (?:avec|par) (?:la|sa) lettre\b|"
                             r"\benclos(?:e|ed|ing|ure)\b|\battached to (?:the|his|her) letter\b|"
                             r"\btransmitted with\b", re.I)),
    ("agenda_item", re.compile(r"\bordre du jour\b|\bagenda\b", re.I)),
    ("meeting_theme", re.compile(r"\bthème\b|\btheme\b|\bsur le thème\b|\bintitulé\b", re.I)),
    ("signatory", re.compile(r"\bsign(?:é|ée|és|ées|ataire|ed|atory|er)\b|\bsigna", re.I)),
    ("addressee", re.compile(r"\badress(?:é|ée)e?s? (?:à|au)\b|\baddressed to\b|"
                             r"\bdestinataire\b|\bto whom\b|\bà qui\b", re.I)),
    ("sender", re.compile(r"\bexpéditeur\b|\bqui a (?:envoyé|adressé|transmis)\b|"
                          r"\bwho (?:sent|wrote|transmitted)\b|\bsender\b|\bfrom whom\b", re.I)),
    ("presidency", re.compile(r"\bprésidence\b|\bpresidency\b", re.I)),
    ("date", re.compile(r"\bdat(?:é|ée|ed)\b|\bde quand date\b|\bdate (?:de la|du|de l[’'])\s*"
                        r"(?:[\w’'-]+\s+){0,4}?(?:lettre|rapport|note|document)\b|"
                        r"\bdate of (?:the |its )?(?:[\w’'-]+\s+){0,4}?(?:letter|report|note|"
                        r"document|paper)\b", re.I)),
)
_DOCUMENT_WORDS = re.compile(r"\b(?:lettre|letter|note|document|rapport|report|texte|text|"
                             r"paper|résumé|summary|annexe?|annex)s?\b", re.I)
_MEETING = re.compile(r"\b(?:séance|réunion|débat|meeting|debate|session)s?\b", re.I)


@dataclass(frozen=True)
class DocumentFact:
    """The field a question asks for, as the card gives it."""

    doc_id: str
    field: CardField


def asked_field(question: str) -> str | None:
    """The card field ``question`` asks for, or None when it asks about content: a field
    word together with a word for a document (or, for the theme, a meeting)."""
    for name, words in FIELD_WORDS:
        if not words.search(question):
            continue
        if name == "meeting_theme" and _MEETING.search(question):
            return name
        if _DOCUMENT_WORDS.search(question) or name in ("symbol", "original_language",
                                                         "agenda_item"):
            return name
    return None


def document_fact(question: str, card: DocumentCard | None) -> DocumentFact | None:
    """The field of ``card`` that ``question`` asks for, when the card has it with the
    passage it comes from."""
    name = asked_field(question)
    if card is None or name is None:
        return None
    field = card.get(name)
    if field is None or field.passage_id is None:
        return None
    return DocumentFact(card.doc_id, field)
