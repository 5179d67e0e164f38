"""Conversations: each user turn resolved to a self-contained question, against the
previous turn's *resolved* question (not its raw words), rebuilt from the messages the
client sends (the server keeps no state).

A follow-up that is an ellipsis replaces the matching constraint of the previous question
and keeps the rest:

- a year or a date: "Et en 2010 ?" after "Quel montant … en 2015 ?" → "Quel montant … en
  2010 ?";
- a document: "And the Viet Nam letter?" after "Who signed the 19 October 2021 letter?" →
  "Who signed the Viet Nam letter?";
- a name: "Et avec l’OCS ?" after "… entre l’ONU et l’OTSC ?" → "… entre l’ONU et l’OCS ?"
  (the previous question's most specific name is replaced: the one the corpus names least);
- "more detail", "why?", "how?" keep the previous question and ask for an explanation,
  from the passages the previous reply cited and their neighbours as well as from a new
  search (:meth:`rag.pipeline.Pipeline.gather`).

A follow-up with a pronoun keeps its own words and gets the thing the pronoun stands for
written after it (its *referent*): the document in play for a question about a document
("Qui l’a signée ?" → "… (la lettre du 14 octobre 2016)"), otherwise the name the previous
answer gave to a "which organisation / who" question ("Dans quelle ville … auprès d’elle ?"
→ "… (Ligue des États arabes)"), or the most specific name of the previous question.

Any other follow-up ("Et qui l’a présidée ?") keeps its own words and kind and is completed
from the previous resolved question (its topic and documents: see
:meth:`rag.query.plan.QuestionAnalyzer.analyse`). A complete new question starts afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rag.ingest.gazetteer import actors_in, name_kind
from rag.query.citations import read_reply
from rag.query.coverage import (
    MONTHS,
    DateParts,
    question_dates,
    question_mentions,
    tokens_of,
)
from rag.query.expectations import asks_actor, expected_answer
from rag.query.plan import QuestionAnalyzer, Turn
from rag.text import FUNCTION_WORDS, detect_language, fold

How = Literal["new", "date", "document", "name", "question_word", "detail", "referent",
              "context"]

_LEAD = re.compile(
    r"^\W*(?:(?:et|and|also|aussi|mais|but|or|ou|so|alors)\b\s*)?"
    r"(?:(?:what|how) about|qu[’']en est-il(?:\s+(?:de|du|des|de la|de l[’']))?|"
    r"même question(?:\s+(?:pour|sur|avec|dans))?|same question(?:\s+(?:for|about|with|in))?|"
    r"(?:dans|pour|avec|sur|selon|d[’']après|en|au|aux|à|for|with|in|on|about|according to|"
    r"regarding|from)\b)?\s*", re.I)
_DETAIL = re.compile(
    r"^(?:pourquoi|comment|why|how|plus de détails?|davantage de détails|en détail|"
    r"more details?|in more detail|tell me more|can you elaborate|please elaborate|"
    r"expliquez|explique|développez|précisez|explain|elaborate|details?)"
    r"(?:\s+(?:s[’']il (?:te|vous) plaît|please|(?:sur|on|about) (?:ce point|that|this)))?\W*$",
    re.I)
_ENGLISH_DETAIL = re.compile(r"(?:why|how|more|in more|tell|can you|please|explain|elaborate|"
                             r"details?)\b", re.I)  # too short for language detection
_DETAIL_PREFIX = {"fr": "Expliquez en détail : ", "en": "Explain in more detail: "}
_INTERROGATIVE = re.compile(r"\b(?:quel(?:le)?s?|quand|où|comment|pourquoi|combien|qui|que|"
                            r"qu[’']|quoi|lequel|laquelle|what|which|when|where|how|why|who|"
                            r"whom|whose)\b", re.I)
# a bare question word, and the question phrase opening a question ("Dans quelle ville",
# "In which year", "Où", "When did"… up to the verb)
_QUESTION_WORD = re.compile(r"(?:quand|où|qui|combien|à quelle date|en quelle année|"
                            r"dans quelle ville|when|where|who|how many|how much|"
                            r"in (?:what|which) year|on what date)", re.I)
_QUESTION_PHRASE = re.compile(
    r"^\W*(?:(?:dans|en|à|de|pour|avec|sur|in|on|at|for|with)\s+)?"
    r"(?:(?:quel(?:le)?s?|what|which)\s+[\w’'-]+|combien(?:\s+d[e’']\s*[\w’'-]+)?|"
    r"how (?:many|much)(?:\s+[\w’'-]+)?|où|quand|qui|where|when|who)\b", re.I)
# a follow-up about a document rather than what it says: its pronoun is the document
_DOCUMENT_QUESTION = re.compile(
    r"\bsign(?:é|ée|és|ées|ataire|ed|atory|ing)\b|\bqui (?:l[’'])?a (?:écrit|rédigé|adressé|"
    r"envoyé)|\bwho (?:wrote|sent)\b|\b(?:adressée?|addressed)\b|\bcote\b|\bsymbol\b|"
    r"\b(?:datée?|dated)\b|\b(?:ce|cette|this|that|the) (?:document|lettre|letter|note|"
    r"rapport|report)\b", re.I)
_WHICH = re.compile(r"^\W*(?:(?:avec|par|à|pour|de|auprès de|with|by|to|for|from)\s+)?"
                    r"(?:quel(?:le)?s?|which|what)\s+[^\W\d_]+", re.I)
# the opening of a reply, where a direct answer names what was asked for
_LEAD_SENTENCE = re.compile(r"\s*(?::\s*«|«|“|\.\s|;|\n)")
_WHO = re.compile(r"^\W*(?:(?:et|and)\s+)?(?:(?:avec|par|à|pour|de|with|by|to|for|from)\s+)?"
                  r"(?:qui|who|whom)\b", re.I)
_AND = re.compile(r"\b(?:and|et)\b", re.I)
_NEUTER = re.compile(r"\bits?\b", re.I)
_POSSESSIVE_PRONOUN = re.compile(r"\b(?:son|sa|ses|leur|leurs|its|their)\b", re.I)
_POSSESSIVE = re.compile(r"^(?:son|sa|ses|leur|leurs|its|their|his|her)\s+", re.I)
_ELLIPSIS_WORDS = 8  # an ellipsis names a constraint in a few words; more is a question
_GENRE = re.compile(r"\b(?:lettre|letter|note(?: de cadrage| conceptuelle)?|concept (?:note|"
                    r"paper)|document de réflexion|document|rapport|report|résumé|summary|"
                    r"paper)s?\b", re.I)
_REFERENCE_WORD = re.compile(r"^(?:[A-ZÀ-Ý][\w’'-]*|\d[\w/.-]*|[A-Z]+/[\w/.-]+|du|de|des|de la|"
                             r"d[’']|of|dated|datée?|the|la|le|l[’']|les|[\w]+[’']s|"
                             r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
                             r"octobre|novembre|décembre)$")
# an adjective right after a French genre word ("la note vietnamienne", "le rapport annuel")
_ADJECTIVE_AFTER = re.compile(r"^[a-zà-ÿ]+(?:ienne|ien|aise|ais|aine|ain|ique|elle|el|ale|al|"
                              r"ive|if|sse|ste|che)$")


@dataclass(frozen=True)
class Resolved:
    """One user turn as understood: the question the stages judge, and how it was read."""

    asked: str  # the turn as the user wrote it
    question: str  # self-contained (the rewrite), or the turn itself
    how: How = "new"
    previous: str | None = None  # the previous turn's resolved question, when it is used
    cited: tuple[str, ...] = ()  # references the previous reply cites ("S/2021/297, par. 3")

    @property
    def rewritten(self) -> bool:
        """Whether the question differs from what was typed."""
        return self.question != self.asked

    @property
    def understood(self) -> str | None:
        """The follow-up as understood, to show the user (None for a question that stands
        alone): the rewrite, or the turn with the question it continues."""
        if self.how == "new":
            return None
        if self.rewritten:
            return self.question
        return f"{self.asked} ← {self.previous}" if self.previous else None


class ConversationResolver:
    """Resolves the last user turn of a conversation against the turns before it.
    ``frequency`` (a name → how many passages name it) tells the most specific name of a
    question apart: the one an ellipsis replaces; ``ordinary`` words opening a reply are
    not names."""

    def __init__(self, analyzer: QuestionAnalyzer,
                 frequency: Callable[[str], int] | None = None,
                 ordinary: frozenset[str] = frozenset()) -> None:
        self.analyzer = analyzer
        self.frequency = frequency or (lambda name: 0)
        self.ordinary = ordinary  # folded words the corpus writes in lower case: not names

    def resolve(self, question: str, history: Sequence[Turn] = ()) -> Resolved:
        """``question`` resolved against the user turns of ``history`` (each one resolved
        in turn against the one before, so that a third turn builds on the second's
        rewrite, and each reading the reply the turn before it got)."""
        state: Resolved | None = None
        reply: str | None = None
        for role, content in history:
            if not content.strip():
                continue
            if role == "user":
                state, reply = self.resolve_one(content, state, reply), None
            elif role == "assistant":
                reply = content
        return self.resolve_one(question, state, reply)

    def resolve_one(self, turn: str, previous: Resolved | None,
                    reply: str | None = None) -> Resolved:
        """One turn against the previous turn's resolution (None: the first turn) and the
        reply it got (None when the client sent none)."""
        turn = turn.strip()
        if previous is None:
            return Resolved(turn, turn)
        plan = self.analyzer.analyse(turn)
        if not self.analyzer.is_follow_up(turn, plan):
            return Resolved(turn, turn)
        before = previous.question
        core = _LEAD.sub("", turn, count=1).strip().rstrip("?!. ").strip()
        language = plan.language
        if not core or _DETAIL.match(core):
            english = language == "en" or bool(_ENGLISH_DETAIL.match(core))
            prefix = _DETAIL_PREFIX["en" if english else "fr"]
            base = before.removeprefix(_DETAIL_PREFIX["fr"]).removeprefix(_DETAIL_PREFIX["en"])
            cited = tuple(read_reply(reply)[1]) if reply else ()
            return Resolved(turn, prefix + base, "detail", before, cited)
        if (asked := _QUESTION_WORD.fullmatch(core)) and (
                frame := _QUESTION_PHRASE.match(before)):
            # "Et quand ?" after "Où l’ONU a-t-elle organisé … ?": the same question, asked
            # with the new question word
            word = asked.group(0)
            head = word[:1].upper() + word[1:]
            return Resolved(turn, head + before[frame.end():], "question_word", before)
        ordinal = _ORDINAL.search(core)
        series = _ORDINAL.search(before)
        if ordinal and series and fold(ordinal.group(0)) != fold(series.group(0)):
            # "Et la neuvième ?" after "… la dixième Réunion générale … ?"
            changed = before[:series.start()] + ordinal.group(0).lower() + before[series.end():]
            if _is_ellipsis(core):
                return Resolved(turn, changed, "name", before)
            phrase = _series_phrase(changed, series.start())
            return Resolved(turn, _append(turn, phrase, language), "referent", before)
        if not _is_ellipsis(core):
            return self._with_referent(turn, before, reply, language)
        if (dates := question_dates(core)) and _only(core, [w for w, _ in dates]):
            return Resolved(turn, _replace_dates(before, dates[0][1], detect_language(before)),
                            "date", before)
        if self.analyzer.named_documents(core):
            return Resolved(turn, self._replace_document(before, core, language), "document",
                            before)
        names = [t for t, kind in question_mentions(core, frozenset()) if kind != "year"]
        if names and _only(core, names):
            return Resolved(turn, self._replace_name(before, names[0], core, turn), "name",
                            before)
        return self._with_referent(turn, before, reply, language)

    def _with_referent(self, turn: str, before: str, reply: str | None,
                       language: str) -> Resolved:
        """A follow-up that keeps its own words, with what its pronoun stands for written
        after it (or as it is when it has no pronoun or nothing to refer to)."""
        referent = None
        if self.analyzer.refers_back(turn):
            referent = (self._document_referent(before, reply) if _DOCUMENT_QUESTION.search(
                turn) else self._entity_referent(turn, before, reply))
        if not referent or fold(referent) in fold(turn):
            return Resolved(turn, turn, "context", before)
        return Resolved(turn, _append(turn, referent, language), "referent", before)

    def _document_referent(self, before: str, reply: str | None) -> str | None:
        """The document in play: the one the previous question names, else the first one
        the previous reply cites (or names in its text)."""
        names = self.analyzer.named_documents
        if names(before) and (span := document_phrase(before, names)):
            return _definite(before[span[0]:span[1]])
        if reply is None:
            return None
        body, references = read_reply(reply)
        if references:
            return references[0].split(", ")[0]
        span = document_phrase(body, names)
        if span and names(body[span[0]:span[1]]):
            return _definite(body[span[0]:span[1]])
        return None

    def _entity_referent(self, turn: str, before: str, reply: str | None) -> str | None:
        """The name in play: the one the previous reply opens with when the previous
        question asked which body or who ("it" never a person); for "it", the document the
        previous question names; for a possessive ("son secrétariat", "its programmes"),
        the body the previous question names. A French "il" / "elle" without such a reply
        is left to the previous question's words (it may be the question's subject)."""
        neuter = bool(_NEUTER.search(turn))
        person = expected_answer(before) == "person" or bool(_WHO.match(before))
        if reply is not None and not (neuter and person) and (
                asks_actor(before) or person or _WHICH.search(before)):
            given = fold(before)
            lead = _LEAD_SENTENCE.split(read_reply(reply)[0], maxsplit=1)[0]
            names_given = _names_in_lead(lead, self.ordinary)
            if neuter and len(names_given) > 1 and _AND.search(lead):
                names_given = []  # "it" is not "UNDP and IOM"
            for name in names_given:
                if fold(name) not in given and not (neuter and name_kind(name) not in (
                        "acronym", "organisation")):
                    return name
        names = self.analyzer.named_documents
        if neuter and names(before) and (span := document_phrase(before, names)):
            return _definite(before[span[0]:span[1]])
        if not _POSSESSIVE_PRONOUN.search(turn):
            return None
        bodies = [t for t, kind in question_mentions(before, frozenset())
                  if kind != "year" and name_kind(t) in ("acronym", "organisation")]
        if not bodies:
            return None
        return min(bodies, key=lambda m: (self.frequency(m), before.index(m)))

    def _replace_name(self, before: str, name: str, core: str, turn: str = "") -> str:
        """``before`` with its most specific name replaced by ``name`` (written in the
        follow-up ``core`` with its article; appended when ``before`` names nothing): of
        the names after the preposition ``turn`` opens with ("Et à la CEI ?"), if any."""
        mentions = [t for t, kind in question_mentions(before, frozenset()) if kind != "year"]
        if not mentions:
            return _append(before, core, detect_language(before))
        parallel = [m for m in mentions if _preposition(before[:before.index(m)], end=True)
                    == _preposition(turn) is not None]
        target = min(parallel or mentions,
                     key=lambda m: (self.frequency(m), -before.index(m)))
        start = before.index(target)
        end = start + len(target)
        if m := _NAME_TAIL.match(before, end):  # "Système économique latino-américain…"
            end = m.end()
        return _with_article(before, start, end, name, core_article(core))

    def _replace_document(self, before: str, core: str, language: str) -> str:
        """``before`` with the phrase naming its document replaced by ``core`` (the
        follow-up's own reference to another document), or ``core`` appended."""
        span = document_phrase(before, self.analyzer.named_documents)
        if span is None:
            return _append(before, core, language)
        start, end = span
        return before[:start] + core + before[end:]


def document_phrase(text: str, names: Callable[[str], Sequence[str]] | None = None
                    ) -> tuple[int, int] | None:
    """Start and end of the phrase of ``text`` that names a document: a genre word
    ("lettre", "report", "note de cadrage") with the words around it that identify it (an
    article, an author, a date, a symbol, "of", "du", a possessive). With ``names`` (the
    documents a phrase designates), the last such phrase that designates one ("Quel
    rapport … la note de cadrage mexicaine … ?": the note, not the report asked about)."""
    spans = [span for m in _GENRE.finditer(text) if (span := _phrase_at(text, m))]
    if names is not None:
        spans = [sp for sp in spans if names(text[sp[0]:sp[1]])] or spans[-1:]
    return spans[-1] if spans else None


def _phrase_at(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    tokens = [(t.start(), t.end(), t.group(0)) for t in re.finditer(r"[\w’'/.-]+", text)]
    at = next(i for i, t in enumerate(tokens) if t[0] >= m.start())
    end_at = next(i for i, t in enumerate(tokens) if t[1] >= m.end())
    first = at
    while first > 0 and _REFERENCE_WORD.match(tokens[first - 1][2]) and (
            tokens[first - 1][2].lower() not in ("de", "du", "des")):
        first -= 1
    last = end_at
    if last + 1 < len(tokens) and _ADJECTIVE_AFTER.match(tokens[last + 1][2]):
        last += 1
    while last + 1 < len(tokens) and _REFERENCE_WORD.match(tokens[last + 1][2]):
        last += 1
    while last > end_at and fold(tokens[last][2]) in FUNCTION_WORDS | {"of", "dated", "datee"}:
        last -= 1  # never end on "du", "of"
    return tokens[first][0], tokens[last][1]


# lower-case adjectives that carry a name on ("Système économique latino-américain et
# caribéen") where the question's name grammar stops
_NAME_TAIL = re.compile(r"(?:\s+(?:et\s+)?[a-zà-ÿ]+(?:-[a-zà-ÿ]{3,})*(?:ain|aine|ien|ienne|"
                        r"ique|al|ale|el|elle|éen|éenne|ais|aise|if|ive|aux|ales|iens|iennes|"
                        r"iques)(?![\w’'-]))+")
_ARTICLE = re.compile(r"^(?:(le|la|les|l[’'])\s*)", re.I)
_CONTRACTED = {"au": ("à", "le"), "aux": ("à", "les"), "du": ("de", "le"), "des": ("de", "les")}
_CONTRACT = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}


def core_article(core: str) -> str | None:
    """The article a follow-up puts before its name ("la" in "la CEEAC"), if any."""
    m = _ARTICLE.match(core)
    return m.group(1).lower().replace("'", "’") if m else None


def _with_article(text: str, start: int, end: int, name: str, article: str | None) -> str:
    """``text`` with ``text[start:end]`` replaced by ``name``, the article before it (and a
    preposition it is contracted with: "au", "du") agreed with ``article``."""
    head, tail = text[:start], text[end:]
    if article is not None:
        m = re.search(r"(\b(?:au|aux|du|des|le|la|les)\s+|\bl[’'])$", head, re.I)
        if m:
            old = m.group(1).strip().lower()
            preposition = _CONTRACTED.get(old, (None, None))[0]
            head = head[:m.start()]
            joined = _CONTRACT.get((preposition, article)) if preposition else None
            if joined:
                head += f"{joined} "
            elif preposition:
                head += f"{preposition} {article}" + ("" if article.endswith("’") else " ")
            else:
                head += article + ("" if article.endswith("’") else " ")
    return head + name + tail


_PREPOSITIONS = {"à": "à", "au": "à", "aux": "à", "de": "de", "du": "de", "des": "de",
                 "avec": "avec", "en": "en", "dans": "dans", "pour": "pour",
                 "sur": "sur", "with": "with", "in": "in", "at": "at", "to": "to", "for": "for",
                 "on": "on", "of": "of", "by": "by", "par": "par", "entre": "entre",
                 "between": "between", "auprès": "auprès"}


def _preposition(text: str, *, end: bool = False) -> str | None:
    """The preposition ``text`` opens with (after "et"/"and"), or with ``end`` the one it
    closes on before a name, articles set aside: "Et à la CEI" and "… à l’" share "à"."""
    words = re.findall(r"\w+", text.lower())
    words = words[::-1] if end else [w for w in words[:3] if w not in ("et", "and")]
    for w in words[:3]:
        if w not in ("la", "le", "les", "l", "the"):
            return _PREPOSITIONS.get(w)
    return None


_ORDINAL = re.compile(r"\b(?:[a-zà-ÿ]+-)*[a-zà-ÿ]+ième\b|\b\d+(?:e|ème)\b", re.I)


def _series_phrase(text: str, start: int) -> str:
    """The ordinal at ``start`` of ``text`` and the name it numbers ("neuvième Réunion
    générale CARICOM-ONU"), with its article."""
    words = list(re.finditer(r"[\w’'-]+", text[start:]))
    end = words[0].end()
    for w in words[1:5]:
        if fold(w.group(0)) in FUNCTION_WORDS or text[start + end:start + w.start()].strip():
            break
        end = w.end()
    head = re.search(r"(?:\b(?:la|le|les)\s+|\bl[’'])$", text[:start])
    return (head.group(0) if head else "") + text[start:start + end]


def _names_in_lead(lead: str, ordinary: frozenset[str]) -> list[str]:
    """The names and role titles of a reply's opening, in order, a name split by "of" /
    "de la" joined again ("International Organisation of La Francophonie")."""
    found = actors_in(lead)
    names: list[str] = []
    end = -1
    for start, name in found:
        gap = lead[end:start] if names else ""
        if names and _JOINING.fullmatch(gap):
            names[-1] = lead[end - len(names[-1]):start + len(name)]
        else:
            names.append(name)
        end = start + len(name)
    return [n for n in names if " " in n or fold(n) not in ordinary]  # "Réponse" is no name


_JOINING = re.compile(r"\s+(?:of|de|des|du|d[’'])(?:\s*(?:the|la|le|les|l[’']))?\s*", re.I)


def _definite(phrase: str) -> str:
    """A document phrase with a possessive turned definite ("sa lettre" → "la lettre")."""
    m = _POSSESSIVE.match(phrase)
    if not m:
        return phrase
    word = fold(m.group(0).strip())
    article = {"son": "le", "sa": "la", "ses": "les", "leur": "le", "leurs": "les"}.get(word,
                                                                                    "the")
    return f"{article} {phrase[m.end():]}"


def _is_ellipsis(core: str) -> bool:
    """A few words and no question word of their own: "en 2010", "la note du Viet Nam"."""
    return len(core.split()) <= _ELLIPSIS_WORDS and not _INTERROGATIVE.search(core)


_STAND_INS = frozenset({"one", "ones", "celui", "celle", "ceux", "celles", "ci", "la", "same",
                        "meme"})  # "the one with…", "celle avec…"


def _only(core: str, spans: Sequence[str]) -> bool:
    """``core`` says nothing but ``spans`` (and function words)."""
    rest = core
    for span in spans:
        rest = rest.replace(span, " ")
    return all(w in FUNCTION_WORDS or w in _STAND_INS for w in tokens_of(rest))


def _written(parts: DateParts, language: str) -> str:
    """A date (year, month, day; parts may be None) written in ``language``."""
    year, month, day = parts
    lang = "en" if language == "en" else "fr"
    words = [str(day)] if day else []
    if month:
        words.append(MONTHS[lang][month - 1])
    if year:
        words.append(str(year))
    return " ".join(words)


def _replace_dates(before: str, date: DateParts, language: str) -> str:
    """``before`` (in ``language``) with its first date (or year) replaced by ``date``,
    written in that language; appended when it has none."""
    dates = question_dates(before)
    new = _written(date, language)
    if not dates:
        return _append(before, new, language, "en" if language != "en" else "in")
    return before.replace(dates[0][0], new, 1)


def _append(before: str, words: str, language: str, preposition: str | None = None) -> str:
    """``before`` with ``words`` added before its question mark ("…, en 2010 ?")."""
    head = before.rstrip().rstrip("?").rstrip()
    joined = f"{preposition} {words}" if preposition else words
    mark = " ?" if language != "en" else "?"
    return f"{head} ({joined}){mark}"
