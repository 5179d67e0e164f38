"""What kind of answer a question asks for (a count, a date, a person, a place, a sum) and
whether a piece of evidence contains one. Near-miss questions ("how much did X allocate?")
retrieve the right topic but no figure: this check lets the composer abstain."""

from __future__ import annotations

import re
from typing import Literal

Expectation = Literal["count", "amount", "percent", "time", "day", "date", "person", "place",
                      "age"]

_MONTHS_FR = ("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
              "décembre")
_MONTHS_EN = ("january|february|march|april|may|june|july|august|september|october|november|"
              "december")
_MONTH = rf"(?:{_MONTHS_FR}|{_MONTHS_EN})"
_RULES: list[tuple[Expectation, re.Pattern[str]]] = [
    ("age", re.compile(r"\b(?:quel âge|à quel âge|âgée? de combien|how old|(?:at )?what age)\b",
                       re.I)),
    ("amount", re.compile(r"\b(?:quel montant|à combien s[’']él[eè]v|combien (?:d[’']argent|de "
                          r"dollars|d[’']euros)|combien\b.*\b(?:co[uû]t|dépens|allou|vers|"
                          r"financ|mobilis)|montant|budget|how much\b(?! time)|what amount|"
                          r"amount of|what (?:was|is) the cost)", re.I)),
    ("percent", re.compile(r"\b(?:quel taux|quel pourcentage|pourcentage|quelle proportion|"
                           r"what percentage|what share|what proportion|what rate)\b", re.I)),
    ("count", re.compile(r"\b(?:combien|how many|nombre de|quel nombre|number of)\b", re.I)),
    ("time", re.compile(r"\b(?:à quelle heure|quelle heure|what time|at what hour)\b", re.I)),
    ("day", re.compile(r"\b(?:à quelle date|quelle date|quel jour|on what date|what date|"
                       r"which day|what day|on what day)\b", re.I)),
    ("date", re.compile(r"\b(?:quand|en quelle année|quelle année|depuis quand|when|"
                        r"in what year|which year|what year)\b", re.I)),
    ("person", re.compile(r"(?:\bcomment s[’']appel|\bquel (?:est|était) le nom|"
                          r"(?<!\bau )\bnom d[eu]\b|"
                          r"\bqui (?:est|était|a été) (?:le|la|l[’'])\b|"
                          r"\bqui a signé|\bwho (?:is|was) the\b|"
                          r"\bwho (?:signed|heads|headed|led|chairs|chaired)\b|\bname of\b|"
                          r"\bwhat is the name\b)", re.I)),
    ("place", re.compile(r"(?:^\s*où\b(?!\s+en\s+(?:est|sont|étai))|\bdans quelle ville|"
                         r"\b(?:dans )?quel pays|\ben quel lieu|\b(?:which|what) country|"
                         r"\bquel lieu|^\s*where\b|\bin which (?:city|country)|\bwhich city|"
                         r"\bwhat city|\bvenue\b)", re.I)),
]
_NUMBER_WORDS = (r"deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|"
                 r"quinze|seize|vingt|trente|quarante|cinquante|soixante|cent|cents|mille|"
                 r"douzaine|centaine|millier|two|three|four|five|six|seven|eight|nine|ten|"
                 r"eleven|twelve|dozen|hundred|thousand")
_YEAR = r"(?:19|20)\d{2}"
_DAY = r"\d{1,2}(?:er)?"
_DATE_EXPR = re.compile(
    rf"\b(?:du\s+)?{_DAY}(?:\s*(?:et|au|à|-|–)\s*{_DAY})?\s+{_MONTH}(?:\s+{_YEAR})?\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+{_YEAR}\b", re.I)
_YEAR_ONLY = re.compile(rf"\b{_YEAR}\b")
_SYMBOL = re.compile(r"\b[A-Z]+(?:/[\w.()-]+)+")
_RESOLUTION = re.compile(r"\b\d{2,4}\s*\(\d{4}\)|\b\d{2}/\d{2,3}\b")
_CURRENCY = re.compile(r"\d[\d\s.,]*\s*(?:millions?|milliards?|billion|million)?\s*"
                       r"(?:de\s+)?(?:dollars|euros|francs|\$|€|USD|EUR)|[$€]\s?\d", re.I)
TIME_OF_DAY = re.compile(r"\b\d{1,2}\s*(?:heures?|h)(?:\s*\d{2})?\b(?:\s*\([^)]{1,40}\))?|"
                         r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:a\.m\.|p\.m\.|am|pm)\b|"
                         r"\bmidi\b|\bnoon\b|\bminuit\b|\bmidnight\b", re.I)
_AGE = re.compile(r"\b(?:âgée?s? de|à l[’']âge de|aged?(?: of)?)\s+\d{1,3}\b|"
                  r"\b\d{1,3}\s*(?:ans\b(?=\s*(?:,|\)|et|lorsqu|quand|alors))|years? old\b|"
                  r"-year-old\b)", re.I)
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|pour\s*cent|per\s*cent|percent)", re.I)
_PLACE = re.compile(r"\b(?:à|au|aux|en|in|at)\s+(?:l[’'])?[A-ZÀ-Ý][\w’'-]+")
_NAME_TOKEN = r"(?:[A-ZÀ-Ý][a-zà-ÿ’'-]+|[A-ZÀ-Ý]\.)"
_PERSON = re.compile(rf"\b{_NAME_TOKEN}(?:\s+(?:de la|de|van|von|bin|al-|el-)?\s*{_NAME_TOKEN})+")
_PLACE_PREPOSITION = re.compile(r"(?:\b(?:du|de|des|en|au|aux|à|in|of|at)|[dl]’)\s*$", re.I)
_DETERMINERS = {"le", "la", "les", "l’", "un", "une", "des", "the", "a", "an", "ce", "cette",
                "ces", "son", "sa", "ses", "leur", "leurs", "notre", "nos", "mon", "ma", "mes"}
_SIGNED_NAME = re.compile(r"\(Signé\)\s*\**\s*([A-ZÀ-Ý][\w.’' -]+?)\**\s*$", re.M)
_TITLE_BEFORE_NAME = re.compile(r"\b(?:M\.|Mme|Mr\.|Mrs\.|Ms\.|\(Signé\)|S\. E\.)\s+[A-ZÀ-Ý]")


# who did something, or which body: answered by a name or a title, which the evidence need
# not hold in a form a pattern can check, so it is not an expectation that gates the answer
_ACTOR = re.compile(
    r"^\s*(?:et\s+)?(?:(?:avec|par|à|pour|de|auprès de)\s+)?qui\b|^\s*(?:and\s+)?(?:(?:with|by|to|"
    r"for|from)\s+)?(?:who|whom)\b|\b(?:quel(?:le)?s?|lequel|laquelle)\s+(?:autre\s+)?"
    r"(?:organisations?|organes?|entités?|institutions?|organismes?|instances?|"
    r"personnalités?|responsables?|hauts? fonctionnaires?)\b|\b(?:which|what)\s+(?:other\s+)?"
    r"(?:organi[sz]ations?|bod(?:y|ies)|entit(?:y|ies)|institutions?|agenc(?:y|ies)|"
    r"officials?)\b", re.I)


def asks_actor(question: str) -> bool:
    """The question asks who did something, or which body or organisation."""
    return bool(_ACTOR.search(question))


def expected_answer(question: str) -> Expectation | None:
    """The kind of answer ``question`` asks for, or None for open questions."""
    for kind, pattern in _RULES:
        if pattern.search(question):
            return kind
    return None


def _strip_references(text: str) -> str:
    text = _SYMBOL.sub(" ", text)
    return _RESOLUTION.sub(" ", text)


_DURATION_OR_TIME = re.compile(
    rf"\b(?:\d+|{_NUMBER_WORDS})\s+(?:ans|années|mois|jours|semaines|heures|h|minutes|siècles|"
    r"years|months|days|weeks|hours|centuries)\b|\b\d{1,2}\s*h\s*\d{0,2}\b", re.I)


_COUNTED_NOUN = re.compile(r"\bcombien\s+(?:de|d[’'])\s*([^\W\d_]{3,})", re.I)
_QUANTITY = re.compile(rf"\b(?:\d+(?:[\s.,]\d{{3}})*|{_NUMBER_WORDS})\b", re.I)


def counted_noun(question: str) -> str | None:
    """The noun a French count question asks about (``combien de boursiers`` → boursiers)."""
    m = _COUNTED_NOUN.search(question)
    return m.group(1).lower() if m else None


def has_count(text: str, noun: str | None = None) -> bool:
    """A quantity: digits or a number word (from two upwards) that are not a year, a date, a
    time of day, a duration or a document reference; with ``noun``, the quantity must be
    followed within three words by that noun (same first five letters)."""
    text = _DURATION_OR_TIME.sub(" ", _DATE_EXPR.sub(" ", _strip_references(text)))
    text = _YEAR_ONLY.sub(" ", text)
    for m in _QUANTITY.finditer(text):
        if noun is None:
            return True
        following = re.findall(r"[^\W\d_]+", text[m.end():m.end() + 60])[:3]
        if any(w.lower()[:5] == noun[:5] for w in following):
            return True
    return False


# Titles and institutions are capitalised like names but name no one ("la Présidente de la
# Cour", "le Secrétaire exécutif"): a span holding one of these words is not a person's name.
_NOT_NAME_WORDS = frozenset((
    "président présidente secrétaire représentant représentante ministre directeur directrice "
    "envoyé envoyée ambassadeur ambassadrice chef commissaire conseiller conseillère "
    "vice-président vice-présidente vice-secrétaire sous-secrétaire haut-commissaire cour "
    "conseil commission organisation union comité bureau assemblée nations unies général "
    "générale adjoint adjointe spécial spéciale exécutif exécutive permanent permanente "
    "president secretary representative minister director envoy ambassador head "
    "commissioner adviser advisor court council committee office assembly united general "
    "special executive deputy").split())


def person_names(text: str, common_words: frozenset[str] = frozenset()) -> list[str]:
    """Persons' names in ``text``: a signed name, or two or more capitalised words not
    introduced by a preposition of place nor a determiner, with a word that is not an
    ordinary word of the corpus and no title or institution word."""
    found = [m.group(1).strip() for m in _SIGNED_NAME.finditer(text)]
    for match in _PERSON.finditer(text):
        if _PLACE_PREPOSITION.search(text[: match.start()]):
            continue  # "du Viet Nam", "en Asie centrale": places, not people
        tokens = re.findall(r"[A-ZÀ-Ý][\w’'-]*", match.group(0))
        if tokens and tokens[0].lower() in _DETERMINERS:
            continue  # "La Fédération de Russie", "Le Conseil": institutions
        if any(t.lower() in _NOT_NAME_WORDS for t in tokens):
            continue
        if any(t.lower().strip(".") not in common_words and not t.isupper() and len(t) > 2
               for t in tokens[1:]):
            found.append(match.group(0))
    return found


def has_person_name(text: str, common_words: frozenset[str] = frozenset()) -> bool:
    """A person's name: an honorific or signature before a capitalised word, or a name
    found by :func:`person_names`."""
    return bool(_TITLE_BEFORE_NAME.search(text)) or bool(person_names(text, common_words))


def evidence_has(kind: Expectation, text: str, common_words: frozenset[str] = frozenset(),
                 question: str = "") -> bool:
    """True when ``text`` contains the kind of answer expected (for French count questions,
    a quantity of the very thing counted)."""
    if kind == "amount":
        return bool(_CURRENCY.search(text))
    if kind == "count":
        return has_count(text, counted_noun(question))
    if kind == "percent":
        return bool(_PERCENT.search(text))
    if kind == "age":
        return bool(_AGE.search(text))
    if kind == "time":
        return bool(TIME_OF_DAY.search(text))
    if kind == "day":
        return bool(_DATE_EXPR.search(text))
    if kind == "date":
        return bool(_DATE_EXPR.search(text) or _MONTH_YEAR.search(text)
                    or _YEAR_ONLY.search(_strip_references(text)))
    if kind == "person":
        return has_person_name(text, common_words)
    if kind == "place":
        return bool(_PLACE.search(text))
    return True
