"""Load source documents (any supported format): read, clean and parse, then attach
metadata (catalogue first, then what the document's own text says)."""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import DocumentRejected
from rag.ingest.cleaning import word_counts
from rag.ingest.layout import Layout, parse_layout
from rag.ingest.sources import SUPPORTED_SUFFIXES, read_source
from rag.records import Block, Document, DocumentMeta

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
#: longest document id; a stored file name (id + suffix) and the temporary and backup names
#: made from it stay far below the 255 bytes file systems allow
MAX_ID_CHARS = 96
_HASH_CHARS = 10
#: Latin letters that Unicode does not decompose into an ASCII letter and a mark
_LATIN_LETTERS = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe",
                                "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d",
                                "Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ı": "i",
                                "ħ": "h", "Ħ": "H", "ŋ": "ng", "Ŋ": "Ng"})
MONTHS = {
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}
LANGUAGES = {"anglais": "en", "espagnol": "es", "russe": "ru", "français": "fr",
              "arabe": "ar", "chinois": "zh"}
_FRENCH_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b")
DATE_LINE = re.compile(r"^(?:[^\W\d][^,\d]{0,40},\s*(?:le\s+)?)?\d{1,2}(?:er)?\s+(?:"
                        + "|".join(MONTHS) + r")\s+\d{4}\.?$", re.IGNORECASE)
_SIGNED_BY = re.compile(r"\(Signé\)\s*(.+)$")
_REPRESENTATIVE = re.compile(r"Représentant(?:e)? permanent(?:e)? (?:de la |du |de l’|des |d’)?"
                             r"([^,(]+?)(?: auprès|,| \(|$)")


def french_date_to_iso(text: str) -> str | None:
    """``19 octobre 2021`` → ``2021-10-19`` (first date found in ``text``)."""
    m = _FRENCH_DATE.search(text)
    if not m:
        return None
    return f"{int(m.group(3)):04d}-{MONTHS[m.group(2)]:02d}-{int(m.group(1)):02d}"


def title_from_file_name(file: str) -> str:
    """``rapport_cedeao-2024.pdf`` → ``rapport cedeao 2024``: a title of last resort."""
    return " ".join(re.split(r"[\s_\-.]+", Path(file).stem)).strip() or file


def _date_line(blocks: list[Block]) -> str | None:
    """A date standing alone near the top (``12 septembre 2024``, ``Genève, le 3 mars 2025``)."""
    for block in blocks:
        if DATE_LINE.match(block.text.strip()):
            return french_date_to_iso(block.text)
    return None


def derive_meta(doc_id: str, file: str, layout: Layout,
                file_title: str | None = None) -> DocumentMeta:
    """Metadata read from the document's own text (masthead, headers, title, signature),
    else from the file (its own title property, else its name)."""
    headings = [b.text for b in layout.blocks if b.kind == "heading"]
    title = headings[0] if headings else (file_title or title_from_file_name(file))
    symbols = list(dict.fromkeys(layout.page_symbols))
    symbol = layout.masthead.symbol or ("-".join(symbols) if symbols else None)
    text_blocks = [b for b in layout.blocks if b.kind != "masthead"]
    date = (french_date_to_iso(layout.masthead.distributed or "") or french_date_to_iso(title)
            or _date_line(text_blocks[:6]))
    author = None
    for block in layout.blocks:
        if block.kind == "signature":
            signed = _SIGNED_BY.search(block.text)
            rep = _REPRESENTATIVE.search(block.text)
            parts = [p for p in (signed and signed.group(1).strip(),
                                 rep and f"Représentant permanent ({rep.group(1).strip()})") if p]
            author = ", ".join(parts) or None
            break
    if author is None and any(h.startswith("Rapport du Secrétaire général") for h in headings):
        author = "Secrétaire général"
    original = layout.masthead.original_language
    return DocumentMeta(
        id=doc_id, file=file, symbol=symbol, title=title, date=date, author=author,
        original_language=LANGUAGES.get(original or "", original),
        distribution=layout.masthead.distribution, job_number=layout.masthead.job_number,
    )


def load_catalog(path: Path) -> dict[str, dict[str, object]]:
    """Read ``seeds/catalog.toml``: one ``[[document]]`` table per file. Missing file → {}."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(entry["file"]): entry for entry in data.get("document", [])}


def catalog_entry(catalog: dict[str, dict[str, object]], path: Path
                  ) -> dict[str, object] | None:
    """The catalogue entry of the file at ``path``: by file name, else by document id (the
    same document in another format: ``report.pdf`` takes the entry of ``report.txt``)."""
    if path.name in catalog:
        return catalog[path.name]
    doc_id = document_id(path)
    return next((e for f, e in catalog.items() if document_id(Path(f)) == doc_id), None)


def apply_catalog(meta: DocumentMeta, entry: dict[str, object] | None) -> DocumentMeta:
    """Catalogue values override derived ones, field by field."""
    if not entry:
        return meta
    fields = {k: v for k, v in entry.items() if k in DocumentMeta.__dataclass_fields__}
    fields.pop("id", None)
    fields.pop("file", None)
    if "aliases" in fields:
        fields["aliases"] = tuple(str(a) for a in fields["aliases"])  # type: ignore[union-attr]
    return replace(meta, **fields)


def check_file_name(name: str) -> str:
    """``name`` (a file name) NFKC-normalised; ``DocumentRejected`` if it holds a NUL or
    another control character, which no file name of the corpus may carry."""
    bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise DocumentRejected(ascii(name), f"the file name contains a control character "
                               f"(U+{ord(bad):04X}); rename the file", "bad_file_name")
    return unicodedata.normalize("NFKC", name)


def ascii_fold(text: str) -> tuple[str, bool]:
    """``text`` in ASCII (accents dropped, ``ß`` → ``ss``, other characters as spaces), and
    whether letters or digits without an ASCII form (another script) were lost."""
    out: list[str] = []
    lost = False
    for char in unicodedata.normalize("NFKC", text).translate(_LATIN_LETTERS):
        base = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c))
        if base.isascii():
            out.append(base)
        else:
            lost = lost or char.isalnum()
            out.append(" ")
    return "".join(out), lost


def document_id(path: Path) -> str:
    """A document's id: its file name without the suffix (NFKC), folded to ASCII letters,
    digits, ``.``, ``_`` and ``-`` (other characters become ``-``). A name that loses
    letters of another script, has nothing left, or is longer than :data:`MAX_ID_CHARS`
    gets a short hash of the whole name instead of the lost part (``报告`` →
    ``document-1f3a…``), so that such names keep apart. Every id is its own id again
    (``document_id(Path(id + ".txt")) == id``)."""
    stem = unicodedata.normalize("NFKC", path.stem)
    folded, lost = ascii_fold(stem)
    slug = _UNSAFE_ID.sub("-", folded).strip("-.")
    if slug and not lost and len(slug) <= MAX_ID_CHARS:
        return slug
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    head = slug[:MAX_ID_CHARS - _HASH_CHARS - 1].rstrip("-.") or "document"
    return f"{head}-{digest}"


#: a file name that says nothing of the document: a scanner's or an editor's default
#: (``scan001.pdf``, ``document.pdf``, ``Untitled (2).pdf``, ``IMG_0042.pdf``, ``20240312.pdf``)
_GENERIC_NAME = re.compile(
    r"^(?:scan(?:ned)?|numeris(?:ation)?|document|doc|untitled|sans[ _-]?titre|file|fichier"
    r"|img|image|print|impression|copie|copy|new|nouveau|download|telechargement|pdf)?"
    r"[\s_().-]*\d*(?:[\s_().-]+\d+)*[\s_().-]*$", re.IGNORECASE)


def is_generic_name(name: str) -> bool:
    """Whether the file name ``name`` says nothing of its document (see ``_GENERIC_NAME``)."""
    folded, _ = ascii_fold(unicodedata.normalize("NFKC", Path(name).stem))
    return bool(_GENERIC_NAME.match(folded.strip()))


def symbol_id(symbol: str) -> str:
    """The document id a UN symbol gives: ``S/2021/297`` → ``S-2021-297``,
    ``A/75/345-S/2020/898`` → ``A-75-345-S-2020-898`` (a :func:`document_id`)."""
    return document_id(Path(" ".join(symbol.split()).replace("/", "-") + ".txt"))


def numbered_id(doc_id: str, n: int) -> str:
    """``doc_id`` with the suffix ``-n`` (``n`` ≥ 2), still within :data:`MAX_ID_CHARS`:
    the id of a differently named file whose id is taken."""
    tail = f"-{n}"
    return doc_id[:MAX_ID_CHARS - len(tail)].rstrip("-.") + tail


def seed_files(seeds_dir: Path) -> list[Path]:
    """Source documents in ``seeds_dir`` (every supported format), sorted by name.

    Raises ``DocumentRejected`` for a symlink that leads outside the folder."""
    root = seeds_dir.resolve()
    files = []
    for path in sorted(seeds_dir.iterdir()):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.name.startswith("."):
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise DocumentRejected(path.name, f"symlink to {path.resolve()} leaves the corpus "
                                   f"folder {seeds_dir}; copy the file instead")
        if path.is_file():
            files.append(path)
    return files


@dataclass(frozen=True)
class Source:
    """A source file read into text, with what identifies its content."""

    path: Path
    text: str
    format: str
    pages: int | None
    sha256: str
    size: int
    title: str | None = None  # the file's own title property (HTML <title>, DOCX core…)


def read_file(path: Path, max_bytes: int) -> Source:
    """Read one source file of any supported format (``DocumentRejected`` names it)."""
    source = read_source(path, max_bytes=max_bytes)
    data = path.read_bytes()
    return Source(path, source.text, source.format, source.pages,
                  hashlib.sha256(data).hexdigest(), len(data), getattr(source, "title", None))


def source_symbol(source: Source) -> str | None:
    """The UN symbol ``source`` prints (masthead, else running headers), if any."""
    layout = parse_layout(source.text, word_counts([source.text]))
    return derive_meta(document_id(source.path), source.path.name, layout, source.title).symbol


def parse_source(source: Source, vocabulary: Counter[str] | None = None,
                 catalog: dict[str, dict[str, object]] | None = None) -> Document:
    """Clean and parse a read source into a document with its metadata."""
    layout = parse_layout(source.text, vocabulary if vocabulary is not None
                          else word_counts([source.text]))
    name = source.path.name
    meta = apply_catalog(derive_meta(document_id(source.path), name, layout, source.title),
                         catalog_entry(catalog or {}, source.path))
    if all(b.kind == "masthead" for b in layout.blocks):
        raise DocumentRejected(name, "no text paragraphs found in it")
    return Document(meta=meta, blocks=tuple(layout.blocks), footnotes=layout.footnotes)


def load_document(path: Path, vocabulary: Counter[str] | None = None,
                  catalog: dict[str, dict[str, object]] | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read, clean and parse one document."""
    return parse_source(read_file(path, max_bytes), vocabulary, catalog)


def read_corpus(seeds_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Source]:
    """Read every source file of ``seeds_dir``; two files may not share a document id."""
    sources = [read_file(p, max_bytes) for p in seed_files(seeds_dir)]
    seen: dict[str, str] = {}
    for s in sources:
        doc_id = document_id(s.path)
        if doc_id in seen:
            raise DocumentRejected(s.path.name, f"has the same document id {doc_id!r} as "
                                   f"{seen[doc_id]}; rename or remove one of them")
        seen[doc_id] = s.path.name
    return sources


def parse_corpus(sources: list[Source], catalog_path: Path) -> list[Document]:
    """Documents of ``sources``; word repairs use the whole corpus vocabulary."""
    vocabulary = word_counts([s.text for s in sources])
    catalog = load_catalog(catalog_path)
    return [parse_source(s, vocabulary, catalog) for s in sources]


def load_corpus(seeds_dir: Path, catalog_path: Path | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> list[Document]:
    """Load every document of ``seeds_dir``."""
    return parse_corpus(read_corpus(seeds_dir, max_bytes),
                        catalog_path or seeds_dir / "catalog.toml")
