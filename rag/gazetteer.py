"""The corpus gazetteer: every organisation, body, programme, place, person and event the
corpus names, built with the index from the passages' own writing conventions:

- acronym definitions, ``Organisation du Traité de sécurité collective (OTSC)`` and
  ``OTSC (Organisation du Traité …)``, tie an acronym to its expansion;
- capitalised names joined by French connectors (``Ligue des États arabes``,
  ``Organisation de Shanghai pour la coopération``) with a trailing adjective
  (``Union africaine``), and single capitalised words used mid-sentence (``Moscou``);
- acronyms used without a definition (``ONU``).

Each entry keeps its surface forms (folded), its kind and the passages where it occurs. A
vector per entry (the e5 query embedding of its name) is added by the index build, so that a
name written in English or paraphrased finds its French form — or is known to be absent.
``bench/entities.py`` measures this extractor against spaCy's French pipelines.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from rag.query.plan import acronym_expansions, fold
from rag.records import Passage

EntityKind = str  # "acronym", "organisation", "place_or_person", "name"

_CAP = r"[A-ZÀ-Ý][\w’'-]*"
_CONNECTOR = (r"(?:de la|de l[’']|de|du|des|d[’']|pour la|pour le|pour l[’']|pour les|pour|"
              r"sur la|sur le|sur les|sur|contre la|contre le|contre les|contre|en|et de la|"
              r"et du|et des|et|of the|of|for the|for)")
_ADJECTIVE = (r"(?![\w-]*-t?-?(?:il|elle|ils|elles|on)\b)[a-zà-ÿ-]+(?:aine|ain|ique|ienne|"
              r"ien|ale|al|aux|ive|if|elle|el|aise|ais|oise|ois|éenne|éen|aire|iste)s?")
_STARTS = r"(?:(?<=\b[lLdD][’'])|(?<![\w’'-]))"  # a word start, after an elided article or not
# a capitalised word, then (connector? capitalised word)*, then one optional adjective
_NAME = re.compile(rf"{_STARTS}{_CAP}(?:\s+(?:{_CONNECTOR}\s*)?{_CAP})*"
                   rf"(?:\s+{_ADJECTIVE}(?=[\s,.;:)»?]|$)){{0,2}}")
_EXTENDED = re.compile(rf"{_STARTS}{_CAP}(?:\s+(?:{_CONNECTOR}\s*)?{_CAP})*\s+"
                       r"(?:pour la|pour le|pour l[’']|de la|de l[’']|du|de|des|d[’'])\s*"
                       r"[a-zà-ÿ-]{4,}(?:\s+[a-zà-ÿ]+(?:ive|if|elle|el|ale|al|ique|aine|ain)s?)"
                       r"{0,2}")
_ACRONYM = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]+)?(?![\w-])")
_ACRONYM_FIRST = re.compile(r"\b([A-Z][A-Z0-9]{1,9})\s*\(((?:[\w’'-]+\s+){1,10}?[\w’'-]+)\)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;»«\n]\s*|\(\s*|[-–•]\s+|\d+\.\s+|[a-z]\)\s+)$")
_TRAILING_CONNECTOR = re.compile(rf"\s+{_CONNECTOR}$", re.I)
_ELISION = re.compile(r"^(?:[LlDd][’']\s*|(?:Le|La|Les|The)\s+(?=[A-ZÀ-Ý]))")
_ROMAN = re.compile(r"^[IVXLC]+$")
_ORGANISATION_WORDS = frozenset(fold(w) for w in (
    "organisation organization union communauté community ligue league conseil council "
    "commission comité committee bureau office programme fonds fund banque bank association "
    "forum conférence conference assemblée assembly cour court mission force centre center "
    "groupe group secrétariat secretariat institut institute agence agency département "
    "department haut-commissariat nations unies").split())


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


def _is_acronym(text: str) -> bool:
    return bool(_ACRONYM.fullmatch(text)) and not _ROMAN.match(text)


def names_in(text: str, common: frozenset[str] = frozenset()) -> list[str]:
    """The names written in ``text``: capitalised runs joined by connectors, with a trailing
    adjective; a single capitalised word only when it does not open a sentence or is not an
    ordinary word of the corpus (``common``: words also written in lower case)."""
    found: list[str] = []
    for m in _NAME.finditer(text):
        name = _ELISION.sub("", _TRAILING_CONNECTOR.sub("", m.group(0).strip()))
        if not name:
            continue
        words = name.split()
        first = words[0]
        at_start = bool(_SENTENCE_START.search(text[: m.start()]))
        if at_start and fold(first).strip("’'") in common:
            if len(words) == 1:
                continue
            name = " ".join(words[1:]).lstrip()  # "Les Nations Unies" → "Nations Unies"
            name = re.sub(rf"^{_CONNECTOR}\s+", "", name, flags=re.I)
            if not name or not name[0].isupper():
                continue
        if len(name) < 3 or _ROMAN.match(name):
            continue
        if len(name.split()) == 1 and fold(name) in common:
            continue
        found.append(name)
    return found


def _kind(name: str) -> EntityKind:
    if _is_acronym(name):
        return "acronym"
    words = {fold(w) for w in re.findall(r"[\w’'-]+", name)}
    if words & _ORGANISATION_WORDS:
        return "organisation"
    return "place_or_person" if len(words) <= 3 else "name"


def lowercase_words(passages: Iterable[Passage]) -> frozenset[str]:
    """Folded words the corpus also writes in lower case: ordinary words, not names."""
    return frozenset(fold(w) for p in passages for w in re.findall(r"[\w’'-]+", p.text)
                     if w.islower())


def build_gazetteer(passages: list[Passage]) -> Gazetteer:
    """The gazetteer of ``passages`` (without vectors: see :func:`rag.index.build_index`)."""
    common = lowercase_words(passages)
    texts = [p.text for p in passages]
    expansions = acronym_expansions(texts)
    for text in texts:  # "OTSC (Organisation du Traité …)"
        for m in _ACRONYM_FIRST.finditer(text):
            acronym, long = m.group(1), m.group(2)
            if fold(long[:1]) == fold(acronym[:1]) and len(long.split()) >= 2:
                expansions.setdefault(acronym, long)
    occurrences: dict[str, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    for p in passages:
        seen: set[str] = set()
        found = [*names_in(p.text, common),
                 *(a for a in _ACRONYM.findall(p.text) if _is_acronym(a))]
        for name in found:
            key = fold(name)
            counts[key] += 1
            surface[key][name] += 1
            if key not in seen:
                seen.add(key)
                occurrences[key].append(p.id)
    # a name completed by a lower-case noun ("Organisation de Shanghai pour la coopération",
    # "Conseil de sécurité"), kept when the corpus writes it so at least twice
    extended: Counter[str] = Counter()
    for p in passages:
        for m in _EXTENDED.finditer(p.text):
            extended[m.group(0)] += 1
    for name, n in extended.items():
        key = fold(name)
        if n >= 2 and key not in surface:
            surface[key][name] += n
            counts[key] += n
            occurrences[key] = [p.id for p in passages if name in p.text]
    # acronyms and their expansions are one entry
    merged: dict[str, set[str]] = {}
    for acronym, long in expansions.items():
        merged[fold(acronym)] = {fold(acronym), fold(long)}
        for key in (fold(acronym), fold(long)):
            surface[key][acronym if key == fold(acronym) else long] += 1
    entries: list[Entry] = []
    done: set[str] = set()
    for key in sorted(surface, key=lambda k: (-counts[k], k)):
        if key in done:
            continue
        forms = merged.get(key) or next((f for f in merged.values() if key in f), {key})
        done.update(forms)
        name = max((surface[f].most_common(1)[0][0] for f in forms if surface[f]),
                   key=lambda n: (not _is_acronym(n), len(n)))
        where = list(dict.fromkeys(pid for f in sorted(forms) for pid in occurrences[f]))
        entries.append(Entry(name, _kind(name) if len(forms) == 1 else "organisation",
                             tuple(sorted(forms)), tuple(where), sum(counts[f] for f in forms)))
    return Gazetteer(entries)
