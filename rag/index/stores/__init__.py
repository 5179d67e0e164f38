"""Where passage vectors live, behind one protocol (:mod:`~rag.index.stores.base`): FAISS and
BM25 in the index folder (:mod:`~rag.index.stores.faiss`, the default) or a Qdrant collection
(:mod:`~rag.index.stores.qdrant`)."""
