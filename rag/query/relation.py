"""The relation a factoid question asks about, so that the fact quoted is bound to it: a
date must be the date of the event asked ("signé", "créée", "complete its mandate"), a place
the place of the act asked, a count a count of the thing asked.

The relation is what remains of the question once its names, acronyms, dates, question words
and the noun of the expected answer ("ville", "year") are set aside: ``Quand l’OTSC a-t-elle
été créée ?`` → ``créée``. A quoted sentence is bound to the question when it holds one of
those words: the same first letters for a French question, a French cognate or the
institutional vocabulary of :mod:`rag.query.coverage` for an English one. Words the corpus
has no form of cannot be checked and are not required.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rag.text import FUNCTION_WORDS, fold

_STEM = 5  # letters two forms of a French word share ("adopté" / "adoption")
_MIN_LETTERS = 4
_WORD = re.compile(r"[^\W\d_]+", re.U)
#: words that name the kind of answer or the act of asking, not the relation asked about
ASKING_WORDS = frozenset(fold(w) for w in (
    "ville pays lieu endroit date jour année mois nombre combien montant somme pourcentage "
    "taux nom noms personne organisation organe entité city country place venue date day year "
    "month number amount sum percentage rate name names person body entity organisation "
    "organization selon according document documents rapport report lettre letter note texte "
    "text paper say says said dit disent indique indiquent mentionne mention mentions "
    "précise précisent state states stated quelle quelles quels lequel laquelle lesquels "
    "exactement exactly également also alors then encore still autre autres other others "
    "depuis après avant pendant lors durant since after before during until jusqu outre "
    "hormis besides apart "
    "premier première first dernier dernière last chaque each était étaient avait avaient "
    "fut furent"
).split())


@dataclass(frozen=True)
class Relation:
    """The words of a question's relation: per word, the folded forms a bound sentence may
    hold (prefixes for a French question, corpus cognates for an English one)."""

    words: tuple[str, ...] = ()
    forms: tuple[tuple[str, ...], ...] = ()
    prefixes: bool = True  # forms are first letters (French), not whole words (English)
    verb: tuple[str, ...] = ()  # forms of the question's verb, when it was found

    def states_act(self, tokens: Iterable[str]) -> bool:
        """Whether a sentence's folded ``tokens`` hold the question's verb (or, when it was
        not found, one of the relation's words)."""
        if not self.verb:
            return self.bound(tokens)
        seen = {t[:_STEM] for t in tokens} if self.prefixes else set(tokens)
        return bool(seen & set(self.verb))

    def bound(self, tokens: Iterable[str]) -> bool:
        """Whether a sentence's folded ``tokens`` hold one of the relation's words (always,
        when the relation has no word the corpus writes)."""
        if not self.forms:
            return True
        seen = {t[:_STEM] for t in tokens} if self.prefixes else set(tokens)
        return any(seen & set(forms) for forms in self.forms)

    def positions(self, text: str) -> list[int]:
        """Offsets in ``text`` of the words that state the relation (its verb, when found)."""
        wanted = set(self.verb) or (set().union(*map(set, self.forms)) if self.forms else set())
        return [m.start() for m in _WORD.finditer(text)
                if (fold(m.group(0))[:_STEM] if self.prefixes else fold(m.group(0))) in wanted]


def relation_of(question: str, language: str, set_aside: Sequence[str],
                corpus_forms: Callable[[str], tuple[str, ...]] | None = None) -> Relation:
    """The relation ``question`` asks about, its names, acronyms and dates (``set_aside``,
    as written) removed. ``corpus_forms`` gives, for an English word, the French words of
    the corpus it may be written as (an English word without any is left out); it is
    asked only about the words left."""
    aside = {t for text in set_aside for t in _words(text)}
    words = [w for w in dict.fromkeys(_words(question))
             if len(w) >= _MIN_LETTERS and w not in aside and w not in FUNCTION_WORDS
             and w not in ASKING_WORDS and not w.isdigit()]
    verb = main_verb(question)
    if language != "en":
        return Relation(tuple(words), tuple((w[:_STEM],) for w in words), prefixes=True,
                        verb=(verb[:_STEM],) if verb and verb in words else ())
    forms = corpus_forms or (lambda word: ())
    kept = [(w, found) for w in words if (found := forms(w))]
    return Relation(tuple(w for w, _ in kept), tuple(f for _, f in kept), prefixes=False,
                    verb=(forms(verb) or ()) if verb and verb in words else ())


#: auxiliaries, negation and adverbs between a question word and its verb
_BEFORE_VERB = frozenset(fold(w) for w in (
    "a ont avait avaient aura auront est sont était étaient sera seront fut furent été "
    "t il elle ils elles on ne n pas déjà finalement effectivement notamment aussi "
    "has have had was were is are will would did does do been already also then first "
    "eventually actually not devait devaient doit doivent devrait devraient devra devront "
    "pouvait pouvaient peut peuvent pourrait allait allaient va vont compte comptait "
    "entend entendait should could may might must can going expected supposed due "
    # light verbs: the relation is carried by the noun after them ("figurer parmi les
    # intervenants", "be among the speakers")
    "être etre figurer figurait figuraient figure figurent faire fait faisait partie "
    "constituer constitue constituait devenir devenu rester reste be being become became "
    "include included includes among parmi"
).split())
_AUXILIARIES = frozenset(fold(w) for w in (
    "a ont avait avaient aura auront est sont était étaient sera seront fut furent "
    "has have had was were is are will would did does do").split())
_VERB_REACH = 10
_ASKING = re.compile(r"\b(?:qui|who|whom|(?:quel|quelle|quels|quelles|which|what)\s+"
                     r"(?:autres?\s+|other\s+)?[^\W\d_]+)\b", re.I)


def main_verb(question: str) -> str | None:
    """The folded verb of a *who* or *which X* question: the first word after the question
    word past auxiliaries and adverbs (``Qui présidait… ?`` → ``presidait``; ``Quelle
    organisation a été saluée ?`` → ``saluee``; ``Which body had already warned…?`` →
    ``warned``); None when the question has no such opening."""
    m = _ASKING.search(question)
    if m is None:
        return None
    words = _words(question[m.end():])[:_VERB_REACH]
    aux = next((i for i, w in enumerate(words) if w in _AUXILIARIES), None)
    for word in words[aux + 1:] if aux is not None else words:
        if word not in _BEFORE_VERB and word not in FUNCTION_WORDS and len(word) > 2:
            return word
    return None


def _words(text: str) -> list[str]:
    """Folded words (hyphenated and elided parts split: ``a-t-elle`` → ``a``, ``t``,
    ``elle``; ``l’OTSC`` → ``l``, ``otsc``)."""
    return _WORD.findall(fold(text))
