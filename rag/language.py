"""Tell French questions from English ones (the two languages staff ask in)."""

from __future__ import annotations

import re

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
