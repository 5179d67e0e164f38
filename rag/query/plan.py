"""Question analysis, done once per question: language, kind (factoid, list, explanation,
summary, comparison, yes/no, multi-part), the kind of answer expected (a date, a count…),
the documents the question names, its sub-questions and its key terms. The resulting
:class:`QuestionPlan` is carried through retrieval and composition.

Chat follow-ups are analysed from their own words; the conversation only supplies what the
follow-up leaves out (the entities and documents in play), never its kind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from rag.index.analysis import tokenize
from rag.query.citations import read_reply
from rag.query.expectations import Expectation, asks_actor, expected_answer
from rag.records import DocumentMeta
from rag.text import FUNCTION_WORDS, detect_language, fold

if TYPE_CHECKING:
    from rag.query.conversation import Resolved
    from rag.query.coverage import Coverage




Kind = Literal["factoid", "list", "explanation", "summary", "comparison", "yes_no",
               "multi_part"]
Turn = tuple[str, str]  # (role, content), role "user" or "assistant"

# Cues of each kind, per language, tried in this order (the first that matches wins).
_KIND_CUES: dict[str, list[tuple[Kind, re.Pattern[str]]]] = {
    "fr": [
        ("summary", re.compile(
            r"\brésum(?:e|ez|er)\b|\b(?:un|en|bref) résumé\b|\bsynth[eè]s|"
            r"\bprincipa(?:ux|les) (?:points|idées|éléments|messages)|"
            r"\bgrandes lignes|\bpoints? (?:essentiels|clés|saillants)|\bde quoi (?:traite|parle)|"
            r"\bque (?:dit|contient|retenir)\b|\bprésente[rz]? (?:brièvement )?(?:le|la|les)\b|"
            r"\bà quoi (?:porte|se rapporte)|\bsur quoi porte", re.I)),
        ("comparison", re.compile(
            r"\bcompar|\bdifférence|\bdiffèr|\bdistingu|\ben commun\b|\bpoints? communs?|"
            r"\bpar rapport (?:à|au|aux)\b|\bcontrast|\bà la fois\b|\bl[’']un et l[’']autre\b|"
            r"\bles deux (?:documents|textes|notes|lettres|présidences|débats|rapports)\b|"
            r"\bressemblanc|\bsimilitud|\bévolué|\bchacun(?:e)?\b", re.I)),
        ("explanation", re.compile(
            r"^\W*(?:pourquoi|comment(?! s[’']appel)|en quoi|pour quelles? raisons?|"
            r"dans quel(?:le)? (?:but|mesure|objectif))\b|\bpourquoi\b|\bexpliqu|"
            r"\bpour quelles? raisons?\b|\bquel(?:le)?s? (?:est|était|sont|étaient) (?:le|la|les|"
            r"l[’'])\s*(?:rôle|objectifs?|but|buts|raisons?|causes?|enjeux|justification|"
            r"motivations?|intérêt)|\bquel rôle\b|\bà quoi (?:sert|servent|servira)|"
            r"\bde quelle (?:manière|façon)\b|\bsur quoi (?:repose|se fonde)", re.I)),
        ("list", re.compile(
            r"\b(?:quels|quelles|lesquels|lesquelles)\b|\bénumér|\bliste[rz]?\b|\bcitez?\b|"
            r"\bqui (?:sont|étaient)\b|\bquel(?:le)?s? (?:sont|étaient)\b", re.I)),
    ],
    "en": [
        ("summary", re.compile(
            r"\bsummari[sz]e|\b(?:a|an|short|brief) (?:summary|overview)\b|\boverview of\b|"
            r"\bmain (?:points|ideas|messages|elements)\b|\bkey points\b|"
            r"\boutline\b|\bgist\b|\bwhat (?:is|was) (?:the|this) \w+(?: \w+)? about\b|"
            r"\bwhat does (?:the|this) .{0,60}\b(?:say|cover|contain)\b", re.I)),
        ("comparison", re.compile(
            r"\bcompar|\bdiffer|\bdistinguish|\bin common\b|\bsimilarit|\bversus\b|\bvs\.?\s|"
            r"\bcontrast|\bboth\b|\beach\b|\bchanged? (?:between|from)\b|\bevolved?\b", re.I)),
        ("explanation", re.compile(
            r"^\W*(?:why|how(?! (?:many|much|long|often|old)))\b|\bwhy\b|\bexplain|"
            r"\bfor what (?:reason|purpose)|\bwhat (?:is|was|are|were) the (?:role|purpose|aims?|"
            r"objectives?|goals?|reasons?|rationale|causes?)\b|\bwhat role\b|\bin what way", re.I)),
        ("list", re.compile(
            r"\b(?:which|what)\s+(?:(?!(?:does|do|did|is|was|has)\b)\w+\s+){0,3}"
            r"(?!(?:does|was|has|is|this|its)\b)\w{3,}s\b(?!\s+(?:is|was)\b)|\blist\b|"
            r"\bname (?:the|all|some)\b|\bwhat (?:are|were)\b|\bwho (?:are|were)\b|"
            r"\benumerate\b", re.I)),
    ],
}
_YES_NO = {
    "fr": re.compile(r"^\W*(?:est-ce qu|y a-t-il|y avait-il)|^\W*(?:[\w’'-]+\s+){0,6}?[\w’']+-t?-"
                     r"(?:il|elle|ils|elles|on)\b", re.I),
    "en": re.compile(r"^\W*(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|"
                     r"should|may|must)\b", re.I),
}
_INTERROGATIVE = {
    "fr": re.compile(r"\b(?:quel(?:le)?s?|quand|où|comment|pourquoi|combien|qui|que|qu[’']|"
                     r"quoi|lequel|laquelle|lesquel(?:le)?s)\b", re.I),
    "en": re.compile(r"\b(?:what|which|when|where|how|why|who|whom|whose)\b", re.I),
}
# A second question joined to the first ("… et quand … ?", "… and where …?").
_PART_JOIN = {
    "fr": re.compile(r"\s*(?:,\s*)?\b(?:et|puis|ainsi que)\s+(?=(?:quand|où|comment|pourquoi|"
                     r"combien|qui|quel(?:le)?s?|à quel(?:le)?s?|dans quel(?:le)?s?|"
                     r"de quel(?:le)?s?|en quel(?:le)?|sur quel(?:le)?s?|lesquel(?:le)?s)\b)",
                     re.I),
    "en": re.compile(r"\s*(?:,\s*)?\band\s+(?=(?:when|where|how|why|who|what|which|in what|"
                     r"in which)\b)", re.I),
}
_MIN_PART_WORDS = 3
_OWN_TOPIC_WORDS = 3  # a sub-question with this many topic words stands alone
# Questions about the document itself (its signatory, date, author) may be answered from
# titles, letterheads and signatures.
_ABOUT_DOCUMENT = re.compile(
    r"\bsign(?:é|ée|és|ataire|ed|atory)\b|\bqui a (?:écrit|rédigé|adressé|envoyé)\b|"
    r"\b(?:datée?|dated|addressed|adressée?)\b|\bwho (?:wrote|sent)\b|\bdate\b", re.I)
_DOCUMENT_WORD = re.compile(r"\b(?:lettre|letter|note|document|rapport|report|texte|text|"
                            r"paper)s?\b", re.I)
# Kinds of UN documents, per language, to recognise "la note de cadrage", "the report".
GENRES: dict[str, tuple[str, ...]] = {
    "lettre": ("lettre", "letter"),
    "note de cadrage": ("note de cadrage", "note conceptuelle", "concept note", "note"),
    "document de réflexion": ("document de réflexion", "concept paper", "document", "paper"),
    "résumé": ("résumé de la séance", "résumé", "summary"),
    "rapport": ("rapport", "report"),
}
_GENERIC_GENRE = ("document", "texte", "text", "note", "initiative", "presidence",
                  "presidency", "debat", "debate")  # folded
# Words for the meeting a document reports or announces ("la séance de 2003").
_EVENT_WORDS = ("seance", "reunion", "meeting", "session", "debat public", "open debate")
_FOLLOW_UP_START = re.compile(
    r"^\W*(?:et|and|also|aussi|mais|but|what about|how about|qu[’']en est-il|même question)\b",
    re.I)
_ANAPHORA = re.compile(
    r"(?<=\s)y\s+[\w’'-]+-t-(?:il|elle|ils|elles)\b|(?<=\s)y\s+(?:a|ont|avait|est|sont)\b|"
    r"\b(?:il|elle|ils|elles|celle-ci|celui-ci|ceux-ci|celles-ci|lui|leur|leurs|son|sa|ses|"
    r"ce document|cette (?:organisation|réunion|note|lettre|initiative)|ces (?:organisations|"
    r"réunions)|it|its|they|them|their|this|that|these|those|he|she|his|her)\b", re.I)
_INVERSION = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)\b", re.I)
# an inverted subject pronoun refers back when nothing before the verb is its subject
_INVERTED = re.compile(r"([^\W\d_]+)-(?:t-)?(?:il|elle|ils|elles)\b", re.I)
_IMPERSONAL = frozenset({"faut", "agit", "existe", "reste", "semble"})  # "faut-il"
_SUBJECT_QUESTION = re.compile(r"^\W*(?:et\s+)?(?:quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s)\b",
                               re.I)
_OBJECT_PRONOUN = re.compile(r"\b(?:l[’']|les\s+|la\s+|le\s+)(?:a|ont|avait|avaient|aura|"
                             r"auront|ai|as|avez|avons)\b(?!\s+(?:été|eu)\b)", re.I)
_OPENING_QUESTION = re.compile(
    r"^\W*(?:et\s+)?(?:(?:à|a|de|dans|en|pour|avec|sur|par|depuis|jusqu[’']à)\s+)?"
    r"(?:(?:quel(?:le)?s?|lequel|laquelle)\s+[\w’'-]+|qu[’']\s*|que\b|quand\b|où\b|"
    r"comment\b|pourquoi\b|combien(?:\s+d[e’']\s*[\w’'-]+)?|qui\b)?", re.I)
_DETERMINER = frozenset({"l", "le", "la", "les", "un", "une", "ce", "cet", "cette", "ces"})
_PREPOSITION = frozenset({"de", "du", "des", "d", "à", "au", "aux", "en", "pour", "avec", "sur",
                          "par", "dans", "entre", "contre", "chez", "selon", "auprès"})


def _has_subject(text: str) -> bool:
    """``text`` (the words before an inverted verb) holds a noun phrase that is not a
    complement: a determiner or a name not after a preposition ("le Fonds", not "de
    l’ONU")."""
    after_preposition = False
    for word in re.findall(r"[^\W\d_]+", text):
        low = word.lower()
        if low in _PREPOSITION:
            after_preposition = True
        elif low in _DETERMINER or word[:1].isupper():
            if not after_preposition:
                return True
        else:
            after_preposition = False
    return False
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,9}\b")
_NUMBER = re.compile(r"\b\d{1,3}(?:[ \u00a0\u202f]\d{3})+\b|\b\d+(?:[.,]\d+)?\b")
_CAPITALISED = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-ZÀ-Ý][a-zà-ÿ’'-]{2,}(?:\s+(?:de la|de|du|des|"
                          r"d[’']|of|the)?\s*[A-ZÀ-Ý][a-zà-ÿ’'-]+)*")
_QUESTION_WORDS = frozenset({
    "quel", "quelle", "quels", "quelles", "quand", "comment", "pourquoi", "combien", "qui",
    "que", "quoi", "selon", "dans", "est", "les", "des", "une", "what", "which", "when", "where",
    "how", "why", "who", "according", "the", "does", "did", "is", "are", "was", "were", "in",
    "résume", "résumez", "compare", "comparez", "summarise", "summarize", "explain", "list",
    "et", "and", "lesquels", "lesquelles", "name", "give", "donne", "donnez",
})


@dataclass(frozen=True)
class Part:
    """One thing the question asks: its own words, retrieval query, kind and expectation."""

    text: str
    query: str
    kind: Kind
    expected: Expectation | None = None
    documents: tuple[str, ...] = ()  # documents this part names (multi-part questions)


@dataclass(frozen=True)
class QuestionPlan:
    """What a question asks and where to look for it."""

    text: str
    language: str
    kind: Kind
    parts: tuple[Part, ...]
    documents: tuple[str, ...] = ()  # ids of the documents the question names
    key_terms: tuple[str, ...] = ()  # names, acronyms, numbers, years of the question
    content_words: tuple[str, ...] = ()  # analysed words (stems) of the question
    about_document: bool = False  # asks who signed / when a document is dated
    follow_up: bool = False  # completed from the conversation
    context: tuple[str, ...] = field(default=())  # words taken from earlier turns
    coverage: Coverage | None = None  # what the corpus knows of its names (rag.query.coverage)
    resolved: Resolved | None = None  # how a chat turn was understood (rag.query.conversation)
    reply_language: str | None = None  # the caller's choice of reply language (else language)

    @property
    def answer_language(self) -> str:
        """The language the service writes its own sentences in: the caller's choice, else
        the question's (quotes stay as the documents write them)."""
        return self.reply_language or self.language

    @property
    def expected(self) -> Expectation | None:
        """Expectation of a single-part question."""
        return self.parts[0].expected if len(self.parts) == 1 else None

    @property
    def composite(self) -> bool:
        """Answered in several retrieval passes (parts or documents)."""
        return len(self.parts) > 1 or (self.kind in ("comparison", "summary")
                                       and len(self.documents) > 1)


def question_kind(text: str, language: str) -> Kind | None:
    """The kind announced by the question's own words; None when no cue is present."""
    for kind, pattern in _KIND_CUES.get(language, _KIND_CUES["fr"]):
        if kind == "list" and expected_answer(text) in ("count", "amount", "percent"):
            continue  # "Quels montants…" asks for a figure
        if pattern.search(text):
            return kind
    if _YES_NO[language].search(text) and not _INTERROGATIVE[language].search(text):
        return "yes_no"
    return None


def split_parts(text: str, language: str) -> list[str]:
    """Sub-questions: several question marks, or two interrogatives joined by "et"/"and".
    A part too short to stand alone ("… et où ?") stays with the one before."""
    pieces = [p.strip() for p in re.split(r"(?<=\?)\s+", text.strip()) if p.strip()]
    parts: list[str] = []
    for piece in pieces:
        parts.extend(s.strip() for s in _PART_JOIN[language].split(piece) if s.strip())
    merged: list[str] = []
    for part in parts:
        short = min(len(re.findall(r"\w+", part)),
                    len(re.findall(r"\w+", merged[-1])) if merged else _MIN_PART_WORDS)
        if merged and short < _MIN_PART_WORDS:
            joiner = " et " if language == "fr" else " and "
            merged[-1] = f"{merged[-1]}{joiner}{part}"
        else:
            merged.append(part)
    return merged or [text]


def _topic_words(text: str) -> list[str]:
    """Words of a sub-question that carry its topic (to share with the other parts)."""
    return [w for w in re.findall(r"[\w’'-]{4,}", text) if fold(w) not in _QUESTION_WORDS
            and not _INTERROGATIVE["fr"].fullmatch(w) and not _INTERROGATIVE["en"].fullmatch(w)]


def key_terms(text: str) -> list[str]:
    """Names, acronyms, numbers and years of the question (what the evidence must mention)."""
    terms: list[str] = []
    for m in _ACRONYM.finditer(text):
        terms.append(m.group(0))
    for m in _NUMBER.finditer(text):
        terms.append(re.sub(r"\s", "", m.group(0)))
    for m in _CAPITALISED.finditer(text):
        words = [w for w in re.findall(r"[\w’'-]+", m.group(0))
                 if fold(w) not in _QUESTION_WORDS and not _ACRONYM.fullmatch(w)]
        if words:
            terms.append(" ".join(words))
    terms = [re.sub(r"[’']s$", "", t) for t in terms]
    return list(dict.fromkeys(t for t in terms if t))


@dataclass(frozen=True)
class _DocumentNames:
    doc_id: str
    names: tuple[str, ...]  # folded aliases and symbol
    genres: tuple[str, ...]  # folded genre words of the document
    year: str | None


def _document_names(meta: DocumentMeta) -> _DocumentNames:
    names = {fold(a) for a in meta.aliases}
    # the catalogue's "Représentant permanent du Viet Nam" or the card's "… permanent (Viet Nam)"
    m = re.search(r"(?:Représentant|Représentante)s? permanente?(?: (?:du|de la|de l’|de l'|des)"
                  r"\s+([A-ZÀ-Ý][\w’' -]+?)(?:,|\(|$)| \(([A-ZÀ-Ý][^)]+)\))", meta.author or "")
    if m:
        names.add(fold((m.group(1) or m.group(2)).strip()))
    if meta.presidency:
        names.add(fold(meta.presidency.split(",")[0].strip()))
    if meta.symbol:
        names.add(fold(meta.symbol))
        names.update(fold(s) for s in meta.symbol.split("-") if "/" in s)
    described = fold(f"{meta.kind or ''} {meta.title}")
    genres = {g for key, words in GENRES.items() if fold(key) in described
              for g in (fold(w) for w in words)}
    return _DocumentNames(meta.id, tuple(sorted(n for n in names if len(n) > 2)),
                          tuple(sorted(genres)), document_year(meta))


def document_year(meta: DocumentMeta) -> str | None:
    """The year of a document: of its date, else the first its title or symbol gives."""
    years = re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)",
                       f"{meta.date or ''} {meta.title} {meta.symbol or ''}")
    return years[0] if years else None


def _mentions(folded: str, word: str) -> bool:
    """``word`` (or its feminine or plural) as a whole word of ``folded``."""
    return re.search(rf"(?<![\w/]){re.escape(word)}(?:n?e)?s?(?![\w/])", folded) is not None


_QUERY_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,9}\b")


class QuestionAnalyzer:
    """Turns question text (and the conversation before it) into a :class:`QuestionPlan`.
    ``acronyms`` (from :func:`acronym_expansions`) spell out the acronyms a query uses, so
    that passages naming the organisation in full are found too."""

    def __init__(self, documents: dict[str, DocumentMeta],
                 acronyms: dict[str, str] | None = None) -> None:
        self.documents = [_document_names(m) for m in documents.values()]
        self.acronyms = acronyms or {}

    def named_documents(self, text: str) -> tuple[str, ...]:
        """Documents the question designates: by symbol, or by its author together with a
        document word (``note``, ``report``…), its year or a possessive; a year or genre
        then picks among documents of the same author."""
        folded = fold(text)
        years = set(re.findall(r"\b(?:19|20)\d{2}\b", folded))
        found: list[str] = []
        by_genre: list[str] = []  # named by genre or event and year, without the author
        year_counts = Counter(d.year for d in self.documents)
        for doc in self.documents:
            symbol_hit = any("/" in n and _mentions(folded, n) for n in doc.names)
            named = [n for n in doc.names if "/" not in n and _mentions(folded, n)]
            if symbol_hit:
                found.append(doc.doc_id)
                continue
            if not named:
                specific = [g for g in doc.genres if g not in _GENERIC_GENRE and len(g) >= 6]
                if doc.year in years and (
                        any(_mentions(folded, g) for g in specific)  # "le rapport de 2020"
                        or (year_counts[doc.year] == 1 and any(  # "la séance de 2003"
                            _mentions(folded, w) for w in (*_EVENT_WORDS, *_GENERIC_GENRE)))):
                    by_genre.append(doc.doc_id)
                continue
            documentish = any(_mentions(folded, g) for g in (*doc.genres, *_GENERIC_GENRE)) or \
                any(re.search(rf"{re.escape(n)}'s\b", folded) for n in named) or \
                (doc.year in years)
            if documentish:
                found.append(doc.doc_id)
        found = self._disambiguate_by_year(found, years)
        years_of = {d.doc_id: d.year for d in self.documents}
        claimed = {years_of[d] for d in found}  # a year already tied to a named document
        found += [d for d in by_genre if d not in found and years_of[d] not in claimed]
        if len(found) > 1:
            genre_fit = [d for d in found if any(
                _mentions(folded, g) for g in next(x.genres for x in self.documents
                                                   if x.doc_id == d)
                if g not in _GENERIC_GENRE)]
            if genre_fit and len(genre_fit) < len(found) and not years:
                found = genre_fit
        return tuple(dict.fromkeys(found))

    def _distinct(self, documents: tuple[str, ...], text: str) -> bool:
        """Several documents each designated in their own right (different authors, or a
        year for each), not one author's documents matched by name alone."""
        if len(documents) < 2:
            return False
        docs = {d.doc_id: d for d in self.documents}
        years = set(re.findall(r"\b(?:19|20)\d{2}\b", text))
        shared = set.intersection(*(set(docs[d].names) for d in documents))
        return not shared or all(docs[d].year in years for d in documents)

    def _disambiguate_by_year(self, found: list[str], years: set[str]) -> list[str]:
        """Among documents by the same author, keep those of a year the question names."""
        if not years:
            return found
        docs = {d.doc_id: d for d in self.documents}
        kept = []
        for doc_id in found:
            doc = docs[doc_id]
            same_author = [o for o in found if set(docs[o].names) & set(doc.names)]
            if doc.year in years or not any(docs[o].year in years for o in same_author):
                kept.append(doc_id)
        return kept

    def analyse(self, text: str, history: Sequence[Turn] = ()) -> QuestionPlan:
        """The plan of ``text``, completed from ``history`` when it is a follow-up."""
        language = detect_language(text)
        plan = self._plan(text, language)
        earlier = [c for r, c in history if r == "user" and c.strip()]
        if earlier and self.is_follow_up(text, plan):
            plan = self._complete(plan, earlier, [c for r, c in history if r == "assistant"])
        return replace(plan, parts=tuple(replace(p, query=self._spell_out(p.query))
                                         for p in plan.parts))

    def _spell_out(self, query: str) -> str:
        """The query with the full names of the acronyms it uses appended."""
        names = [self.acronyms[a] for a in dict.fromkeys(_QUERY_ACRONYM.findall(query))
                 if a in self.acronyms and fold(self.acronyms[a]) not in fold(query)]
        return " ".join([query, *names])

    def _plan(self, text: str, language: str) -> QuestionPlan:
        texts = split_parts(text, language)
        parts = []
        for t in texts:
            kind = question_kind(t, language) or "factoid"
            expected = expected_answer(t) if kind in ("factoid", "yes_no") else None
            parts.append(Part(t, t, kind, expected))
        documents = self.named_documents(text)
        if len(parts) > 1:
            kind: Kind = "multi_part"
            words = [_topic_words(t) for t in texts]
            # a part without a topic of its own ("… et sur quel principe ?") borrows the
            # other parts' topic words; a complete sub-question keeps its own
            parts = [replace(p, query=p.text if len(words[i]) >= _OWN_TOPIC_WORDS else " ".join(
                [p.text, *(w for j, ws in enumerate(words) if j != i for w in ws)]),
                documents=self.named_documents(p.text)) for i, p in enumerate(parts)]
        else:
            kind = parts[0].kind
            if kind in ("factoid", "list", "explanation") and self._distinct(documents, text):
                kind = "comparison"  # one answer per document the question sets side by side
                parts = [replace(parts[0], kind=kind)]
            if kind == "comparison":
                parts = [replace(parts[0], expected=expected_answer(text))]
        return QuestionPlan(
            text=text, language=language, kind=kind, parts=tuple(parts), documents=documents,
            key_terms=tuple(key_terms(text)), content_words=tuple(tokenize(text)),
            about_document=bool(_ABOUT_DOCUMENT.search(text) and _DOCUMENT_WORD.search(text)),
        )

    @staticmethod
    def refers_back(text: str) -> bool:
        """``text`` holds a pronoun or demonstrative that refers to what came before ("l’a
        signée", "its programmes", "cette réunion"; "a-t-il" is grammar, not a reference)."""
        if _ANAPHORA.search(_INVERSION.sub(" ", text)):
            return True
        if _OBJECT_PRONOUN.search(text):  # "Qui l’a signée ?"
            return True
        m = _INVERTED.search(text)  # "Quel âge avait-il ?": no subject before the verb
        if m is None or fold(m.group(1)) in _IMPERSONAL or text[:m.start()].lower().endswith("y "):
            return False
        if _SUBJECT_QUESTION.match(text) and asks_actor(text):
            return False  # "Quelle organisation a-t-elle… ?": the question is its subject
        before = _OPENING_QUESTION.sub("", text[:m.start()], count=1)
        return not _has_subject(before)

    def is_follow_up(self, text: str, plan: QuestionPlan) -> bool:
        """Whether ``text`` leans on the conversation: it opens on "Et…" / "And…", refers
        back (a pronoun), or names nothing of its own in a few words."""
        if _FOLLOW_UP_START.search(text) or self.refers_back(text):
            return True
        return not plan.key_terms and len(plan.content_words) <= 3

    def _complete(self, plan: QuestionPlan, earlier: list[str],
                  answers: list[str]) -> QuestionPlan:
        """Fill in what a follow-up leaves out: the previous question's words (minus the
        entities the follow-up replaces), its kind when the follow-up has no cue of its
        own, and the documents in play."""
        previous = self._plan(earlier[-1], detect_language(earlier[-1]))
        own_terms = set(plan.key_terms)
        carried_terms = [] if own_terms else [t for t in previous.key_terms
                                              if t not in own_terms]
        stop = {fold(t) for t in previous.key_terms}
        carried_words = [w for w in re.findall(r"[^\W\d_][\w-]{3,}", re.sub(r"[’']", " ",
                                                                          earlier[-1]))
                         if fold(w) not in _QUESTION_WORDS and fold(w) not in stop
                         and fold(w) not in FUNCTION_WORDS
                         and not any(fold(w) in fold(t) for t in previous.key_terms)]
        context = tuple(dict.fromkeys([*carried_terms, *carried_words]))
        own_kind = question_kind(plan.text, plan.language)
        if own_kind is None and _INTERROGATIVE[plan.language].search(plan.text):
            own_kind = plan.kind  # its own question word: its own kind (factoid)
        kind = plan.kind if own_kind or len(plan.parts) > 1 else previous.kind
        documents = plan.documents
        if not documents and not own_terms:
            documents = previous.documents or self._documents_cited(answers[-1:])
        extra = " ".join(context)
        parts = tuple(replace(p, query=f"{p.query} {extra}".strip(),
                              kind=p.kind if own_kind else kind,
                              expected=p.expected if own_kind or p.expected
                              else previous.expected)
                      for p in plan.parts)
        return replace(plan, kind=kind, parts=parts, documents=documents, follow_up=True,
                       context=context,
                       key_terms=tuple(dict.fromkeys([*plan.key_terms, *carried_terms])))

    def documents_in_play(self, question: str, answers: list[str]) -> tuple[str, ...]:
        """The documents a previous turn was about: those its question names, else those
        its reply (the last of ``answers``) cites."""
        return self.named_documents(question) or self._documents_cited(answers[-1:])

    def _documents_cited(self, answers: list[str]) -> tuple[str, ...]:
        """Documents whose symbol or author an earlier answer's sources name."""
        if not answers:
            return ()
        body, references = read_reply(answers[-1])
        return self.named_documents(" ; ".join(references) or body)
