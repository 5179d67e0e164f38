"""Load seed documents: read, clean and parse, then attach metadata (catalogue first,
then what the document's own text says)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import replace
from pathlib import Path

from rag.cleaning import word_counts
from rag.layout import Layout, parse_layout
from rag.records import Document, DocumentMeta

SUPPORTED_SUFFIXES = (".txt", ".md")
_MONTHS = {
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}
_LANGUAGES = {"anglais": "en", "espagnol": "es", "russe": "ru", "français": "fr",
              "arabe": "ar", "chinois": "zh"}
_FRENCH_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b")
_SIGNED_BY = re.compile(r"\(Signé\)\s*(.+)$")
_REPRESENTATIVE = re.compile(r"Représentant(?:e)? permanent(?:e)? (?:de la |du |de l’|des |d’)?"
                             r"([^,(]+?)(?: auprès|,| \(|$)")


def french_date_to_iso(text: str) -> str | None:
    """``19 octobre 2021`` → ``2021-10-19`` (first date found in ``text``)."""
    m = _FRENCH_DATE.search(text)
    if not m:
        return None
    return f"{int(m.group(3)):04d}-{_MONTHS[m.group(2)]:02d}-{int(m.group(1)):02d}"


def derive_meta(doc_id: str, file: str, layout: Layout) -> DocumentMeta:
    """Metadata read from the document's own text (masthead, headers, title, signature)."""
    headings = [b.text for b in layout.blocks if b.kind == "heading"]
    title = headings[0] if headings else (layout.blocks[0].text[:120] if layout.blocks else doc_id)
    symbols = list(dict.fromkeys(layout.page_symbols))
    symbol = layout.masthead.symbol or ("-".join(symbols) if symbols else None)
    date = french_date_to_iso(layout.masthead.distributed or "") or french_date_to_iso(title)
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
        original_language=_LANGUAGES.get(original or "", original),
    )


def load_catalog(path: Path) -> dict[str, dict[str, object]]:
    """Read ``seeds/catalog.toml``: one ``[[document]]`` table per file. Missing file → {}."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(entry["file"]): entry for entry in data.get("document", [])}


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


def seed_files(seeds_dir: Path) -> list[Path]:
    """Source documents in ``seeds_dir``, sorted by name."""
    return sorted(p for p in seeds_dir.iterdir()
                  if p.suffix in SUPPORTED_SUFFIXES and p.is_file())


def load_document(path: Path, vocabulary: Counter[str] | None = None,
                  catalog: dict[str, dict[str, object]] | None = None) -> Document:
    """Read, clean and parse one document."""
    raw = path.read_text(encoding="utf-8")
    layout = parse_layout(raw, vocabulary if vocabulary is not None else word_counts([raw]))
    meta = apply_catalog(derive_meta(path.stem, path.name, layout), (catalog or {}).get(path.name))
    return Document(meta=meta, blocks=tuple(layout.blocks), footnotes=layout.footnotes)


def load_corpus(seeds_dir: Path, catalog_path: Path | None = None) -> list[Document]:
    """Load every document of ``seeds_dir``; word repairs use the whole corpus vocabulary."""
    files = seed_files(seeds_dir)
    raws = [p.read_text(encoding="utf-8") for p in files]
    vocabulary = word_counts(raws)
    catalog = load_catalog(catalog_path or seeds_dir / "catalog.toml")
    return [load_document(p, vocabulary, catalog) for p in files]
