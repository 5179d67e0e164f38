"""Token counts and cuts (rag.text) and the chat reply limits (api.chat_options), without
the model: the approximate counter, and a small real tokenizer built here."""

from __future__ import annotations

import pytest

from api.chat_options import limit_reply
from rag.text import TokenCounter, token_counter
from tests.support.fakes import HashEmbedder

TEXT = "Le Centre régional publie des bulletins (Amou-Daria, Syr-Daria) [1]."


def test_approximate_counter_counts_words_and_punctuation():
    counter = TokenCounter(None)
    assert counter.name == "approximate"
    assert counter.count(TEXT) == 19 and counter.count("") == 0
    assert counter.truncate(TEXT, 6) == ("Le Centre régional publie des bulletins", True)
    assert counter.truncate(TEXT, 8) == ("Le Centre régional publie des bulletins (Amou", True)
    assert counter.truncate(TEXT, 19) == (TEXT, False)


def test_embedder_without_tokenizer_gets_the_fallback_once():
    embedder = HashEmbedder()
    assert token_counter(embedder) is token_counter(embedder)
    assert token_counter(embedder).name == "approximate"


def test_real_tokenizer_copy_is_untruncated_and_cuts_on_token_ends():
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for w in TEXT.replace("(", " ").replace(")", " ").split()})
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}}
    raw = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=raw, model_max_length=4)
    fast(["a b c d e f g"], truncation=True, max_length=4)  # leaves truncation on its backend
    counter = TokenCounter(fast)
    assert counter.name == "model"
    long_text = " ".join([TEXT] * 20)
    assert counter.count(long_text) == 20 * counter.count(TEXT) > 4  # not capped at 4
    cut, was_cut = counter.truncate(TEXT, 3)
    assert was_cut and cut == "Le Centre régional"
    assert counter.truncate(TEXT, 100) == (TEXT, False)


def test_limit_reply_applies_stop_then_length():
    counter = TokenCounter(None)
    assert limit_reply(TEXT, [], None, counter) == (TEXT, "stop")
    assert limit_reply(TEXT, ["(", "publie"], None, counter) == ("Le Centre régional ", "stop")
    assert limit_reply(TEXT, ["absent"], 2, counter) == ("Le Centre", "length")
    assert limit_reply(TEXT, ["("], 6, counter) == ("Le Centre régional publie des bulletins ",
                                                     "stop")
