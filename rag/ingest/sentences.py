"""French-aware sentence splitting (abbreviations, document symbols, footnote digits)."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "m", "mm", "mme", "mmes", "mlle", "dr", "pr", "par", "art", "al", "etc", "cf", "vol",
    "no", "nos", "p", "pp", "chap", "sect", "av", "apr", "j.-c", "st", "ste", "mr", "mrs",
    "ms", "e.g", "i.e", "vs", "fig", "op", "ibid", "env", "min", "max", "éd", "ed",
}
_BOUNDARY = re.compile(r"(?<=[.!?…])[»”)]?\s+(?=[«“(\"A-ZÀ-Ý0-9])")


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences.

    A boundary is end punctuation followed by whitespace and an upper-case letter, digit or
    opening quote, unless the word before the point is a known abbreviation (``M.``,
    ``par.``) or a single capital initial (``V. Churkin``).
    """
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start:match.start()]
        word = re.search(r"(\S+)[.!?…][»”)]?$", before)
        token = word.group(1).lower() if word else ""
        if token in _ABBREVIATIONS or re.fullmatch(r"[A-ZÀ-Ý]", word.group(1) if word else ""):
            continue
        piece = text[start:match.start()].strip()
        tail = match.group(0).strip()
        if piece:
            sentences.append(piece + tail)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences
