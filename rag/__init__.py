"""Question answering over UN documents on cooperation with regional organisations.

Data flow: ``seeds/`` → :mod:`rag.documents` (clean) → :mod:`rag.chunking` (paragraphs)
→ :mod:`rag.embeddings` → :mod:`rag.index` (FAISS + BM25) → :mod:`rag.retrieval`
→ :mod:`rag.answer` (citations) → ``api/``.
"""

__version__ = "0.1.0"
