"""Token counts and token-boundary cuts in the embedding model's own tokenizer.

The OpenAI-compatible endpoint reports ``usage`` and honours ``max_tokens`` in tokens; the
only model this service runs is the e5 encoder, so its tokenizer is the unit. An embedder
exposes its Hugging Face tokenizer as ``tokenizer`` (None where it has none, e.g. test
embedders); then a cheap word/punctuation count stands in.
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import Any

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
