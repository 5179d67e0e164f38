"""Decode the bytes of a text file: UTF-8 (BOM stripped), else a confident Western Latin
single-byte encoding (cp1252, latin-1); binary content and anything else is refused."""

from __future__ import annotations

from charset_normalizer import from_bytes

from rag.errors import DocumentRejected

# Western single-byte code pages a French document may come in (charset-normalizer names).
_LATIN = ("cp1252", "iso8859_15", "latin_1")
_MAX_CHAOS = 0.2  # charset-normalizer's mess ratio above which a decoding is not trusted
_NOT_UTF8 = "not UTF-8 text; re-save it as UTF-8"


def _looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: not a text file."""
    if b"\x00" in data:
        return True
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > 0.01 * len(sample)


def _decode_latin(data: bytes, name: str) -> str:
    """Decode as a Western Latin code page when charset-normalizer finds one as clean as its
    best guess (French text fits cp1250 as well as cp1252); otherwise refuse."""
    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise DocumentRejected(name, _NOT_UTF8)
    for match in results:
        encoding = match.encoding.lower().replace("-", "_")
        if encoding in _LATIN and match.chaos <= min(best.chaos + 0.01, _MAX_CHAOS):
            return data.decode(encoding)
    raise DocumentRejected(name, f"{_NOT_UTF8} (it looks like {best.encoding})")


def decode_text(data: bytes, name: str) -> str:
    """Text of a ``.txt``/``.md``/``.html`` file; ``DocumentRejected`` (naming ``name``) if it
    is binary, not UTF-8 nor confidently Latin-1/cp1252, or blank."""
    if _looks_binary(data):
        raise DocumentRejected(name, "binary content (NUL or control bytes) in a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_latin(data, name)
    if not text.strip():
        raise DocumentRejected(name, "contains only whitespace")
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as Path.read_text does
