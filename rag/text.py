"""Text utilities every stage shares, none of which loads a model or an index:

- folding for comparisons: :func:`fold_accents` (accents only: what the lexical analyzers
  index), :func:`fold` (lower case, accents, apostrophes: for matching names) and
  :func:`collapse_whitespace` (spaces only: what the question cache keys and embeds);
- the function words of questions (:data:`FUNCTION_WORDS`) and the acronyms a corpus defines
  (:func:`acronym_expansions`);
- :func:`detect_language`: French or English (the two languages staff ask in);
- :class:`TokenCounter`: token counts and token-boundary cuts in the embedding model's own
  tokenizer. The OpenAI-compatible endpoint reports ``usage`` and honours ``max_tokens`` in
  tokens; the only model this service runs is the e5 encoder, so its tokenizer is the unit.
  An embedder exposes its Hugging Face tokenizer as ``tokenizer`` (None where it has none,
  e.g. test embedders); then a cheap word/punctuation count stands in.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# combining marks left by NFKD decomposition (diacritics of Latin, Greek and Cyrillic)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold_accents(text: str) -> str:
    """``sécurité`` → ``securite``: strip combining marks after NFKD decomposition."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


@lru_cache(maxsize=1 << 16)  # the same passages and sentences are folded question after question
def fold(text: str) -> str:
    """Lower case without accents, apostrophes unified: for matching names."""
    text = text.lower().replace("’", "'")
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def collapse_whitespace(text: str) -> str:
    """Whitespace collapsed and stripped: what the question cache keys and embeds."""
    return " ".join(text.split())


# Function words of questions in both languages; they say nothing about the topic.
FUNCTION_WORDS = frozenset(fold(w) for w in (
    "le la les un une des du de d l au aux et ou en dans sur sous par pour avec sans selon "
    "entre ce cet cette ces son sa ses leur leurs quel quelle quels quelles qui que quoi "
    "quand comment pourquoi combien où est sont était étaient été être a ont avait avaient "
    "fait faire il elle ils elles on nous vous je tu me te se lui y ne pas plus moins très "
    "aussi tout tous toute toutes the a an of and or in on at to for with without by from "
    "about as into than then this that these those it its they them their what which who whom "
    "whose when where why how is are was were be been being do does did has have had can "
    "could will would should may might must not no yes please merci bonjour hello hi thanks "
    "thank you your tes ton ta vos votre mon ma mes dit dire donne donnez give tell me moi "
    "résume résumez summarise summarize compare comparez explain explique expliquez list "
    "liste document documents texte text "
).split())


_DEFINED_ACRONYM = re.compile(r"((?:[\w’'-]+\s+){1,10}?[\w’'-]+)\s*\(([A-Z][A-Z0-9]{1,9})\)")


def acronym_expansions(texts: Iterable[str]) -> dict[str, str]:
    """``OTSC`` → ``Organisation du Traité de sécurité collective``, as the corpus defines
    them ("… du Traité de sécurité collective (OTSC)"): the name starts at the nearest word
    before the parenthesis that has the acronym's initial and leaves enough words for its
    letters (``Association des nations de l’Asie du Sud-Est (ASEAN)``, not ``Asie…``)."""
    found: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED_ACRONYM.finditer(text):
            acronym, before = m.group(2), m.group(1)
            words = list(re.finditer(r"[^\W\d_][\w-]*", before))
            starts = [w for w in words if w.group(0)[0] == acronym[0]]
            if not starts:
                continue
            enough = [w for w in starts if sum(len(x.group(0)) >= 4 for x in words
                                               if x.start() >= w.start()) >= len(acronym) - 1]
            start = (enough or starts[:1])[-1]
            found.setdefault(acronym, before[start.start():].strip())
    return found


_FR = {"le", "la", "les", "des", "du", "de", "un", "une", "et", "est", "que", "qui", "quel",
       "quelle", "quels", "quelles", "dans", "pour", "sur", "avec", "selon", "au", "aux",
       "combien", "comment", "pourquoi", "où", "quand", "a-t-il", "a-t-elle", "d'après", "ont",
       "sont", "entre", "lors", "ce", "cette", "ces", "il", "elle", "à",
       # what a conversation says besides questions: greetings, thanks, pronouns
       "bonjour", "bonsoir", "salut", "merci", "je", "tu", "vous", "moi", "ça", "oui"}
_EN = {"the", "a", "an", "of", "and", "is", "was", "were", "which", "what", "who", "whom",
       "how", "why", "where", "when", "did", "does", "do", "in", "for", "on", "with", "to",
       "according", "by", "from", "that", "this", "these", "has", "have", "many", "much",
       "hello", "hi", "hey", "thanks", "thank", "please", "you", "your", "me", "my", "i",
       "tell", "yes", "will", "be", "it", "can", "could", "would"}
_WORD = re.compile(r"[a-zà-ÿ’'-]+")


def detect_language(text: str) -> str:
    """``fr`` or ``en`` by stopword votes (accented letters count for French); ties → fr."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    fr = sum(w in _FR for w in words) + 2 * bool(re.search(r"[éèêàùçôîœ]", text.lower()))
    en = sum(w in _EN for w in words)
    return "en" if en > fr else "fr"


#: fallback tokens: runs of word characters, or single other non-space characters
_FALLBACK = re.compile(r"\w+|[^\w\s]")


class TokenCounter:
    """Counts tokens of texts and cuts texts to a number of tokens.

    Uses a private copy of the fast tokenizer's backend (no special tokens, no truncation):
    the embedder's own instance changes its truncation settings on every call, so sharing
    it across threads would cap counts at the model's maximum length or fail with
    "Already borrowed"."""

    def __init__(self, tokenizer: Any | None = None) -> None:
        backend = getattr(tokenizer, "backend_tokenizer", None)
        self.backend: Any | None = None
        if backend is not None:
            from tokenizers import Tokenizer

            self.backend = Tokenizer.from_str(backend.to_str())
            self.backend.no_truncation()
            self.backend.no_padding()
        self.name = "model" if self.backend is not None else "approximate"

    def _ends(self, text: str) -> list[int]:
        """Character offset of the end of each token of ``text``."""
        if self.backend is None:
            return [m.end() for m in _FALLBACK.finditer(text)]
        return [end for _, end in self.backend.encode(text, add_special_tokens=False).offsets]

    def count(self, text: str) -> int:
        """Number of tokens of ``text``."""
        if not text:
            return 0
        if self.backend is None:
            return len(_FALLBACK.findall(text))
        return len(self.backend.encode(text, add_special_tokens=False).ids)

    def truncate(self, text: str, limit: int) -> tuple[str, bool]:
        """``text`` cut after its ``limit``-th token, and whether anything was cut. The cut
        keeps the original characters up to the end of that token (its offsets), which is
        the decoded prefix without the tokenizer's normalisation; a prefix that would
        tokenise longer on its own is shortened further."""
        ends = self._ends(text)
        if len(ends) <= limit:
            return text, False
        keep = max(limit, 0)
        while keep > 0:
            cut = text[:ends[keep - 1]].rstrip()
            if self.count(cut) <= limit:
                return cut, True
            keep -= 1
        return "", True


_counters: weakref.WeakKeyDictionary[Any, TokenCounter] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def token_counter(embedder: Any) -> TokenCounter:
    """The counter for ``embedder``'s tokenizer, built once per embedder (a reloaded index
    keeps its embedder, hence its counter)."""
    with _lock:
        counter = _counters.get(embedder)
        if counter is None:
            counter = TokenCounter(getattr(embedder, "tokenizer", None))
            _counters[embedder] = counter
        return counter
