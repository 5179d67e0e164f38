"""What the corpus covers, checked before composing: the names, acronyms and years a
question mentions are looked up in the corpus (its text and its gazetteer). A mention the
corpus never names, or a year after the documents' dates, is reported so that the answer
says so instead of quoting a paragraph about something else.

A mention is *known* when its words occur together in one passage, in any order and with a
few words between them (``Ligue arabe`` ↔ ``Ligue des États arabes``); English words match
their French cognates (same first letters) or a small table of institutional words
(``council`` ↔ ``conseil``); an acronym matches an acronym of the corpus with the same
letters in another order (``CSTO`` ↔ ``OTSC``); what remains is compared with the
gazetteer's name vectors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal

import numpy as np

from rag.ingest.gazetteer import Gazetteer, names_in
from rag.query.plan import QuestionPlan, document_year
from rag.query.relation import Relation, relation_of
from rag.records import CoverageOptions, DocumentMeta, Passage
from rag.text import FUNCTION_WORDS, fold

MentionKind = Literal["name", "acronym", "year"]
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_ACRONYMS = re.compile(r"[A-Z][A-Z0-9]{1,9}(?:-[A-Z][A-Z0-9]{1,9})*")  # "OTSC", "ONU-OTSC"
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_ACRONYM = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{1,9}(?![\w-])")
_SKIP = frozenset(fold(w) for w in (
    "de du des la le les l d et en pour sur of the and for in on to a an s"
).split())
_CALENDAR = frozenset(fold(w) for w in (
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday").split())
_PREFIX = 5
_WINDOW_SLACK = 3  # words allowed between a mention's words beyond its own length
#: generic institutional vocabulary, English → French (folded): words whose French form is
#: not a cognate. Not a list of names: what a UN organisation's name is made of.
INSTITUTIONAL_WORDS: dict[str, tuple[str, ...]] = {
    "council": ("conseil",), "treaty": ("traite",), "league": ("ligue",),
    "states": ("etats",), "state": ("etat",), "community": ("communaute",),
    "commonwealth": ("communaute",), "court": ("cour",), "assembly": ("assemblee",),
    "agreement": ("accord",), "office": ("bureau",), "peace": ("paix",),
    "rights": ("droits",), "human": ("homme", "humains", "humaine"), "united": ("unies",),
    "fund": ("fonds",), "bank": ("banque",), "food": ("alimentaire",),
    "world": ("mondial", "mondiale"), "labour": ("travail",), "labor": ("travail",),
    "trade": ("commerce",), "chemical": ("chimiques",), "weapons": ("armes",),
    "arms": ("armes",), "drugs": ("drogue",), "high": ("haut",), "committee": ("comite",),
    "western": ("occidentale",), "west": ("ouest",), "east": ("est", "orient"), "south": ("sud",),
    "north": ("nord",), "southeast": ("sud", "est"), "caribbean": ("caraibes",),
    "asia": ("asie",), "arab": ("arabes", "arabe"), "women": ("femmes",),
    "children": ("enfants",), "refugees": ("refugies",), "health": ("sante",),
    "secretary": ("secretaire",), "general": ("general", "generale"),
    "special": ("special", "speciale"), "envoy": ("envoye", "envoyee"),
    "representative": ("representant", "representante"), "mission": ("mission",),
    "horn": ("corne",), "lake": ("lac",), "islands": ("iles",), "island": ("ile",),
    "far": ("extreme",), "middle": ("moyen",), "near": ("proche",), "orient": ("orient",),
    "counter": ("contre", "lutte"), "youth": ("jeunes", "jeunesse"), "girls": ("filles",),
    "volunteers": ("volontaires",), "volunteer": ("volontaire", "volontariat"),
    "peacekeeping": ("maintien", "paix"), "peacebuilding": ("consolidation", "paix"),
    "law": ("droit",), "customs": ("douanes",), "property": ("propriete",),
    "disaster": ("catastrophes", "catastrophe"), "disasters": ("catastrophes",),
    "relief": ("secours",), "sea": ("mer",), "water": ("eau",),
    "settlements": ("etablissements",), "outer": ("extra",),
}


@dataclass(frozen=True)
class Mention:
    """A name, acronym or year of the question, and what the corpus knows of it."""

    text: str
    kind: MentionKind
    known: bool
    how: str = ""  # phrase, cognates, acronym, vector, document, year; "" when unknown
    resolved: str = ""  # the corpus form it was matched to, when not the same
    words: tuple[tuple[str, ...], ...] = ()  # per word of the mention: folded corpus forms
    common: bool = False  # named in so many passages that it tells none apart
    expansion: tuple[tuple[str, ...], ...] = ()  # an acronym's name spelled out, its words


@dataclass(frozen=True)
class Coverage:
    """The verdict on a question's mentions."""

    mentions: tuple[Mention, ...] = ()
    after_date: tuple[str, str] | None = None  # (year asked, date of the latest document)
    relation: Relation = field(default_factory=Relation)  # what a factoid asks about

    @property
    def unknown(self) -> tuple[Mention, ...]:
        """Mentions the corpus never names."""
        return tuple(m for m in self.mentions if not m.known)

    @property
    def constraints(self) -> tuple[Mention, ...]:
        """Known mentions the evidence of an answer must hold: those found as written (not
        through cognates or vectors, which may have picked a neighbour), not the named
        documents, not names too common to tell passages apart (``ONU``)."""
        return tuple(m for m in self.mentions if m.known and not m.common
                     and m.how in ("phrase", "acronym", "year"))


@dataclass
class CorpusText:
    """Folded tokens of every passage, with an inverted index, for phrase lookups."""

    tokens: list[list[str]]
    rows_of: dict[str, set[int]] = field(default_factory=dict)
    by_prefix: dict[str, set[str]] = field(default_factory=dict)
    by_short_prefix: dict[str, set[str]] = field(default_factory=dict)
    cased: list[list[str]] = field(default_factory=list)  # words as written, for initials

    @classmethod
    def of(cls, texts: Iterable[str]) -> CorpusText:
        """Index ``texts`` (one per passage)."""
        tokens = [tokens_of(t) for t in texts]
        rows_of: dict[str, set[int]] = defaultdict(set)
        for row, words in enumerate(tokens):
            for w in words:
                rows_of[w].add(row)
        by_prefix: dict[str, set[str]] = defaultdict(set)
        by_short: dict[str, set[str]] = defaultdict(set)
        for w in rows_of:
            if len(w) >= _PREFIX:
                by_prefix[w[:_PREFIX]].add(w)
                by_short[w[:_PREFIX - 1]].add(w)
        return cls(tokens, dict(rows_of), dict(by_prefix), dict(by_short))

    def spelled_out(self, acronym: str, texts: Sequence[str]) -> str | None:
        """A name of ``texts`` whose capitalised or content words give the acronym's
        letters in any order (``UNESCO`` ↔ ``Organisation des Nations Unies pour
        l’éducation, la science et la culture``)."""
        letters = sorted(acronym.upper())
        n = len(letters)
        for text in texts:
            if acronym[0].lower() not in fold(text):
                continue
            words = [w for w in (re.sub(r"^[lLdD][’']", "", x)
                                 for x in re.findall(r"[^\W\d_][\w’'-]*", text))
                     if w and fold(w).strip("'") not in _SKIP]
            for i, w in enumerate(words[: len(words) - n + 1]):
                if not w[0].isupper():
                    continue
                window = words[i:i + n]
                if sorted(fold(x)[0].upper() for x in window) == letters:
                    return " ".join(window)
        return None

    def forms(self, word: str, *, cognates: bool) -> tuple[str, ...]:
        """Corpus words that ``word`` (folded) may be written as: itself, its plural or
        feminine; with ``cognates`` also words sharing its first letters, and the French
        words of :data:`INSTITUTIONAL_WORDS`."""
        variants = {word, word + "s", word + "e", word + "es", word.rstrip("s")}
        if cognates:
            variants.update(INSTITUTIONAL_WORDS.get(word, ()))
            if len(word) >= _PREFIX:  # Libya / Libye, cooperation / coopération
                variants.update(w for w in self.by_prefix.get(word[:_PREFIX], ()))
                # a shorter shared start only for a near spelling ("Libya" / "Libye"), not
                # any word that starts alike ("Genève" is not "général")
                variants.update(w for w in self.by_short_prefix.get(word[:_PREFIX - 1], ())
                                if len(w) <= len(word) + 1
                                and _edits(word, w) <= max(1, len(word) // 4))
        return tuple(sorted(v for v in variants if v in self.rows_of))

    def together(self, words: Sequence[Sequence[str]], rows: Iterable[int] | None = None
                 ) -> list[int]:
        """Rows holding one form of every word within a short window."""
        if not words or any(not forms for forms in words):
            return []
        candidates = set.intersection(*(set().union(*(self.rows_of[f] for f in forms))
                                        for forms in words))
        if rows is not None:
            candidates &= set(rows)
        span = 2 * len(words) + _WINDOW_SLACK
        return sorted(r for r in candidates if _within(self.tokens[r], words, span))


def _edits(a: str, b: str) -> int:
    """Levenshtein distance of two short words."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y))
    return row[-1]


def tokens_of(text: str) -> list[str]:
    """Folded words of ``text``, elided articles split off (``l’OTSC`` → ``otsc``)."""
    return [t for t in _TOKEN.findall(fold(text).replace("'", " ").replace("-", " ")) if t]


def initials(name: str) -> str:
    """The sorted initials of a name's content words (``Nations Unies`` → ``NU``), to
    match an acronym written in another language's word order (``UN``, ``SCO``)."""
    return "".join(sorted(w[0].upper() for w in tokens_of(name) if w not in _SKIP))


def _within(tokens: list[str], words: Sequence[Sequence[str]], span: int) -> bool:
    sets = [set(forms) for forms in words]
    if not all(s & set(tokens) for s in sets):
        return False
    positions = [[i for i, t in enumerate(tokens) if t in s] for s in sets]
    for start in positions[0]:
        if all(any(abs(p - start) <= span for p in ps) for ps in positions[1:]):
            return True
    return False


def question_mentions(text: str, ordinary: frozenset[str]) -> list[tuple[str, MentionKind]]:
    """Names, acronyms and years written in a question (its first word only if it cannot be
    an ordinary word)."""
    found: list[tuple[str, MentionKind]] = []
    first = tokens_of(text)[:1]  # "Describe…", "Summarise…": a verb, not a name
    for name in names_in(text, ordinary | frozenset(first) | _CALENDAR):
        name = re.sub(r"[’']s$", "", name)
        name = " ".join(w for w in name.split() if fold(w) not in _CALENDAR)
        if not name:
            continue
        if _ACRONYM.fullmatch(name):
            found.append((name, "acronym"))
            continue
        words = [w for w in tokens_of(name) if w not in _SKIP]
        if words and not all(w in FUNCTION_WORDS for w in words):
            found.append((name, "name"))
    for compound in re.findall(r"\b[A-Z][A-Z0-9]{1,9}(?:-[A-Z][A-Z0-9]{1,9})+\b", text):
        found.extend((part, "acronym") for part in compound.split("-"))  # "ONU-OTSC"
    for acronym in _ACRONYM.findall(text):
        if (acronym, "acronym") not in found and not re.fullmatch(r"[IVXLC]+", acronym):
            found.append((acronym, "acronym"))
    found.extend((y, "year") for y in dict.fromkeys(_YEAR.findall(text)))
    # "la neuvième réunion": which one of a series is a name of its own, that the evidence
    # must hold as written (the tenth meeting does not tell where the ninth was held)
    found.extend((f"{m.group(1)} {m.group(2)}", "name") for m in _ORDINAL_PHRASE.finditer(text))
    return list(dict.fromkeys(found))


_ORDINAL_PHRASE = re.compile(r"\b((?:[a-zà-ÿ]+-)*[a-zà-ÿ]+ième|\d+(?:e|ème|è))\s+([^\W\d_]{3,})",
                             re.I)


class CoverageChecker:
    """Looks up a question's mentions in the corpus and its gazetteer."""

    def __init__(self, passages: list[Passage], documents: dict[str, DocumentMeta],
                 gazetteer: Gazetteer | None, options: CoverageOptions | None = None) -> None:
        self.passages = passages
        self.documents = documents
        self.gazetteer = gazetteer or Gazetteer([])
        self.options = options or CoverageOptions()
        titles = {d.id: d.title for d in documents.values()}
        self.texts = [p.text for p in passages]
        self._spelled_cache: dict[str, str | None] = {}
        self.expansions = {form.upper(): e.name for e in self.gazetteer.entries
                           if len(e.forms) > 1 for form in e.forms
                           if " " not in form and fold(e.name) != form}
        self.text = CorpusText.of(
            " ".join([titles.get(p.doc_id, ""), *p.section, p.text]) for p in passages)
        self.ordinary = frozenset(FUNCTION_WORDS | {
            fold(w) for p in passages for w in re.findall(r"[\w’'-]+", p.text) if w.islower()})
        self.acronyms = {a for p in passages for a in _ACRONYM.findall(p.text)}
        # the most used name of given initials ("Shanghai", not a misspelt "Shangai")
        self.initials = {initials(form): e.name for e in sorted(
            self.gazetteer.entries, key=lambda e: e.count)
            for form in (e.name, *e.forms) if len(tokens_of(form)) >= 2}
        self.document_names = {fold(n) for d in documents.values()
                               for n in (*d.aliases, d.symbol or "") if n}
        self.corpus_years = {y for p in passages for y in _YEAR.findall(p.text)} | {
            y for d in documents.values() for y in _YEAR.findall(f"{d.date or ''} {d.title}")}

    def frequency(self, name: str) -> int:
        """How many passages hold every word of ``name`` (an upper bound: no window): the
        more, the less the name tells passages apart."""
        words = [w for w in tokens_of(name) if w not in _SKIP]
        rows = [self.text.rows_of.get(w, set()) for w in words]
        return len(set.intersection(*rows)) if rows else 0

    # -- one mention ------------------------------------------------------------------

    def _words(self, name: str, cognates: bool) -> tuple[tuple[str, ...], ...]:
        words = []
        for compound in re.findall(r"[\w’'-]+", fold(name)):
            parts = [w for w in tokens_of(compound) if w not in _SKIP]
            joined = "".join(parts)
            if len(parts) > 1 and (whole := self.text.forms(joined, cognates=cognates)):
                # "anti-terrorist" → "antiterroriste", or its last part ("terrorisme")
                words.append(tuple(sorted({*whole, *self.text.forms(parts[-1],
                                                                    cognates=cognates)})))
            else:
                words.extend(self.text.forms(w, cognates=cognates) for w in parts)
        return tuple(words)

    def lookup(self, text: str, kind: MentionKind, language: str) -> Mention:
        """What the corpus knows of one mention (without vectors)."""
        if kind == "year":
            return Mention(text, kind, text in self.corpus_years, "year")
        if fold(text) in self.document_names:
            return Mention(text, kind, True, "document")
        if kind == "acronym":
            if text in self.acronyms:
                long = self.expansions.get(text) or self._spelled(text)
                return Mention(text, kind, True, "acronym", words=((fold(text),),),
                               expansion=self._words(long, cognates=False) if long else ())
            letters = "".join(sorted(text))
            for other in self.acronyms:  # CSTO ↔ OTSC: the same letters in another order
                if len(other) >= 3 and "".join(sorted(other)) == letters:
                    long = self.expansions.get(other) or self._spelled(other)
                    return Mention(text, kind, True, "acronym", other, ((fold(other),),),
                                   expansion=self._words(long, cognates=False) if long else ())
            if name := self.initials.get(letters) or self.text.spelled_out(text, self.texts):
                # SCO ↔ Organisation de Shanghai pour la coopération; most of the name's
                # words will do in the evidence, as for a defined acronym
                words = self._words(name, cognates=False)
                return Mention(text, kind, True, "acronym", name, words, expansion=words)
            # an English acronym of a French name may use other letters (OAS ↔ OEA):
            # not known, not known to be absent either
            return Mention(text, kind, language == "en", "" if language != "en" else
                           "unverified")
        own = " ".join(w for w in text.split() if not _ACRONYMS.fullmatch(
            re.sub(r"^[lLdD][’']|[’']s$", "", w)))
        # "Secrétariat de l’OTSC": the acronym is checked on its own
        if own != text and (not own.strip() or all(self._words(own, cognates=language == "en"))):
            return Mention(text, kind, True, "unverified")
        exact = self._words(text, cognates=False)
        if self.text.together(exact):
            return Mention(text, kind, True, "phrase", words=exact)
        if language == "en" or not any(exact):
            loose = self._words(text, cognates=True)
            if self.text.together(loose):
                return Mention(text, kind, True, "cognates", words=loose)
        return Mention(text, kind, False)

    def _spelled(self, acronym: str) -> str | None:
        """A name the corpus writes for an acronym it never defines (``ONU`` →
        ``Organisation des Nations Unies``): its gazetteer name with the same initials, else
        a run of words with them (looked up once per acronym)."""
        if acronym not in self._spelled_cache:
            letters = "".join(sorted(acronym))
            self._spelled_cache[acronym] = self.initials.get(letters) or \
                self.text.spelled_out(acronym, self.texts)
        return self._spelled_cache[acronym]

    def by_vector(self, mention: Mention, vector: np.ndarray, language: str) -> Mention:
        """An unknown name resolved by the gazetteer's name vectors, when one is close."""
        mine = self._words(mention.text, cognates=True)
        for i, sim in self.gazetteer.nearest(vector, k=3):
            entry = self.gazetteer.entries[i]
            theirs = set(tokens_of(entry.name))
            shared = sum(bool(set(forms) & theirs) for forms in mine)
            # close vectors alone are not enough (e5 puts "Union économique eurasiatique"
            # next to "Union européenne"): most of the words must match too (for a name
            # written in English, most of those with a French form)
            translatable = sum(map(bool, mine))  # words with a French form
            enough = 2 * shared > (translatable if language == "en" else len(mine))
            # an English name whose every word with a French form agrees with the corpus
            # name ("OAS Department of Sustainable Democracy" ↔ "Département de la
            # démocratie durable… de l’OEA") needs a less close vector
            agrees = language == "en" and shared >= 2 and shared == translatable
            if mine and ((sim >= self.options.name_match_threshold and enough) or (
                    agrees and sim >= self.options.agreeing_name_threshold)):
                words = self._words(entry.name, cognates=False)
                return Mention(mention.text, mention.kind, True, "vector", entry.name, words)
        return mention

    # -- a question -------------------------------------------------------------------

    def check(self, plan: QuestionPlan,
              embed: Callable[[list[str]], np.ndarray] | None = None) -> Coverage:
        """The mentions of ``plan`` looked up (unknown names through ``embed``, the query
        encoder, when the gazetteer has vectors), and whether it asks about a year after
        the documents it is about."""
        mentions = [self._rated(self.lookup(t, k, plan.language))
                    for t, k in question_mentions(plan.text, self.ordinary)]
        unknown = [i for i, m in enumerate(mentions) if not m.known and m.kind != "year"]
        if unknown and embed is not None and len(self.gazetteer.vectors):
            vectors = embed([mentions[i].text for i in unknown])
            for i, vector in zip(unknown, vectors, strict=True):
                mentions[i] = self.by_vector(mentions[i], vector, plan.language)
        return Coverage(tuple(mentions), self._after_date(plan, mentions),
                        self.relation(plan, mentions))

    def relation(self, plan: QuestionPlan, mentions: Sequence[Mention]) -> Relation:
        """The relation the question asks about (its words beyond names and dates)."""
        aside = [*(m.text for m in mentions), *(w for w, _ in question_dates(plan.text)),
                 *plan.key_terms]
        english = partial(self.text.forms, cognates=True) if plan.language == "en" else None
        return relation_of(plan.text, plan.language, aside, english)

    def _rated(self, mention: Mention) -> Mention:
        """The mention marked common when more than ``common_share`` of the passages name
        it (years never are: a year is what near-miss questions get wrong)."""
        if mention.kind == "year" or not mention.words:
            return mention
        rows = set.intersection(*(set().union(*(self.text.rows_of[f] for f in forms))
                                  for forms in mention.words)) if all(mention.words) else set()
        share = len(rows) / max(len(self.passages), 1)  # an upper bound: no window check
        return replace(mention, common=share > self.options.common_share)

    def _after_date(self, plan: QuestionPlan, mentions: list[Mention]
                    ) -> tuple[str, str] | None:
        docs = [self.documents[d] for d in plan.documents if d in self.documents] or list(
            self.documents.values())
        dated = [(document_year(d) or "", d.date or document_year(d) or "") for d in docs]
        if not dated:
            return None
        latest_year, latest = max(dated)
        for m in mentions:
            if m.kind == "year" and latest_year and m.text > latest_year and (
                    not m.known or plan.documents):
                return m.text, latest
        return None


def evidence_holds(mention: Mention, texts: Iterable[str],
                   tokens: Sequence[str] | None = None) -> bool:
    """Whether the evidence ``texts`` (or its folded ``tokens``, when already computed)
    name the mention, in one of its matched forms."""
    if tokens is None:
        tokens = [t for text in texts for t in tokens_of(text)]
    if mention.kind == "year":
        return mention.text in tokens
    tokens = list(tokens)
    if mention.words and _within(tokens, mention.words, 2 * len(mention.words) + _WINDOW_SLACK):
        return True
    # an acronym's name is often shortened ("le Haut-Commissariat aux droits de l’homme" for
    # the HCDH): most of its words, close together, will do
    words = mention.expansion
    if not words:
        return False
    present = [forms for forms in words if set(forms) & set(tokens)]
    return 3 * len(present) >= 2 * len(words) and _within(
        tokens, present, 2 * len(words) + _WINDOW_SLACK)


#: month names as written in each language, January first
MONTHS: dict[str, tuple[str, ...]] = {
    "fr": tuple("janvier février mars avril mai juin juillet août septembre octobre novembre "
                "décembre".split()),
    "en": tuple("January February March April May June July August September October "
                "November December".split()),
}
_MONTH_NUMBERS = {fold(m): i for names in MONTHS.values() for i, m in enumerate(names, 1)}
_MONTH_WORD = "|".join(sorted((m for names in MONTHS.values() for m in names),
                              key=len, reverse=True))
_DATE = re.compile(rf"\b(?:(\d{{1,2}})(?:er)?\s+)?({_MONTH_WORD})"
                   rf"(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?,?)?(?:\s+((?:19|20)\d{{2}}))?\b"
                   rf"|\b((?:19|20)\d{{2}})\b", re.I)
# a question about what was planned or announced, which a document written before the
# event does answer ("Quand le débat devait-il se tenir ?")
_PLANNED = re.compile(
    r"\b(?:pr[ée]vu\w*|pr[ée]voy\w*|dev(?:ait|aient|rait|raient)|compt(?:ait|aient)|"
    r"envisag\w*|annon[cç]\w*|planned|planning|schedul\w*|expected|intended|due to|"
    r"was to|were to|will|would|should|announced)\b", re.I)

# an outcome asked ("a-t-il finalement été adopté ?", "did it eventually…"): what happened
# after the documents that announce it were written
_OUTCOME = re.compile(
    r"\b(?:finalement|en fin de compte|au final|effectivement|eventually|finally|in the end|"
    r"ultimately|actually)\b|\b(?:a|ont)-t-(?:il|elle|ils|elles)\s+(?:\w+\s+)?(?:été|pu|"
    r"réussi|abouti|obtenu)\b|\bdid (?:it|they|the \w+) (?:succeed|happen|take place)\b|"
    r"\bwhat (?:was|were) the (?:outcome|result)s?\b|\bquel (?:a été|fut) (?:le résultat|"
    r"l[’']issue)\b", re.I)

# a question in a completed tense ("se sont-elles déroulées ?", "a-t-il eu lieu ?", "When
# did it complete…?"): it asks what happened, which a document written before the date it
# names cannot tell, unless the verb is itself one of planning ("a-t-il été prévu ?")
_COMPLETED_FR = re.compile(r"\b(?:a|ont|est|sont)-(?:t-)?(?:il|elle|ils|elles|on)\b", re.I)
_COMPLETED_EN = re.compile(r"\b(?:did|has|have|had)\b|\bwhat (?:came|happened|resulted)\b",
                           re.I)
_BEFORE_PARTICIPLE = frozenset({"finalement", "effectivement", "deja", "bien", "ete", "eu",
                                "pu", "reellement", "vraiment", "jamais", "pas"})
_SUBJECT_REACH = 6  # English: words after the auxiliary where a planning verb would stand


def asks_completed(text: str) -> bool:
    """The question's verb is in a completed tense and is not one of planning: it asks
    what happened, not what was planned (``Le débat a-t-il eu lieu ?``, not ``A-t-il été
    prévu ?``; ``When did it end?``, not ``Has the Council planned a debate?``)."""
    for m in _COMPLETED_FR.finditer(text):
        words = re.findall(r"[\w’'-]+", text[m.end():])
        verb = next((w for w in words if fold(w) not in _BEFORE_PARTICIPLE), "")
        if not _PLANNED.fullmatch(verb):
            return True
    for m in _COMPLETED_EN.finditer(text):
        following = re.findall(r"[\w’'-]+", text[m.end():])[:_SUBJECT_REACH]
        if not any(_PLANNED.fullmatch(w) for w in following):
            return True
    return False


DateParts = tuple[int | None, int | None, int | None]  # year, month, day


def question_dates(text: str) -> list[tuple[str, DateParts]]:
    """The dates a question names, as written and as (year, month, day) with the parts it
    leaves out as None: ``16 novembre 2021``, ``June 2020``, ``2022``."""
    found: list[tuple[str, DateParts]] = []
    for m in _DATE.finditer(text):
        if m.group(5):
            found.append((m.group(5), (int(m.group(5)), None, None)))
            continue
        day = m.group(1) or m.group(3)
        found.append((m.group(0).strip(" ,"), (int(m.group(4)) if m.group(4) else None,
                                              _MONTH_NUMBERS[fold(m.group(2))],
                                              int(day) if day else None)))
    return found


def asks_about_plans(text: str) -> bool:
    """The question asks what was planned or announced, not what happened."""
    return bool(_PLANNED.search(text))


def asks_outcome(text: str) -> bool:
    """The question asks how something turned out, not what was planned."""
    return bool(_OUTCOME.search(text))


def later_than(date: DateParts, iso: str) -> bool:
    """``date`` (parts may be None) falls after the ISO date ``iso``, as far as its parts
    tell (a date without a year is taken in the document's year)."""
    parts = iso.split("-")
    if len(parts) == 1 and parts[0].isdigit():  # only the year is known
        return (date[0] or 0) > int(parts[0])
    try:
        year, month, day = (int(x) for x in parts)
    except ValueError:
        return False
    asked = (date[0] or year, date[1], date[2])
    if asked[0] != year:
        return asked[0] > year
    if asked[1] is None or (asked[1] == month and asked[2] is None):
        return False
    return (asked[1], asked[2] or 0) > (month, day)
