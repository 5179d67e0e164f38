"""Every sentence the service writes itself (not quoted from a document), per language, in
one place: abstentions, what the corpus does not cover, lead-ins of direct replies."""

from __future__ import annotations

from collections.abc import Sequence

from rag.query.coverage import MONTHS

LEAD_IN = {"en": "From the documents (quoted in the original French):"}
NOT_FOUND = {
    "fr": "Je n’ai pas trouvé la réponse dans les documents.",
    "en": "Not found in the documents.",
}
NOT_COVERED = {"fr": "Les documents ne précisent pas : « {} »",
               "en": "The documents do not say: “{}”"}
OFFTOPIC = {
    "fr": "Je réponds uniquement aux questions sur les documents de l’ONU indexés.",
    "en": "I only answer questions about the indexed UN documents.",
}
REASONS = {
    "fr": {"amount": "aucun montant", "count": "aucun nombre", "percent": "aucun pourcentage",
           "age": "aucun âge", "time": "aucune heure",
           "day": "aucune date précise", "date": "aucune date",
           "person": "aucun nom de personne", "place": "aucun lieu",
           "actor": "aucun nom ni titre qui réponde"},
    "en": {"amount": "no amount", "count": "no number", "percent": "no percentage",
           "age": "no age", "time": "no time of day",
           "day": "no exact date", "date": "no date", "person": "no person's name",
           "place": "no place", "actor": "no name or title that answers it"},
}
IN_EVIDENCE = {"fr": "dans les passages", "en": "in the evidence"}


def _lang(language: str) -> str:
    return language if language in ("fr", "en") else "fr"


def enumerate_names(names: Sequence[str], language: str, *, negative: bool = False) -> str:
    """``A``, ``A et B``, ``A, B et C`` (``ni A ni B`` in a French negative)."""
    quoted = list(dict.fromkeys(names))
    if negative and _lang(language) == "fr" and len(quoted) > 1:
        return " ".join(f"ni {n}" for n in quoted)
    joiner = " et " if _lang(language) == "fr" else (" or " if negative else " and ")
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + joiner + quoted[-1]


def not_mentioned(names: Sequence[str], language: str) -> str:
    """The corpus never names these."""
    listed = enumerate_names(names, language, negative=True)
    if _lang(language) == "en":
        return f"The documents do not mention {listed}."
    return f"Les documents ne mentionnent {listed}." if listed.startswith("ni ") else \
        f"Les documents ne mentionnent pas {listed}."


def human_date(iso: str, language: str) -> str:
    """``2021-10-19`` → ``19 octobre 2021`` / ``19 October 2021`` (a year stays a year)."""
    parts = iso.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return iso
    year, month, day = (int(p) for p in parts)
    if not 1 <= month <= 12:
        return iso
    return f"{day} {MONTHS[_lang(language)][month - 1]} {year}"


def after_date(asked: str, document: str | None, date: str, language: str) -> str:
    """The question asks about ``asked`` (a year or a date), after the date of the
    document(s) it is about."""
    when = human_date(date, language)
    if _lang(language) == "en":
        who = f"The document ({document})" if document else "The most recent document"
        return f"{who} dates from {when}; it does not cover {asked}."
    who = f"Le document ({document})" if document else "Le document le plus récent"
    of = "du" if len(date) == 10 else "de"
    if asked[:1].isdigit() and not asked.isdigit():  # a day: "le 12 juillet 2019"
        asked = f"le {asked}"
    return f"{who} date {of} {when} ; il ne couvre pas {asked}."


def unstated(names: Sequence[str], reason: str, language: str) -> str:
    """The corpus names these, but no passage states what is asked about them."""
    listed = enumerate_names(names, language)
    tail = f" ({reason} {IN_EVIDENCE[_lang(language)]})" if reason else ""
    if _lang(language) == "en":
        return f"The documents mention {listed} but do not state what is asked{tail}."
    return f"Les documents mentionnent {listed} mais ne précisent pas ce qui est demandé{tail}."


#: what a question asks for, as "this …" (by its expected kind of answer; None: open)
THIS = {"fr": {"amount": "ce montant", "count": "ce nombre", "percent": "ce pourcentage",
               "age": "cet âge", "time": "cette heure", "day": "cette date", "date": "cette date",
               "person": "ce nom", "place": "ce lieu", None: "cette information"},
        "en": {"amount": "this amount", "count": "this number", "percent": "this percentage",
               "age": "this age", "time": "this time", "day": "this date", "date": "this date",
               "person": "this name", "place": "this place", None: "this information"}}


def not_given(expected: str | None, constraints: Sequence[str], language: str) -> str:
    """A follow-up changed a year or a name the documents do not give the answer for:
    "Les documents ne donnent pas ce montant pour 2010."."""
    lang = _lang(language)
    what = THIS[lang].get(expected, THIS[lang][None])
    listed = enumerate_names(constraints, language)
    if lang == "en":
        return f"The documents do not give {what} for {listed}."
    return f"Les documents ne donnent pas {what} pour {listed}."


def not_found(language: str, reason: str) -> str:
    """Nothing in the evidence answers (with what kind of answer was missing)."""
    base = NOT_FOUND[_lang(language)]
    return f"{base} ({reason} {IN_EVIDENCE[_lang(language)]})" if reason else base


#: what each document card field is called in an answer (rag.ingest.cards)
FIELD_NAMES = {
    "fr": {"symbol": "de cote", "title": "de titre", "date": "de date",
           "distribution_date": "de date de distribution",
           "original_language": "de langue originale", "distribution": "de distribution",
           "job_number": "de numéro de travail", "sender": "d’expéditeur",
           "signatory": "de signataire", "addressee": "de destinataire",
           "enclosure": "de pièce transmise", "agenda_item": "de point de l’ordre du jour",
           "meeting_date": "de date de séance", "meeting_theme": "de thème de séance",
           "presidency": "de présidence"},
    "en": {"symbol": "symbol", "title": "title", "date": "date",
           "distribution_date": "distribution date", "original_language": "original language",
           "distribution": "distribution", "job_number": "job number",
           "sender": "sender", "signatory": "signatory", "addressee": "addressee",
           "enclosure": "enclosure", "agenda_item": "agenda item",
           "meeting_date": "meeting date", "meeting_theme": "meeting theme",
           "presidency": "presidency"},
}


def field_absent(document: str, field: str, language: str) -> str:
    """"Le document (…) ne porte pas de cote." when a question asks a field of a document
    whose text does not give it."""
    lang = _lang(language)
    name = FIELD_NAMES[lang].get(field, field)
    if lang == "fr":
        return f"Le document ({document}) ne porte pas {name}."
    return f"The document ({document}) does not state its {name}."
