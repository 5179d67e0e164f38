"""A PDF whose file name says nothing (``scan001.pdf``) is filed under the UN symbol it prints
(issue 26, point 3): ``rag add`` gives it the id ``S-2021-297``, the same scan added again
changes nothing, and a meaningful name or a scan without symbol keeps its name's id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.corpus import add_documents, build_embedder
from rag.index.build import build_index
from rag.index.load import load_index
from rag.ingest.documents import is_generic_name, symbol_id
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.support.fakes import HashEmbedder

VARIANT = (Path(__file__).resolve().parents[2] / "pdf_variants" / "files"
           / "rl-single-just-hang-small")
VIET_NAM = VARIANT / "001_72201535bd96dd17.pdf"  # S/2021/297
MEXICO = VARIANT / "000_f2da49a2d68de082.pdf"  # no symbol printed


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "002_b093fe27a274807f.txt", seeds)
    settings = Settings(index_root=tmp_path / "index", seeds_dir=seeds,
                        embedding_model="test-hash")
    build_index(settings.index_options(), build_embedder(settings, HashEmbedder()))
    return settings


def _as(path: Path, folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy(path, folder / name))


@pytest.mark.parametrize("name", ["scan001.pdf", "document.pdf", "untitled.pdf", "20210326.pdf",
                                  "Scan 2021-03-26 (2).pdf", "IMG_0042.pdf"])
def test_generic_names(name: str) -> None:
    assert is_generic_name(name)


@pytest.mark.parametrize("name", ["rapport.pdf", "S-2021-297.pdf", "note-cadrage.pdf",
                                  "001_72201535bd96dd17.pdf"])
def test_meaningful_names(name: str) -> None:
    assert not is_generic_name(name)


def test_symbol_ids() -> None:
    assert symbol_id("S/2021/297") == "S-2021-297"
    assert symbol_id("A/75/345-S/2020/898") == "A-75-345-S-2020-898"
    assert symbol_id("E/CN.4/2005/1") == "E-CN.4-2005-1"


def test_a_scan_with_a_generic_name_is_filed_under_its_symbol(settings: Settings,
                                                              tmp_path: Path) -> None:
    scan = _as(VIET_NAM, tmp_path / "in", "scan001.pdf")
    report = add_documents(settings, [scan], embedder=HashEmbedder())
    assert [(c.doc_id, c.file, c.action) for c in report.changes] == [
        ("S-2021-297", "S-2021-297.pdf", "added")]
    meta = load_index(settings.index_options()).documents["S-2021-297"]
    assert (meta.symbol, meta.date, meta.job_number, meta.distribution) == (
        "S/2021/297", "2021-03-26", "21-04084", "générale")
    assert meta.title.startswith("Lettre datée du 25 mars 2021")
    again = add_documents(settings, [scan], embedder=HashEmbedder())
    assert [(c.doc_id, c.action) for c in again.changes] == [("S-2021-297", "unchanged")]
    other = _as(VIET_NAM, tmp_path / "in2", "document.pdf")  # the same scan, another name
    assert [(c.doc_id, c.action) for c in add_documents(
        settings, [other], embedder=HashEmbedder()).changes] == [("S-2021-297", "unchanged")]


def test_a_meaningful_name_or_no_symbol_keeps_the_name_id(settings: Settings,
                                                          tmp_path: Path) -> None:
    named = _as(VIET_NAM, tmp_path / "in", "lettre-viet-nam.pdf")
    bare = _as(MEXICO, tmp_path / "in", "scan002.pdf")
    report = add_documents(settings, [named, bare], embedder=HashEmbedder())
    assert sorted(c.doc_id for c in report.changes) == ["lettre-viet-nam", "scan002"]
