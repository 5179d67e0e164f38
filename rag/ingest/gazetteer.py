"""The corpus gazetteer: every organisation, body, programme, place, person and event the
corpus names, built with the index from the passages' own writing conventions:

- a name grammar over words: a capitalised word, then capitalised words, adjectives
  (``Union africaine``, ``Ligue des États arabes``) and connectors (de, du, des, d’, pour,
  sur, aux, contre, of, for…) followed by a capitalised word (``Soudan du Sud``, ``Council
  of Europe``); a name that starts with the head noun of an organisation, programme or
  event (``Conseil``, ``Bureau``, ``Commission``…) also goes on through lower-case nouns
  (``Conseil de sécurité``, ``Bureau de la coordination des affaires humanitaires``,
  ``Organisation de Shanghai pour la coopération``) and joins lower-case parts with ``et``
  (``Conseil économique et social``);
- role titles (``Secrétaire général``, ``Représentant permanent``) are not names, but the
  names after them are (``… du Mexique``), and so is a person in apposition (``…, Ban
  Ki-moon``); a capitalised word that opens a sentence is a name only when the corpus never
  writes it in lower case (or it heads a longer name);
- places and bodies nested in a longer name (``Shanghai``, ``Afrique centrale``, ``Union
  africaine`` in ``Commission de l’Union africaine``), unless they are ordinary words of the
  corpus (``Justice``);
- acronym definitions, ``Organisation du Traité de sécurité collective (OTSC)`` and
  ``OTSC (Organisation du Traité …)``, tie an acronym to its expansion(s); acronyms used
  without a definition (``ONU``) are entries too;
- corpus level: a name that ran on past its end (``X sur les questions…``) is cut back to
  ``X`` when ``X`` is itself a name elsewhere in the corpus.

Each entry keeps its surface forms (folded), its kind and the passages where it occurs. A
vector per entry (the e5 query embedding of its name) is added by the index build, so that a
name written in English or paraphrased finds its French form — or is known to be absent.
:func:`names_in` applies the same grammar to one text (a question, French or English).
``bench/entities.py`` measures this extractor against a hand-labelled gold list.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rag.records import Passage
from rag.text import FUNCTION_WORDS, acronym_expansions, fold

EntityKind = str  # "acronym", "organisation", "place_or_person", "name"

# --- lexicon: what UN names (French and English) are made of; not a list of names ----------

#: head nouns of organisations, bodies, programmes, instruments and events: a name that
#: starts with one may go on through lower-case nouns (``Conseil de sécurité``)
_ORGANISATION_HEADS = frozenset("""
Organisation Organisme Organismes Union Communauté Association Ligue Conseil Assemblée Cour
Tribunal Commission Comité Bureau Bureaux Office Département Départements Division Direction
Secrétariat Centre Centres Fonds Programme Mission Opération Groupe Réseau Forum Agence Banque
Autorité Alliance Université Entité Haut-Commissariat Instance Institut Société Organe Force
Forces Mécanisme Plateforme Observatoire Gouvernement Parlement Initiative Partenariat
Organization Community League Council Assembly Court Committee Office Department Secretariat
Center Fund Program Operation Group Network Agency Bank Authority Institute University Body
""".split())
_OTHER_HEADS = frozenset("""
Charte Accord Accords Déclaration Convention Pacte Stratégie Plan Cadre Agenda Traité Protocole
Sommet Réunion Conférence Journée Décennie Année Dialogue Processus Feuille Examen
République Fédération Royaume Émirats
Charter Agreement Declaration Pact Strategy Framework Treaty Protocol Summit Meeting
Conference Day Decade Dialogue Process Review Republic Federation Kingdom
""".split())
_HEADS = _ORGANISATION_HEADS | _OTHER_HEADS
_NO_START = frozenset({"États", "État", "States", "State"})  # ``États Membres``; fine inside
#: titles and posts: not names, but the names after them are (``Président du Conseil``)
_ROLES = frozenset("""
Secrétaire Secrétaires Secrétaire-Général Président Présidente Présidents Vice-Président
Vice-Présidente Vice-Secrétaire Sous-Secrétaire Représentant Représentante Représentants
Représentantes Chef Cheffe Ambassadeur Ambassadrice Ministre Ministres Envoyé Envoyée Envoyés
Commissaire Haut-Commissaire Haute-Commissaire Conseiller Conseillère Directeur Directrice
Coordonnateur Coordonnatrice Rapporteur Rapporteuse Médiateur Médiatrice Membre Membres
Secretary Secretary-General Under-Secretary-General President Vice-President Ambassador
Minister Envoy Representative Chair Chairman Chairperson Director Commissioner Member Members
Head
""".split())
#: lower-case geographic nouns before a proper name (``mer Noire``, ``lac Tchad``)
_GEO_NOUNS = frozenset("mer lac bassin golfe océan".split())
#: adjectives a place name takes (``Asie centrale``, ``Amérique latine``)
_GEO_ADJECTIVES = frozenset("""
central centrale centraux centrales oriental orientale orientaux orientales occidental
occidentale occidentaux occidentales austral australe méridional méridionale septentrional
septentrionale latine subsaharienne saoudite
""".split())
#: adjectives that may come before the noun inside a name (``Haut Commissariat``)
_PRE_ADJECTIVES = frozenset("haut haute hauts grand grande grands nouveau nouvelle "
                            "nouveaux premier première".split())
#: adjectives whose ending the suffix rule does not know
_ADJECTIVE_WORDS = frozenset("arabe arabes commun commune communs communes permanent "
                             "permanente permanents permanentes indépendant indépendante "
                             "indépendants indépendantes russe suisse belge turque".split())
_DE = frozenset({"de", "du", "des", "d’", "of"})
_INFINITIVE = re.compile(r"[a-zéèêîô]{2,}(?:er|ir|re)")
_ARTICLES = frozenset({"la", "le", "les", "l’", "the"})
#: connectors that carry a name on (``Organisation pour la sécurité``); ``à``, ``au``,
#: ``dans`` are left out: in running text they start the verb's complement
_CONNECTORS = _DE | frozenset("""
pour sur aux contre entre relatif relative relatifs relatives chargé chargée chargés chargées
auprès portant for on against
""".split())
#: connectors that, in a question, start the verb's complement more often than they carry a
#: name on (``le Conseil de sécurité sur la diplomatie préventive``): names found in a
#: question stop there (a name cut short is still looked up word by word; one run on would
#: be reported unknown or required of the evidence); in the corpus a run-on is cut back by
#: :func:`_prune`
_LOOSE_CONNECTORS = frozenset("sur contre entre auprès portant relatif relative relatifs "
                              "relatives on against".split())
#: lower-case words that never carry a name on
_STOP_WORDS = frozenset("""
a un une ici ont est sont qui que dont ne se sa son ses leur leurs ce cet cette ces autres
autre plusieurs certains certaines tous toutes tout nombreux nombreuses divers diverses mois
année années jour jours cadre titre vue fin fins sein cours part lieu moyen moyens manière façon
sorte plus même concert ailleurs afin ainsi mon ma mes notre nos votre vos janvier février mars
avril mai juin juillet août septembre octobre novembre décembre faire mettre être avoir prendre
permettre promouvoir rendre suivre réduire construire conduire atteindre intitulé intitulée
intitulés intitulées organisé organisée organisés organisées consacré consacrée consacrés
consacrées tenu tenue tenus tenues signé signée prévu prévue prévus mené menée menés menées
adopté adoptée créé créée placé placée concernant visant durant susmentionné susmentionnée
susmentionnés présent présente présents présentes auquel auxquels auxquelles duquel desquels
desquelles lequel laquelle lesquels lesquelles tel telle tels telles
""".split())
_CALENDAR = frozenset(fold(w) for w in (
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday").split())
_ADJECTIVE = re.compile(
    r"[a-zà-ÿ-]{3,}(?:aire|al|ale|aux|el|elle|ique|ien|ienne|éen|éenne|ain|aine|ais|aise|ois"
    r"|oise|if|ive|é|ée|ial|iale|uel|uelle|ieur|ieure|ier|ière|ble|iste|oire)s?")
_NOT_ADJECTIVE = re.compile(r"(?:vienne|tienne|ent|ents|ant|ants)$")
_PARTICIPLE = re.compile(r"(?:é|ée|és|ées)$")
_INFINITIVE = re.compile(r"[a-zà-ÿ]{2,}(?:er|ir)")
_ELIDED = r"(?:[lLdDjJcCnNsSmMtT]|[Qq]u|[Ll]orsqu|[Pp]uisqu|[Jj]usqu|[Qq]uoiqu|[Aa]ujourd)’"
_TOKEN = re.compile(rf"\n|{_ELIDED}(?=\w)|\w+(?:[-/]\w+)*|[^\w\s]")
_SENTENCE_END = frozenset({".", "!", "?", ":", ";", "»", "«", "(", "[", "\n", "–", "—", "•",
                           "…", "*"})

_ACRONYM = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]+)?(?![\w-])")
_ACRONYM_FIRST = re.compile(r"\b([A-Z][A-Z0-9]{1,9})\s*\(((?:[\w’'-]+\s+){1,10}?[\w’'-]+)\)")
_ROMAN = re.compile(r"^[IVXLC]+$")
_YEAR = re.compile(r"(?:19|20)\d\d")
_DEFINED = re.compile(r"\(([A-Z][A-Z0-9]{1,9})\)")
_ORGANISATION_WORDS = frozenset(fold(w) for w in (
    "organisation organization union communauté community ligue league conseil council "
    "commission comité committee bureau office programme fonds fund banque bank association "
    "forum conférence conference assemblée assembly cour court mission force centre center "
    "groupe group secrétariat secretariat institut institute agence agency département "
    "department haut-commissariat nations unies entité autorité authority division "
    "direction réseau network alliance").split())


@dataclass(frozen=True)
class Entry:
    """One name of the corpus: how it is written, its folded forms, where it occurs."""

    name: str
    kind: EntityKind
    forms: tuple[str, ...]  # folded: the name, its acronym or expansion
    passages: tuple[str, ...] = ()  # passage ids, in corpus order
    count: int = 0  # occurrences in the corpus

    def to_json(self) -> dict[str, object]:
        """The entry as stored in ``gazetteer.json``."""
        return {"name": self.name, "kind": self.kind, "forms": list(self.forms),
                "passages": list(self.passages), "count": self.count}

    @classmethod
    def from_json(cls, row: dict[str, object]) -> Entry:
        """The entry read back from ``gazetteer.json``."""
        return cls(str(row["name"]), str(row["kind"]),
                   tuple(str(f) for f in row["forms"]),  # type: ignore[union-attr]
                   tuple(str(p) for p in row.get("passages", ())),  # type: ignore[union-attr]
                   int(row.get("count", 0)))  # type: ignore[arg-type]


@dataclass
class Gazetteer:
    """The names of the corpus, their vectors (row i ↔ entry i; empty until embedded) and
    the folded corpus text, to tell whether a phrase occurs at all."""

    entries: list[Entry]
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    by_form: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_form = {}
        for i, entry in enumerate(self.entries):
            for form in entry.forms:
                self.by_form.setdefault(form, i)

    def names(self) -> list[str]:
        """The entries' names, the texts their vectors embed."""
        return [e.name for e in self.entries]

    def nearest(self, vector: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
        """The ``k`` entries whose name vectors are closest to ``vector`` (cosine)."""
        if not len(self.vectors):
            return []
        sims = self.vectors @ vector.astype(np.float32)
        order = np.argsort(-sims)[:k]
        return [(int(i), float(sims[i])) for i in order]


# --- words -------------------------------------------------------------------------------

_fold = lru_cache(maxsize=65536)(fold)  # the same words come again and again


def _is_acronym(text: str) -> bool:
    return bool(_ACRONYM.fullmatch(text)) and not _ROMAN.match(text)


@lru_cache(maxsize=65536)
def _cap(word: str) -> bool:
    """A capitalised word that may be (part of) a name: not a function word, a title, a
    month, a roman numeral or a document symbol (``S/2015/446``)."""
    return (word[:1].isupper() and not word.endswith("’") and word not in _ROLES
            and _fold(word) not in FUNCTION_WORDS and _fold(word) not in _CALENDAR
            and not _ROMAN.match(word) and not any(c.isdigit() or c == "/" for c in word))


@lru_cache(maxsize=65536)
def _lower(word: str) -> bool:
    return word[:1].islower() and word.replace("-", "").replace("’", "").isalpha()


@lru_cache(maxsize=65536)
def _adjective(word: str) -> bool:
    return word in _ADJECTIVE_WORDS or (
        _lower(word) and word not in _STOP_WORDS and word not in _CONNECTORS
        and not word.endswith(("-il", "-elle", "-ils", "-elles", "-on"))
        and bool(_ADJECTIVE.fullmatch(word)) and not _NOT_ADJECTIVE.search(word))


@lru_cache(maxsize=65536)
def _noun(word: str) -> bool:
    """A lower-case word that may carry a name on after a connector."""
    return word in _GEO_NOUNS or (
        _lower(word) and word not in _STOP_WORDS and word not in _CONNECTORS
        and word not in _ARTICLES and _fold(word) not in FUNCTION_WORDS
        and not _INFINITIVE.fullmatch(word))


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of the words (an elided article apart: ``l’``, ``d’``), hyphenated
    words, line breaks and punctuation of ``text``, whose apostrophes are all ``’``. A
    hyphen that joins two names is a word of its own (``ONU-Union africaine``,
    ``ASEAN-Nations Unies``): before a head noun or ``Nations``, or between a lower-case and
    a capitalised part."""
    out = []
    for m in _TOKEN.finditer(text):
        word, start = m.group(0), m.start()
        if "-" not in word or word.isupper():
            out.append((word, start, m.end()))
            continue
        parts = word.split("-")
        current = parts[0]
        for part in parts[1:]:
            if part[:1].isupper() and (part in _HEADS or part == "Nations" or (
                    current[-1:].islower() and current[:1].islower())):
                out.append((current, start, start + len(current)))
                out.append(("-", start + len(current), start + len(current) + 1))
                start, current = start + len(current) + 1, part
            else:
                current = f"{current}-{part}"
        out.append((current, start, start + len(current)))
    return out


# --- the name grammar ----------------------------------------------------------------------

def _extend(w: list[str], i: int, as_head: bool = False, loose: bool = True) -> int:
    """End (exclusive) of the name that starts at word ``i``, greedy over

        NAME := START ( CAP | ADJ | CONN ART? NP | et CONN? ART? np | , ART? np … et … )*

    A name that starts with a head noun (``Organisation``, ``Bureau``…) may go on through
    lower-case nouns (``Organisation pour la sécurité et la coopération en Europe``); one that
    starts with a proper noun only through capitalised words after ``de``/``of`` (``Soudan du
    Sud``, ``Economic Community of West African States``) and geographic adjectives (``Asie
    centrale``); an English name whose head noun comes after its adjectives (``UN Regional
    Centre for…``) goes on as if it started with it. ``et`` and commas join lower-case parts
    (``Conseil économique et social``; after an article only when the name has used an
    article before: ``pour la sécurité et la coopération``, not ``de sécurité et les
    organisations``) or a place to a place (``pour l’Asie et le Pacifique``); ``en``, ``au``
    and ``dans`` go on to a place after a lower-case part (``… de la paix en
    Guinée-Bissau``). Without ``loose`` (a question: ``le Conseil de sécurité en Libye``),
    the name stops at those and at :data:`_LOOSE_CONNECTORS`."""
    n = len(w)
    head = as_head or w[i] in _HEADS
    j = i + 1
    has_connector = False
    last = "head" if head else "cap"  # the last word taken: head, cap, adj, lower, geo
    last_connector = ""
    while j < n:
        x = w[j]
        if x == "unies" and w[j - 1] == "Nations":
            j += 1  # ``le système des Nations unies``
            continue
        if (_cap(x) or _is_acronym(x) or (_ROMAN.match(x) and last in ("head", "cap"))) and (
                last != "lower"):
            j, last = j + 1, "head" if x in _HEADS or x in _NO_START else "cap"
            head = head or (x in _ORGANISATION_HEADS and not has_connector)
            continue
        if _adjective(x) and (last != "cap" or x in _GEO_ADJECTIVES) and (
                not _PARTICIPLE.search(x) or (last == "head" and j == i + 1)
                or (j + 1 < n and w[j + 1] in _CONNECTORS)):
            j, last = j + 1, last if last in ("lower", "cap") else "adj"
            continue
        if (x == "à" and head and w[j + 1:j + 3] == ["l’", "horizon"] and j + 3 < n
                and _YEAR.fullmatch(w[j + 3])):
            j += 4  # ``Programme de développement durable à l’horizon 2030``
            break
        k = j
        coordination = x in ("et", "and", ",")
        if x in ("et", "and"):
            k = j + 1
        elif x == ",":
            window = w[j + 1:j + 8]
            if last not in ("lower", "adj") or "et" not in window or window[0] not in (
                    _ARTICLES | _DE) or any(t in (",", ";", ".", "(", ":", "\n")
                                            for t in window[:window.index("et")]):
                break
            k = j + 1
        elif x in ("en", "au", "dans", "in") and loose and has_connector and (
                last in ("lower", "adj") or (x == "au" and w[j - 1] == "Unies")):
            k = j + 1  # ``… de la paix en Guinée-Bissau``, ``… des Nations Unies au Soudan``
        connector = ""
        if k < n and not loose and w[k] in _LOOSE_CONNECTORS:
            break
        if k < n and w[k] in _CONNECTORS and not (coordination and w[k] not in _DE):
            connector = w[k]
            k += 1
            if connector not in _DE and k < n and w[k] in _DE | {"aux"}:
                k += 1  # ``chargé des questions``, ``auprès de l’Union africaine``
            if w[k - 1] == "de" and k < n and w[k] in ("la", "l’"):
                k += 1
            if connector.startswith("charg") and k + 1 < n and _INFINITIVE.fullmatch(w[k]) \
                    and w[k + 1] in _ARTICLES:
                k += 1  # ``Groupe … chargé d’étudier les opérations de paix``
        elif k == j:
            break
        if k < n and w[k] in _ARTICLES and w[k - 1] not in _ARTICLES:
            if coordination and not connector and not any(t in _ARTICLES for t in w[i:j]):
                break  # ``Conseil de sécurité et les organisations régionales``
            k += 1
        if head and k < n and w[k] in _PRE_ADJECTIVES:
            k += 1
        if k >= n:
            break
        nxt = w[k]
        proper = _cap(nxt) or _is_acronym(nxt) or (head and nxt in _ROLES)
        if x in ("en", "au", "dans", "in") and not proper:
            break
        if not head and connector and connector not in _DE:
            break  # ``Soudan du Sud``, but not ``Mexique auprès de l’Organisation``
        if coordination:
            if proper and not (last == "cap" and head and nxt not in _HEADS
                               and not _is_acronym(nxt)
                               and (connector == last_connector or (
                                   x in ("et", "and") and not connector))
                               and not (k + 1 < n and _cap(w[k + 1]))):
                break
            if not proper and last not in ("lower", "adj"):
                break
        if proper:
            j, last = k + 1, "head" if nxt in _HEADS or nxt in _NO_START or nxt in _ROLES \
                else "cap"
        elif head and _noun(nxt):
            j, last = k + 1, "geo" if nxt in _GEO_NOUNS else "lower"
        else:
            break
        has_connector = True
        last_connector = connector or last_connector
    return j


def _sentence_start(w: list[str], i: int) -> bool:
    if i == 0 or w[i - 1] in _SENTENCE_END:
        return True
    # a list marker: ``1. Texte``, ``a) Texte``
    return w[i - 1] == ")" and i >= 2 and len(w[i - 2]) == 1 and w[i - 2].isalnum()


def _nested(w: list[str], i: int, j: int) -> list[tuple[int, int]]:
    """Names inside the name ``w[i:j]`` (one that starts with a head noun), after one of
    its connectors: places (``Shanghai`` in ``Organisation de Shanghai pour la
    coopération``, ``mer Noire``) and bodies (``Union africaine`` in ``Commission de l’Union
    africaine``) when they end the outer name or a proper noun follows them."""
    if w[i] not in _HEADS or w[i] in ("République", "Fédération", "Royaume", "Republic",
                                      "Federation", "Kingdom"):
        return []
    out = []
    p = i + 1
    while p < j:
        x = w[p]
        after = w[p - 1] in _CONNECTORS or w[p - 1] in _ARTICLES or w[p - 1] in (
            "au", "en", "dans", "in")
        if x in _GEO_NOUNS and after:
            q = p + 1
            while q < j and w[q] in ("de", "du", "d’", "la", "l’"):
                q += 1
            if q < j and _cap(w[q]):
                while q < j and _cap(w[q]):
                    q += 1
                out.append((p, q))
            p = q
            continue
        if not (_cap(x) and not _is_acronym(x) and after and x not in _NO_START):
            p += 1
            continue
        if x in _HEADS:
            if x not in _ORGANISATION_HEADS:  # ``Traité`` in ``Organisation du Traité…``
                p += 1
                continue
            q = min(_extend(w, p), j)
            m = q + 1 if q < j and w[q] in _CONNECTORS else q
            while m < j and w[m] in _ARTICLES:
                m += 1
            if q > p + 1 and (q == j or (m < j and (_cap(w[m]) or _is_acronym(w[m])))):
                out.append((p, q))
            p += 1
            continue
        q = p + 1
        while q < j:
            y = w[q]
            if _cap(y) or y in _GEO_ADJECTIVES:
                q += 1
                continue
            r = q + 1 if y in ("de", "du", "d’") else q
            if y == "de" and r < j and w[r] in ("la", "l’"):
                r += 1
            if q < r < j and _cap(w[r]):
                q = r + 1
                continue
            break
        out.append((p, q))
        p = q
    return out


def _spans(w: list[str], common: frozenset[str], corpus: bool
           ) -> list[tuple[int, int, bool]]:
    """(first word, end word, opener?) of every name of the words ``w``: an opener is a
    single capitalised word that opens a sentence. In the ``corpus`` (not a question), the
    names nested in a name too, and names go on through :data:`_LOOSE_CONNECTORS`."""
    out: list[tuple[int, int, bool]] = []
    n = len(w)
    i = 0
    while i < n:
        x = w[i]
        if x in _ROLES:
            # a title is not a name, but a person named right after it in apposition is one
            # (``le Secrétaire général de l’ONU, Ban Ki-moon``); names inside the title are
            # taken by the scan that goes on after the title word
            j = _extend(w, i, as_head=True, loose=corpus)
            if (j + 2 < n and w[j] == "," and _cap(w[j + 1]) and not _is_acronym(w[j + 1])
                    and _cap(w[j + 2])):
                k = j + 1
                while k < n and _cap(w[k]):
                    k += 1
                out.append((j + 1, k, False))
            i += 1
            while i < n and _adjective(w[i]):
                i += 1
            continue
        if x in _GEO_NOUNS and i + 1 < n:  # ``mer d’Aral``, ``bassin du lac Tchad``
            k = i + 1
            while k < n and (w[k] in _GEO_NOUNS or w[k] in ("de", "du", "d’")
                             or (w[k] in ("la", "l’") and w[k - 1] == "de")):
                k += 1
            if k < n and _cap(w[k]):
                j = k + 1
                while j < n and _cap(w[j]):
                    j += 1
                out.append((i, j, False))
                i = j
                continue
        if _is_acronym(x) and not (i + 1 < n and _cap(w[i + 1]) and not _is_acronym(w[i + 1])):
            out.append((i, i + 1, False))  # ``ONU``; ``ASEAN Regional Forum`` goes on below
            i += 1
            continue
        if not (_cap(x) or _is_acronym(x)) or x in _NO_START:
            i += 1
            continue
        j = _extend(w, i, loose=corpus)
        opener = _sentence_start(w, i)
        if opener and (_fold(x) in common or _fold(x) in FUNCTION_WORDS) and not (
                x in _HEADS and j > i + 1):
            i += 1  # a common word capitalised because it opens the sentence
            continue
        out.append((i, j, opener and j == i + 1))
        if corpus:
            out.extend((p, q, False) for p, q in _nested(w, i, j))
        i = j
    return out


def _keep(name: str, words: list[str], common: frozenset[str]) -> bool:
    """Not a name: too short, a roman numeral, a head noun alone (``le Conseil``: an
    anaphor), a single ordinary word of the corpus."""
    if len(name) < 3 or _ROMAN.match(name):
        return False
    if len(words) == 1:
        return words[0] not in _HEADS and _fold(words[0]) not in common
    return True


def _names(text: str, common: frozenset[str], corpus: bool = False
           ) -> tuple[list[str], list[tuple[int, int, str, bool]]]:
    """The words of ``text`` and its names as (first word, end word, name as written,
    opener?)."""
    tokens = _tokens(text.replace("'", "’"))
    w = [t[0] for t in tokens]
    found = []
    for i, j, opener in _spans(w, common, corpus):
        name = text[tokens[i][1]:tokens[j - 1][2]]
        if _keep(name, w[i:j], common):
            found.append((i, j, name, opener))
    return w, found


def names_in(text: str, common: frozenset[str] = frozenset()) -> list[str]:
    """The names written in ``text``, in order: runs of the name grammar (see
    :func:`_extend`) and acronyms; a single capitalised word only when it is not an ordinary
    word (``common``: words also written in lower case) opening a sentence; role titles and
    head nouns alone are left out."""
    _, found = _names(text, common)
    return [name for _, _, name, _ in found]


def actors_in(text: str, common: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """Who may act in ``text``: its names and its role titles with their complements
    (``Vice-Secrétaire générale``, ``Représentante spéciale chargée de la question…``), as
    (start offset, text as written), in order. A name inside a title is not repeated."""
    tokens = _tokens(text.replace("'", "’"))
    w = [t[0] for t in tokens]
    spans = [(i, _extend(w, i, as_head=True, loose=False)) for i, x in enumerate(w)
             if x in _ROLES and (i == 0 or w[i - 1] not in _ROLES)]
    spans += [(i, j) for i, j, _, _ in _names(text, common)[1]
              if not any(a <= i and j <= b for a, b in spans)]
    found = {tokens[i][1]: text[tokens[i][1]:tokens[j - 1][2]] for i, j in sorted(spans)}
    return sorted(found.items())


def _definitions(w: list[str], spans: list[tuple[int, int, str, bool]]
                 ) -> list[tuple[str, str]]:
    """(acronym, name) for ``Name (ACR)`` and ``ACR (Name)`` among the names ``spans`` of
    the words ``w``. ``Name`` is the longest name that ends at the bracket, or a name nested
    in it that starts with the acronym's letter (``Réunion générale de la Communauté des
    Caraïbes (CARICOM)`` → ``Communauté des Caraïbes``)."""
    ending: dict[int, list[tuple[int, str]]] = defaultdict(list)
    starting: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for i, j, name, _ in spans:
        ending[j].append((i, name))
        starting[i].append((j, name))
    pairs = []
    for k, x in enumerate(w):
        if x != "(" or k + 1 >= len(w):
            continue
        if k + 2 < len(w) and _is_acronym(w[k + 1]) and w[k + 2] == ")" and ending[k]:
            acronym = w[k + 1]
            names = sorted(ending[k])  # longest first
            name = next((s for _, s in names if fold(s[:1]) == fold(acronym[:1])),
                        names[0][1])
            pairs.append((acronym, name))
        elif k >= 1 and _is_acronym(w[k - 1]):
            after = [s for j, s in starting[k + 1] if j < len(w) and w[j] == ")"]
            if after:
                pairs.append((w[k - 1], max(after, key=len)))
    return pairs


def _prune(found: list[tuple[list[str], int, int, str]]) -> list[str]:
    """Corpus-level cut of names that ran into the sentence: when ``X connector lowercase…``
    and ``X`` were both found, keep ``X`` (``Union africaine pour la gestion des eaux`` →
    ``Union africaine``), provided ``X`` is a name of several words found at least twice or
    with a connector of its own. ``… des Nations Unies pour …`` is the UN naming pattern,
    never cut; a tail that goes on with a proper noun is kept."""
    counts = Counter(fold(name) for *_, name in found)
    keys = {fold(name) for w, i, j, name in found if j - i > 1 and (
        counts[fold(name)] >= 2 or any(x in _CONNECTORS for x in w[i:j]))}
    out = []
    for w, i, j, name in found:
        cut = name
        for k in range(j - 1, i + 1, -1):
            if w[k] not in _CONNECTORS and w[k] not in ("et", ",", "en", "au", "dans", "à"):
                continue
            m = k + 1
            while m < j and w[m] in _ARTICLES:
                m += 1
            place = w[k] in ("en", "au", "dans")  # ``Conseil de sécurité en Libye``
            if m >= j or (not place and (_cap(w[m]) or _is_acronym(w[m])
                                         or w[m] in _GEO_NOUNS)):
                continue
            prefix = _prefix(name, w[i:k])
            if prefix and fold(prefix) in keys and not prefix.endswith("Nations Unies"):
                cut = prefix
        out.append(cut)
    return out


def _prefix(name: str, words: list[str]) -> str:
    """The start of ``name`` that holds ``words``."""
    end = 0
    for x in words:
        at = name.find(x, end)
        if at < 0:
            return ""
        end = at + len(x)
    return name[:end]


def name_kind(name: str) -> EntityKind:
    """What a name is by its form: an acronym, an organisation (a body's head noun), a
    place or person (a few words), or another name."""
    if _is_acronym(name):
        return "acronym"
    words = {fold(w) for w in re.findall(r"[\w’'-]+", name)}
    if words & _ORGANISATION_WORDS:
        return "organisation"
    return "place_or_person" if len(words) <= 3 else "name"


def lowercase_words(passages: Iterable[Passage]) -> frozenset[str]:
    """Folded words the corpus also writes in lower case: ordinary words, not names."""
    words = {w for p in passages for w in re.findall(r"[\w’'-]+", p.text) if w.islower()}
    return frozenset(map(fold, words))


def _texts(passages: list[Passage]) -> list[tuple[str, str]]:
    """(passage id, text) of every passage, and of every section heading above the passages
    (once, under the first passage it heads)."""
    out = [(p.id, p.text) for p in passages]
    seen = {p.text for p in passages}
    for p in passages:
        for heading in p.section:
            if heading not in seen:
                seen.add(heading)
                out.append((p.id, heading))
    return out


def build_gazetteer(passages: list[Passage]) -> Gazetteer:
    """The gazetteer of ``passages`` (without vectors: see :func:`rag.index.build.build_index`)."""
    common = lowercase_words(passages)
    texts = _texts(passages)
    found: list[tuple[list[str], int, int, str]] = []
    where: list[str] = []
    openers: list[bool] = []
    definitions: dict[str, dict[str, None]] = defaultdict(dict)  # acronym → names, in order
    for pid, text in texts:
        w, spans = _names(text, common, corpus=True)
        for acronym, name in _definitions(w, spans):
            definitions[acronym][name] = None
        for i, j, name, opener in spans:
            found.append((w, i, j, name))
            where.append(pid)
            openers.append(opener)
        for m in _ACRONYM.finditer(text):  # ``ASEAN-ONU``: ASEAN and ONU
            parts = m.group(0).split("-")
            for part in (parts if len(parts) > 1 and all(map(_is_acronym, parts))
                         else [m.group(0)]):
                if _is_acronym(part):
                    found.append(([part], 0, 1, part))
                    where.append(pid)
                    openers.append(False)
    # a definition the grammar missed: the name before the brackets as rag.query.plan reads it
    plain = [t for _, t in texts]
    missed = [t for t in plain
              if any(a not in definitions for a in _DEFINED.findall(t))]
    for acronym, long in acronym_expansions(missed).items():
        if acronym not in definitions and len(long.split()) >= 2:
            definitions[acronym][long] = None
    for text in plain:  # ``OTSC (Organisation du Traité …)``
        for m in _ACRONYM_FIRST.finditer(text):
            acronym, long = m.group(1), m.group(2)
            if (acronym not in definitions and fold(long[:1]) == fold(acronym[:1])
                    and len(long.split()) >= 2):
                definitions[acronym][long] = None
    occurrences: dict[str, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    # a single word that opens a sentence is a name when the corpus also writes it so
    # elsewhere (``Moscou``), not an adverb or participle (``Néanmoins``, ``Conscient``)
    named = {fold(name) for (_, _, _, name), opener in zip(found, openers, strict=True)
             if not opener}
    for pid, name, opener in zip(where, _prune(found), openers, strict=True):
        key = fold(name)
        if opener and key not in named:
            continue
        counts[key] += 1
        surface[key][name] += 1
        if not occurrences[key] or occurrences[key][-1] != pid:
            occurrences[key].append(pid)
    # an acronym and its expansions are one entry
    group: dict[str, set[str]] = {}
    for acronym, longs in definitions.items():
        forms = {fold(acronym), *(fold(long) for long in longs)}
        for form in list(forms):
            forms |= group.get(form, set())
        for form in forms:
            group[form] = forms
        surface[fold(acronym)][acronym] += 1
        for long in longs:
            surface[fold(long)][long] += 1
    entries: list[Entry] = []
    done: set[str] = set()
    for key in sorted(surface, key=lambda k: (-counts[k], k)):
        if key in done:
            continue
        forms = group.get(key, {key})
        done.update(forms)
        name = max((surface[f].most_common(1)[0][0] for f in forms if surface[f]),
                   key=lambda n: (not _is_acronym(n), counts[fold(n)], len(n)))
        seen = list(dict.fromkeys(pid for f in sorted(forms) for pid in occurrences[f]))
        entries.append(Entry(name, name_kind(name) if len(forms) == 1 else "organisation",
                             tuple(sorted(forms)), tuple(seen), sum(counts[f] for f in forms)))
    return Gazetteer(entries)
