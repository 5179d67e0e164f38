"""Document cards: what a document says about itself — its symbols, title, dates, original
language, sender, signatory, addressee, agenda item, the meeting it announces or summarises,
the presidency — each field with the passage it was read from (:class:`rag.records.
DocumentCard`).

:func:`build_card` reads the masthead passage (symbol, ``Distr.`` date, ``Original :``),
the title, the cover letter and the signature; where the text prints no date it says what
it can infer and from what (the year in a symbol such as ``S/2020/898``). A catalogue entry
(``seeds/catalog.toml``) then fills a field the text lacks or overrides one it gives
differently (:func:`apply_catalogue`). Everything here is pure: passages in, card out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, replace
from typing import Any

from rag.ingest.documents import DATE_LINE, LANGUAGES, MONTHS, french_date_to_iso
from rag.ingest.sentences import split_sentences
from rag.records import CardField, CardFieldName, Document, DocumentCard, DocumentMeta, Passage

#: the order of the fields on a card
FIELD_ORDER: tuple[CardFieldName, ...] = (
    "symbol", "title", "date", "distribution_date", "original_language", "distribution",
    "job_number", "sender",
    "signatory", "addressee", "enclosure", "agenda_item", "meeting_date", "meeting_theme",
    "presidency")
_DATE_FIELDS = frozenset({"date", "distribution_date", "meeting_date"})

_MONTH = "(?:" + "|".join(MONTHS) + ")"
_WEEKDAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH})(?:\s+(\d{{4}}))?\b", re.I)
# a UN symbol: S/2021/297, A/75/345, S/PRST/2013/12, E/CN.4/2005/1 (with a digit somewhere)
_SYMBOL = re.compile(r"\b[A-Z]{1,5}/(?:[A-Z0-9.]+/)*[A-Z0-9.]*\d[A-Z0-9.]*(?<!\.)")
_SYMBOL_YEAR = re.compile(r"/((?:19|20)\d{2})(?:/|$)")
_ORIGINAL = re.compile(r"\bOriginal\s*:\s*([^\]\s]+)", re.I)
_DISTRIBUTION = re.compile(r"\bDistr\.\s*([^\W\d_]+)", re.I)
_LETTER_TITLE = re.compile(r"^(?:Lettre|Note verbale|Letter)\b.{0,80}?\b(?:datée?|adressée?|dated"
                           r"|addressed)\b", re.I)
_LETTER_DATE = re.compile(rf"\bdatée?\s+du\s+(\d{{1,2}}(?:er)?\s+{_MONTH}\s+\d{{4}})", re.I)
_SENDER = re.compile(r"\bpar\s+((?:le|la|les)\s+.+|l’.+)$")
_ADDRESSEE = re.compile(r"\badressée?s?\s+(?:au|aux|à\s+la|à\s+l’)\s*(.+?)(?=\s+par\s|,|$)")
_AUTHOR_HEADING = re.compile(r"^(?:Rapport|Note|Lettre)\s+(?:du|de\s+la|de\s+l’|des)\s+(.+)$")
_GENERIC_HEADING = re.compile(
    r"^(?:Résumé|Summary|Introduction|Contexte|Objectifs?|Annexe|Annex|Pièce jointe|Appendice"
    r"|Table des matières|Nations Unies|United Nations|Conseil de sécurité|Assemblée générale"
    r"|Conseil économique et social)\b", re.I)
_SIGNED = re.compile(r"\((?:Signé|Signed|Firmado)\)\s*(.+?)(?=\s*\((?:Signé|Signed|Firmado)\)|$)")
# what a cover letter transmits: "J’ai l’honneur de vous faire tenir ci-joint le résumé de
# la séance…", "vous transmettre ci-joint…", "I have the honour to transmit herewith…"
_ENCLOSURE = re.compile(r"\b(?:faire tenir|transmettre|communiquer|adresser)\s+(?:ci-joint|"
                        r"ci-après|en annexe)e?s?\s+(.+?)(?=\s+(?:qui|que|dont|établie?s?|"
                        r"concernant|sur le thème|en vue|pour|à l’occasion)\b|[,;:.(]|$)|"
                        r"\btransmit(?:ting)?\s+(?:herewith|attached)\s+(.+?)(?=\s+(?:which|"
                        r"that|on|for)\b|[,;:.(]|$)", re.I)
# "…a établi la note de cadrage ci-jointe": the noun phrase right before "ci-joint"
_ENCLOSED = re.compile(r"\b((?:le|la|les|l’)\s*(?:(?!\b(?:le|la|les|l’))[^,.;:()])+?)\s+"
                       r"ci-jointe?s?\b", re.I)
_AGENDA_QUESTION = re.compile(r"\bau titre de la question intitulée\s*«\s*(.+?)\s*»")
_AGENDA_POINT = re.compile(r"\bPoints?\s+\d+[a-z]?(?:\s*(?:,|et)\s*\d+[a-z]?)*\s+de\s+"
                           r"(?:l’ordre du jour|la liste préliminaire)(?:\s+provisoire)?")
_MEETING = re.compile(r"\b(?:débat|réunion|séance|consultations?|sommet|conférence|dialogue"
                      r"|session)s?\b", re.I)
_MEETING_DATE = re.compile(
    rf"\ble\s+((?:{_WEEKDAY}\s+)?\d{{1,2}}(?:er)?\s+{_MONTH}(?:\s+\d{{4}})?)\b", re.I)
# "sur le thème « … »", "un débat public intitulé « … »" (not "la question intitulée", the
# agenda item)
_THEME = re.compile(r"\b(?:th[èe]me|(?:débat|réunion|séance|dialogue)\b[^«».]{0,60}?\bintitulée?)"
                    r"\s*(?::\s*)?«\s*(.+?)\s*»")
_PRESIDENCY = re.compile(r"\b(?:sous\s+la|sa|la|leur|notre)\s+(présidence\s+(?:du|de\s+la|de\s+l’"
                         r"|des|au|à\s+la)\s+[^,.;:«»()]+)")
_HEADING_END = re.compile(r"^(.{20,300}?\b(?:Organisation des Nations Unies|United Nations"
                          r"|Nations Unies))(?=[\s,.]|$)")
_MAX_TITLE_CHARS = 300  # a first sentence longer than this is not a heading
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«])")
_FRONT_BODY_PASSAGES = 3  # body passages read with the titles and the cover letter
_LANGUAGE_NAMES = {code: name for name, code in LANGUAGES.items()}
# catalogue keys read as described in catalogue_values (the other card fields by name)
_CATALOGUE_KEYS = frozenset({"symbol", "title", "presidency", "original_language", "date",
                             "author"})


def build_card(document: Document, passages: list[Passage],
               catalog_entry: dict[str, object] | None = None) -> DocumentCard:
    """The card of ``document`` from its ``passages`` (as :func:`rag.ingest.chunking.chunk_document`
    cuts them), the catalogue entry filling or overriding fields."""
    passages = [p for p in passages if p.doc_id == document.id]
    found = list(read_fields(document, passages))
    card = DocumentCard(document.id, _ordered(found))
    return apply_catalogue(card, catalog_entry, passages) if catalog_entry else card


def read_fields(document: Document, passages: list[Passage]) -> Iterator[CardField]:
    """Every field the document's own text gives, then what can be inferred from them."""
    mastheads = [p for p in passages if p.kind == "masthead"]
    fields: list[CardField] = []
    fields += _symbols(mastheads)
    title = _title(document, passages)
    heading = title[1] if title else None
    if title:
        fields.append(CardField("title", title[1], title[0], "text"))
    fields += _front_dates(document, passages, mastheads, heading, title[0] if title else None)
    fields += _original_languages(mastheads)
    fields += _distribution(document, mastheads)
    fields += _sender_and_addressee(document, passages, heading, title[0] if title else None)
    fields += _signatories(passages)
    front = _front(passages)
    fields += _enclosure(front)
    fields += _agenda_items(front + mastheads)
    fields += _meeting(front, fields)
    fields += _first(front, "presidency", _PRESIDENCY)
    yield from fields


def _clean(text: str) -> str:
    return " ".join(text.replace("*", " ").split())


def _symbols(mastheads: list[Passage]) -> Iterator[CardField]:
    """Every symbol the masthead and running headers print (both parts of a joint one)."""
    seen: set[str] = set()
    for p in mastheads:
        for symbol in _SYMBOL.findall(p.text):
            if symbol not in seen:
                seen.add(symbol)
                yield CardField("symbol", symbol, p.id, "text")


def _section_passage(passages: list[Passage], heading: str) -> str | None:
    """The passage printing ``heading``: its title passage, else the first passage under it."""
    for p in passages:
        if p.kind == "title" and p.text == heading:
            return p.id
    return next((p.id for p in passages if heading in p.section), None)


def _title(document: Document, passages: list[Passage]) -> tuple[str, str] | None:
    """(passage id, title): a letter's heading (``Lettre datée du …``), else the first
    document title that is not a generic heading (``Résumé``, ``Annexe``…), else the first
    heading; a plain-text letter's opening paragraph counts as its heading."""
    blocks = [b for b in document.blocks if b.kind != "masthead"]
    headings = [b for b in blocks if b.kind == "heading"]
    opening = [b for b in blocks[:3] if b.kind in ("heading", "paragraph")]
    choice = next((b for b in opening if _LETTER_TITLE.match(b.text)), None)
    choice = choice or next((b for b in headings if b.level <= 1
                             and not _GENERIC_HEADING.match(b.text)), None)
    choice = choice or next(iter(headings), None)
    if choice is None:
        return None
    if choice.kind == "paragraph":
        pid = next((p.id for p in passages if p.text.startswith(choice.text[:80])), None)
        title = _heading_of(choice.text)
    else:
        pid, title = _section_passage(passages, choice.text), choice.text
    return (pid, title) if pid and title else None


def _heading_of(text: str) -> str | None:
    """The heading a plain-text letter opens its first paragraph with: up to the sender's
    ``… auprès de l’Organisation des Nations Unies``, else its first sentence."""
    if m := _HEADING_END.match(text):
        return m.group(1)
    first = split_sentences(text)[:1]
    return first[0] if first and len(first[0]) <= _MAX_TITLE_CHARS else None


def _date_field(name: CardFieldName, value: str, passage_id: str | None,
                source: str = "text", note: str = "") -> CardField:
    return CardField(name, value, passage_id, source, french_date_to_iso(value), note)  # type: ignore[arg-type]


def _front_dates(document: Document, passages: list[Passage], mastheads: list[Passage],
                 heading: str | None, heading_passage: str | None) -> list[CardField]:
    """The date of the letter or report, the masthead's distribution date, and where the
    text prints neither, what can be inferred (from the distribution date, or the year of
    a symbol)."""
    out: list[CardField] = []
    distribution = next((m for p in mastheads if not p.section
                         if (m := _DAY_MONTH.search(p.text)) and m.group(3)), None)
    front = next((p for p in mastheads if not p.section), None)
    if heading and heading_passage and (m := _LETTER_DATE.search(heading)):
        out.append(_date_field("date", _clean(m.group(1)), heading_passage))
    else:
        line = _date_line(document, passages)
        if line:
            out.append(_date_field("date", line[1], line[0]))
    if distribution and front:
        out.append(_date_field("distribution_date", _clean(distribution.group(0)), front.id))
    if any(f.name == "date" for f in out):
        return out
    if distribution and front:
        out.insert(0, _date_field("date", _clean(distribution.group(0)), front.id, "inferred",
                                  "the text prints no other date than its distribution date"))
        return out
    for p in mastheads:
        for symbol in _SYMBOL.findall(p.text):
            if m := _SYMBOL_YEAR.search(symbol):
                out.insert(0, CardField("date", m.group(1), p.id, "inferred", m.group(1),
                                        f"year from the symbol {symbol}"))
                return out
    return out


def _date_line(document: Document, passages: list[Passage]) -> tuple[str, str] | None:
    """A date standing alone near the top (``Genève, le 3 mars 2025``)."""
    blocks = [b for b in document.blocks if b.kind != "masthead"][:6]
    for block in blocks:
        if DATE_LINE.match(block.text.strip()) and (m := _DAY_MONTH.search(block.text)):
            pid = next((p.id for p in passages if block.text.strip() in p.text), None)
            if pid:
                return pid, _clean(m.group(0))
    return None


def _original_languages(mastheads: list[Passage]) -> Iterator[CardField]:
    for p in mastheads:
        for language in _ORIGINAL.findall(p.text):
            yield CardField("original_language", language, p.id, "text")


def _distribution(document: Document, mastheads: list[Passage]) -> Iterator[CardField]:
    """The masthead's distribution (``Distr. générale`` → ``générale``) and the UN job number
    (``21-04084``), which the pages print at their foot (``21-04084 (F)``): the masthead
    reads it there and no passage keeps it, so it cites the masthead passage."""
    for p in mastheads:
        if m := _DISTRIBUTION.search(p.text):
            yield CardField("distribution", m.group(1), p.id, "text")
            break
    if document.meta.job_number and mastheads:
        yield CardField("job_number", document.meta.job_number, mastheads[0].id, "text",
                        note="printed at the foot of the pages")


def _sender_and_addressee(document: Document, passages: list[Passage], heading: str | None,
                          heading_passage: str | None) -> list[CardField]:
    """From a letter's heading (``… adressée au Secrétaire général par le Représentant
    permanent …``), else a report's (``Rapport du Secrétaire général``), else the function
    under which the letter is signed."""
    out: list[CardField] = []
    if heading and heading_passage and _LETTER_TITLE.match(heading):
        if m := _SENDER.search(heading):
            out.append(CardField("sender", _clean(m.group(1)), heading_passage, "text"))
        if m := _ADDRESSEE.search(heading):
            out.append(CardField("addressee", _clean(m.group(1)), heading_passage, "text"))
    if not any(f.name == "sender" for f in out):
        for block in document.blocks:
            if block.kind == "heading" and block.level <= 1 and \
                    (m := _AUTHOR_HEADING.match(block.text)):
                pid = _section_passage(passages, block.text)
                if pid:
                    out.insert(0, CardField("sender", _clean(m.group(1)), pid, "text"))
                    break
    if not any(f.name == "sender" for f in out):
        for p in passages:
            if p.kind == "signature" and (m := _SIGNED.search(p.text)) and m.start() > 0:
                function = _clean(p.text[:m.start()]).strip(" ,")
                if function:
                    out.insert(0, CardField("sender", function, p.id, "text"))
                    break
    return out


def _signatories(passages: list[Passage]) -> Iterator[CardField]:
    for p in passages:
        if p.kind == "signature":
            for name in _SIGNED.findall(p.text):
                if name := _clean(name).strip(" ,."):
                    yield CardField("signatory", name, p.id, "text")


def _front(passages: list[Passage]) -> list[Passage]:
    """Where a document announces itself: its titles, the cover letter and the first body
    passages, in reading order."""
    body = [p for p in passages if p.role in ("body", "list_intro")][:_FRONT_BODY_PASSAGES]
    chosen = [p for p in passages if p.role in ("title", "letterhead")] + body
    return sorted(chosen, key=lambda p: p.order)


def _first(passages: Iterable[Passage], name: CardFieldName, pattern: re.Pattern[str]
           ) -> list[CardField]:
    for p in passages:
        if m := pattern.search(p.text):
            return [CardField(name, _clean(m.group(1)), p.id, "text")]
    return []


def _enclosure(front: list[Passage]) -> list[CardField]:
    """What the cover letter transmits ("le résumé de la séance publique…")."""
    for pattern in (_ENCLOSURE, _ENCLOSED):
        for p in front:
            if m := pattern.search(p.text):
                value = next(g for g in m.groups() if g)
                return [CardField("enclosure", _clean(value), p.id, "text")]
    return []


def _agenda_items(passages: list[Passage]) -> list[CardField]:
    for p in sorted(passages, key=lambda p: p.order):
        if m := _AGENDA_QUESTION.search(p.text):
            return [CardField("agenda_item", _clean(m.group(1)), p.id, "text")]
        if m := _AGENDA_POINT.search(p.text):
            return [CardField("agenda_item", _clean(m.group(0)), p.id, "text")]
    return []


def _sentences(text: str) -> list[str]:
    return _SENTENCE_END.split(text)


def _meeting(front: list[Passage], known: list[CardField]) -> list[CardField]:
    """The date and theme of the meeting the document announces or summarises; a date
    printed without its year gets it from the same date printed in full, else from the
    date of the document."""
    out: list[CardField] = []
    for p in front:
        for sentence in _sentences(p.text):
            if not _MEETING.search(sentence):
                continue
            if not any(f.name == "meeting_date" for f in out) and \
                    (m := _MEETING_DATE.search(sentence)):
                out.append(_meeting_date(_clean(m.group(1)), p.id, front, known))
            if not any(f.name == "meeting_theme" for f in out) and (m := _THEME.search(sentence)):
                out.append(CardField("meeting_theme", _clean(m.group(1)), p.id, "text"))
    if not any(f.name == "meeting_theme" for f in out):
        out += _first(front, "meeting_theme", _THEME)
    return out


def _meeting_date(value: str, passage_id: str, front: list[Passage],
                  known: list[CardField]) -> CardField:
    m = _DAY_MONTH.search(value)
    assert m is not None
    if m.group(3):
        return _date_field("meeting_date", value, passage_id)
    day, month = int(m.group(1)), MONTHS[m.group(2).lower()]
    for p in front:
        for full in _DAY_MONTH.finditer(p.text):
            if full.group(3) and int(full.group(1)) == day and \
                    MONTHS[full.group(2).lower()] == month:
                iso = f"{int(full.group(3)):04d}-{month:02d}-{day:02d}"
                return CardField("meeting_date", value, passage_id, "text", iso,
                                 f"year from « {_clean(full.group(0))} »")
    dated = next((f for f in known if f.name == "date" and f.iso), None) or \
        next((f for f in known if f.name == "distribution_date" and f.iso), None)
    if dated is None or dated.iso is None:
        return CardField("meeting_date", value, passage_id, "text")
    year = int(dated.iso[:4])
    if len(dated.iso) >= 7 and month < int(dated.iso[5:7]):
        year += 1  # a meeting announced in October for January is next year's
    why = (dated.note.replace("year from ", "") if dated.source == "inferred" and dated.note
           else f"the date of the document ({dated.value})")
    return CardField("meeting_date", value, passage_id, "text",
                     f"{year:04d}-{month:02d}-{day:02d}", f"year from {why}")


def _ordered(fields: Iterable[CardField]) -> tuple[CardField, ...]:
    """Fields in :data:`FIELD_ORDER`, each name's in reading order, repeats dropped."""
    seen: set[tuple[str, str]] = set()
    out = []
    for name in FIELD_ORDER:
        for f in fields:
            if f.name == name and (f.name, f.value) not in seen:
                seen.add((f.name, f.value))
                out.append(f)
    return tuple(out)


# -- the catalogue ---------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c))
                    .replace("’", "'").split())


def french_date(iso: str) -> str:
    """``2021-10-19`` → ``19 octobre 2021`` (other text unchanged)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    if not m:
        return iso
    months = list(MONTHS)
    day = int(m.group(3))
    return f"{'1er' if day == 1 else day} {months[int(m.group(2)) - 1]} {m.group(1)}"


def catalogue_values(entry: dict[str, object], card: DocumentCard
                     ) -> list[tuple[CardFieldName, list[str]]]:
    """What a catalogue entry says, as card fields: ``symbol`` (each part of a joint symbol),
    ``title``, ``presidency``, ``original_language`` (a code such as ``en`` → ``anglais``),
    ``date`` (the catalogue's date is the distribution date where the text prints one, else
    the date of the letter), ``author`` (``Name, function`` gives the signatory, a function
    alone the sender); an entry may also name any card field directly."""
    out: dict[CardFieldName, list[str]] = {}
    if symbol := entry.get("symbol"):
        out["symbol"] = _SYMBOL.findall(str(symbol)) or [str(symbol)]
    for key in ("title", "presidency"):
        if value := entry.get(key):
            out[key] = [str(value)]  # type: ignore[index]
    if language := entry.get("original_language"):
        out["original_language"] = [_LANGUAGE_NAMES.get(str(language), str(language))]
    if date := entry.get("date"):
        target: CardFieldName = "distribution_date" if card.get("distribution_date") \
            else "date"
        out[target] = [str(date)]
    if author := entry.get("author"):
        name, _, function = str(author).partition(",")
        out["signatory" if function else "sender"] = [name.strip()]
    for name in FIELD_ORDER:
        if name not in _CATALOGUE_KEYS and entry.get(name):
            value = entry[name]
            out[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return list(out.items())


def _same(a: CardField, value: str, iso: str | None) -> bool:
    if a.name in _DATE_FIELDS and a.iso and iso:
        return a.iso == iso
    return _fold(a.value) == _fold(value)


def apply_catalogue(card: DocumentCard, entry: dict[str, object] | None,
                    passages: list[Passage]) -> DocumentCard:
    """The catalogue's values come first. Where the text gives the same value, its field
    stays (the text's other values of that name after it: an annex's own ``Original :``);
    where the text gives only other values, the catalogue overrides them (citing the
    passage the text gave the field in, the printed value in ``note``); a field the text
    lacks is filled (citing a passage of the document's front that prints the value, if
    any)."""
    if not entry:
        return card
    fields = list(card.fields)
    front = [p for p in passages if p.role in ("masthead", "title", "signature", "letterhead")]
    for name, values in catalogue_values(entry, card):
        given = [f for f in fields if f.name == name]
        wanted = [_catalogue_value(name, value) for value in values]
        matches = [next((f for f in given if _same(f, shown, iso)), None)
                   for shown, iso in wanted]
        overridden = given[0] if given and given[0].source == "text" and not any(matches) \
            else None
        kept: list[CardField] = []
        for (shown, iso), same in zip(wanted, matches, strict=True):
            if same is not None:
                kept.append(same)
            elif overridden is not None:
                kept.append(CardField(name, shown, overridden.passage_id, "catalogue", iso,
                                      f"the text prints « {overridden.value} »"))
                overridden = None
            else:
                printed = next((p.id for p in front if _fold(shown) in _fold(p.text)), None)
                kept.append(CardField(name, shown, printed, "catalogue", iso))
        if any(matches):
            kept += [f for f in given if f not in kept and f.source == "text"]
        fields = [f for f in fields if f.name != name] + kept
    return DocumentCard(card.doc_id, _ordered(fields))


def _catalogue_value(name: str, value: str) -> tuple[str, str | None]:
    """(value shown, ISO date): a catalogue date ``2021-10-19`` shows as ``19 octobre 2021``."""
    if name not in _DATE_FIELDS:
        return value, None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return french_date(value), value
    return value, french_date_to_iso(value)


# -- metadata from the card ------------------------------------------------------------


def card_meta(meta: DocumentMeta, card: DocumentCard,
              catalog_entry: dict[str, object] | None = None) -> DocumentMeta:
    """``meta`` with what the catalogue does not give taken from the card: the title as
    printed (a letter's ``Lettre datée du …`` heading rather than a generic one), the
    symbols, the date (distribution date, else the document's), the original language."""
    entry = catalog_entry or {}
    changes: dict[str, object] = {}
    if "title" not in entry and (title := card.get("title")):
        changes["title"] = title.value
    symbols = [f.value for f in card.all("symbol")]
    if "symbol" not in entry and symbols:
        changes["symbol"] = "-".join(symbols)
    if "date" not in entry:
        dated = [f for f in (card.get("distribution_date"), card.get("date"))
                 if f and f.source != "inferred" and f.iso and len(f.iso) == 10]
        if dated:
            changes["date"] = dated[0].iso
    if "original_language" not in entry and (language := card.get("original_language")):
        name = language.value.casefold()
        changes["original_language"] = LANGUAGES.get(name, name)
    if "author" not in entry and meta.author is None and (sender := card.get("sender")):
        changes["author"] = sender.value
    return replace(meta, **changes) if changes else meta  # type: ignore[arg-type]


def card_json(card: DocumentCard) -> dict[str, Any]:
    """A document card as stored in the index and shown by ``rag documents --json``, the API
    and MCP: ``{"fields": [{name, value, passage_id, source, iso, note}, …]}``."""
    return {"fields": [asdict(f) for f in card.fields]}
