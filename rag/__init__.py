"""Question answering over UN documents on cooperation with regional organisations.

Data flow, one package per stage: ``seeds/`` → :mod:`rag.ingest` (read, clean, chunk) →
:mod:`rag.encoders` (vectors) → :mod:`rag.index` (FAISS + BM25, or Qdrant) → :mod:`rag.query`
(question plan, retrieval) → :mod:`rag.answer` (citations) → :mod:`rag.pipeline` → ``api/``
and :mod:`rag.cli`. No module imports from a later stage (``tests/integration/test_imports.py``).
"""

__version__ = "0.1.0"
