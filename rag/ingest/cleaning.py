"""Text repair rules for PDF-extracted UN documents, one small pure function per artefact.

Each rule is tested on real lines from ``seeds/`` (``tests/unit/ingest/test_cleaning.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_SPACES = re.compile(r"[\t\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_STRAIGHT_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_SYMBOL = r"(?:[AES]|ST|CCPR|TD)/(?:[A-Z0-9.]+/)*[A-Z0-9.()]+"
_SYMBOL_LINE = re.compile(rf"^\s*{_SYMBOL}(?:\s*-\s*{_SYMBOL})?\s*$")
_JOB_NUMBER_LINE = re.compile(
    r"^\s*(?:\d{2}-\d{5}\s+\d{1,3}/\d{1,3}|\d{1,3}/\d{1,3}\s+\d{2}-\d{5}"
    r"|\d{2}-\d{5}\s*\([A-Z]\)(?:\s+\d{6})*)\s*$"
)
_BARCODE_LINE = re.compile(r"^\s*\*\d{6,}\*\s*$")
_LINK_LINE = re.compile(r"^\s*(?:https?://|mailto:)\S*\s*$")
_FOOTNOTE_RULE = re.compile(r"^\s*_{5,}\s*$")
_ELISION = re.compile(
    r"\b([LlDdJjNnSsCcMmTt]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu|[Qq]uoiqu)\s+’\s*(?=\w)"
)
_SPACED_HYPHEN = re.compile(r"(?<=\w) +-(?=\w)")
_SPACE_BEFORE_POINT = re.compile(r"(?<=\S) +([.,])(?=\s|$|[»)])")
_GUILLEMET_SPACES = re.compile(r"«\s+|\s+»")
_WORD = re.compile(r"[^\W\d_]+(?:[’-][^\W\d_]+)*")
_GLUED_MARKER = re.compile(
    r"(?:(?<=[^\W\d_]{3})|(?<=\d \d{3}))(\d{1,2})(?=[\s.,;:)»]|$)"
)
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__")
_COMPOUND_HEADS = frozenset(
    "ci sous non vice anti contre demi semi ex mi quasi auto extra après avant arrière porte "
    "peut est celui celle ceux celles lui elle elles eux moi nous vous grand".split())
_COMPOUND_TAILS = frozenset(
    "même mêmes ci là dessus dessous après t il ils elle elles on être unis".split())


def normalize_unicode(text: str) -> str:
    """NFC-normalise; each exotic space (tab, no-break…) becomes a plain space (so indentation
    survives) and straight apostrophes become ’."""
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    return _STRAIGHT_APOSTROPHE.sub("’", text)


def is_page_header(line: str) -> bool:
    """True for running headers/footers: document symbols, job numbers, barcodes."""
    return bool(
        _SYMBOL_LINE.match(line) or _JOB_NUMBER_LINE.match(line) or _BARCODE_LINE.match(line)
    )


def is_link_residue(line: str) -> bool:
    """True for bare hyperlink targets (``https://undocs.org/…``, ``mailto:…``) left by
    PDF extraction."""
    return bool(_LINK_LINE.match(line))


def is_footnote_rule(line: str) -> bool:
    """True for the ``__________`` rule that opens a page's footnotes."""
    return bool(_FOOTNOTE_RULE.match(line))


def fix_apostrophe_spacing(text: str) -> str:
    """``l ’ONU`` → ``l’ONU``: drop the space PDF extraction puts before an elision."""
    return _ELISION.sub(lambda m: m.group(1) + "’", text)


def fix_spaced_hyphen(text: str) -> str:
    """``ci -jointe`` → ``ci-jointe``, ``pourrait -il`` → ``pourrait-il``."""
    return _SPACED_HYPHEN.sub("-", text)


def fix_space_before_point(text: str) -> str:
    """``armés . Il`` → ``armés. Il`` (French keeps no space before ``.`` and ``,``)."""
    return _SPACE_BEFORE_POINT.sub(r"\1", text)


def collapse_spaces(text: str) -> str:
    """One space between words, one space inside guillemets, no space at the ends."""
    text = _GUILLEMET_SPACES.sub(lambda m: "« " if m.group(0).startswith("«") else " »", text)
    return re.sub(r" {2,}", " ", text).strip()


def strip_markdown(text: str) -> str:
    """Drop Markdown emphasis markers (``**bold**``) kept by some converted documents."""
    return _MARKDOWN_EMPHASIS.sub("", text)


def word_counts(texts: Iterable[str]) -> Counter[str]:
    """Lower-cased word frequencies, the vocabulary that word-repair rules consult."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.lower() for w in _WORD.findall(text))
    return counts


def join_split_words(
    text: str, vocabulary: Counter[str], min_count: int = 2, max_fragment_count: int = 2
) -> str:
    """``conf lits`` → ``conflits``, ``re lations`` → ``relations``, only where safe.

    Two tokens are merged when the merged word occurs at least ``min_count`` times in the
    vocabulary while both fragments are rare on their own (at most ``max_fragment_count``
    occurrences, i.e. little more than the artefact itself), so ``de la`` is never touched.
    """

    def merge(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        merged = (left + right).lower()
        if (
            vocabulary.get(merged, 0) >= min_count
            and vocabulary.get(left.lower(), 0) <= max_fragment_count
            and vocabulary.get(right.lower(), 0) <= max_fragment_count
        ):
            return left
        return match.group(0)

    return re.sub(r"\b([^\W\d_]{1,6}) (?=([^\W\d_]{2,})\b)", merge, text)


def join_wrapped_lines(lines: list[str], vocabulary: Counter[str] | None = None) -> str:
    """Rejoin hard-wrapped lines into one string.

    A line ending in ``-`` is glued to the next one: the hyphen is kept for compounds
    (``sous-`` + ``régionales``) and dropped for a syllable break when the vocabulary knows
    the unbroken word but not the hyphenated one.
    """
    vocabulary = vocabulary or Counter()
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out.endswith("-") and not out.endswith(" -"):
            head = re.search(r"([^\W\d_]+)-$", out)
            tail = re.match(r"[^\W\d_]+", line)
            if head and tail:
                whole = (head.group(1) + tail.group(0)).lower()
                hyphenated = f"{head.group(1)}-{tail.group(0)}".lower()
                if vocabulary.get(whole, 0) and not vocabulary.get(hyphenated, 0):
                    out = out[:-1]
            out += line
        elif out.endswith(" -"):
            out = out[:-2] + "-" + line
        else:
            out = f"{out} {line}" if out else line
    return out


def joins_at_hyphen(head: str, tail: str, vocabulary: Counter[str]) -> bool:
    """Whether ``head-`` at a line end + ``tail`` on the next line is one hyphenated word
    (``coopé-`` + ``ration`` → ``coopération``) rather than a compound (``sous-régionales``).

    The vocabulary decides when it knows either spelling; otherwise a compound is assumed when
    the tail is capitalised (``États-Unis``), for the usual French compound parts (``ci-``,
    ``sous-``, ``-même``), when both halves are words of four letters or more, or when the
    document uses ``head-`` or ``-tail`` in other compounds; any other break is a syllable
    break.
    """
    whole, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
    if vocabulary.get(hyphenated, 0):
        return False
    if vocabulary.get(whole, 0):
        return True
    if tail[:1].isupper() or head.lower() in _COMPOUND_HEADS or tail.lower() in _COMPOUND_TAILS:
        return False
    if min(len(head), len(tail)) >= 4 and vocabulary.get(head.lower()) \
            and vocabulary.get(tail.lower()):
        return False  # two words of their own: porte-voix
    prefix, suffix = f"{head.lower()}-", f"-{tail.lower()}"
    return not any(w.startswith(prefix) or w.endswith(suffix) for w in vocabulary if "-" in w)


def strip_footnote_markers(text: str, numbers: Iterable[int]) -> tuple[str, tuple[int, ...]]:
    """Remove footnote call digits glued to a word or a number (``institutionnelle1.``,
    ``488 0001.`` for 488 000 + call 1).

    Only digits that are a known footnote number of the document are treated as calls.
    Returns the text without them and the footnote numbers found, in order.
    """
    known = set(numbers)
    found: list[int] = []

    def drop(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number in known:
            found.append(number)
            return ""
        return match.group(0)

    return _GLUED_MARKER.sub(drop, text), tuple(found)


def repair_text(text: str, vocabulary: Counter[str] | None = None) -> str:
    """Apply every in-line repair rule to a joined paragraph."""
    text = strip_markdown(text)
    text = fix_apostrophe_spacing(text)
    text = fix_spaced_hyphen(text)
    text = fix_space_before_point(text)
    if vocabulary:
        text = join_split_words(text, vocabulary)
    return collapse_spaces(text)
