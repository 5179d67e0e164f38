"""Modules that only parse text or name data types import nothing heavy: no FAISS, BM25,
stemmer, torch or index code (the data types they need live in :mod:`rag.records`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("faiss", "bm25s", "Stemmer", "torch", "qdrant_client", "rag.index", "rag.query.retrieval",
         "rag.index.lexical", "rag.index.dense")


def _loaded(module: str) -> set[str]:
    """The modules of ``HEAVY`` that importing ``module`` loads (in a fresh interpreter)."""
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", ["rag.records", "rag.ingest.cleaning", "rag.ingest.layout",
                                    "rag.query.citations", "rag.index.analysis", "rag.query.plan",
                                    "rag.answer.serialize", "rag.ingest.chunking"])
def test_light_modules_load_nothing_heavy(module: str) -> None:
    assert _loaded(module) == set()


def test_analysis_loads_stemmer_and_stopwords_on_first_use() -> None:
    from rag.index.analysis import char_grams, tokenize

    assert tokenize("Les opérations de maintien de la paix") == ["oper", "maintien", "paix"]
    assert char_grams("the cooperation")[:3] == ["#coo", "coop", "oope"]


@pytest.mark.parametrize("module", ["rag.query.plan", "rag.query.coverage",
                                    "rag.query.expectations"])
def test_query_stage_imports_no_later_stage(module: str) -> None:
    """The question stage comes before answering: none of its modules loads rag.answer."""
    code = (f"import sys, {module}; "
            "print(' '.join(m for m in sys.modules if m.startswith('rag.answer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.split() == []
